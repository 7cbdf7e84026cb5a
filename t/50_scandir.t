#!/usr/bin/perl

# aio_scandir: classification, errors, the $maxreq limit, the link-count
# shortcut for entries of unknown type, priorities, cancellation, and a
# comparison with the original IO::AIO on the same tree.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
use AIOWrap;
BEGIN { use_ours () }

use Test::More;
use File::Temp ();
use POSIX ();
use Errno ();

my $tmp  = File::Temp->newdir ("aio-scandir-XXXXXX", TMPDIR => 1);
my $root = "$tmp/tree";

sub touch { open my $fh, ">", $_[0] or die "$_[0]: $!"; print $fh "x" x ($_[1] || 0) }

# tree: three subdirectories (one empty, one nested), files, a dot file,
# symlinks to a directory, a file and nowhere, and a fifo
mkdir $_ or die "$_: $!" for $root, "$root/d1", "$root/d1/sub", "$root/d2", "$root/empty";
touch "$root/$_", 3 for qw(f1 .hidden), "with space", "d1/inner";
symlink "d1",      "$root/ldir"    or die "symlink: $!";
symlink "f1",      "$root/lfile"   or die "symlink: $!";
symlink "nowhere", "$root/dangling" or die "symlink: $!";
POSIX::mkfifo ("$root/fifo", 0600) or die "mkfifo: $!";

my @DIRS    = sort qw(d1 d2 empty);
my @NONDIRS = sort ("f1", ".hidden", "with space", qw(ldir lfile dangling fifo));

# a flat directory with many entries, for the request limit
my $many = "$tmp/many";
mkdir $many or die;
mkdir "$many/dir$_" or die for 1 .. 3;
touch "$many/file$_" for 1 .. 20;

# a directory with files only
my $flat = "$tmp/flat";
mkdir $flat or die;
touch "$flat/file$_" for 1 .. 5;

# the link-count shortcut is only trusted for directories not modified in
# the current second
my $past = time - 3600;
utime $past, $past, $_ or die for $root, $many, $flat;

# runs aio_scandir to completion: (called?, \@dirs, \@nondirs, errno name)
sub scandir {
   my ($path, $maxreq) = @_;

   my ($called, @res, $err);
   my $grp = aio_scandir $path, $maxreq, sub {
      $called++;
      @res = @_;
      $err = errname ($! + 0) unless @_;
   };
   isa_ok $grp, "IO::AIO::GRP", "aio_scandir $path returns a group";
   drain;

   is $called, 1, "callback of aio_scandir $path called once";

   @res
      ? ($called, [sort @{ $res[0] }], [sort @{ $res[1] }], undef, $res[0], $res[1])
      : ($called, undef, undef, $err)
}

# --- plain results -------------------------------------------------------

{
   my (undef, $dirs, $nondirs) = scandir ($root, 0);
   is_deeply $dirs,    \@DIRS,    "directories of the tree";
   is_deeply $nondirs, \@NONDIRS, "non-directories of the tree (symlinks to directories included)";
}

for my $maxreq (1, 2, 100, -3) {
   my (undef, $dirs, $nondirs) = scandir ("$root/", $maxreq);
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "trailing slash, maxreq $maxreq";
}

{
   my (undef, $dirs, $nondirs) = scandir ("$root/d1", 0);
   is_deeply [$dirs, $nondirs], [["sub"], ["inner"]], "nested directory";

   (undef, $dirs, $nondirs) = scandir ("$root/empty", 0);
   is_deeply [$dirs, $nondirs], [[], []], "empty directory gives two empty lists";

   (undef, $dirs, $nondirs) = scandir ("$root/ldir", 0);
   is_deeply [$dirs, $nondirs], [["sub"], ["inner"]], "a symlink to a directory is followed";
}

{
   my $cwd = POSIX::getcwd ();
   chdir $root or die;
   my (undef, $dirs, $nondirs) = scandir (".", 0);
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "relative path .";
   (undef, $dirs, $nondirs) = scandir ("d1", 0);
   is_deeply [$dirs, $nondirs], [["sub"], ["inner"]], "relative path d1";
   chdir $cwd or die;
}

# relative to a working directory object
SKIP: {
   skip "needs aio_wd", 4
      unless defined &IO::AIO::aio_wd;

   my $wd = (run_req (\&aio_wd, "$tmp"))[0][0];   # a File::Temp::Dir object is no pathname
   ok $wd, "aio_wd $tmp";

   my ($called, $dirs, $nondirs) = scandir ([$wd, "tree"], 0);
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "[\$wd, tree]";
}

# --- errors: the callback gets no arguments and $! -------------------------

for (["$tmp/nope", "ENOENT"], ["$root/f1", "ENOTDIR"], ["$root/lfile", "ENOTDIR"],
     ["$root/dangling", "ENOENT"], ["$root/f1/x", "ENOTDIR"]) {
   my ($path, $errno) = @$_;
   my ($called, $dirs, undef, $err) = scandir ($path, 0);
   ok !$dirs, "$path: no results";
   is $err, $errno, "$path: $errno";
}

# --- entries of unknown type ---------------------------------------------

# The engine classifies entries of unknown type itself (lstat, bounded by
# the link count); src/ops/dir.rs tests that on a real directory.

# --- the caller's priority reaches the scan --------------------------------

{
   # one thread, kept busy: the queued requests then run by priority
   my @order;
   saturate (0.2);
   aioreq_pri 2; aio_nop sub { push @order, "nop2" };
   aioreq_pri 3; aio_scandir $root, 0, sub { push @order, "scandir3" };
   my $after = aioreq_pri;
   aioreq_pri 4; aio_nop sub { push @order, "nop4" };
   aioreq_pri 1; aio_nop sub { push @order, "nop1" };
   drain;
   IO::AIO::min_parallel 4;

   is_deeply \@order, [qw(nop4 scandir3 nop2 nop1)], "the scan runs with the caller's priority"
      or diag "order: @order";
   is $after, 0, "aioreq_pri is back to 0 after aio_scandir";
}

# --- cancellation --------------------------------------------------------

{
   is cancel_at_once (sub { aio_scandir $root, 0, $_[0] }), 0, "a cancelled aio_scandir does not call back";
   is IO::AIO::nreqs (), 0, "and leaves no requests behind";
}

# --- the same as the original ----------------------------------------------

SKIP: {
   skip "the original IO::AIO is not installed", 1
      unless defined original_version ();

   my $code = <<'EOF';
chdir $ROOT or die "$ROOT: $!";
my @out;
for my $max (0, 1, 3) {
   for my $p (qw(tree tree/ tree/d1 tree/empty tree/ldir tree/lfile tree/f1 tree/dangling nope many flat .)) {
      aio_scandir $p, $max, sub {
         push @out, @_
            ? "$max $p: dirs=" . join (",", sort @{$_[0]}) . " nondirs=" . join (",", sort @{$_[1]})
            : "$max $p: error " . errname ($! + 0);
      };
   }
}
IO::AIO::flush;
print "$_\n" for sort @out;
EOF
   $code = "my \$ROOT = q{$tmp};\n$code";

   my ($orig, $ours) = run_both ($code);
   is $ours, $orig, "same results as the original IO::AIO";
   note $orig;
}

done_testing;

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
   skip "needs aio_wd", 7
      unless defined &IO::AIO::aio_wd;

   my $wd;
   aio_wd "$tmp", sub { $wd = shift };   # a File::Temp::Dir object is no pathname
   drain;
   ok $wd, "aio_wd $tmp";

   my ($called, $dirs, $nondirs) = scandir ([$wd, "tree"], 0);
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "[\$wd, tree]";

   ($called, $dirs, $nondirs) = with_unknown_types (1, sub { scandir ([$wd, "tree"], 0) });
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "[\$wd, tree], types unknown";
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

# pretend the filesystem reports no types: every entry becomes DT_UNKNOWN
# (optionally in reverse order, so likely non-directories come first)
sub with_unknown_types {
   my ($reverse, $code) = @_;

   my $guard = wrap_aio aio_readdirx => sub {
      my ($orig, $path, $flags, $cb) = @_;
      $orig->($path, $flags, sub {
         my ($entries, $rflags) = @_;
         if ($entries && $flags & IO::AIO::READDIR_DENTS ()) {
            $_->[1] = IO::AIO::DT_UNKNOWN () for @$entries;
            @$entries = reverse @$entries if $reverse;
            $rflags |= IO::AIO::READDIR_FOUND_UNKNOWN ();
         }
         $cb->($entries, $rflags);
      })
   };

   my @r = $code->();
   wantarray ? @r : $r[0]
}

# counts aio_lstat requests and the most outstanding at once
sub count_lstats {
   my ($code) = @_;

   my ($n, $out, $max) = (0, 0, 0);
   my $guard = wrap_aio aio_lstat => sub {
      my ($orig, $path, $cb) = @_;
      ++$n;
      $max = $out if ++$out > $max;
      $orig->($path, sub { --$out; $cb->(@_) })
   };

   my @r = $code->();
   ($n, $max, @r)
}

SKIP: {
   my @st = stat $root;
   skip "filesystem of $tmp does not count subdirectories in the link count (nlink $st[3])", 9
      unless $st[3] == 2 + @DIRS && (stat $many)[3] == 5 && (stat $flat)[3] == 2;

   # types unknown, directories first: only the directories need an lstat
   my ($n, $max, undef, $dirs, $nondirs) = with_unknown_types (0, sub { count_lstats (sub { scandir ($root, 1) }) });
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "unknown types: classified by lstat";
   is $n, scalar @DIRS, "unknown types: lstat stops once nlink - 2 directories are found";
   is $max, 1, "unknown types: maxreq 1 keeps one lstat outstanding";

   # reversed: every entry has to be looked at, symlinks included
   ($n, $max, undef, $dirs, $nondirs) = with_unknown_types (1, sub { count_lstats (sub { scandir ($root, 1) }) });
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "unknown types, non-directories first: symlinks to directories are non-directories";
   is $n, @DIRS + @NONDIRS, "unknown types, non-directories first: every entry lstat'ed";

   # a directory whose link count says it has no subdirectories
   ($n, $max, undef, $dirs, $nondirs) = with_unknown_types (0, sub { count_lstats (sub { scandir ($flat, 0) }) });
   is_deeply [$dirs, $nondirs], [[], [map "file$_", sort 1 .. 5]], "files only: all non-directories";
   is $n, 0, "files only: link count 2 means no lstat at all";

   # the limit: 23 entries, non-directories first so that all are needed
   ($n, $max) = with_unknown_types (1, sub { count_lstats (sub { scandir ($many, 0) }) });
   is $max, 4, "maxreq 0 means at most 4 outstanding requests";
   ($n, $max) = with_unknown_types (1, sub { count_lstats (sub { scandir ($many, 7) }) });
   is $max, 7, "maxreq 7 means at most 7 outstanding requests";
}

{
   # known types need no lstat at all
   my ($n, undef, undef, $dirs, $nondirs) = count_lstats (sub { scandir ($root, 0) });
   is_deeply [$dirs, $nondirs], [\@DIRS, \@NONDIRS], "known types: results";
   is $n, 0, "known types: no lstat";
}

# --- the caller's priority reaches every sub-request -------------------------

{
   my @pri;
   my @guards = map {
      my $name = $_;
      wrap_aio $name => sub {
         my $orig = shift;
         push @pri, "$name:" . IO::AIO::aioreq_pri ();
         $orig->(@_)
      }
   } qw(aio_stat aio_lstat aio_readdirx aio_group);

   with_unknown_types (1, sub {
      aioreq_pri 3;
      scandir ($root, 2);
   });
   my $after = aioreq_pri;

   @guards = ();

   ok scalar (grep /^aio_lstat/, @pri), "lstat requests were made";
   is_deeply [grep !/:3$/, @pri], [], "every sub-request was submitted with priority 3";
   is $after, 0, "aioreq_pri is back to 0 after aio_scandir";
}

# --- cancellation --------------------------------------------------------

{
   my $called = 0;
   my $grp = aio_scandir $root, 0, sub { $called++ };
   $grp->cancel;
   drain;
   is $called, 0, "a cancelled aio_scandir does not call back";
   is IO::AIO::nreqs (), 0, "and leaves no requests behind";

   # cancelled while the per-entry lstats run
   my $lstats = 0;
   my $guard = wrap_aio aio_lstat => sub {
      my $orig = shift;
      $grp->cancel if ++$lstats == 2;
      $orig->(@_)
   };
   with_unknown_types (1, sub {
      $grp = aio_scandir $many, 1, sub { $called++ };
      drain;
   });
   undef $guard;
   is $called, 0, "cancelled during the lstat phase: no callback";
   is $lstats, 2, "cancelled during the lstat phase: no lstat after the cancel";
}

# --- the same as the original ----------------------------------------------

SKIP: {
   skip "the original IO::AIO is not installed", 1
      unless defined original_version ();

   my $code = <<'EOF';
chdir $ROOT or die "$ROOT: $!";
my @out;
sub errname { my $e = shift; local $! = $e; (grep $!{$_}, sort keys %!)[0] || "errno $e" }
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

   my $orig = run_original ($code);
   my $ours = run_ours ($code);
   is $ours, $orig, "same results as the original IO::AIO";
   note $orig;
}

done_testing;

#!/usr/bin/perl

# aio_rmtree: deleting trees, errors, symlinks (never followed, not even at
# the top), priorities, cancellation, and a comparison with the original.

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

my $tmp = File::Temp->newdir ("aio-rmtree-XXXXXX", TMPDIR => 1);

sub touch { open my $fh, ">", $_[0] or die "$_[0]: $!"; print $fh "data" }

# a directory and a file outside the trees, that symlinks point to
my $outside = "$tmp/outside";
mkdir $outside or die;
mkdir "$outside/sub" or die;
touch "$outside/keep";
touch "$outside/sub/keep";
touch "$tmp/outside-file";

sub outside_intact {
   my ($what) = @_;
   ok -f "$outside/keep" && -f "$outside/sub/keep" && -f "$tmp/outside-file",
      "$what: symlink targets untouched";
}

# builds a tree with nesting, empty directories, files, symlinks and a fifo
sub make_tree {
   my ($root, $width) = @_;
   $width ||= 3;

   mkdir $root or die "$root: $!";
   my $deep = $root;
   for (1 .. 12) {
      $deep .= "/deep$_";
      mkdir $deep or die "$deep: $!";
   }
   touch "$deep/bottom";

   for my $d (1 .. $width) {
      mkdir "$root/dir$d" or die;
      mkdir "$root/dir$d/empty" or die;
      touch "$root/dir$d/file$_" for 1 .. $width;
   }
   touch "$root/.hidden";
   touch "$root/with space";
   symlink $outside,           "$root/link-to-dir"  or die;
   symlink "$tmp/outside-file", "$root/link-to-file" or die;
   symlink "nowhere",           "$root/dangling"     or die;
   POSIX::mkfifo ("$root/fifo", 0600) or die;
}

# runs aio_rmtree to completion: (number of callbacks, status, errno name)
sub rmtree {
   my ($path) = @_;
   run_group ("aio_rmtree $path", sub { aio_rmtree $path, $_[0] })
}

# --- success ---------------------------------------------------------------

{
   make_tree ("$tmp/tree", 5);
   my ($called, $status) = rmtree ("$tmp/tree");
   is $called, 1, "callback called once";
   is $status, 0, "tree deleted: status 0";
   ok !-e "$tmp/tree" && !-l "$tmp/tree", "tree is gone";
   outside_intact ("tree with symlinks");

   mkdir "$tmp/empty" or die;
   (undef, $status) = rmtree ("$tmp/empty");
   is $status, 0, "empty directory: status 0";
   ok !-e "$tmp/empty", "empty directory is gone";

   # relative path and trailing slash
   make_tree ("$tmp/rel");
   my $cwd = POSIX::getcwd ();
   chdir $tmp or die;
   (undef, $status) = rmtree ("rel/");
   chdir $cwd or die;
   is $status, 0, "relative path with trailing slash: status 0";
   ok !-e "$tmp/rel", "relative tree is gone";
}

# relative to a working directory object
SKIP: {
   skip "needs aio_wd", 4
      unless defined &IO::AIO::aio_wd;

   my $wd = (run_req (\&aio_wd, "$tmp"))[0][0];   # a File::Temp::Dir object is no pathname
   ok $wd, "aio_wd $tmp";

   make_tree ("$tmp/wd-tree");
   my (undef, $status) = rmtree ([$wd, "wd-tree"]);
   is $status, 0, "[\$wd, wd-tree]: status 0";
   ok !-e "$tmp/wd-tree", "[\$wd, wd-tree]: gone";
}

# --- failure ---------------------------------------------------------------

{
   my (undef, $status, $err) = rmtree ("$tmp/nope");
   is $status, -1, "missing path: status -1";
   is $err, "ENOENT", "missing path: ENOENT";

   touch "$tmp/file";
   (undef, $status, $err) = rmtree ("$tmp/file");
   is $status, -1, "file: status -1";
   is $err, "ENOTDIR", "file: ENOTDIR";
   ok -f "$tmp/file", "file: not deleted";

   (undef, $status, $err) = rmtree ("$tmp/file/x");
   is $err, "ENOTDIR", "below a file: ENOTDIR";

   # deliberately unlike IO::AIO 4.80, which empties the link's target
   # before failing to rmdir the link
   symlink $outside, "$tmp/top-link" or die;
   (undef, $status, $err) = rmtree ("$tmp/top-link");
   is $status, -1, "symlink to a directory: status -1";
   is $err, "ENOTDIR", "symlink to a directory: ENOTDIR";
   ok -l "$tmp/top-link", "symlink to a directory: the link is still there";
   outside_intact ("symlink to a directory");

   (undef, $status, $err) = rmtree ("$tmp/top-link/");
   is $err, "ENOTDIR", "symlink to a directory, trailing slash: ENOTDIR";
   outside_intact ("symlink to a directory, trailing slash");

   symlink "nowhere", "$tmp/dangling" or die;
   (undef, $status, $err) = rmtree ("$tmp/dangling");
   is $err, "ENOTDIR", "dangling symlink: ENOTDIR";
   ok -l "$tmp/dangling", "dangling symlink: still there";
}

# --- the caller's priority reaches every sub-request -------------------------

{
   make_tree ("$tmp/pri");

   my @pri;
   my @guards = record_pri (\@pri, qw(aio_stat aio_lstat aio_readdirx aio_unlink aio_rmdir aio_group aio_scandir aio_rmtree));

   aioreq_pri (-2);
   my (undef, $status) = rmtree ("$tmp/pri");
   my $after = aioreq_pri;
   @guards = ();

   is $status, 0, "priority -2: tree deleted";
   ok scalar (grep /^aio_unlink/, @pri) && scalar (grep /^aio_rmdir/, @pri), "unlink and rmdir requests were made";
   is_deeply [grep !/:-2$/, @pri], [], "every sub-request was submitted with priority -2";
   is $after, 0, "aioreq_pri is back to 0 after aio_rmtree";
}

# --- cancellation --------------------------------------------------------

{
   make_tree ("$tmp/cancel", 20);

   is cancel_at_once (sub { aio_rmtree "$tmp/cancel", $_[0] }), 0, "cancelled at once: no callback";
   ok -d "$tmp/cancel", "cancelled at once: the top directory is still there";

   # cancelled in the middle, from inside, once some unlinks were made
   my ($called, $grp, $unlinks) = (0, undef, 0);
   my $guard = wrap_aio aio_unlink => sub {
      my $orig = shift;
      $grp->cancel if ++$unlinks == 10;
      $orig->(@_)
   };
   $grp = aio_rmtree "$tmp/cancel", sub { $called++ };
   drain;
   undef $guard;
   is $called, 0, "cancelled midway: no callback";
   ok $unlinks >= 10, "cancelled midway: the deletion had started";
   ok -d "$tmp/cancel", "cancelled midway: the top directory is still there";

   # and it can be finished afterwards
   my (undef, $status) = rmtree ("$tmp/cancel");
   is $status, 0, "finishing the cancelled tree: status 0";
   ok !-e "$tmp/cancel", "finishing the cancelled tree: gone";
}

# --- the same as the original ----------------------------------------------

SKIP: {
   skip "the original IO::AIO is not installed", 1
      unless defined original_version ();

   # the same trees for both, without a symlink to a directory at the top
   # (where we deliberately differ)
   my $code = <<'EOF';
chdir $ROOT or die "$ROOT: $!";
sub touch { open my $fh, ">", $_[0] or die "$_[0]: $!" }
mkdir $_ or die "$_: $!" for qw(t t/a t/a/b t/a/b/c t/e t/f e);
touch $_ for qw(t/x t/.y t/a/z t/a/b/c/w file);
symlink "../outside", "t/a/link" or die;
symlink "nowhere", "t/dangling" or die;
my @out;
for my $p (qw(t e file nope file/x t)) {
   aio_rmtree $p, sub {
      push @out, "$p: $_[0]" . ($_[0] ? " " . errname ($! + 0) : "");
   };
   IO::AIO::flush;
   push @out, "$p exists: " . (-e $p || -l $p ? 1 : 0);
}
push @out, "outside: " . join ",", glob "../outside/* ../outside/*/*";
unlink "file";
print "$_\n" for @out;
EOF

   my @out = run_both (sub {
      my ($which) = @_;
      my $dir = "$tmp/diff-$which";
      mkdir $dir or die;
      mkdir "$tmp/outside" unless -d "$tmp/outside";
      "my \$ROOT = q{$dir};\n$code"
   });

   is $out[1], $out[0], "same results as the original IO::AIO";
   note $out[0];
}

done_testing;

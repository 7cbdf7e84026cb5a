#!/usr/bin/perl

# aio_load and aio_pathsync: results, errors, priorities, cancellation, and
# a comparison with the original.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest qw(:DEFAULT spew);
use AIOWrap;
BEGIN { use_ours () }

use Test::More;
use File::Temp ();
use Errno ();

my $tmp = File::Temp->newdir ("aio-load-XXXXXX", TMPDIR => 1);

my $DATA = join "", map chr (($_ * 13 + 5) & 255), 0 .. 300_000;
spew "$tmp/data",  $DATA;
spew "$tmp/empty", "";
mkdir "$tmp/dir" or die;

# --- aio_load --------------------------------------------------------------

{
   my $data = "old contents, longer than nothing";
   my ($status) = run_group_once ("aio_load", sub { aio_load "$tmp/data", $data, $_[0] });
   is $status, length $DATA, "aio_load: status is the length";
   ok $data eq $DATA, "aio_load: contents";

   # the data argument is aliased, so it can be any lvalue
   my %h;
   ($status) = run_group_once ("aio_load into a hash element", sub { aio_load "$tmp/data", $h{x}, $_[0] });
   ok defined $h{x} && $h{x} eq $DATA, "aio_load into a hash element: contents";

   $data = "something";
   ($status) = run_group_once ("aio_load of an empty file", sub { aio_load "$tmp/empty", $data, $_[0] });
   is $status, 0, "aio_load of an empty file: status 0";
   is $data, "", "aio_load of an empty file: empty data";

   my $err;
   ($status, $err) = run_group_once ("aio_load of a missing file", sub { aio_load "$tmp/nope", $data, $_[0] });
   is $status, -1, "aio_load of a missing file: status -1";
   is $err, "ENOENT", "aio_load of a missing file: ENOENT";

   ($status, $err) = run_group_once ("aio_load of a directory", sub { aio_load "$tmp/dir", $data, $_[0] });
   is $status, -1, "aio_load of a directory: status -1";
   is $err, "EISDIR", "aio_load of a directory: EISDIR";

   # priorities
   my @pri;
   my @guards = record_pri (\@pri, qw(aio_group aio_open aio_stat aio_read));
   aioreq_pri (2);
   ($status) = run_group_once ("aio_load at priority 2", sub { aio_load "$tmp/data", $data, $_[0] });
   my $after = aioreq_pri;
   @guards = ();
   ok scalar (grep /^aio_read:/, @pri), "aio_load at priority 2: a read was made";
   is_deeply [grep !/:2$/, @pri], [], "aio_load at priority 2: every sub-request at priority 2";
   is $after, 0, "aioreq_pri is back to 0";

   # cancellation
   $data = "untouched";
   is cancel_at_once (sub { aio_load "$tmp/data", $data, $_[0] }), 0, "cancelled aio_load: no callback";
   is IO::AIO::nreqs (), 0, "cancelled aio_load: nothing outstanding";
}

# --- aio_pathsync ----------------------------------------------------------

SKIP: {
   skip "needs aio_fsync", 1
      unless defined &IO::AIO::aio_fsync;

   for (["file", "$tmp/data"], ["directory", "$tmp/dir"], ["empty file", "$tmp/empty"]) {
      my ($what, $path) = @$_;
      my ($status) = run_group_once ("aio_pathsync of a $what", sub { aio_pathsync $path, $_[0] });
      is $status, 0, "aio_pathsync of a $what: status 0";
   }

   my ($status, $err) = run_group_once ("aio_pathsync of a missing path", sub { aio_pathsync "$tmp/nope", $_[0] });
   is $status, -1, "aio_pathsync of a missing path: status -1";
   is $err, "ENOENT", "aio_pathsync of a missing path: ENOENT";

   # open, fsync, close - the fsync result is the status, errno included
   my @ops;
   my @guards = record_pri (\@ops, qw(aio_open aio_fsync aio_close));
   aioreq_pri (-1);
   ($status) = run_group_once ("aio_pathsync at priority -1", sub { aio_pathsync "$tmp/data", $_[0] });
   @guards = ();
   is "@ops", "aio_open:-1 aio_fsync:-1 aio_close:-1", "aio_pathsync: open, fsync, close, all at the caller's priority";

   my $guard = wrap_aio aio_fsync => sub {
      my $orig = shift;
      my $cb = pop;
      IO::AIO::aio_nop (sub { $! = Errno::EIO (); $cb->(-1) })
   };
   ($status, $err) = run_group_once ("aio_pathsync with a failing fsync", sub { aio_pathsync "$tmp/data", $_[0] });
   undef $guard;
   is $status, -1, "aio_pathsync with a failing fsync: status -1";
   is $err, "EIO", "aio_pathsync with a failing fsync: the fsync's errno";

   is cancel_at_once (sub { aio_pathsync "$tmp/data", $_[0] }), 0, "cancelled aio_pathsync: no callback";
}

# --- the same as the original ----------------------------------------------

SKIP: {
   skip "the original IO::AIO is not installed", 1
      unless defined original_version ();

   my $code = <<'EOF';
chdir $ROOT or die "$ROOT: $!";
for my $p (qw(data empty nope dir)) {
   my $data = "x" x 10;
   aio_load $p, $data, sub {
      print "load $p: $_[0]", ($_[0] < 0 ? " " . errname ($! + 0) : ""),
            ", ", length $data, " bytes, sum ", unpack ("%32C*", $data), "\n";
   };
   IO::AIO::flush;
   if ($SYNC) {
      aio_pathsync $p, sub { print "pathsync $p: $_[0]", ($_[0] ? " " . errname ($! + 0) : ""), "\n" };
      IO::AIO::flush;
   }
}
EOF
   $code = "my \$ROOT = q{$tmp}; my \$SYNC = " . (defined &IO::AIO::aio_fsync ? 1 : 0) . ";\n$code";

   my ($orig, $ours) = run_both ($code);
   is $ours, $orig, "same results as the original IO::AIO";
   note $orig;
}

done_testing;

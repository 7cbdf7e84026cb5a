#!/usr/bin/perl

# aio_copy and aio_move: contents and metadata, errors, removal of a partial
# destination, the EXDEV fallback of aio_move, priorities, cancellation, and
# a comparison with the original.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest qw(:DEFAULT spew slurp);
use AIOWrap;
BEGIN { use_ours () }

use Test::More;
use File::Temp ();
use POSIX ();

BEGIN {
   my @missing = grep !defined &{"IO::AIO::$_"},
                      qw(aio_sendfile aio_utime aio_chmod aio_chown aio_rename);
   plan skip_all => "needs @missing" if @missing;
}

my $tmp = File::Temp->newdir ("aio-copy-XXXXXX", TMPDIR => 1);

# deterministic binary data of a size that is not a multiple of anything
my $DATA = join "", map chr (($_ * 7 + ($_ >> 8)) & 255), 0 .. 1024 * 1024 + 122;

sub make_src {
   my ($path, $data, $mode) = @_;
   spew $path, defined $data ? $data : $DATA;
   chmod +(defined $mode ? $mode : 0640), $path or die;
   reset_times ($path);
}

sub reset_times {
   my ($path) = @_;
   utime 1_000_000_000, 1_200_000_000, $path
      if -f $path;
}

# run to completion: (status, errno name); reading a source updates its
# atime: reset the times before each use
sub copy { my ($s, $d) = @_; reset_times ($s); run_group_once ("aio_copy", sub { aio_copy $s, $d, $_[0] }) }
sub move { my ($s, $d) = @_; reset_times ($s); run_group_once ("aio_move", sub { aio_move $s, $d, $_[0] }) }

sub same_file_as_src {
   my ($what, $dst, $data, $mode) = @_;
   $data = $DATA unless defined $data;
   $mode = 0640  unless defined $mode;

   my @st = stat $dst;
   ok @st, "$what: destination exists";
   ok slurp ($dst) eq $data, "$what: contents equal (" . length ($data) . " bytes)";
   is sprintf ("%04o", $st[2] & 07777), sprintf ("%04o", $mode), "$what: mode";
   is $st[9], 1_200_000_000, "$what: mtime";
   is $st[8], 1_000_000_000, "$what: atime";
}

# --- aio_copy --------------------------------------------------------------

{
   make_src "$tmp/src";
   my ($status) = copy ("$tmp/src", "$tmp/dst");
   is $status, 0, "copy: status 0";
   same_file_as_src ("copy", "$tmp/dst");
   ok -f "$tmp/src", "copy: source still there";

   # over an existing, longer file with another mode
   spew "$tmp/long", "z" x (2 * length $DATA);
   chmod 0604, "$tmp/long";
   ($status) = copy ("$tmp/src", "$tmp/long");
   is $status, 0, "copy over a longer file: status 0";
   same_file_as_src ("copy over a longer file", "$tmp/long");

   make_src "$tmp/empty", "", 0600;
   ($status) = copy ("$tmp/empty", "$tmp/empty-copy");
   is $status, 0, "copy of an empty file: status 0";
   same_file_as_src ("copy of an empty file", "$tmp/empty-copy", "", 0600);

   make_src "$tmp/odd-mode", "x", 0751;
   ($status) = copy ("$tmp/odd-mode", "$tmp/odd-mode-copy");
   same_file_as_src ("mode 0751", "$tmp/odd-mode-copy", "x", 0751);

   # the sticky bit, too (set-id bits may be cleared by the chown that follows)
   make_src "$tmp/sticky", "x", 01640;
   ($status) = copy ("$tmp/sticky", "$tmp/sticky-copy");
   same_file_as_src ("mode 01640", "$tmp/sticky-copy", "x", 01640);
}

SKIP: {
   skip "changing the owner needs root", 3 unless $> == 0;

   make_src "$tmp/owned";
   chown 12345, 23456, "$tmp/owned" or die;
   my ($status) = copy ("$tmp/owned", "$tmp/owned-copy");
   is $status, 0, "owner: status 0";
   my @st = stat "$tmp/owned-copy";
   is "$st[4]:$st[5]", "12345:23456", "owner: uid and gid copied";
}

{
   my ($status, $err) = copy ("$tmp/nope", "$tmp/nope-copy");
   is $status, -1, "missing source: status -1";
   is $err, "ENOENT", "missing source: ENOENT";
   ok !-e "$tmp/nope-copy", "missing source: no destination created";

   ($status, $err) = copy ("$tmp/src", "$tmp/nodir/dst");
   is $status, -1, "missing destination directory: status -1";
   is $err, "ENOENT", "missing destination directory: ENOENT";

   # a directory opens, but cannot be sent: the new destination goes again
   mkdir "$tmp/adir" or die;
   ($status, $err) = copy ("$tmp/adir", "$tmp/adir-copy");
   is $status, -1, "directory as source: status -1";
   ok defined $err && $err ne "errno 0", "directory as source: errno set (" . ($err // "undef") . ")";
   ok !-e "$tmp/adir-copy", "directory as source: partial destination removed";

   # a short transfer counts as failure and removes the destination too
   my $guard = wrap_aio aio_sendfile => sub {
      my ($orig, $out, $in, $off, $len, $cb) = @_;
      $orig->($out, $in, $off, $len - 1, sub { $! = POSIX::EIO (); $cb->(@_) })
   };
   ($status, $err) = copy ("$tmp/src", "$tmp/short");
   undef $guard;
   is $status, -1, "short sendfile: status -1";
   is $err, "EIO", "short sendfile: the sendfile errno is reported";
   ok !-e "$tmp/short", "short sendfile: partial destination removed";
   ok -f "$tmp/src", "short sendfile: source still there";
}

{
   # errors restoring the metadata are ignored
   my @guards = map {
      my $name = $_;
      wrap_aio $name => sub {
         my $orig = shift;
         my $cb = pop;
         IO::AIO::aio_nop (sub { $! = POSIX::EPERM (); $cb->(-1) })
      }
   } qw(aio_chmod aio_chown);
   my ($status) = copy ("$tmp/src", "$tmp/meta-errors");
   @guards = ();
   is $status, 0, "failing chmod/chown: status still 0";
   ok slurp ("$tmp/meta-errors") eq $DATA, "failing chmod/chown: contents copied";
   is +(stat "$tmp/meta-errors")[9], 1_200_000_000, "failing chmod/chown: mtime still restored";

   # without futimes, the times are set by name
   my @utime;
   my $guard = wrap_aio aio_utime => sub {
      my ($orig, $what, $atime, $mtime, $cb) = @_;
      my $fh = ref \$what eq "GLOB" || ref $what;
      push @utime, $fh ? "fh" : "path";
      return IO::AIO::aio_nop (sub { $! = POSIX::ENOSYS (); $cb->(-1) })
         if $fh;
      $orig->($what, $atime, $mtime, $cb)
   };
   ($status) = copy ("$tmp/src", "$tmp/no-futimes");
   undef $guard;
   is $status, 0, "utime ENOSYS on the handle: status 0";
   is "@utime", "fh path", "utime ENOSYS on the handle: retried by name";
   same_file_as_src ("utime ENOSYS on the handle", "$tmp/no-futimes");
}

# order of operations after the contents
{
   my @ops;
   my @guards = map {
      my $name = $_;
      wrap_aio $name => sub { my $orig = shift; push @ops, $name; $orig->(@_) }
   } qw(aio_open aio_stat aio_sendfile aio_utime aio_chmod aio_chown aio_close aio_unlink);
   my ($status) = copy ("$tmp/src", "$tmp/order");
   @guards = ();
   is $status, 0, "order: status 0";
   is_deeply [grep $_ ne "aio_stat", @ops],
             [qw(aio_open aio_open aio_sendfile aio_utime aio_chmod aio_chown aio_close)],
             "order: open, open, sendfile, utime, chmod, chown, close";
}

# --- aio_move --------------------------------------------------------------

{
   make_src "$tmp/m1";
   my $ino = (stat "$tmp/m1")[1];
   my ($status) = move ("$tmp/m1", "$tmp/m2");
   is $status, 0, "move: status 0";
   ok !-e "$tmp/m1", "move: source gone";
   is +(stat "$tmp/m2")[1], $ino, "move: same inode (renamed)";

   my $err;
   ($status, $err) = move ("$tmp/m1", "$tmp/m3");
   is $status, -1, "move of a missing file: status -1";
   is $err, "ENOENT", "move of a missing file: ENOENT";

   ($status, $err) = move ("$tmp/m2", "$tmp/nodir/m3");
   is $err, "ENOENT", "move into a missing directory: ENOENT";
   ok -f "$tmp/m2", "move into a missing directory: source still there";

   # EXDEV from rename (pretended): copy and unlink
   my @renames;
   my $guard = wrap_aio aio_rename => sub {
      my $orig = shift;
      my $cb = pop;
      push @renames, "@_";
      IO::AIO::aio_nop (sub { $! = POSIX::EXDEV (); $cb->(-1) })
   };
   ($status) = move ("$tmp/m2", "$tmp/m4");
   is $status, 0, "pretended EXDEV: status 0";
   is scalar @renames, 1, "pretended EXDEV: one rename tried";
   ok !-e "$tmp/m2", "pretended EXDEV: source unlinked";
   same_file_as_src ("pretended EXDEV", "$tmp/m4");
   isnt +(stat "$tmp/m4")[1], $ino, "pretended EXDEV: a new file (copied)";

   # EXDEV, and the copy fails: the source stays
   my $guard2 = wrap_aio aio_sendfile => sub {
      my $orig = shift;
      my $cb = pop;
      IO::AIO::aio_nop (sub { $! = POSIX::ENOSPC (); $cb->(-1) })
   };
   ($status, $err) = move ("$tmp/m4", "$tmp/m5");
   undef $guard2;
   undef $guard;
   is $status, -1, "pretended EXDEV, failing copy: status -1";
   is $err, "ENOSPC", "pretended EXDEV, failing copy: the copy's errno";
   ok -f "$tmp/m4", "pretended EXDEV, failing copy: source still there";
   ok !-e "$tmp/m5", "pretended EXDEV, failing copy: no destination";
}

# a real EXDEV needs a second filesystem
my $other;
for my $dir ("/dev/shm", "/run/shm", "/var/tmp", "/run") {
   next unless -d $dir && -w _ && (stat _)[0] != (stat $tmp)[0];
   $other = eval { File::Temp->newdir ("aio-move-XXXXXX", DIR => $dir) } and last;
}

SKIP: {
   skip "no writable directory on another filesystem than $tmp (tried /dev/shm, /run/shm, /var/tmp, /run)", 9
      unless $other;
   note "EXDEV between $tmp and $other";

   make_src "$tmp/x1";
   my @rename_err;
   my $guard = wrap_aio aio_rename => sub {
      my $orig = shift;
      my $cb = pop;
      $orig->(@_, sub { push @rename_err, errname ($! + 0); $cb->(@_) })
   };
   my ($status) = move ("$tmp/x1", "$other/x1");
   undef $guard;
   is "@rename_err", "EXDEV", "other filesystem: rename said EXDEV";
   is $status, 0, "other filesystem: status 0";
   ok !-e "$tmp/x1", "other filesystem: source gone";
   same_file_as_src ("other filesystem", "$other/x1");
}

# --- the caller's priority reaches every sub-request -------------------------

{
   my @pri;
   my @guards = record_pri (\@pri, qw(aio_open aio_stat aio_sendfile aio_utime aio_chmod aio_chown aio_close
                                      aio_unlink aio_group aio_rename aio_copy));

   make_src "$tmp/p1";
   aioreq_pri (4);
   my ($status) = copy ("$tmp/p1", "$tmp/p2");
   is $status, 0, "priority 4: copy worked";

   # and through the EXDEV path of aio_move
   my $guard = wrap_aio aio_rename => sub {
      my $orig = shift;
      my $cb = pop;
      push @pri, "aio_rename:" . IO::AIO::aioreq_pri ();
      IO::AIO::aio_nop (sub { $! = POSIX::EXDEV (); $cb->(-1) })
   };
   aioreq_pri (-3);
   ($status) = move ("$tmp/p2", "$tmp/p3");
   undef $guard;
   my $after = aioreq_pri;
   @guards = ();

   is $status, 0, "priority -3: move worked";
   ok scalar (grep /^aio_sendfile:4$/, @pri) && scalar (grep /^aio_close:4$/, @pri), "copy: requests made at priority 4";
   is_deeply [grep !/:(?:4|-3)$/, @pri], [], "every sub-request was submitted with the caller's priority";
   ok scalar (grep /^aio_sendfile:-3$/, @pri), "move: the copy ran at priority -3";
   is $after, 0, "aioreq_pri is back to 0";
}

# --- cancellation --------------------------------------------------------

{
   make_src "$tmp/c1";
   is cancel_at_once (sub { aio_copy "$tmp/c1", "$tmp/c2", $_[0] }), 0, "cancelled copy: no callback";

   # cancelled while the contents are sent: nothing follows.  One result
   # per poll_cb, so that the test gets control right after the sendfile
   # was submitted.
   my ($called, $sent) = (0, 0);
   my @after;
   my @guards = map {
      my $name = $_;
      wrap_aio $name => sub {
         my $orig = shift;
         $name eq "aio_sendfile" ? $sent++ : push @after, $name;
         $orig->(@_)
      }
   } qw(aio_sendfile aio_utime aio_chmod aio_chown);
   IO::AIO::max_poll_reqs (1);
   reset_times ("$tmp/c1");
   my $grp = aio_copy "$tmp/c1", "$tmp/c3", sub { $called++ };
   until ($sent || !IO::AIO::nreqs ()) {
      IO::AIO::poll_wait ();
      IO::AIO::poll_cb ();
   }
   $grp->cancel;
   drain;
   IO::AIO::max_poll_reqs (0);
   @guards = ();
   is $sent, 1, "cancelled midway: the sendfile was submitted";
   is $called, 0, "cancelled midway: no callback";
   is "@after", "", "cancelled midway: no utime, chmod or chown after the cancel";

   is cancel_at_once (sub { aio_move "$tmp/c1", "$tmp/c4", $_[0] }), 0, "cancelled move: no callback";
   is IO::AIO::nreqs (), 0, "nothing left outstanding";
}

# --- the same as the original ----------------------------------------------

SKIP: {
   skip "the original IO::AIO is not installed", 1
      unless defined original_version ();

   my $code = <<'EOF';
chdir $ROOT or die "$ROOT: $!";
sub spew { open my $fh, ">", $_[0] or die "$_[0]: $!"; print $fh $_[1]; close $fh }
sub describe {
   my ($p) = @_;
   my @st = stat $p or return "$p: missing";
   open my $fh, "<", $p or die; local $/; my $data = <$fh>;
   # reading (as done here) updates an old atime to the current time
   sprintf "%s: %d bytes, sum %d, mode %04o, mtime %d, atime %s",
           $p, length $data, unpack ("%32C*", $data), $st[2] & 07777, $st[9],
           $st[8] < 1_500_000_000 ? $st[8] : "recent"
}
mkdir "d" or die;
spew "a", join "", map chr ($_ % 251), 1 .. 300_000;
chmod 0640, "a"; utime 1_000_000_000, 1_100_000_000, "a";
spew "b", "x" x 400_000;
spew "e", "";
chmod 0604, "e"; utime 1_000_000_000, 1_000_000_000, "e";
my @steps = (
   [copy => "a", "a2"],
   [copy => "a", "b"],
   [copy => "e", "e2"],
   [copy => "nope", "n2"],
   [copy => "a", "nodir/x"],
   [move => "a2", "d/a3"],
   [move => "nope", "n3"],
   [move => "b", "nodir/b"],
   ($OTHER ? ([move => "e2", "$OTHER/e3"], [copy => "d/a3", "$OTHER/a4"], [move => "$OTHER/a4", "d/a5"]) : ()),
);
for (@steps) {
   my ($op, $src, $dst) = @$_;
   my $req = $op eq "copy" ? \&aio_copy : \&aio_move;
   $req->($src, $dst, sub {
      print "$op $src $dst: $_[0]", ($_[0] ? " " . errname ($! + 0) : ""), "\n";
   });
   IO::AIO::flush;
   print "  ", describe ($_), "\n" for $src, $dst;
}
EOF

   my @out = run_both (sub {
      my ($which) = @_;
      my $dir = "$tmp/diff-$which";
      mkdir $dir or die;
      my $o = "";
      if ($other) {
         $o = "$other/diff-$which";
         mkdir $o or die;
      }
      "my \$ROOT = q{$dir}; my \$OTHER = q{$o};\n$code"
   });
   if ($other) {
      $out[0] =~ s/\Q$other\E\/diff-original/OTHER/g;
      $out[1] =~ s/\Q$other\E\/diff-ours/OTHER/g;
   }

   is $out[1], $out[0], "same results as the original IO::AIO";
   note $out[0];
}

done_testing;

#!/usr/bin/perl
# The synchronous helpers of package IO::AIO (the mmap family is in
# t/31_sync_mem.t).

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Errno qw(EBADF EINVAL ENOENT ESPIPE ENOTSOCK EACCES EPERM ENOSYS ENODEV);
use Fcntl qw(O_NONBLOCK F_GETFL);
use File::Temp qw(tempdir);
use POSIX ();
use Socket qw(AF_UNIX SOCK_STREAM);
use Test::More;

my $dir = tempdir (CLEANUP => 1);
my $BADFD = 999;
open my $probe, "<&=", $BADFD and die "descriptor $BADFD is open";

sub spew {
   my ($path, $bytes) = @_;
   open my $fh, ">", $path or die "$path: $!";
   print $fh $bytes;
   close $fh;
}

sub errno_is {
   my ($want, $name) = @_;
   is $! + 0, $want, "$name: \$! is " . (POSIX::strerror ($want));
}

my $text = join "", map "line $_\n", 1 .. 2000;
spew ("$dir/in", $text);
open my $in, "<", "$dir/in" or die;

# ---- sendfile, fadvise ---------------------------------------------------

{
   open my $out, ">", "$dir/out" or die;
   is IO::AIO::sendfile ($out, $in, 5, 100), 100, "sendfile";
   close $out;
   open my $chk, "<", "$dir/out" or die;
   is do { local $/; <$chk> }, substr ($text, 5, 100), "... copies the range";

   open $out, ">>", "$dir/out2" or die;
   is IO::AIO::sendfile ($out, $in, 0, 1000), 1000, "sendfile to an O_APPEND file (emulated)";

   is IO::AIO::sendfile ($out, $BADFD, 0, 10), -1, "sendfile from a closed descriptor fails";
   errno_is EBADF, "sendfile";
}

is IO::AIO::fadvise ($in, 0, 0, IO::AIO::FADV_SEQUENTIAL), 0, "fadvise";
is IO::AIO::fadvise ($in, 0, 0, 12345), EINVAL, "fadvise with bad advice returns EINVAL";
{
   pipe my $r, my $w or die;
   is IO::AIO::fadvise ($r, 0, 0, IO::AIO::FADV_NORMAL), ESPIPE, "fadvise on a pipe returns ESPIPE";
}

# ---- pipes: pipe2, pipesize, splice, tee ---------------------------------

{
   my ($r, $w) = IO::AIO::pipe2;
   ok $r && $w, "pipe2 returns two handles";
   syswrite $w, "ping";
   sysread $r, my $buf, 4;
   is $buf, "ping", "... that form a pipe";

   my ($nr, $nw) = IO::AIO::pipe2 (O_NONBLOCK);
   ok fcntl ($nr, F_GETFL, 0) & O_NONBLOCK, "pipe2 O_NONBLOCK";

   my @none = IO::AIO::pipe2 (0x7fff0000);
   is scalar @none, 0, "pipe2 with bad flags returns nothing";
   errno_is EINVAL, "pipe2";

   cmp_ok IO::AIO::pipesize ($r), ">=", 4096, "pipesize";
   cmp_ok IO::AIO::pipesize ($r, 65536), ">=", 65536, "pipesize can set the size";
   is IO::AIO::pipesize ($r), IO::AIO::pipesize ($w), "... of the pipe, seen from both ends";
   is IO::AIO::pipesize ($in), -1, "pipesize of a file fails";
   errno_is EBADF, "pipesize";

   # file -> pipe -> tee -> second pipe, pipe -> file
   is IO::AIO::splice ($in, 10, $w, undef, 20, 0), 20, "splice from a file with an offset";
   my ($r2, $w2) = IO::AIO::pipe2;
   is IO::AIO::tee ($r, $w2, 20, 0), 20, "tee";
   sysread $r2, my $copy, 20;
   is $copy, substr ($text, 10, 20), "... duplicates the data";

   open my $out, "+>", "$dir/spliced" or die;
   is IO::AIO::splice ($r, undef, $out, 0, 20, 0), 20, "splice to a file";
   sysseek $out, 0, 0;
   sysread $out, my $got, 100;
   is $got, substr ($text, 10, 20), "... writes the data";

   is IO::AIO::splice ($in, 0, $out, 0, 10, 0), -1, "splice between two files fails";
   errno_is EINVAL, "splice";
   is IO::AIO::tee ($in, $w2, 10, 0), -1, "tee from a file fails";
   errno_is EINVAL, "tee";
}

# ---- eventfd, memfd_create, timerfd --------------------------------------

{
   my $fh = IO::AIO::eventfd (3);
   ok $fh, "eventfd";
   syswrite $fh, pack "Q", 4;
   sysread $fh, my $buf, 8;
   is unpack ("Q", $buf), 7, "... counts";
   ok !defined IO::AIO::eventfd (0, 0x7fff0000), "eventfd with bad flags returns undef";
   errno_is EINVAL, "eventfd";
}

{
   my $fh = IO::AIO::memfd_create ("aio-test", IO::AIO::MFD_CLOEXEC);
   ok $fh, "memfd_create";
   syswrite $fh, "x" x 1000;
   is -s $fh, 1000, "... is a file";
   ok !defined IO::AIO::memfd_create ("bad", 0x7fff0000), "memfd_create with bad flags returns undef";
   errno_is EINVAL, "memfd_create";
}

{
   my $fh = IO::AIO::timerfd_create (IO::AIO::CLOCK_MONOTONIC);
   ok $fh, "timerfd_create";
   is_deeply [IO::AIO::timerfd_settime ($fh, 0, 0, 100)], [0, 0], "timerfd_settime returns the old (unset) timer";
   my ($interval, $value) = IO::AIO::timerfd_gettime ($fh);
   is $interval, 0, "timerfd_gettime: interval";
   ok $value > 0 && $value <= 100, "timerfd_gettime: time left";
   is_deeply [map int, IO::AIO::timerfd_settime ($fh, 0, 0, 0)], [0, int $value], "timerfd_settime returns the old timer";

   ok !defined IO::AIO::timerfd_create (-1), "timerfd_create with a bad clock returns undef";
   errno_is EINVAL, "timerfd_create";
   is scalar (my @x = IO::AIO::timerfd_gettime ($in)), 0, "timerfd_gettime of a file returns nothing";
   errno_is EINVAL, "timerfd_gettime";
}

# ---- pidfd ---------------------------------------------------------------

SKIP: {
   my $pidfh = IO::AIO::pidfd_open ($$);
   skip "pidfd_open not available: $!", 7 if !$pidfh && $! == ENOSYS;
   ok $pidfh, "pidfd_open of ourselves";
   is IO::AIO::pidfd_send_signal ($pidfh, 0), 0, "pidfd_send_signal 0";
   my $dup = IO::AIO::pidfd_getfd ($pidfh, fileno $in);
   ok $dup, "pidfd_getfd" or diag "pidfd_getfd: $!";
   ok !defined IO::AIO::pidfd_open (-1), "pidfd_open of pid -1 returns undef";
   errno_is EINVAL, "pidfd_open";
   ok !eval { IO::AIO::pidfd_send_signal ($pidfh, 0, "nonsense"); 1 }, "pidfd_send_signal croaks on a bad siginfo";
   is IO::AIO::pidfd_send_signal ($in, 0), -1, "pidfd_send_signal on a file fails";
}

# ---- accept4 -------------------------------------------------------------

{
   require IO::Socket::UNIX;
   my $path = "$dir/sock";
   my $listen = IO::Socket::UNIX->new (Local => $path, Listen => 1, Type => SOCK_STREAM) or die "listen: $!";
   my $client = IO::Socket::UNIX->new (Peer => $path, Type => SOCK_STREAM) or die "connect: $!";
   my $addr;
   my $conn = IO::AIO::accept4 ($listen, $addr, 128, IO::AIO::SOCK_CLOEXEC);
   ok $conn, "accept4";
   ok defined $addr && length $addr >= 2, "... fills in the peer address";
   syswrite $client, "hi";
   sysread $conn, my $buf, 2;
   is $buf, "hi", "... returns a connected handle";

   ok !defined IO::AIO::accept4 ($in, $addr, 0, 0), "accept4 on a file returns undef";
   errno_is ENOTSOCK, "accept4";
}

# ---- fexecve -------------------------------------------------------------

{
   ok !eval { IO::AIO::fexecve ($in, "not an array"); 1 }, "fexecve croaks unless args is an array";
   like $@, qr/args must be an array of strings/, "... saying so";

   my $pid = fork;
   die "fork: $!" unless defined $pid;
   unless ($pid) {
      open my $sh, "<", "/bin/sh" or POSIX::_exit (100);
      IO::AIO::fexecve ($sh, ["sh", "-c", 'exit $X'], ["X=7"]);
      POSIX::_exit (101);
   }
   waitpid $pid, 0;
   is $? >> 8, 7, "fexecve runs the program with the given args and environment";

   spew ("$dir/noexec", "data");
   $pid = fork;
   die "fork: $!" unless defined $pid;
   unless ($pid) {
      open my $fh, "<", "$dir/noexec" or POSIX::_exit (100);
      my $res = IO::AIO::fexecve ($fh, ["x"]);
      POSIX::_exit ($res == -1 && $! == EACCES ? 42 : 43);
   }
   waitpid $pid, 0;
   is $? >> 8, 42, "fexecve of a non-executable file fails with EACCES";
}

# ---- mount, umount -------------------------------------------------------

{
   mkdir "$dir/mnt" or die;
   my $res = IO::AIO::mount ("none", "$dir/mnt", "tmpfs", 0, "size=1m");
 SKIP: {
      skip "mount refused here: $!", 2 if $res;
      spew ("$dir/mnt/file", "x");
      ok -e "$dir/mnt/file", "mount tmpfs";
      is IO::AIO::umount ("$dir/mnt"), 0, "umount";
   }
   is IO::AIO::umount ("$dir/mnt", 0), -1, "umount of a directory that is no mount point fails";
   errno_is EINVAL, "umount";
   is IO::AIO::mount ("none", "$dir/mnt", "no-such-fs-type"), -1, "mount of an unknown file system type fails";
   ok $! == ENODEV || $! == EPERM, "... with ENODEV (or EPERM where mounting is not allowed)";
}

# ---- descriptor limits ---------------------------------------------------

{
   my $limit = IO::AIO::get_fdlimit;
   ok $limit > 0, "get_fdlimit ($limit)";
   ok IO::AIO::min_fdlimit ($limit), "min_fdlimit of the current limit";
   is IO::AIO::get_fdlimit, $limit, "... changes nothing";

   # the rest in a child whose soft limit is lowered first
   my $hard = `sh -c 'ulimit -Hn'` + 0;
 SKIP: {
      skip "no finite hard descriptor limit", 4 unless $hard > 200;
      my $out = `sh -c 'ulimit -Sn 100 && exec "\$0" -MIO::AIO -e "\$1"' '$^X' '
         print IO::AIO::get_fdlimit, " ", (IO::AIO::min_fdlimit (150) ? "yes" : "no"), " ", IO::AIO::get_fdlimit, " ";
         my \$res = IO::AIO::min_fdlimit ($hard + 1000);
         print defined \$res ? "yes" : "undef", " ", \$! + 0, " ", IO::AIO::get_fdlimit, "\n";
      '`;
      my ($before, $ok, $after, $res, $err, $last) = split " ", $out;
      is "$before $ok $after", "100 yes 150", "min_fdlimit raises the soft limit";
      if ($res eq "yes") {
         pass "min_fdlimit beyond the hard limit worked (privileged)";
         cmp_ok $last, ">=", $hard + 1000, "... and raised it";
      } else {
         is "$res $err", "undef " . EPERM, "min_fdlimit beyond the hard limit returns undef, EPERM";
         is $last, $hard, "... after raising the soft limit as far as it goes";
      }
   }
}

# ---- stat extensions, major/minor/makedev --------------------------------

{
   my @st = stat "$dir/in";
   is int IO::AIO::st_mtime, $st[9], "st_mtime (from the last stat)";
   is int IO::AIO::st_atime, $st[8], "st_atime";
   is int IO::AIO::st_ctime, $st[10], "st_ctime";
   my @all = IO::AIO::st_xtime;
   is scalar @all, 4, "st_xtime returns four times";
   is $all[1], IO::AIO::st_mtime, "... in the order atime, mtime, ctime, btime";
   my @ns = IO::AIO::st_xtimensec;
   is scalar @ns, 4, "st_xtimensec returns four values";
   is $ns[1], IO::AIO::st_mtimensec, "... the second is st_mtimensec";
   ok $ns[1] >= 0 && $ns[1] < 1e9, "st_mtimensec is in range";
   is abs (IO::AIO::st_mtime - ($st[9] + $ns[1] / 1e9)) < 1e-6, 1, "st_mtime includes the nanoseconds";
   is IO::AIO::st_btimesec, 0, "st_btimesec (no birth time in struct stat)";
   is IO::AIO::st_gen, 0, "st_gen";

   my $done;
   aio_stat "/", sub { $done = 1 };
   drain ();
   my @root = stat "/";
   is int IO::AIO::st_mtime, (stat _)[9], "st_mtime after aio_stat";

   is IO::AIO::makedev (8, 1), 2049, "makedev";
   is IO::AIO::major (2049), 8, "major";
   is IO::AIO::minor (2049), 1, "minor";
   my $dev = IO::AIO::makedev (259, 70000);
   is_deeply [IO::AIO::major ($dev), IO::AIO::minor ($dev)], [259, 70000], "major/minor of a large device number";
}

# ---- statx ---------------------------------------------------------------

{
   my @st = stat "$dir/in";
   is IO::AIO::statx ("$dir/in", 0, IO::AIO::STATX_ALL), 0, "statx";
   is IO::AIO::stx_size, $st[7], "stx_size";
   is IO::AIO::stx_ino, $st[1], "stx_ino";
   is IO::AIO::stx_mode, $st[2], "stx_mode";
   is IO::AIO::stx_nlink, $st[3], "stx_nlink";
   is IO::AIO::stx_uid, $st[4], "stx_uid";
   is IO::AIO::stx_mtimesec, $st[9], "stx_mtimesec";
   is int IO::AIO::stx_mtime, $st[9], "stx_mtime";
   ok IO::AIO::stx_mask & IO::AIO::STATX_SIZE, "stx_mask";
   is IO::AIO::makedev (IO::AIO::stx_dev_major, IO::AIO::stx_dev_minor), $st[0], "stx_dev_major/minor";
   is IO::AIO::statx ("$dir/missing", 0, IO::AIO::STATX_ALL), -1, "statx of a missing file fails";
   errno_is ENOENT, "statx";
}

# ---- mlockall, munlockall ------------------------------------------------

is IO::AIO::mlockall (0), -1, "mlockall 0 fails";
errno_is EINVAL, "mlockall";
is IO::AIO::munlockall, 0, "munlockall";

# ---- against the original ------------------------------------------------

SKIP: {
   my $prog = <<EOF;
my \@r;
push \@r, IO::AIO::makedev (259, 70000), IO::AIO::major (2049), IO::AIO::minor (2049);
my (\$r, \$w) = IO::AIO::pipe2;
push \@r, IO::AIO::pipesize (\$r), IO::AIO::pipesize (\$r, 100000);
push \@r, IO::AIO::fadvise (\$r, 0, 0, 0);
my \$e = IO::AIO::eventfd (5);
sysread \$e, my \$buf, 8;
push \@r, unpack "Q", \$buf;
push \@r, scalar (() = IO::AIO::pipe2 (0x7fff0000)), \$! + 0;
open my \$in, "<", "$dir/in" or die;
open my \$out, ">", "$dir/cmp" or die;
push \@r, IO::AIO::sendfile (\$out, \$in, 3, 50);
stat "$dir/in";
push \@r, scalar (() = IO::AIO::st_xtime), IO::AIO::st_btimesec;
print join (",", \@r), "\\n";
EOF
   my $orig = run_original ($prog);
   skip "the original IO::AIO is not installed", 1 unless defined $orig;
   my $ours = eval "no strict; package main; IO::AIO->import; my \$out = ''; { local *STDOUT; open STDOUT, '>', \\\$out or die; $prog } \$out"
      or die $@;
   is $ours, $orig, "same results as the original";
}

done_testing;

# The fallback rule (issue 12): where io_uring cannot be set up, the engine
# is threads; the default (IO_AIO_ENGINE unset or auto) says nothing,
# IO_AIO_ENGINE=uring warns once on stderr, and every request works.  Each
# cause is forced for real, on a child perl running our build:
#  - seccomp: a small C program (compiled here) makes io_uring_setup fail
#    with EPERM (a sandbox) or ENOSYS (a kernel without io_uring), then
#    runs the child;
#  - kernel.io_uring_disabled = 2 (as root, restored at once);
#  - a kernel without some opcode cannot be made from here: that case is
#    left to the Rust unit tests of the engine's choice (src/engine.rs).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Config;
use Errno ();
use File::Temp ();
use POSIX ();
use AIOTest;

BEGIN { use_ours () }

my $tmp = File::Temp->newdir;

# The child: checks io_uring_setup itself, reports the engine, then runs
# each kind of request the ring would take on a file in $ARGV[0].
my $CHILD = <<'EOF';
use strict;
use IO::AIO;
use POSIX ();
use Fcntl qw(O_CREAT O_RDWR O_RDONLY);
my $dir = shift;
my @out;
# io_uring_setup (x86_64: 425) with 2 entries and zeroed parameters
my $params = "\0" x 120;
my $fd = syscall (425, 2, $params);
push @out, "setup " . ($fd < 0 ? $! + 0 : "ok");
POSIX::close ($fd) if $fd >= 0;
push @out, "engine " . IO::AIO::engine ();
my $fh;
aio_open "$dir/data", O_CREAT | O_RDWR, 0600, sub { $fh = shift; push @out, "open " . (defined $fh ? "ok" : $! + 0) };
IO::AIO::flush;
aio_write $fh, 0, 11, "hello, ring", 0, sub { push @out, "write $_[0]" };
IO::AIO::flush;
aio_fsync $fh, sub { push @out, "fsync $_[0]" };
IO::AIO::flush;
my $buf;
aio_read $fh, 0, 64, $buf, 0, sub { push @out, "read $_[0] $buf" };
IO::AIO::flush;
aio_stat "$dir/data", sub { push @out, "stat $_[0] " . -s _ };
IO::AIO::flush;
aio_open "$dir/missing", O_RDONLY, 0, sub { push @out, "missing " . (defined $_[0] ? "opened" : $! + 0) };
IO::AIO::flush;
push @out, "from $INC{'IO/AIO.pm'}";
print "$_\n" for @out;
EOF

# What the child prints when io_uring_setup fails with $errno.
sub expected {
   my ($errno) = @_;
   ("setup $errno", "engine threads", "open ok", "write 11", "fsync 0", "read 11 hello, ring",
    "stat 0 11", "missing " . Errno::ENOENT)
}

# Runs @cmd with IO_AIO_ENGINE set to $engine (undef: unset) and a fresh
# directory as its argument; returns its stdout lines (less the last, the
# module's path), its stderr, its exit status and the module's path.
sub run_child {
   my ($engine, @cmd) = @_;
   my $dir = File::Temp::tempdir (DIR => $tmp);
   my $pid = fork // die "fork: $!";
   unless ($pid) {
      open STDOUT, ">", "$dir/stdout" and open STDERR, ">", "$dir/stderr"
         or POSIX::_exit (126);
      defined $engine ? ($ENV{IO_AIO_ENGINE} = $engine) : delete $ENV{IO_AIO_ENGINE};
      exec @cmd, "-e", $CHILD, $dir or POSIX::_exit (127);
   }
   waitpid $pid, 0;
   my $status = $?;
   my @out = split /\n/, AIOTest::slurp ("$dir/stdout") // "";
   my $from = @out && $out[-1] =~ s/^from // ? pop @out : "";
   (\@out, AIOTest::slurp ("$dir/stderr") // "", $status, $from)
}

# Checks that a child ran our build and succeeded.
sub child_ok {
   my ($name, $err, $status, $from) = @_;
   is $status, 0, "$name: the child succeeded" or diag $err;
   like $from, $AIOTest::BLIB_RE, "$name: the child ran our IO::AIO";
}

# For each setting: the child's engine, warning and results.
sub check_fallback {
   my ($why, $errno, @wrapper) = @_;
   local $! = $errno;
   my $strerror = "$!";

   for my $engine (undef, "auto", "threads", "uring", "uring:read,stat") {
      my $name = "$why, IO_AIO_ENGINE=" . ($engine // "(unset)");
      my ($out, $err, $status, $from) = run_child ($engine, @wrapper, perl_ours ());
      child_ok ($name, $err, $status, $from);
      is_deeply $out, [expected ($errno)], "$name: threads, and every request works";
      if (defined $engine && $engine =~ /^uring/) {
         like $err, qr/\AIO::AIO: [^\n]*io_uring[^\n]*\Q$strerror\E[^\n]*threads[^\n]*\n\z/,
            "$name: one warning, which says why";
      } else {
         is $err, "", "$name: no warning";
      }
   }
}

my $x86_64 = $Config{archname} =~ /^x86_64-linux/;

subtest "io_uring works here (what the fallbacks are measured against)" => sub {
   plan skip_all => "io_uring_setup is numbered 425 on x86_64 only" unless $x86_64;
   my ($out, $err, $status, $from) = run_child ("uring", perl_ours ());
   plan skip_all => "io_uring is not available here: $err"
      if !$status && $out->[0] ne "setup ok";
   child_ok ("IO_AIO_ENGINE=uring", $err, $status, $from);
   is $out->[1], "engine uring", "IO_AIO_ENGINE=uring uses the ring";
   is_deeply [@$out[2 .. $#$out]], [(expected (0))[2 .. 7]], "every request works";
   is $err, "", "no warning";
};

subtest "seccomp refuses io_uring_setup" => sub {
   plan skip_all => "the filter knows x86_64's syscall numbers only" unless $x86_64;
   my $cc = $Config{cc} || "cc";
   my $deny = "$tmp/deny_uring";
   AIOTest::spew ("$deny.c", <<'EOF');
/* deny_uring EPERM|ENOSYS program args...: runs the program with
 * io_uring_setup failing with that errno (seccomp filter, x86_64 only). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

int
main (int argc, char **argv)
{
  unsigned int err;

  if (argc < 3)
    return 2;
  err = strcmp (argv[1], "ENOSYS") ? EPERM : ENOSYS;

  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, 425 /* io_uring_setup */, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };

  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
      || prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
    {
      perror ("deny_uring: seccomp");
      return 3;
    }

  execvp (argv[2], argv + 2);
  perror (argv[2]);
  return 127;
}
EOF
   plan skip_all => "no C compiler that builds a seccomp filter ($cc)"
      if system ("$cc -o $deny $deny.c >$tmp/cc.log 2>&1");
   plan skip_all => "seccomp filters are refused here"
      if system ($deny, "EPERM", "true");

   check_fallback ("seccomp EPERM", Errno::EPERM, $deny, "EPERM");
   check_fallback ("seccomp ENOSYS (no io_uring in the kernel)", Errno::ENOSYS, $deny, "ENOSYS");
};

# A system-wide setting: other processes setting up a ring meanwhile are
# refused too, so it is changed only around two child runs and put back at
# once (and at any exit of this test).
my $SYSCTL = "/proc/sys/kernel/io_uring_disabled";
my $sysctl_saved;

sub restore_sysctl {
   return unless defined $sysctl_saved;
   if (open my $fh, ">", $SYSCTL) {
      print $fh $sysctl_saved;
      close $fh and undef $sysctl_saved;
   }
}

END { restore_sysctl () }

subtest "kernel.io_uring_disabled = 2" => sub {
   plan skip_all => "io_uring_setup is numbered 425 on x86_64 only" unless $x86_64;
   plan skip_all => "needs root" if $>;
   plan skip_all => "$SYSCTL does not exist (kernel before 6.6)" unless -e $SYSCTL;
   my $old = AIOTest::slurp ($SYSCTL);
   chomp $old;
   plan skip_all => "$SYSCTL is $old already: leaving it" if $old ne "0";

   my @results;
   {
      local @SIG{qw(INT TERM HUP)} = (sub { restore_sysctl (); exit 1 }) x 3;
      $sysctl_saved = $old;
      my $fh;
      my $set = open ($fh, ">", $SYSCTL) && print ($fh "2") && close ($fh);
      unless ($set) {
         undef $sysctl_saved;
         plan skip_all => "cannot write $SYSCTL: $!";
      }
      @results = map [$_, run_child ($_, perl_ours ())], undef, "uring";
      restore_sysctl ();
   }
   is AIOTest::slurp ($SYSCTL) =~ s/\n//r, $old, "the setting was put back";

   local $! = Errno::EPERM;
   my $strerror = "$!";
   for (@results) {
      my ($engine, $out, $err, $status, $from) = @$_;
      my $name = "IO_AIO_ENGINE=" . ($engine // "(unset)");
      child_ok ($name, $err, $status, $from);
      is_deeply $out, [expected (Errno::EPERM)], "$name: threads, and every request works";
      if (defined $engine) {
         like $err, qr/\AIO::AIO: [^\n]*io_uring[^\n]*\Q$strerror\E[^\n]*threads[^\n]*\n\z/,
            "$name: one warning, which says why";
      } else {
         is $err, "", "$name: no warning";
      }
   }
};

done_testing;

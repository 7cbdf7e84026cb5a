# Idle means asleep (issue 12): while the only outstanding request sleeps
# in one worker, the other workers sleep until there is work for them, and
# so do all of them once nothing is outstanding.  Measured as this
# process's CPU time (all threads), and as the futex calls that strace
# counts, each over a window in which nothing but waiting happens.  These
# count CPU and wake-ups, not speed: a loaded machine makes the windows no
# busier.  Runs under either engine (IO_AIO_ENGINE).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Time::HiRes qw(time);
use AIOTest;

BEGIN { use_ours (qw(nthreads)) }

my $cpu_clock = eval { Time::HiRes::CLOCK_PROCESS_CPUTIME_ID () };

# CPU time of the whole process (every thread) in seconds.
sub cpu () { Time::HiRes::clock_gettime ($cpu_clock) }

# Polls until $cond returns true or $secs have passed.
sub poll_until {
   my ($secs, $cond) = @_;
   my $deadline = time + $secs;
   while (!$cond->() && time < $deadline) {
      my $rin = "";
      vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
      select $rin, undef, undef, 0.05;
      IO::AIO::poll_cb ();
   }
}

# Starts worker threads, as a program that has done some I/O has them.
sub flood {
   IO::AIO::aio_nop (sub { }) for 1 .. 1000;
   drain ();
}

# The bounds: the engine before issue 12 (f67c79e) woke every idle worker
# each millisecond while any worker was busy (a "sentry" timeout), which
# cost 0.04 to 0.08 s of CPU per second of waiting on this machine (the
# issue saw 0.3 s in 5 s) and about 2000 futex calls per second.  Sleeping
# workers cost 0.0001 to 0.0005 s per second and no futex call at all.
# The bounds sit far above the latter and below the former.

subtest "process CPU while the only request sleeps in a worker" => sub {
   plan skip_all => "no CLOCK_PROCESS_CPUTIME_ID" unless defined $cpu_clock;
   flood ();
   cmp_ok nthreads, ">", 1, "idle workers exist besides the busy one";
   my $done = 0;
   IO::AIO::aio_busy (2, sub { $done++ });
   # once a worker took it (alone), quick requests for the others: they
   # are then idle while another is busy
   poll_until (0.5, sub { !IO::AIO::nready () });
   my $nops = 0;
   IO::AIO::aio_nop (sub { $nops++ }) for 1 .. 100;
   poll_until (0.5, sub { $nops == 100 });
   is $nops, 100, "quick requests beside the busy one completed";
   my $start = cpu ();
   select undef, undef, undef, 1;
   my $used = cpu () - $start;
   is IO::AIO::nreqs (), 1, "the busy request was outstanding all along";
   drain ();
   is $done, 1, "and then completed";
   note sprintf "%.4f s of CPU", $used;
   cmp_ok $used, "<", 0.02, "CPU time of 1 s of waiting (0.04 s and more if workers wake each ms)";
};

subtest "process CPU with nothing outstanding" => sub {
   plan skip_all => "no CLOCK_PROCESS_CPUTIME_ID" unless defined $cpu_clock;
   flood ();
   my $threads = nthreads;
   cmp_ok $threads, ">", 0, "worker threads are alive";
   my $start = cpu ();
   select undef, undef, undef, 1;
   my $used = cpu () - $start;
   is nthreads, $threads, "and stayed alive";
   note sprintf "%.4f s of CPU", $used;
   cmp_ok $used, "<", 0.02, "CPU time of 1 s of idling";
};

# Wake-ups themselves, counted by strace in a child: markers (opening
# nonexistent paths) delimit the windows in strace's log.
subtest "futex calls while waiting, counted by strace" => sub {
   my $strace = (grep -x, "/usr/bin/strace", "/bin/strace")[0];
   plan skip_all => "strace is not installed" unless $strace;
   plan skip_all => "strace cannot trace here (ptrace refused)"
      if system ("$strace -f -o /dev/null true >/dev/null 2>&1");

   my $tmp = File::Temp->newdir;
   my $log = "$tmp/strace.log";
   my $child = <<'EOF';
use IO::AIO;
sub mark { open my $fh, "<", "/nonexistent-aiotest/mark-$_[0]" }
IO::AIO::aio_nop (sub { }) for 1 .. 1000;
IO::AIO::flush;
IO::AIO::aio_busy (1.5, sub { });
select undef, undef, undef, 0.001 while IO::AIO::nready ();
my $nops = 0;
IO::AIO::aio_nop (sub { $nops++ }) for 1 .. 100;
IO::AIO::poll_wait (), IO::AIO::poll_cb () while $nops < 100;
select undef, undef, undef, 0.05;
my $before = IO::AIO::nreqs ();
mark ("busy");
select undef, undef, undef, 0.8;
mark ("flush");
my $after = IO::AIO::nreqs ();
IO::AIO::flush;
mark ("idle");
select undef, undef, undef, 0.8;
mark ("end");
print IO::AIO::nthreads (), " $before$after $INC{'IO/AIO.pm'}\n";
EOF
   open my $out, "-|", $strace, "-f", "-o", $log, "-e", "trace=futex,openat", "--",
                       perl_ours (), "-e", $child
      or die "$strace: $!";
   my ($threads, $outstanding, $pm) = split " ", do { local $/; <$out> } // "";
   ok close ($out), "the traced child succeeded" or diag "status $?";
   like $pm, $AIOTest::BLIB_RE, "the child ran our IO::AIO";
   cmp_ok $threads, ">", 1, "with several worker threads";
   is $outstanding, "11", "the busy request was outstanding all through its window";

   # futex calls begun in each window (a call split by another thread's
   # line is "futex(... <unfinished ...>" once, then "<... futex resumed>")
   my ($window, %futex) = ("start");
   open my $fh, "<", $log or die "$log: $!";
   while (<$fh>) {
      if (m{"/nonexistent-aiotest/mark-(\w+)"}) {
         $window = $1;
         $futex{$window} //= 0;
      } elsif (/\bfutex\(/) {
         $futex{$window}++;
      }
   }
   is_deeply [sort grep exists $futex{$_}, qw(busy flush idle end)], [qw(busy end flush idle)],
      "every marker was traced";
   note join ", ", map "$_: $futex{$_}", sort keys %futex;
   cmp_ok $futex{busy} // 0, "<", 50,
      "futex calls in 0.8 s beside a busy worker (about 1500 if workers wake each ms)";
   cmp_ok $futex{idle} // 0, "<", 20, "futex calls in 0.8 s of idling";
};

done_testing;

# A plain select() loop driving IO::AIO, kept interactive by
# IO::AIO::max_poll_reqs and IO::AIO::max_poll_time: with a flood of
# results pending, each poll_cb handles a bounded share, returns -1 with
# $! = EAGAIN, poll_fileno stays readable, and the loop's own work (a
# timer-like check) runs between the rounds.  Only generous time bounds.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use Errno ();
use Time::HiRes ();

sub readable {
   my ($timeout) = @_;
   my $rin = "";
   vec ($rin, IO::AIO::poll_fileno (), 1) = 1;
   select ($rin, undef, undef, $timeout) > 0
}

# wait (without handling anything) until $n results are pending
sub wait_pending {
   my ($n) = @_;
   my $deadline = time + 60;
   Time::HiRes::sleep (0.005) while IO::AIO::npending () < $n && time < $deadline;
   IO::AIO::npending () == $n
}

subtest "max_poll_reqs 10 with 2000 results pending" => sub {
   my $N = 2000;
   IO::AIO::max_poll_reqs (10);

   my $done = 0;
   IO::AIO::aio_nop (sub { ++$done }) for 1 .. $N;
   ok wait_pending ($N), "all $N results pending before the loop starts";
   ok readable (0), "poll_fileno is readable";

   my ($rounds, $ticks, $over, $bad_ret, $bad_errno, $not_readable) = (0) x 6;
   my $next_tick = 0;
   my $loops     = 0;
   my $deadline  = time + 60;

   while (IO::AIO::nreqs () && time < $deadline) {
      ++$loops;

      # the loop's own work: a "timer" due every iteration
      if ($loops >= $next_tick) {
         ++$ticks;
         $next_tick = $loops + 1;
      }

      next unless readable (1);

      my $before = $done;
      local $! = 0;
      my $ret = IO::AIO::poll_cb ();
      my $errno = $! + 0;
      my $handled = $done - $before;
      ++$rounds;

      ++$over if $handled > 10;

      if ($done < $N) {
         # cut short: more to do, the caller is told so and can come back
         ++$bad_ret      unless $ret == -1;
         ++$bad_errno    unless $errno == Errno::EAGAIN ();
         ++$not_readable unless readable (0);
      }
   }

   is $done, $N, "every callback ran";
   is $over, 0, "no poll_cb ran more than 10 callbacks";
   cmp_ok $rounds, ">=", $N / 10, "at least N/10 rounds ($rounds)";
   is $bad_ret, 0, "every cut-short poll_cb returned -1";
   is $bad_errno, 0, "... with \$! = EAGAIN";
   is $not_readable, 0, "... and left poll_fileno readable";
   cmp_ok $ticks, ">=", $rounds, "the loop's timer ran between the rounds ($ticks ticks)";
   ok !readable (0), "not readable once everything is handled";

   IO::AIO::max_poll_reqs (0);
};

subtest "max_poll_reqs: return values and counts match the original" => sub {
   my $code = <<'EOF';
use Errno ();
IO::AIO::max_poll_reqs (10);
my $n = 0;
for my $total (25, 20, 3) {
   IO::AIO::aio_nop (sub { ++$n }) for 1 .. $total;
   select undef, undef, undef, 0.005 until IO::AIO::npending () == $total;
   my @r;
   while (IO::AIO::nreqs ()) {
      my $before = $n;
      local $! = 0;
      my $ret = IO::AIO::poll_cb ();
      push @r, "$ret/" . ($! == Errno::EAGAIN () ? "EAGAIN" : $! + 0) . "/" . ($n - $before);
   }
   push @r, "idle:" . IO::AIO::poll_cb ();
   print "$total: @r\n";
}
EOF
   my $ours = run_ours ($code);
   is $ours, "25: -1/EAGAIN/10 -1/EAGAIN/10 0/0/5 idle:0\n"
           . "20: -1/EAGAIN/10 -1/EAGAIN/10 idle:0\n"
           . "3: 0/0/3 idle:0\n",
      "rounds of 10, -1 after a full round, 0 once a round runs dry";

 SKIP: {
      my $orig = run_original ($code);
      skip "the original IO::AIO is not installed", 1 unless defined $orig;
      is $ours, $orig, "the same as the original";
   }
};

subtest "max_poll_time keeps each round short" => sub {
   my $N = 300;
   IO::AIO::max_poll_time (0.02);

   # each callback takes about 1 ms: 300 ms of work in all
   my $done = 0;
   IO::AIO::aio_nop (sub { Time::HiRes::sleep (0.001); ++$done }) for 1 .. $N;
   ok wait_pending ($N), "all $N results pending";

   my ($rounds, $longest, $eagain, $ticks) = (0, 0, 0, 0);
   my $deadline = time + 60;

   while (IO::AIO::nreqs () && time < $deadline) {
      ++$ticks;
      next unless readable (1);

      my $t0 = Time::HiRes::time ();
      local $! = 0;
      my $ret = IO::AIO::poll_cb ();
      ++$eagain if $ret == -1 && $! == Errno::EAGAIN ();
      my $took = Time::HiRes::time () - $t0;
      $longest = $took if $took > $longest;
      ++$rounds;
   }

   is $done, $N, "every callback ran";
   cmp_ok $rounds, ">", 3, "the work was split into several rounds ($rounds)";
   cmp_ok $eagain, ">=", $rounds - 1, "the cut-short rounds returned -1 with EAGAIN ($eagain)";
   cmp_ok $longest, "<", 0.25, sprintf "no round took long (longest %.3fs for 0.02s)", $longest;
   cmp_ok $ticks, ">=", $rounds, "the loop ran between the rounds";

   IO::AIO::max_poll_time (0);
};

subtest "the loop stays responsive while requests trickle in" => sub {
   # a slow request in flight must not block a select loop with a timeout
   my $done;
   IO::AIO::aio_busy (0.3, sub { $done = 1 });

   my ($timeouts, $deadline) = (0, time + 30);
   until ($done || time > $deadline) {
      if (readable (0.02)) {
         IO::AIO::poll_cb ();
      } else {
         ++$timeouts;
      }
   }
   ok $done, "the request completed";
   cmp_ok $timeouts, ">=", 3, "the loop's timeouts fired while it ran ($timeouts)";
};

done_testing;

# Event loops stay responsive during a stream of results: a feeder group
# keeps eight aio_stat requests in flight for a few seconds while a 5 ms
# timer runs in the same loop.  Without max_poll_reqs/max_poll_time, one
# poll_cb call stops taking results that arrive during it after about a
# millisecond (leaving the descriptor readable for the rest), so neither a
# poll_cb call nor a gap between timer ticks may last long (the engine
# before this bound ran single poll_cb calls of 100-190 ms here).  The
# bounds are generous for a loaded machine: a few milliseconds of
# scheduling noise, not the length of the stream.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use Time::HiRes qw(time);

my %have = map +($_ => scalar eval "require $_; 1"), qw(EV AnyEvent);
plan skip_all => "neither EV nor AnyEvent is installed" unless grep $_, values %have;

my $STATS = 40_000;

# $loop->(sub { io watcher }, sub { timer }, sub { stop }) runs a loop
sub stream_with_timer {
   my ($name, $run) = @_;

   my (@calls, @gaps, $last_tick, $done);
   my $timed_poll = sub {
      my $t0 = time;
      IO::AIO::poll_cb ();
      push @calls, time - $t0;
   };
   my $tick = sub {
      my $now = time;
      push @gaps, $now - $last_tick if defined $last_tick;
      $last_tick = $now;
   };

   my ($next, $ok) = (0, 0);
   my $grp = aio_group sub { $done = 1 };
   $grp->limit (8);
   $grp->feed (sub {
      return if $next >= $STATS;
      $next++;
      $grp->add (aio_stat "/", sub { $_[0] or $ok++ });
   });

   $run->($timed_poll, $tick, sub { $done });

   is $ok, $STATS, "$name: every stat completed";
   @calls = sort { $a <=> $b } @calls;
   @gaps  = sort { $a <=> $b } @gaps;
   my $longest = $calls[-1] // 0;
   my $gap95   = $gaps[int (0.95 * $#gaps)] // 0;
   cmp_ok $longest, "<", 0.030, sprintf "%s: the longest poll_cb call took %.1f ms (%d calls)",
      $name, 1e3 * $longest, scalar @calls;
   cmp_ok $gap95, "<", 0.020, sprintf "%s: 95%% of the timer's gaps are under %.1f ms (%d ticks, longest %.1f ms)",
      $name, 1e3 * $gap95, scalar @gaps, 1e3 * ($gaps[-1] // 0);
   cmp_ok scalar @gaps, ">=", 3, "$name: the timer ticked during the stream";
}

SKIP: {
   skip "EV is not installed", 4 unless $have{EV};
   stream_with_timer (EV => sub {
      my ($poll, $tick, $done) = @_;
      my $io    = EV::io (IO::AIO::poll_fileno (), EV::READ (), sub { $poll->(); EV::break () if $done->() });
      my $timer = EV::timer (0.005, 0.005, $tick);
      EV::run () until $done->();
   });
}

SKIP: {
   skip "AnyEvent is not installed", 4 unless $have{AnyEvent};
   local $ENV{PERL_ANYEVENT_MODEL} = "Perl";
   require AnyEvent;
   is AnyEvent::detect (), "AnyEvent::Impl::Perl", "AnyEvent runs its pure-Perl loop";
   stream_with_timer ("AnyEvent (pure Perl)" => sub {
      my ($poll, $tick, $done) = @_;
      my $cv    = AnyEvent->condvar;
      my $io    = AnyEvent->io (fh => IO::AIO::poll_fileno (), poll => "r", cb => sub { $poll->(); $cv->send if $done->() });
      my $timer = AnyEvent->timer (after => 0.005, interval => 0.005, cb => $tick);
      $cv->recv;
   });
}

done_testing;

# IO::AIO::stats, stats_reset and slow_request (issue 15): counts match
# what was done, exactly; times are bounded by the sleeps of aio_busy
# requests; the hook fires for slow requests only, with their op and path
# or descriptor.  Requests that must queue behind a busy thread are of
# kinds the ring never takes (busy, readdir, seek), so that the same
# bounds hold under IO_AIO_ENGINE=uring.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use Time::HiRes ();
use AIOTest;

BEGIN { use_ours (qw(:DEFAULT stats stats_reset slow_request)) }

my $dir = File::Temp::tempdir (CLEANUP => 1);

sub busy { my ($secs, $cb) = @_; IO::AIO::aio_busy ($secs, $cb) }

subtest "exported on request, collection off until asked for" => sub {
   ok defined &stats && defined &stats_reset && defined &slow_request, "imported";
   ok !grep ($_ eq "stats", @IO::AIO::EXPORT), "not exported by default";
   is prototype ("IO::AIO::stats"), "", "stats ()";
   is prototype ("IO::AIO::slow_request"), '$;$', 'slow_request ($;$)';

   aio_nop;
   drain ();
   my $s = stats;
   SKIP: {
      skip "IO_AIO_STATS is set: collection was on from the start", 2 if $ENV{IO_AIO_STATS};
      is $s->{total}{submitted}, 0, "a request before the first call is not counted";
      is_deeply $s->{ops}, {}, "no kind has requests";
   }
   is $s->{engine}, IO::AIO::engine, "engine";
};

subtest "counts are exact" => sub {
   stats_reset;
   aio_stat "/" for 1 .. 5;
   aio_stat "$dir/missing$_" for 1 .. 3;
   aio_readdir $dir, sub { } for 1 .. 2;
   drain ();

   my $s = stats;
   my $stat = $s->{ops}{stat};
   is_deeply [@$stat{qw(submitted completed failed cancelled)}], [8, 8, 3, 0], "stat: submitted, completed, failed, cancelled";
   is_deeply $stat->{errors}, { ENOENT => 3 }, "failures by errno name";
   is $stat->{on_threads} + $stat->{on_ring}, 8, "each ran on the threads or the ring";
   is $stat->{queued}{count}, 8, "8 queue times";
   is $stat->{exec}{count}, 8, "8 execution times";
   is_deeply [@{ $s->{ops}{readdir} }{qw(submitted completed failed)}], [2, 2, 0], "readdir";
   is $s->{ops}{readdir}{on_threads}, 2, "readdir never goes to the ring";
   is_deeply [sort keys %{ $s->{ops} }], [qw(readdir stat)], "only kinds that had requests";
   is_deeply [@{ $s->{total} }{qw(submitted completed failed)}], [10, 10, 3], "total";
   is_deeply $s->{total}{errors}, { ENOENT => 3 }, "total failures";
   is_deeply [@$s{qw(nreqs nready npending)}], [0, 0, 0], "nothing outstanding";
   ok exists $s->{$_}, "engine counter $_" for qw(threads_started threads_exited wakeups sleeps watches spins given_back ring_submitted ring_kicked nthreads);
   cmp_ok $s->{ring_kicked}, "<=", $s->{ring_submitted}, "the kicker entered only requests of the ring";
   cmp_ok $s->{ring_submitted}, "==", $s->{total}{on_ring}, "every request the ring ran was submitted to it";
};

subtest "cancelled requests are counted, without times" => sub {
   stats_reset;
   saturate (0.05);
   my $called = 0;
   my $req = aio_readdir $dir, sub { $called++ };
   $req->cancel;
   drain ();
   IO::AIO::min_parallel 4;

   my $s = stats;
   is $called, 0, "the callback did not run";
   is_deeply [@{ $s->{ops}{readdir} }{qw(submitted completed cancelled)}], [1, 0, 1], "readdir: cancelled";
   is $s->{ops}{readdir}{exec}{count}, 0, "it never executed";
   is_deeply [@{ $s->{ops}{busy} }{qw(submitted completed)}], [1, 1], "the busy request completed";
   is $s->{total}{submitted}, $s->{total}{completed} + $s->{total}{cancelled}, "submitted = completed + cancelled";
};

subtest "times are bounded by known sleeps; slow_request reports the slow ones" => sub {
   stats_reset;
   my @events;
   slow_request 0.15, sub { push @events, ["slow", @_] };

   open my $fh, "<", $0 or die "$0: $!";
   IO::AIO::max_parallel 1;
   my $start = [Time::HiRes::gettimeofday ()];
   busy (0.2, sub { push @events, ["busy done"] });
   aio_readdir $dir, sub { push @events, ["readdir done"] };
   aio_seek $fh, 0, 0, sub { push @events, ["seek done"] };
   busy (0.1);
   # the requests queued behind the first busy one waited for all of its
   # sleep, less the time it took to submit them
   my $submitting = Time::HiRes::tv_interval ($start);
   drain ();
   IO::AIO::min_parallel 4;

   aio_readdir $dir, sub { push @events, ["quick readdir done"] };
   drain ();

   my $s = stats;
   my $busy = $s->{ops}{busy};
   is $busy->{exec}{count}, 2, "two busy requests executed";
   cmp_ok $busy->{exec}{max}, ">=", 0.2, "the longest ran for at least its sleep";
   cmp_ok $busy->{exec}{sum}, ">=", 0.3, "both for at least theirs";
   cmp_ok $busy->{queued}{max} + $submitting, ">=", 0.2, "the second queued behind the first";
   my $readdir = $s->{ops}{readdir};
   cmp_ok $readdir->{queued}{max} + $submitting, ">=", 0.2, "readdir queued behind the busy request";
   cmp_ok $readdir->{exec}{max}, "<", $readdir->{queued}{max}, "and spent longer there than executing";
   cmp_ok $_->{p50}, "<=", $_->{max}, "p50 <= max" for $busy->{exec}, $readdir->{queued};
   cmp_ok $_->{p99}, "<=", $_->{max}, "p99 <= max" for $busy->{exec}, $readdir->{queued};
   cmp_ok $_->{min}, "<=", $_->{p50}, "min <= p50" for $busy->{exec}, $readdir->{queued};
   cmp_ok $busy->{exec}{min}, ">=", 0.1, "the shorter busy request ran for at least its sleep";
   cmp_ok $s->{elapsed}, ">=", 0.3, "elapsed";

   my @slow = grep $_->[0] eq "slow", @events;
   is_deeply [map $_->[1], @slow], [qw(busy readdir seek busy)], "the slow ones, in order, with their op names"
      or diag explain \@events;
   is $slow[0][2], undef, "aio_busy works on nothing";
   is $slow[1][2], $dir, "aio_readdir: its path";
   is $slow[2][2], fileno $fh, "aio_seek: its descriptor";
   cmp_ok $slow[0][4], ">=", 0.2, "the busy one's execution time";
   cmp_ok $slow[1][3] + $submitting, ">=", 0.2, "the readdir's queue time";
   cmp_ok $slow[$_][3] + $slow[$_][4], ">", 0.15, "slower than the threshold ($slow[$_][1])" for 0 .. $#slow;
   ok !grep ($_->[0] eq "slow" && $_->[1] eq "readdir" && $_->[3] + $_->[4] < 0.15, @events), "no quick request";
   my @order = map $_->[0] eq "slow" ? "slow $_->[1]" : $_->[0], @events;
   is_deeply [@order[0 .. 3]], ["busy done", "slow busy", "readdir done", "slow readdir"],
      "each hook call follows its request's callback"
      or diag explain \@order;
   is $order[-1], "quick readdir done", "the quick readdir was not reported";

   slow_request undef;
   @events = ();
   busy (0.16);
   drain ();
   is_deeply \@events, [], "slow_request undef removes the hook";
};

subtest "a dying hook makes poll_cb die, like a dying callback" => sub {
   my $called = 0;
   slow_request 0, sub { die "hook died\n" };
   aio_nop sub { $called++ };
   my $ok = eval { drain (); 1 };
   is $@, "hook died\n", "poll_cb dies with the hook's error";
   is $called, 1, "after the request's callback";
   slow_request undef;
   drain ();
   is IO::AIO::nreqs, 0, "nothing left behind";
};

subtest "stats_reset zeroes everything" => sub {
   busy (0.05);
   stats_reset;
   drain ();
   my $s = stats;
   is_deeply $s->{total}, {
      submitted => 0, completed => 0, failed => 0, cancelled => 0, on_threads => 0, on_ring => 0, errors => {},
      map +($_ => { count => 0, sum => 0, min => 0, max => 0, p50 => 0, p90 => 0, p99 => 0 }), qw(queued exec)
   }, "all zero (a request submitted before the reset is not counted when it completes)";
   is_deeply $s->{ops}, {}, "no kinds";
   is $s->{threads_started}, 0, "engine counters count from the reset";
   cmp_ok $s->{elapsed}, "<", 10, "elapsed counts from the reset";
};

subtest "a forked child collects from zero" => sub {
   stats_reset;
   aio_nop;
   drain ();
   my $pid = open my $child, "-|";
   defined $pid or die "fork: $!";
   unless ($pid) {
      my $before = stats->{total}{submitted};
      aio_nop for 1 .. 3;
      IO::AIO::flush;
      print "$before ", stats->{total}{completed}, "\n";
      require POSIX;
      POSIX::_exit (0);
   }
   my $line = <$child>;
   close $child;
   is $line, "0 3\n", "the child counts its own requests only";
   is stats->{total}{completed}, 1, "the parent's are its own";
};

# aio-stat's private interval hook: one that polls itself, at an interval
# of 0, ran inside itself until the stack overflowed (found by xt/fuzz.pl)
subtest "the interval hook never runs inside itself" => sub {
   my $calls = 0;
   IO::AIO::_on_poll_interval (0, sub { $calls++; IO::AIO::poll_cb () });
   my $done;
   aio_nop sub { $done = 1 };
   IO::AIO::flush;
   IO::AIO::_on_poll_interval (0, undef);
   ok $done, "the request completed";
   cmp_ok $calls, ">=", 1, "the hook ran ($calls times)";
};

done_testing;

#!/usr/bin/perl
# feed_stream: a feeder group (limit 8) streams 100,000 cached aio_stat
# calls through EV while a 5 ms timer runs in the same loop: how fast the
# stream goes, and how long the loop's timer waits at worst (poll_cb must
# not keep the loop from its other watchers while results keep coming).
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result now);
use IO::AIO;

my %opt = start(reps => [1, 3]);
my $N = $opt{quick} ? 20_000 : 100_000;
eval { require EV; 1 } or die "feed_stream needs EV (apt-get install libev-perl)\n";
loaded();

my (@rates, @gaps);
for my $pass (0 .. $opt{reps}) {    # pass 0 warms up
    my ($rate, $gap) = stream();
    next unless $pass;
    push @rates, $rate;
    push @gaps, $gap;
}
@rates = sort { $a <=> $b } @rates;
@gaps  = sort { $a <=> $b } @gaps;
result('stats_per_sec', '%.0f', $rates[ $#rates / 2 ], 'stat/s');
result('timer_max_gap', '%.2f', 1e3 * $gaps[ $#gaps / 2 ], 'ms');
exit 0;

sub stream {
    my ($next, $ok, $done, $last, $gap) = (0, 0, 0, undef, 0);
    my $grp = aio_group sub { $done = 1; EV::break() };
    $grp->limit(8);
    $grp->feed(sub {
        return if $next >= $N;
        $next++;
        $grp->add(aio_stat '/', sub { $_[0] and die "aio_stat: $!\n"; $ok++ });
    });
    my $io    = EV::io(IO::AIO::poll_fileno(), EV::READ(), \&IO::AIO::poll_cb);
    my $timer = EV::timer(0.005, 0.005, sub {
        my $t = now();
        $gap = $t - $last if $t - $last > $gap;
        $last = $t;
    });
    my $t0 = $last = now();
    EV::run() until $done;
    my $end = now();
    $gap = $end - $last if $end - $last > $gap;
    my $t = $end - $t0;
    $ok == $N or die "only $ok of $N stats\n";
    return ($N / $t, $gap);
}

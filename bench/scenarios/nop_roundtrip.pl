#!/usr/bin/perl
# nop_roundtrip: one request in flight at a time.  Submit an aio_nop, wait
# for poll_fileno to become readable, run poll_cb, repeat.  Reports latency
# percentiles of the full round trip (submission -> worker -> result pipe ->
# callback), i.e. the wake-up cost a single-request event loop pays.
# A second phase repeats that on a busy pool: two IO::AIO::aio_busy 0.01
# requests are kept running all the time (each one resubmitted from its
# callback) and the aio_nop is submitted at priority 4 (sat_rtt_*).  The
# pool has idle threads besides the two busy ones, so the nop should not
# wait for a busy request; this catches engines that count a busy worker
# as one that will pick up new work.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result now drain);
use IO::AIO;

my %opt = start();
my $ITER   = $opt{quick} ? 2_000 : 20_000;
my $WARMUP = $opt{quick} ? 200 : 2_000;

loaded();

my $rin = '';
vec($rin, IO::AIO::poll_fileno(), 1) = 1;

# phase 1: idle pool
roundtrip() for 1 .. $WARMUP;    # starts threads, settles caches
report('rtt', map { roundtrip() } 1 .. $ITER);

# phase 2: two workers kept busy, the nop at priority 4
my $BUSY = 2;
my $busy_running = 0;
my $keep_busy = 1;
my $busy;
$busy = sub {
    $busy_running++;
    IO::AIO::aio_busy(0.01, sub {
        $busy_running--;
        $busy->() if $keep_busy;
    });
};
$busy->() for 1 .. $BUSY;
roundtrip(4) for 1 .. $WARMUP;
report('sat_rtt', map { roundtrip(4) } 1 .. $ITER);
$busy_running == $BUSY or die "expected $BUSY busy requests, $busy_running running\n";
$keep_busy = 0;
drain();
undef $busy;
exit 0;

sub report {
    my ($name, @lat) = @_;
    @lat = sort { $a <=> $b } @lat;
    result("${name}_p50", '%.2f', percentile(\@lat, 0.50) * 1e6, 'us');
    result("${name}_p99", '%.2f', percentile(\@lat, 0.99) * 1e6, 'us');
}

# Returns the seconds one submit -> callback cycle took (optionally with
# the nop at priority $pri).
sub roundtrip {
    my ($pri) = @_;
    my $fired = 0;
    my $t0 = now();
    aioreq_pri $pri if defined $pri;
    aio_nop sub { $fired = 1 };
    until ($fired) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
    return now() - $t0;
}

sub percentile {
    my ($sorted, $p) = @_;
    return $sorted->[ int($p * $#$sorted + 0.5) ];
}

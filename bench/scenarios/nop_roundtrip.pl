#!/usr/bin/perl
# nop_roundtrip: one request in flight at a time.  Submit an aio_nop, wait
# for poll_fileno to become readable, run poll_cb, repeat.  Reports latency
# percentiles of the full round trip (submission -> worker -> result pipe ->
# callback), i.e. the wake-up cost a single-request event loop pays.
use strict;
use warnings;
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::AIO;

my %opt;
GetOptions(\%opt, 'info', 'prepare', 'floor', 'variant=s', 'quick')
    or die "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick]\n";

my $ITER   = $opt{quick} ? 2_000 : 20_000;
my $WARMUP = $opt{quick} ? 200 : 2_000;

if ($opt{info}) { print "VARIANT default\n"; print "FLOOR no\n"; exit 0 }
exit 0 if $opt{prepare};
die "nop_roundtrip has no synchronous floor\n" if $opt{floor};
die "unknown variant '$opt{variant}'\n" if ($opt{variant} // 'default') ne 'default';

print "LOADED $INC{'IO/AIO.pm'}\n";

my $rin = '';
vec($rin, IO::AIO::poll_fileno(), 1) = 1;

roundtrip() for 1 .. $WARMUP;    # starts threads, settles caches
my @lat = map { roundtrip() } 1 .. $ITER;
@lat = sort { $a <=> $b } @lat;
printf "RESULT rtt_p50 %.2f us\n", percentile(\@lat, 0.50) * 1e6;
printf "RESULT rtt_p99 %.2f us\n", percentile(\@lat, 0.99) * 1e6;
exit 0;

# Returns the seconds one submit -> callback cycle took.
sub roundtrip {
    my $fired = 0;
    my $t0 = clock_gettime(CLOCK_MONOTONIC);
    aio_nop sub { $fired = 1 };
    until ($fired) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
    return clock_gettime(CLOCK_MONOTONIC) - $t0;
}

sub percentile {
    my ($sorted, $p) = @_;
    return $sorted->[ int($p * $#$sorted + 0.5) ];
}

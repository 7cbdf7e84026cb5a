#!/usr/bin/perl
# nop_flood: queue a big burst of aio_nop requests, then drain them with the
# select(poll_fileno) + poll_cb loop.  No syscall work is done, so this
# measures pure per-request cost: submission, queueing, thread hand-off and
# callback dispatch.
#   variant "shared":  every request uses the same callback
#   variant "closure": every request gets its own freshly created closure;
#                      queued in waves of 2,000 because perl itself frees
#                      closures in FIFO order in quadratic time, which would
#                      swamp the measurement at 200,000 queued closures
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate drain);
use IO::AIO;

my @VARIANTS = qw(shared closure);
# no input files needed; --reps: timed passes per process
my %opt = start(variants => \@VARIANTS, reps => [3, 5]);
my $N = $opt{quick} ? 20_000 : 200_000;
my $WAVE = 2_000;    # closure variant only, see above

my $variant = $opt{variant} // $VARIANTS[0];
my %submitters = (shared => \&submit_shared, closure => \&submit_closure);
my $submit = $submitters{$variant} or die "unknown variant '$variant'\n";

loaded();

my $done;
my $rate = median_rate($N, sub {
    $done = 0;
    $submit->($N);
    $done == $N or die "only $done of $N callbacks ran\n";
});
result('nops_per_sec', '%.0f', $rate, 'req/s');
exit 0;

# Queues $n requests, then drains them all.
sub submit_shared {
    my ($n) = @_;
    my $cb = sub { $done++ };
    aio_nop $cb for 1 .. $n;
    drain();
}

sub submit_closure {
    my ($n) = @_;
    for my $wave (1 .. $n / $WAVE) {
        for my $i (1 .. $WAVE) {
            my $mine = $i;    # captured lexical forces a new closure each time
            aio_nop sub { $done++ if $mine };
        }
        drain();
    }
}

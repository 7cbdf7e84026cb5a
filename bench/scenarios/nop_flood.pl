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
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::AIO;

my %opt;
GetOptions(\%opt, 'info', 'prepare', 'floor', 'variant=s', 'quick', 'reps=i')
    or die "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick] [--reps N]\n";
my $REPS = $opt{reps} // ($opt{quick} ? 3 : 5);    # timed passes per process

my @VARIANTS = qw(shared closure);
my $N = $opt{quick} ? 20_000 : 200_000;
my $WAVE = 2_000;    # closure variant only, see above

if ($opt{info}) { print "VARIANT $_\n" for @VARIANTS; print "FLOOR no\n"; exit 0 }
exit 0 if $opt{prepare};    # no input files needed
die "nop_flood has no synchronous floor\n" if $opt{floor};

my $variant = $opt{variant} // $VARIANTS[0];
my %submitters = (shared => \&submit_shared, closure => \&submit_closure);
my $submit = $submitters{$variant} or die "unknown variant '$variant'\n";

print "LOADED $INC{'IO/AIO.pm'}\n";

my $done;
my $rate = median_rate(sub {
    $done = 0;
    $submit->($N);
    $done == $N or die "only $done of $N callbacks ran\n";
});
printf "RESULT nops_per_sec %.0f req/s\n", $rate;
exit 0;

sub now { return clock_gettime(CLOCK_MONOTONIC) }

# One untimed warm-up pass (threads, caches, heap), then $REPS timed passes;
# the median pass rate damps one-off hiccups of a noisy machine.
sub median_rate {
    my ($pass) = @_;
    $pass->();
    my @rates = sort { $a <=> $b } map {
        my $t0 = now();
        $pass->();
        $N / (now() - $t0);
    } 1 .. $REPS;
    return $rates[ $#rates / 2 ];
}

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

# The classic event-loop integration: wait for the result pipe, then poll_cb.
sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

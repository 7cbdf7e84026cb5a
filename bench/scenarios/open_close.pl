#!/usr/bin/perl
# open_close: aio_open(O_RDONLY) followed by aio_close on many small cached
# files.  An aio_group with limit/feed keeps 64 opens in flight (bounding
# the number of open descriptors); each open's callback queues the close.
# The synchronous floor is a plain sysopen + close loop.
use strict;
use warnings;
use Fcntl qw(O_RDONLY);
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate drain make_small_files);
use IO::AIO;

# Shared file cache (same layout as stat_storm.pl): f00000 .. f19999.
my $DIR      = '/tmp/aio-bench-files';
my $NFILES   = 20_000;
# --reps: timed passes per process
my %opt = start(floor => 1, reps => [3, 5],
                prepare => sub { make_small_files($DIR, $NFILES) });
my $N        = $opt{quick} ? 2_000 : $NFILES;
my $INFLIGHT = 64;

my @paths = map { sprintf '%s/f%05d', $DIR, $_ } 0 .. $N - 1;
my $rate = $opt{floor} ? run_floor() : run_aio();
result('pairs_per_sec', '%.0f', $rate, 'pair/s');
exit 0;

sub run_floor { return median_rate($N, \&sync_pass) }

sub sync_pass {
    for my $p (@paths) {
        sysopen my $fh, $p, O_RDONLY or die "open $p: $!\n";
        close $fh or die "close $p: $!\n";
    }
}

sub run_aio {
    loaded();
    return median_rate($N, \&aio_pass);
}

sub aio_pass {
    my $closed = 0;
    my $next   = 0;
    my $on_close = sub { $_[0] == 0 ? $closed++ : die "aio_close failed: $!\n" };
    my $on_open  = sub {
        my ($fh) = @_;
        $fh or die "aio_open failed: $!\n";
        aio_close $fh, $on_close;    # outside the group: the feeder only paces opens
    };
    my $grp = aio_group sub { };
    $grp->limit($INFLIGHT);
    $grp->feed(sub {
        return if $next >= $N;
        $grp->add(aio_open $paths[$next++], O_RDONLY, 0, $on_open);
    });
    drain();
    $closed == $N or die "only $closed of $N pairs completed\n";
}

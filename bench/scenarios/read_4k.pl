#!/usr/bin/perl
# read_4k: 4 KiB aio_read calls at random 4 KiB-aligned offsets of a cached
# 256 MiB file, kept 64-deep by an aio_group with limit/feed.  The file is
# read sequentially first so the page cache is warm and we time the request
# path rather than the disk.  The synchronous floor does sysseek + sysread
# at the same offsets (same seed).
use strict;
use warnings;
use Fcntl qw(O_RDONLY);
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate drain warm_page_cache make_cached_file);
use IO::AIO;

my $FILE     = '/tmp/aio-bench-read-256m.dat';
my $SIZE     = 256 << 20;
my $BLOCK    = 4096;
# --reps: timed passes per process
my %opt = start(floor => 1, reps => [3, 5],
                prepare => sub { make_cached_file($FILE, $SIZE, 7) });
my $N        = $opt{quick} ? 5_000 : 50_000;
my $INFLIGHT = 64;

srand 4242;    # identical offsets on every side
my @offsets = map { int(rand($SIZE / $BLOCK)) * $BLOCK } 1 .. $N;
sysopen my $fh, $FILE, O_RDONLY or die "open $FILE: $!\n";
warm_page_cache($fh);
my $rate = $opt{floor} ? run_floor($fh) : run_aio($fh);
result('reads_per_sec', '%.0f', $rate, 'read/s');
exit 0;

sub run_floor {
    my ($fh) = @_;
    return median_rate($N, sub { sync_pass($fh) });
}

sub sync_pass {
    my ($fh) = @_;
    my $buf;
    for my $off (@offsets) {
        sysseek $fh, $off, 0 or die "seek: $!\n";
        sysread($fh, $buf, $BLOCK) == $BLOCK or die "short read at $off\n";
    }
}

sub run_aio {
    my ($fh) = @_;
    loaded();
    return median_rate($N, sub { aio_pass($fh) });
}

sub aio_pass {
    my ($fh) = @_;
    my ($next, $ok) = (0, 0);
    my $grp = aio_group sub { };
    $grp->limit($INFLIGHT);
    $grp->feed(sub {
        return if $next >= $N;
        my $buf = q{};    # one buffer per request: they run concurrently
        $grp->add(aio_read $fh, $offsets[$next++], $BLOCK, $buf, 0, sub {
            $_[0] == $BLOCK && length($buf) == $BLOCK ? $ok++ : die "aio_read failed: $!\n";
        });
    });
    drain();
    $ok == $N or die "only $ok of $N reads succeeded\n";
}

#!/usr/bin/perl
# read_seq_1m: 1 MiB aio_read calls walking a cached 256 MiB file from start
# to end, 8 in flight.  Every request reads into one of 8 preallocated
# buffers (a buffer is reused as soon as its request has completed), so the
# timed passes neither allocate nor first-touch memory: we time the request
# path plus the copy out of the page cache.  The file is shared with
# read_4k.pl and read sequentially first to warm the page cache; one timed
# pass reads it 4 times (once with --quick).  The synchronous floor is a
# sysread loop with one reused 1 MiB buffer.
use strict;
use warnings;
use Fcntl qw(O_RDONLY);
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate warm_page_cache make_cached_file read_window);
use IO::AIO;

my $FILE     = '/tmp/aio-bench-read-256m.dat';      # same file as read_4k.pl
my $SIZE     = 256 << 20;
# same content as read_4k.pl, so either may create it; --reps: timed passes
my %opt = start(floor => 1, reps => [3, 5],
                prepare => sub { make_cached_file($FILE, $SIZE, 7) });

my $BLOCK    = 1 << 20;
my $LAPS     = $opt{quick} ? 1 : 4;                 # times each pass reads the file
my $BYTES    = $LAPS * $SIZE;                       # bytes read per pass
my $INFLIGHT = 8;

sysopen my $fh, $FILE, O_RDONLY or die "open $FILE: $!\n";
warm_page_cache($fh);
my $rate = $opt{floor} ? run_floor($fh) : run_aio($fh);
result('read_mb_per_sec', '%.1f', $rate / 1e6, 'MB/s');
exit 0;

sub run_floor {
    my ($fh) = @_;
    my $buf = "\0" x $BLOCK;
    return median_rate($BYTES, sub {
        for (1 .. $LAPS) {
            sysseek $fh, 0, 0 or die "seek: $!\n";
            for (my $got = 0; $got < $SIZE; $got += $BLOCK) {
                sysread($fh, $buf, $BLOCK) == $BLOCK or die "short read at $got\n";
            }
        }
    });
}

sub run_aio {
    my ($fh) = @_;
    loaded();
    my @bufs = map { "\0" x $BLOCK } 1 .. $INFLIGHT;    # touched once, here
    return median_rate($BYTES, sub { read_window($fh, $BYTES, $SIZE, \@bufs) });
}

#!/usr/bin/perl
# cold_read_seq: 1 MiB aio_read calls walking the first 512 MiB of a file
# that is not in the page cache (caches dropped before every pass), 8 in
# flight, each into one of 8 preallocated buffers.  Also reports the
# process CPU time per MiB.  The floor is the device's limit: fio's
# sequential 1 MiB reads through io_uring at depth 8, cold.
use strict;
use warnings;
use Fcntl qw(O_RDONLY);
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result cold_rate fio_rate have_fio make_cached_file read_window);
use IO::AIO;

my $FILE     = '/tmp/aio-bench-cold-1g.dat';    # shared with cold_read_4k.pl
my $BLOCK    = 1 << 20;
my $INFLIGHT = 8;
my %opt = start(cold => 1, floor => have_fio(), reps => [1, 3],
                prepare => sub { make_cached_file($FILE, 1 << 30, 13) });
my $BYTES = $opt{quick} ? 128 << 20 : 512 << 20;

if ($opt{floor}) {
    my (undef, $bw) = fio_rate("--filename=$FILE", '--name=cold_read_seq', '--rw=read', "--bs=$BLOCK",
                               '--ioengine=io_uring', "--iodepth=$INFLIGHT", "--size=$BYTES");
    result('read_mb_per_sec', '%.1f', $bw / 1e6, 'MB/s');
    exit 0;
}

sysopen my $fh, $FILE, O_RDONLY or die "open $FILE: $!\n";
loaded();
my @bufs = map { "\0" x $BLOCK } 1 .. $INFLIGHT;
my ($rate, $cpu) = cold_rate($BYTES, sub { read_window($fh, $BYTES, $BYTES, \@bufs) });
result('read_mb_per_sec', '%.1f', $rate / 1e6, 'MB/s');
result('cpu_per_mib', '%.1f', $cpu * $BLOCK, 'us');
exit 0;

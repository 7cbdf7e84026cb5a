#!/usr/bin/perl
# cold_read_4k: 20,000 4 KiB aio_read calls at random 4 KiB-aligned offsets
# of a 1 GiB file that is not in the page cache (caches dropped before
# every pass), kept 64-deep by an aio_group with limit/feed: the disk-bound
# case IO::AIO exists for.  Also reports the process CPU time per read.
# The floor is not a Perl loop but the device's limit: fio's random 4 KiB
# reads through io_uring at depth 64 on the same file, cold.
use strict;
use warnings;
use Fcntl qw(O_RDONLY);
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result cold_rate fio_rate have_fio drain make_cached_file);
use IO::AIO;

my $FILE     = '/tmp/aio-bench-cold-1g.dat';
my $SIZE     = 1 << 30;
my $BLOCK    = 4096;
my $INFLIGHT = 64;
my %opt = start(cold => 1, floor => have_fio(), reps => [1, 3],
                prepare => sub { make_cached_file($FILE, $SIZE, 13) });
my $N = $opt{quick} ? 5_000 : 20_000;

if ($opt{floor}) {
    my ($iops) = fio_rate("--filename=$FILE", '--name=cold_read_4k', '--rw=randread', "--bs=$BLOCK",
                          '--ioengine=io_uring', "--iodepth=$INFLIGHT", "--number_ios=$N");
    result('reads_per_sec', '%.0f', $iops, 'read/s');
    exit 0;
}

srand 4242;    # identical offsets on every side
my @offsets = map { int(rand($SIZE / $BLOCK)) * $BLOCK } 1 .. $N;
sysopen my $fh, $FILE, O_RDONLY or die "open $FILE: $!\n";
loaded();
my ($rate, $cpu) = cold_rate($N, \&aio_pass);
result('reads_per_sec', '%.0f', $rate, 'read/s');
result('cpu_per_read', '%.2f', $cpu, 'us');
exit 0;

sub aio_pass {
    my ($next, $ok) = (0, 0);
    my $grp = aio_group sub { };
    $grp->limit($INFLIGHT);
    $grp->feed(sub {
        return if $next >= $N;
        my $buf = q{};
        $grp->add(aio_read $fh, $offsets[$next++], $BLOCK, $buf, 0, sub {
            $_[0] == $BLOCK ? $ok++ : die "aio_read failed: $!\n";
        });
    });
    drain();
    $ok == $N or die "only $ok of $N reads succeeded\n";
}

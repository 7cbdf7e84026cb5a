#!/usr/bin/perl
# queue_memory: what a queued request costs in memory, and whether that
# memory is given back.  With the worker pool stopped (IO::AIO::max_parallel
# 0) 1,000,000 aio_nop requests (100,000 with --quick) sharing one callback
# are queued in void context, so nothing runs and nothing is freed while
# they pile up.  Resident set size comes from /proc/self/statm:
#   bytes_per_req  (RSS with everything queued - baseline) / requests
#   rss_residual   RSS after the pool is restarted (IO::AIO::min_parallel 8
#                  and one more aio_nop: threads start on a submission) and
#                  every request has completed, minus the baseline, in
#                  MiB (at least 1, the resolution): what the allocator
#                  keeps after a burst
# Both are costs (lower is better).  The warm-up is deliberately small (a
# few thousand nops to start the threads and warm the callback path): a
# full-size warm-up would pre-grow the heap and hide the very cost measured
# here.  One measurement per process; run.pl takes the median over rounds.
# No synchronous floor.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result drain);
use IO::AIO;

my %opt = start();
my $N      = $opt{quick} ? 100_000 : 1_000_000;
my $WARMUP = 5_000;

loaded();

my $PAGE = page_size();
my $done = 0;
my $cb   = sub { $done++ };

aio_nop $cb for 1 .. $WARMUP;    # threads started, callback path warm
drain();
$done == $WARMUP or die "warm-up: $done of $WARMUP nops completed\n";

IO::AIO::max_parallel(0);        # blocks until every worker has quit
my $base = rss();

$done = 0;
aio_nop $cb for 1 .. $N;         # void context: no request objects returned
my $queued = rss();
IO::AIO::nreqs() == $N or die 'expected ' . $N . ' queued requests, nreqs is ' . IO::AIO::nreqs() . "\n";
$done == 0 or die "$done nops ran while max_parallel was 0\n";

IO::AIO::min_parallel(8);        # allow threads again; they start on the
aio_nop $cb;                     # next submission, hence one more nop
drain();
$done == $N + 1 or die "only $done of ${\($N + 1)} nops completed\n";
my $after = rss();

result('bytes_per_req', '%.1f', ($queued - $base) / $N, 'B/req');
# Below 1 MiB counts as "given back" and is reported as 1 MiB (queueing
# grows RSS by ~24 MiB even with --quick): the few pages perl or the
# allocator keep either way would otherwise turn 0 vs 4 KiB into a ratio.
my $residual = ($after - $base) / (1 << 20);
$residual = 1 if $residual < 1;
result('rss_residual', '%.1f', $residual, 'MiB');
exit 0;

# resident set size in bytes (second field of /proc/self/statm, in pages)
sub rss {
    open my $fh, '<', '/proc/self/statm' or die "open /proc/self/statm: $!\n";
    my (undef, $resident) = split ' ', scalar <$fh>;
    return $resident * $PAGE;
}

sub page_size {
    my $size = eval { require POSIX; POSIX::sysconf(POSIX::_SC_PAGESIZE()) };
    return $size || 4096;
}

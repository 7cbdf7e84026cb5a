#!/usr/bin/perl
# cold_stat: aio_stat of 20,000 files spread over 100 directories whose
# dentries and inodes are not cached (caches dropped before every pass),
# 128 in flight through an aio_group with limit/feed: a crawler's or
# backup tool's first pass.  Also reports the process CPU time per stat.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result cold_rate drain make_tree_files);
use IO::AIO;

my $DIR = '/tmp/aio-bench-cold-stat';
my @paths;
my %opt = start(cold => 1, reps => [1, 3],
                prepare => sub { @paths = make_tree_files($DIR, 100, 20_000, sub { 0 }) });
@paths = @paths[0 .. 4_999] if $opt{quick};
my $N = @paths;

loaded();
my ($rate, $cpu) = cold_rate($N, \&aio_pass);
result('stats_per_sec', '%.0f', $rate, 'stat/s');
result('cpu_per_stat', '%.2f', $cpu, 'us');
exit 0;

sub aio_pass {
    my ($next, $ok) = (0, 0);
    my $grp = aio_group sub { };
    $grp->limit(128);
    $grp->feed(sub {
        return if $next >= $N;
        $grp->add(aio_stat $paths[$next++], sub {
            $_[0] == 0 ? $ok++ : die "aio_stat failed: $!\n";
        });
    });
    drain();
    $ok == $N or die "only $ok of $N stats succeeded\n";
}

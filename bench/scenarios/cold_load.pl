#!/usr/bin/perl
# cold_load: aio_load of 8,000 files of 1-32 KiB spread over 40
# directories, none of them in the page, dentry or inode cache (caches
# dropped before every pass), 64 loads in flight through an aio_group with
# limit/feed: the small-file server or crawler case.  Also reports the
# process CPU time per file.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result cold_rate drain make_tree_files);
use IO::AIO;

my $DIR = '/tmp/aio-bench-cold-load';
my @paths;
my %opt = start(cold => 1, reps => [1, 3],
                prepare => sub { @paths = make_tree_files($DIR, 40, 8_000, sub { 1024 * (1 + $_[0] % 32) }) });
@paths = @paths[0 .. 1_999] if $opt{quick};
my $N = @paths;

loaded();
my ($rate, $cpu) = cold_rate($N, \&aio_pass);
result('loads_per_sec', '%.0f', $rate, 'file/s');
result('cpu_per_load', '%.2f', $cpu, 'us');
exit 0;

sub aio_pass {
    my ($next, $ok) = (0, 0);
    my $grp = aio_group sub { };
    $grp->limit(64);
    $grp->feed(sub {
        return if $next >= $N;
        my $data;
        $grp->add(aio_load $paths[$next++], $data, sub {
            $_[0] > 0 ? $ok++ : die "aio_load failed: $!\n";
        });
    });
    drain();
    $ok == $N or die "only $ok of $N loads succeeded\n";
}

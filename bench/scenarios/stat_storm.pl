#!/usr/bin/perl
# stat_storm: aio_stat on many small cached files, all submitted at once and
# then drained with select(poll_fileno) + poll_cb.  Variants change the size
# of the worker pool via IO::AIO::max_parallel ("default" leaves it alone).
# The synchronous floor is a plain perl stat() loop over the same files.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate drain make_small_files);
use IO::AIO;

# Shared file cache (same layout as open_close.pl): f00000 .. f19999.
my $DIR    = '/tmp/aio-bench-files';
my $NFILES = 20_000;
my %THREADS = (default => undef, mp1 => 1, mp4 => 4, mp16 => 16);
my @VARIANTS = qw(default mp1 mp4 mp16);
# --reps: timed passes per process
my %opt = start(variants => \@VARIANTS, floor => 1, reps => [3, 5],
                prepare => sub { make_small_files($DIR, $NFILES) });
my $N      = $opt{quick} ? 2_000 : $NFILES;

my @paths = map { sprintf '%s/f%05d', $DIR, $_ } 0 .. $N - 1;
my $rate = $opt{floor} ? run_floor() : run_aio($opt{variant} // 'default');
result('stats_per_sec', '%.0f', $rate, 'stat/s');
exit 0;

sub run_floor { return median_rate($N, \&sync_pass) }

sub sync_pass {
    for my $p (@paths) { stat $p or die "stat $p: $!\n" }
}

sub run_aio {
    my ($variant) = @_;
    exists $THREADS{$variant} or die "unknown variant '$variant'\n";
    loaded();
    IO::AIO::max_parallel($THREADS{$variant}) if defined $THREADS{$variant};
    return median_rate($N, \&aio_pass);
}

# Submits one aio_stat per file, then waits until every callback has run.
sub aio_pass {
    my $ok = 0;
    my $cb = sub { $_[0] == 0 ? $ok++ : die "aio_stat failed: $!\n" };
    aio_stat $_, $cb for @paths;
    drain();
    $ok == $N or die "only $ok of $N stats succeeded\n";
}

#!/usr/bin/perl
# cold_copy: aio_copy of a 512 MiB file that is not in the page cache
# (caches dropped before every pass) to a per-process file under /tmp,
# deleted again after every pass.  Also reports the process CPU time per
# MiB.
use strict;
use warnings;
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result cold_rate drain make_cached_file);
use IO::AIO;

my $SRC  = '/tmp/aio-bench-copy-512m.dat';    # shared with copy.pl
my $SIZE = 512 << 20;
start(cold => 1, reps => [1, 3], prepare => sub { make_cached_file($SRC, $SIZE, 11) });

my $DST = "/tmp/aio-bench-cold-copy-dst.$$";
END { unlink $DST if defined $DST }
loaded();
# deleting the copy (freeing its dirty pages) is not part of the timing
my ($rate, $cpu) = cold_rate($SIZE, \&aio_pass, \&check_and_unlink);
result('copy_gb_per_sec', '%.3f', $rate / 1e9, 'GB/s');
result('cpu_per_mib', '%.1f', $cpu * (1 << 20), 'us');
exit 0;

sub aio_pass {
    my $status;
    aio_copy $SRC, $DST, sub { $status = $_[0] };
    drain();
    defined $status && $status == 0 or die "aio_copy failed: $!\n";
}

sub check_and_unlink {
    -s $DST == $SIZE or die "the copy has the wrong size\n";
    unlink $DST or die "unlink $DST: $!\n";
}

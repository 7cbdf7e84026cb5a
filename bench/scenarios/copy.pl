#!/usr/bin/perl
# copy: aio_copy of a cached 512 MiB file (/tmp/aio-bench-copy-512m.dat,
# created once) to a per-process destination under /tmp that is deleted
# again after every pass (outside the timed section).  The source is read
# once first so the page cache is warm; the copy lands in the page cache
# too, so this times aio_copy's sendfile loop plus its open/fstat/utime/
# chmod/chown steps rather than the disk.  The synchronous floor is
# File::Copy::copy (read/write with a 2 MiB buffer).  --quick runs one
# timed pass instead of five (after the warm-up pass).
use strict;
use warnings;
use Fcntl qw(O_RDONLY);
use File::Copy ();
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate drain warm_page_cache make_cached_file);
use IO::AIO;

my $SRC  = '/tmp/aio-bench-copy-512m.dat';
my $SIZE = 512 << 20;
# --reps: timed passes per process
my %opt = start(floor => 1, reps => [1, 5],
                prepare => sub { make_cached_file($SRC, $SIZE, 11) });

my $DST = "/tmp/aio-bench-copy-dst.$$";
END { unlink $DST if defined $DST }
{
    sysopen my $fh, $SRC, O_RDONLY or die "open $SRC: $!\n";
    warm_page_cache($fh);
}
loaded() unless $opt{floor};
my $pass = $opt{floor} ? sub { File::Copy::copy($SRC, $DST) or die "copy: $!\n" } : \&aio_pass;
# every pass (the warm-up too) is followed by an untimed check + unlink
my $rate = median_rate($SIZE, $pass, \&check_and_unlink);
result('copy_gb_per_sec', '%.3f', $rate / 1e9, 'GB/s');
exit 0;

sub check_and_unlink {
    -s $DST == $SIZE or die "copy $DST has the wrong size\n";
    unlink $DST or die "unlink $DST: $!\n";
}

sub aio_pass {
    my $status;
    aio_copy $SRC, $DST, sub { $status = $_[0] };
    drain();
    defined $status && $status == 0 or die "aio_copy failed: $!\n";
}

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
use Fcntl qw(O_CREAT O_EXCL O_RDONLY O_WRONLY);
use File::Copy ();
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::AIO;

my %opt;
GetOptions(\%opt, 'info', 'prepare', 'floor', 'variant=s', 'quick', 'reps=i')
    or die "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick] [--reps N]\n";
my $REPS = $opt{reps} // ($opt{quick} ? 1 : 5);    # timed passes per process

my $SRC  = '/tmp/aio-bench-copy-512m.dat';
my $SIZE = 512 << 20;

if ($opt{info}) { print "VARIANT default\n"; print "FLOOR yes\n"; exit 0 }
prepare_file();
exit 0 if $opt{prepare};
die "unknown variant '$opt{variant}'\n" if ($opt{variant} // 'default') ne 'default';

my $DST = "/tmp/aio-bench-copy-dst.$$";
END { unlink $DST if defined $DST }
warm_page_cache();
my $rate;
if ($opt{floor}) {
    $rate = median_rate(sub { File::Copy::copy($SRC, $DST) or die "copy: $!\n" });
} else {
    print "LOADED $INC{'IO/AIO.pm'}\n";
    $rate = median_rate(\&aio_pass);
}
printf "RESULT copy_gb_per_sec %.3f GB/s\n", $rate / 1e9;
exit 0;

sub now { return clock_gettime(CLOCK_MONOTONIC) }

# One untimed warm-up pass, then $REPS timed passes, each followed by an
# untimed check + unlink of the copy; returns the median bytes per second.
sub median_rate {
    my ($pass) = @_;
    my @rates;
    for my $i (0 .. $REPS) {
        my $t0 = now();
        $pass->();
        my $dt = now() - $t0;
        -s $DST == $SIZE or die "copy $DST has the wrong size\n";
        unlink $DST or die "unlink $DST: $!\n";
        push @rates, $SIZE / $dt if $i;    # pass 0 is the warm-up
    }
    @rates = sort { $a <=> $b } @rates;
    return $rates[ $#rates / 2 ];
}

sub aio_pass {
    my $status;
    aio_copy $SRC, $DST, sub { $status = $_[0] };
    drain();
    defined $status && $status == 0 or die "aio_copy failed: $!\n";
}

sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

sub warm_page_cache {
    sysopen my $fh, $SRC, O_RDONLY or die "open $SRC: $!\n";
    my $buf;
    1 while sysread $fh, $buf, 1 << 20;
}

# Writes the source file once under a private name, then renames it into place.
sub prepare_file {
    return if -s $SRC && -s _ == $SIZE;
    my $tmp = "$SRC.tmp.$$";
    sysopen my $out, $tmp, O_WRONLY | O_CREAT | O_EXCL or die "create $tmp: $!\n";
    my $chunk = join '', map { chr(($_ * 11) & 255) } 0 .. (1 << 20) - 1;
    for (1 .. $SIZE / length $chunk) {
        syswrite($out, $chunk) == length $chunk or die "write $tmp: $!\n";
    }
    close $out or die "close $tmp: $!\n";
    rename $tmp, $SRC or do { my $e = $!; unlink $tmp; die "rename $tmp: $e\n" };
}

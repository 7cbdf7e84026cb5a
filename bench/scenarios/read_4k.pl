#!/usr/bin/perl
# read_4k: 4 KiB aio_read calls at random 4 KiB-aligned offsets of a cached
# 256 MiB file, kept 64-deep by an aio_group with limit/feed.  The file is
# read sequentially first so the page cache is warm and we time the request
# path rather than the disk.  The synchronous floor does sysseek + sysread
# at the same offsets (same seed).
use strict;
use warnings;
use Fcntl qw(O_CREAT O_EXCL O_RDONLY O_WRONLY);
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::AIO;

my %opt;
GetOptions(\%opt, 'info', 'prepare', 'floor', 'variant=s', 'quick', 'reps=i')
    or die "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick] [--reps N]\n";
my $REPS = $opt{reps} // ($opt{quick} ? 3 : 5);    # timed passes per process

my $FILE     = '/tmp/aio-bench-read-256m.dat';
my $SIZE     = 256 << 20;
my $BLOCK    = 4096;
my $N        = $opt{quick} ? 5_000 : 50_000;
my $INFLIGHT = 64;

if ($opt{info}) { print "VARIANT default\n"; print "FLOOR yes\n"; exit 0 }
prepare_file();
exit 0 if $opt{prepare};
die "unknown variant '$opt{variant}'\n" if ($opt{variant} // 'default') ne 'default';

srand 4242;    # identical offsets on every side
my @offsets = map { int(rand($SIZE / $BLOCK)) * $BLOCK } 1 .. $N;
sysopen my $fh, $FILE, O_RDONLY or die "open $FILE: $!\n";
warm_page_cache($fh);
my $rate = $opt{floor} ? run_floor($fh) : run_aio($fh);
printf "RESULT reads_per_sec %.0f read/s\n", $rate;
exit 0;

sub now { return clock_gettime(CLOCK_MONOTONIC) }

# One untimed warm-up pass (threads, caches, heap), then $REPS timed passes;
# the median pass rate damps one-off hiccups of a noisy machine.
sub median_rate {
    my ($pass) = @_;
    $pass->();
    my @rates = sort { $a <=> $b } map {
        my $t0 = now();
        $pass->();
        $N / (now() - $t0);
    } 1 .. $REPS;
    return $rates[ $#rates / 2 ];
}

sub warm_page_cache {
    my ($fh) = @_;
    my $buf;
    sysseek $fh, 0, 0;
    1 while sysread $fh, $buf, 1 << 20;
}

sub run_floor {
    my ($fh) = @_;
    return median_rate(sub { sync_pass($fh) });
}

sub sync_pass {
    my ($fh) = @_;
    my $buf;
    for my $off (@offsets) {
        sysseek $fh, $off, 0 or die "seek: $!\n";
        sysread($fh, $buf, $BLOCK) == $BLOCK or die "short read at $off\n";
    }
}

sub run_aio {
    my ($fh) = @_;
    print "LOADED $INC{'IO/AIO.pm'}\n";
    return median_rate(sub { aio_pass($fh) });
}

sub aio_pass {
    my ($fh) = @_;
    my ($next, $ok) = (0, 0);
    my $grp = aio_group sub { };
    $grp->limit($INFLIGHT);
    $grp->feed(sub {
        return if $next >= $N;
        my $buf = q{};    # one buffer per request: they run concurrently
        $grp->add(aio_read $fh, $offsets[$next++], $BLOCK, $buf, 0, sub {
            $_[0] == $BLOCK && length($buf) == $BLOCK ? $ok++ : die "aio_read failed: $!\n";
        });
    });
    drain();
    $ok == $N or die "only $ok of $N reads succeeded\n";
}

sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

# Writes the data file once under a private name, then renames it into place.
sub prepare_file {
    return if -s $FILE && -s _ == $SIZE;
    my $tmp = "$FILE.tmp.$$";
    sysopen my $out, $tmp, O_WRONLY | O_CREAT | O_EXCL or die "create $tmp: $!\n";
    my $chunk = join '', map { chr(($_ * 7) & 255) } 0 .. (1 << 20) - 1;
    for (1 .. $SIZE / length $chunk) {
        syswrite($out, $chunk) == length $chunk or die "write $tmp: $!\n";
    }
    close $out or die "close $tmp: $!\n";
    rename $tmp, $FILE or do { my $e = $!; unlink $tmp; die "rename $tmp: $e\n" };
}

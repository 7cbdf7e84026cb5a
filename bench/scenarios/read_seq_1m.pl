#!/usr/bin/perl
# read_seq_1m: 1 MiB aio_read calls walking a cached 256 MiB file from start
# to end, 8 in flight.  Every request reads into one of 8 preallocated
# buffers (a buffer is reused as soon as its request has completed), so the
# timed passes neither allocate nor first-touch memory: we time the request
# path plus the copy out of the page cache.  The file is shared with
# read_4k.pl and read sequentially first to warm the page cache; one timed
# pass reads it 4 times (once with --quick).  The synchronous floor is a
# sysread loop with one reused 1 MiB buffer.
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

my $FILE     = '/tmp/aio-bench-read-256m.dat';      # same file as read_4k.pl
my $SIZE     = 256 << 20;
my $BLOCK    = 1 << 20;
my $LAPS     = $opt{quick} ? 1 : 4;                 # times each pass reads the file
my $BYTES    = $LAPS * $SIZE;                       # bytes read per pass
my $INFLIGHT = 8;

if ($opt{info}) { print "VARIANT default\n"; print "FLOOR yes\n"; exit 0 }
prepare_file();
exit 0 if $opt{prepare};
die "unknown variant '$opt{variant}'\n" if ($opt{variant} // 'default') ne 'default';

sysopen my $fh, $FILE, O_RDONLY or die "open $FILE: $!\n";
warm_page_cache($fh);
my $rate = $opt{floor} ? run_floor($fh) : run_aio($fh);
printf "RESULT read_mb_per_sec %.1f MB/s\n", $rate / 1e6;
exit 0;

sub now { return clock_gettime(CLOCK_MONOTONIC) }

# One untimed warm-up pass (threads, caches, heap), then $REPS timed passes;
# returns the median rate in bytes per second.
sub median_rate {
    my ($pass) = @_;
    $pass->();
    my @rates = sort { $a <=> $b } map {
        my $t0 = now();
        $pass->();
        $BYTES / (now() - $t0);
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
    my $buf = "\0" x $BLOCK;
    return median_rate(sub {
        for (1 .. $LAPS) {
            sysseek $fh, 0, 0 or die "seek: $!\n";
            for (my $got = 0; $got < $SIZE; $got += $BLOCK) {
                sysread($fh, $buf, $BLOCK) == $BLOCK or die "short read at $got\n";
            }
        }
    });
}

sub run_aio {
    my ($fh) = @_;
    print "LOADED $INC{'IO/AIO.pm'}\n";
    my @bufs = map { "\0" x $BLOCK } 1 .. $INFLIGHT;    # touched once, here
    return median_rate(sub { aio_pass($fh, \@bufs) });
}

# Keeps $INFLIGHT reads outstanding; a completed read hands its buffer to
# the next offset.
sub aio_pass {
    my ($fh, $bufs) = @_;
    my ($off, $done) = (0, 0);
    my $submit;
    $submit = sub {
        my ($slot) = @_;
        return if $off >= $BYTES;
        my $at = $off % $SIZE;
        $off += $BLOCK;
        aio_read $fh, $at, $BLOCK, $bufs->[$slot], 0, sub {
            $_[0] == $BLOCK && length($bufs->[$slot]) == $BLOCK
                or die "aio_read at $at failed: $!\n";
            $done += $BLOCK;
            $submit->($slot);
        };
    };
    $submit->($_) for 0 .. $INFLIGHT - 1;
    drain();
    undef $submit;    # break the closure's self-reference
    $done == $BYTES or die "read only $done of $BYTES bytes\n";
}

sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

# Writes the data file once under a private name, then renames it into place
# (same content and logic as read_4k.pl, so either may create it).
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

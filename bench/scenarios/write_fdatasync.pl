#!/usr/bin/perl
# write_fdatasync: group commit.  Batches of 64 aio_write calls of 4 KiB
# each (all 64 in flight at once, at consecutive offsets), and after each
# batch has completed an aio_fdatasync; the next batch starts when the sync
# is done.  Each process writes its own temporary file under /tmp (deleted
# at exit); the untimed warm-up pass allocates the file's blocks, so the
# timed passes overwrite in place and fdatasync has only data to flush.
# The synchronous floor does the same with syswrite and fdatasync(2) via
# syscall() (fsync through IO::Handle::sync if syscall.ph is missing).
use strict;
use warnings;
use Fcntl qw(O_CREAT O_EXCL O_RDWR);
use Getopt::Long qw(GetOptions);
use IO::Handle ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::AIO;

my %opt;
GetOptions(\%opt, 'info', 'prepare', 'floor', 'variant=s', 'quick', 'reps=i')
    or die "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick] [--reps N]\n";
my $REPS = $opt{reps} // ($opt{quick} ? 3 : 5);    # timed passes per process

my $BLOCK   = 4096;
my $BATCH   = 64;                                   # writes per fdatasync
my $BATCHES = $opt{quick} ? 32 : 256;               # per pass
my $N       = $BATCH * $BATCHES;                    # writes per pass

if ($opt{info}) { print "VARIANT default\n"; print "FLOOR yes\n"; exit 0 }
exit 0 if $opt{prepare};
die "unknown variant '$opt{variant}'\n" if ($opt{variant} // 'default') ne 'default';

my $FILE = "/tmp/aio-bench-wsync.$$";
sysopen my $fh, $FILE, O_RDWR | O_CREAT | O_EXCL, 0600 or die "create $FILE: $!\n";
END { unlink $FILE if defined $FILE }
my $data = join '', map { chr(($_ * 13) & 255) } 0 .. $BLOCK - 1;

my $rate = $opt{floor} ? run_floor($fh) : run_aio($fh);
printf "RESULT writes_per_sec %.0f write/s\n", $rate;
close $fh;
exit 0;

sub now { return clock_gettime(CLOCK_MONOTONIC) }

# One untimed warm-up pass (threads, caches, heap, file blocks), then $REPS
# timed passes; the median pass rate damps one-off hiccups.
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

sub run_floor {
    my ($fh) = @_;
    my $sync = fdatasync_sub($fh);
    return median_rate(sub {
        sysseek $fh, 0, 0 or die "seek: $!\n";
        for (1 .. $BATCHES) {
            for (1 .. $BATCH) {
                syswrite($fh, $data) == $BLOCK or die "write: $!\n";
            }
            $sync->();
        }
    });
}

# fdatasync(2) through syscall() when the system has syscall.ph, else fsync.
sub fdatasync_sub {
    my ($fh) = @_;
    my $fd = fileno $fh;
    my $nr = eval { require 'syscall.ph'; &SYS_fdatasync() };    ## no critic
    return sub { syscall($nr, $fd) == 0 or die "fdatasync: $!\n" } if defined $nr;
    return sub { $fh->sync or die "fsync: $!\n" };
}

sub run_aio {
    my ($fh) = @_;
    print "LOADED $INC{'IO/AIO.pm'}\n";
    return median_rate(sub { aio_pass($fh) });
}

sub aio_pass {
    my ($fh) = @_;
    my ($batch, $pending, $written, $synced) = (0, 0, 0, 0);
    my $start_batch;
    my $write_done = sub {
        $_[0] == $BLOCK or die "aio_write failed: $!\n";
        $written++;
        return if --$pending;
        aio_fdatasync $fh, sub {
            $_[0] == 0 or die "aio_fdatasync failed: $!\n";
            $synced++;
            $start_batch->();
        };
    };
    $start_batch = sub {
        return if $batch >= $BATCHES;
        my $base = $batch++ * $BATCH * $BLOCK;
        $pending = $BATCH;
        aio_write $fh, $base + $_ * $BLOCK, $BLOCK, $data, 0, $write_done
            for 0 .. $BATCH - 1;
    };
    $start_batch->();
    drain();
    undef $start_batch;    # break the closure cycle
    $written == $N && $synced == $BATCHES
        or die "only $written of $N writes and $synced of $BATCHES syncs completed\n";
}

sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

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
use FindBin ();
use IO::Handle ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate drain);
use IO::AIO;

# --reps: timed passes per process
my %opt = start(floor => 1, reps => [3, 5]);

my $BLOCK   = 4096;
my $BATCH   = 64;                                   # writes per fdatasync
my $BATCHES = $opt{quick} ? 32 : 256;               # per pass
my $N       = $BATCH * $BATCHES;                    # writes per pass

my $FILE = "/tmp/aio-bench-wsync.$$";
sysopen my $fh, $FILE, O_RDWR | O_CREAT | O_EXCL, 0600 or die "create $FILE: $!\n";
END { unlink $FILE if defined $FILE }
my $data = join '', map { chr(($_ * 13) & 255) } 0 .. $BLOCK - 1;

my $rate = $opt{floor} ? run_floor($fh) : run_aio($fh);
result('writes_per_sec', '%.0f', $rate, 'write/s');
close $fh;
exit 0;

sub run_floor {
    my ($fh) = @_;
    my $sync = fdatasync_sub($fh);
    return median_rate($N, sub {
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
    loaded();
    return median_rate($N, sub { aio_pass($fh) });
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

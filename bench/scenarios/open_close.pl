#!/usr/bin/perl
# open_close: aio_open(O_RDONLY) followed by aio_close on many small cached
# files.  An aio_group with limit/feed keeps 64 opens in flight (bounding
# the number of open descriptors); each open's callback queues the close.
# The synchronous floor is a plain sysopen + close loop.
use strict;
use warnings;
use Fcntl qw(O_CREAT O_EXCL O_RDONLY O_WRONLY);
use File::Path qw(remove_tree);
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::AIO;

my %opt;
GetOptions(\%opt, 'info', 'prepare', 'floor', 'variant=s', 'quick', 'reps=i')
    or die "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick] [--reps N]\n";
my $REPS = $opt{reps} // ($opt{quick} ? 3 : 5);    # timed passes per process

# Shared file cache (same layout as stat_storm.pl): f00000 .. f19999.
my $DIR      = '/tmp/aio-bench-files';
my $NFILES   = 20_000;
my $N        = $opt{quick} ? 2_000 : $NFILES;
my $INFLIGHT = 64;

if ($opt{info}) { print "VARIANT default\n"; print "FLOOR yes\n"; exit 0 }
prepare_files();
exit 0 if $opt{prepare};
die "unknown variant '$opt{variant}'\n" if ($opt{variant} // 'default') ne 'default';

my @paths = map { sprintf '%s/f%05d', $DIR, $_ } 0 .. $N - 1;
my $rate = $opt{floor} ? run_floor() : run_aio();
printf "RESULT pairs_per_sec %.0f pair/s\n", $rate;
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

sub run_floor { return median_rate(\&sync_pass) }

sub sync_pass {
    for my $p (@paths) {
        sysopen my $fh, $p, O_RDONLY or die "open $p: $!\n";
        close $fh or die "close $p: $!\n";
    }
}

sub run_aio {
    print "LOADED $INC{'IO/AIO.pm'}\n";
    return median_rate(\&aio_pass);
}

sub aio_pass {
    my $closed = 0;
    my $next   = 0;
    my $on_close = sub { $_[0] == 0 ? $closed++ : die "aio_close failed: $!\n" };
    my $on_open  = sub {
        my ($fh) = @_;
        $fh or die "aio_open failed: $!\n";
        aio_close $fh, $on_close;    # outside the group: the feeder only paces opens
    };
    my $grp = aio_group sub { };
    $grp->limit($INFLIGHT);
    $grp->feed(sub {
        return if $next >= $N;
        $grp->add(aio_open $paths[$next++], O_RDONLY, 0, $on_open);
    });
    drain();
    $closed == $N or die "only $closed of $N pairs completed\n";
}

sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

# Same cache builder as stat_storm.pl (kept identical on purpose).
sub prepare_files {
    return if -e "$DIR/.complete";
    die "$DIR exists but is incomplete; remove it and retry\n" if -e $DIR;
    my $tmp = "$DIR.tmp.$$";
    mkdir $tmp or die "mkdir $tmp: $!\n";
    for my $i (0 .. $NFILES - 1) {
        my $p = sprintf '%s/f%05d', $tmp, $i;
        sysopen my $fh, $p, O_WRONLY | O_CREAT | O_EXCL or die "create $p: $!\n";
        print {$fh} 'x' x 64;
        close $fh or die "close $p: $!\n";
    }
    open my $mark, '>', "$tmp/.complete" or die "marker: $!\n";
    close $mark;
    return if rename $tmp, $DIR;
    my $err = $!;
    remove_tree($tmp);
    die "rename $tmp -> $DIR: $err\n" unless -e "$DIR/.complete";    # lost a race: fine
}

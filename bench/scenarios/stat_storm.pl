#!/usr/bin/perl
# stat_storm: aio_stat on many small cached files, all submitted at once and
# then drained with select(poll_fileno) + poll_cb.  Variants change the size
# of the worker pool via IO::AIO::max_parallel ("default" leaves it alone).
# The synchronous floor is a plain perl stat() loop over the same files.
use strict;
use warnings;
use Fcntl qw(O_CREAT O_EXCL O_WRONLY);
use File::Path qw(remove_tree);
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);
use IO::AIO;

my %opt;
GetOptions(\%opt, 'info', 'prepare', 'floor', 'variant=s', 'quick', 'reps=i')
    or die "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick] [--reps N]\n";
my $REPS = $opt{reps} // ($opt{quick} ? 3 : 5);    # timed passes per process

# Shared file cache (same layout as open_close.pl): f00000 .. f19999.
my $DIR    = '/tmp/aio-bench-files';
my $NFILES = 20_000;
my $N      = $opt{quick} ? 2_000 : $NFILES;
my %THREADS = (default => undef, mp1 => 1, mp4 => 4, mp16 => 16);
my @VARIANTS = qw(default mp1 mp4 mp16);

if ($opt{info}) { print "VARIANT $_\n" for @VARIANTS; print "FLOOR yes\n"; exit 0 }
prepare_files();
exit 0 if $opt{prepare};

my @paths = map { sprintf '%s/f%05d', $DIR, $_ } 0 .. $N - 1;
my $rate = $opt{floor} ? run_floor() : run_aio($opt{variant} // 'default');
printf "RESULT stats_per_sec %.0f stat/s\n", $rate;
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
    for my $p (@paths) { stat $p or die "stat $p: $!\n" }
}

sub run_aio {
    my ($variant) = @_;
    exists $THREADS{$variant} or die "unknown variant '$variant'\n";
    print "LOADED $INC{'IO/AIO.pm'}\n";
    IO::AIO::max_parallel($THREADS{$variant}) if defined $THREADS{$variant};
    return median_rate(\&aio_pass);
}

# Submits one aio_stat per file, then waits until every callback has run.
sub aio_pass {
    my $ok = 0;
    my $cb = sub { $_[0] == 0 ? $ok++ : die "aio_stat failed: $!\n" };
    aio_stat $_, $cb for @paths;
    drain();
    $ok == $N or die "only $ok of $N stats succeeded\n";
}

sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

# Builds the file cache in a private directory and renames it into place,
# so concurrent runs never see a half-written cache.
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

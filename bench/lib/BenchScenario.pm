package BenchScenario;
# Shared scaffolding for bench/scenarios/*.pl (the protocol is described in
# bench/README.md).  A scenario loads it with
#
#   use FindBin ();
#   use lib "$FindBin::RealBin/../lib";
#   use BenchScenario qw(...);
#
# start(%args)          parse --info/--prepare/--floor/--variant/--quick
#                       (and --reps N when `reps => [QUICK, FULL]` is given:
#                       timed passes per process), answer --info (`variants`,
#                       default ['default'], and `floor`, default no), run
#                       `prepare` (a sub creating cached inputs; it runs on
#                       every call, so it must be idempotent), exit after
#                       --prepare, refuse --floor without a floor and, for a
#                       scenario with only the default variant, any other
#                       --variant.  Returns the options as a hash.
# loaded()              print the LOADED line
# result($metric, $format, $value, $unit)
#                       print one RESULT line, the value formatted by $format
# now()                 CLOCK_MONOTONIC seconds
# median_rate($work, $pass, $after)
#                       one untimed warm-up run of $pass, then --reps timed
#                       ones; returns the median of $work / seconds.  $after
#                       (optional) runs untimed after every pass.
# drain()               select(poll_fileno) + poll_cb until nreqs is 0
# warm_page_cache($fh)  read the file behind $fh once, front to back
# make_cached_file($path, $size, $factor)
#                       create $path ($size bytes, byte i is i * $factor mod
#                       256, repeating every MiB) unless it has that size
# make_small_files($dir, $n)
#                       create $dir/f00000 .. with 64 bytes each and a
#                       .complete marker, unless the marker is there
# Cached inputs are written under a private name and renamed into place, so
# concurrent runs never see a half-written one.
use strict;
use warnings;
use Exporter qw(import);
use Fcntl qw(O_CREAT O_EXCL O_WRONLY);
use File::Basename qw(basename);
use File::Path qw(remove_tree);
use Getopt::Long qw(GetOptions);
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

our @EXPORT_OK = qw(start loaded result now median_rate drain warm_page_cache
                    make_cached_file make_small_files);

my %opt;

sub start {
    my (%arg) = @_;
    my @spec  = qw(info prepare floor variant=s quick);
    my $usage = "usage: $0 [--info|--prepare|--floor|--variant NAME] [--quick]";
    if ($arg{reps}) {
        push @spec, 'reps=i';
        $usage .= ' [--reps N]';
    }
    GetOptions(\%opt, @spec) or die "$usage\n";
    $opt{reps} //= $opt{quick} ? $arg{reps}[0] : $arg{reps}[1] if $arg{reps};

    my @variants = @{ $arg{variants} // ['default'] };
    if ($opt{info}) {
        print "VARIANT $_\n" for @variants;
        print 'FLOOR ', ($arg{floor} ? 'yes' : 'no'), "\n";
        exit 0;
    }
    $arg{prepare}->() if $arg{prepare};
    exit 0 if $opt{prepare};
    die basename($0, '.pl') . " has no synchronous floor\n" if $opt{floor} && !$arg{floor};
    die "unknown variant '$opt{variant}'\n"
        if !$arg{variants} && ($opt{variant} // 'default') ne 'default';
    return %opt;
}

sub loaded { print "LOADED $INC{'IO/AIO.pm'}\n" }

sub result {
    my ($metric, $format, $value, $unit) = @_;
    printf "RESULT %s $format %s\n", $metric, $value, $unit;
}

sub now { return clock_gettime(CLOCK_MONOTONIC) }

# The warm-up pass starts threads and warms caches and the heap; the median
# of the timed passes damps one-off hiccups of a noisy machine.
sub median_rate {
    my ($work, $pass, $after) = @_;
    $after //= sub { };
    $pass->();
    $after->();
    my @rates = sort { $a <=> $b } map {
        my $t0 = now();
        $pass->();
        my $rate = $work / (now() - $t0);
        $after->();
        $rate;
    } 1 .. $opt{reps};
    return $rates[ $#rates / 2 ];
}

# The classic event-loop integration: wait for the result pipe, then poll_cb.
sub drain {
    my $rin = '';
    vec($rin, IO::AIO::poll_fileno(), 1) = 1;
    while (IO::AIO::nreqs()) {
        select(my $rout = $rin, undef, undef, undef);
        IO::AIO::poll_cb();
    }
}

sub warm_page_cache {
    my ($fh) = @_;
    my $buf;
    sysseek $fh, 0, 0;
    1 while sysread $fh, $buf, 1 << 20;
}

sub make_cached_file {
    my ($path, $size, $factor) = @_;
    return if -s $path && -s _ == $size;
    my $tmp = "$path.tmp.$$";
    sysopen my $out, $tmp, O_WRONLY | O_CREAT | O_EXCL or die "create $tmp: $!\n";
    my $chunk = join '', map { chr(($_ * $factor) & 255) } 0 .. (1 << 20) - 1;
    for (1 .. $size / length $chunk) {
        syswrite($out, $chunk) == length $chunk or die "write $tmp: $!\n";
    }
    close $out or die "close $tmp: $!\n";
    rename $tmp, $path or do { my $e = $!; unlink $tmp; die "rename $tmp: $e\n" };
}

sub make_small_files {
    my ($dir, $n) = @_;
    return if -e "$dir/.complete";
    die "$dir exists but is incomplete; remove it and retry\n" if -e $dir;
    my $tmp = "$dir.tmp.$$";
    mkdir $tmp or die "mkdir $tmp: $!\n";
    for my $i (0 .. $n - 1) {
        my $p = sprintf '%s/f%05d', $tmp, $i;
        sysopen my $fh, $p, O_WRONLY | O_CREAT | O_EXCL or die "create $p: $!\n";
        print {$fh} 'x' x 64;
        close $fh or die "close $p: $!\n";
    }
    open my $mark, '>', "$tmp/.complete" or die "marker: $!\n";
    close $mark;
    return if rename $tmp, $dir;
    my $err = $!;
    remove_tree($tmp);
    die "rename $tmp -> $dir: $err\n" unless -e "$dir/.complete";    # lost a race: fine
}

1;

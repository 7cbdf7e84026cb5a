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
#                       --variant.  `cold => 1`: the scenario drops caches,
#                       so --info says "SKIP ..." where that is not possible.
#                       Returns the options as a hash.
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
# make_tree_files($dir, $dirs, $files, $size)
#                       create $dir/d00/f00000 .. ($files spread over $dirs
#                       directories; $size->($i) bytes each) and a .complete
#                       marker, unless the marker is there; returns the paths
# read_window($fh, $bytes, $size, $bufs)
#                       aio_read $bytes from $fh in blocks of length($bufs->[0]),
#                       one read in flight per buffer; offsets wrap at $size;
#                       a completed read hands its buffer to the next offset;
#                       dies unless every read was whole
# can_drop_caches()     whether drop_caches() works here (root, Linux)
# drop_caches()         write back dirty data, then empty the page, dentry
#                       and inode caches (as root: /proc/sys/vm/drop_caches)
# cold_rate($work, $pass [, $after])
#                       like median_rate, but the caches are dropped before
#                       every pass (the untimed warm-up's too); returns the
#                       median rate and the median process CPU time (all
#                       threads, user + system) per unit of work, in µs
# have_fio()            whether fio is on PATH (Debian: apt-get install fio)
# fio_rate(@args)       the median over --reps runs of fio with @args (plus
#                       JSON output), caches dropped before each: returns
#                       (IOPS, bytes/s) of its reads; the device's limit
#                       that a cold scenario's floor reports
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
                    make_cached_file make_small_files can_drop_caches drop_caches
                    make_tree_files cold_rate have_fio fio_rate read_window);

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
        print "SKIP needs root to drop the caches\n" if $arg{cold} && !can_drop_caches();
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

sub make_tree_files {
    my ($dir, $dirs, $files, $size) = @_;
    my @paths = map { sprintf '%s/d%02d/f%05d', $dir, $_ % $dirs, $_ } 0 .. $files - 1;
    return @paths if -e "$dir/.complete";
    die "$dir exists but is incomplete; remove it and retry\n" if -e $dir;
    my $tmp = "$dir.tmp.$$";
    mkdir $tmp or die "mkdir $tmp: $!\n";
    mkdir sprintf '%s/d%02d', $tmp, $_ for 0 .. $dirs - 1;
    for my $i (0 .. $files - 1) {
        my $p = sprintf '%s/d%02d/f%05d', $tmp, $i % $dirs, $i;
        sysopen my $fh, $p, O_WRONLY | O_CREAT | O_EXCL or die "create $p: $!\n";
        print {$fh} 'x' x $size->($i);
        close $fh or die "close $p: $!\n";
    }
    open my $mark, '>', "$tmp/.complete" or die "marker: $!\n";
    close $mark;
    if (!rename $tmp, $dir) {
        my $err = $!;
        remove_tree($tmp);
        die "rename $tmp -> $dir: $err\n" unless -e "$dir/.complete";    # lost a race: fine
    }
    return @paths;
}

my $DROP_CACHES = '/proc/sys/vm/drop_caches';

sub can_drop_caches { return -w $DROP_CACHES && $> == 0 }

sub drop_caches {
    system 'sync';
    open my $drop, '>', $DROP_CACHES or die "open $DROP_CACHES: $!\n";
    print {$drop} "3\n";
    close $drop or die "drop_caches: $!\n";
}

# Process CPU seconds: times() counts every thread of the process.
sub cpu_seconds {
    my ($user, $system) = times;
    return $user + $system;
}

sub cold_rate {
    my ($work, $pass, $after) = @_;
    $after //= sub { };
    drop_caches();
    $pass->();
    $after->();
    my (@rates, @cpu);
    for (1 .. $opt{reps}) {
        drop_caches();
        my ($t0, $c0) = (now(), cpu_seconds());
        $pass->();
        my ($t1, $c1) = (now(), cpu_seconds());
        push @rates, $work / ($t1 - $t0);
        push @cpu, 1e6 * ($c1 - $c0) / $work;
        $after->();
    }
    @rates = sort { $a <=> $b } @rates;
    @cpu   = sort { $a <=> $b } @cpu;
    return ($rates[ $#rates / 2 ], $cpu[ $#cpu / 2 ]);
}

sub have_fio { return scalar grep { -x "$_/fio" } split /:/, $ENV{PATH} // q{} }

sub fio_rate {
    my (@args) = @_;
    my (@iops, @bw);
    for (1 .. $opt{reps}) {
        drop_caches();
        open my $fio, '-|', 'fio', '--output-format=json', @args or die "fio: $!\n";
        my $json = do { local $/; <$fio> };
        close $fio or die "fio failed (status $?)\n";
        # the first job's read figures; no JSON module needed for two numbers
        my ($read) = $json =~ /"read"\s*:\s*\{(.*?)\}/s or die "fio: no read figures\n";
        push @iops, $read =~ /"iops"\s*:\s*([\d.]+)/;
        push @bw,   $read =~ /"bw_bytes"\s*:\s*([\d.]+)/;
    }
    @iops = sort { $a <=> $b } @iops;
    @bw   = sort { $a <=> $b } @bw;
    return ($iops[ $#iops / 2 ], $bw[ $#bw / 2 ]);
}

sub read_window {
    my ($fh, $bytes, $size, $bufs) = @_;
    my $block = length $bufs->[0];
    my ($off, $done) = (0, 0);
    my $submit;
    $submit = sub {
        my ($slot) = @_;
        return if $off >= $bytes;
        my $at = $off % $size;
        $off += $block;
        IO::AIO::aio_read($fh, $at, $block, $bufs->[$slot], 0, sub {
            $_[0] == $block && length($bufs->[$slot]) == $block
                or die "aio_read at $at failed: $!\n";
            $done += $block;
            $submit->($slot);
        });
    };
    $submit->($_) for 0 .. $#$bufs;
    drain();
    undef $submit;    # break the closure's self-reference
    $done == $bytes or die "read only $done of $bytes bytes\n";
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

#!/usr/bin/perl
# Benchmark driver: runs every bench/scenarios/*.pl under the original
# IO::AIO (system perl, no extra switches) and under ours (the same perl with
# blib include switches), alternating A B A B (plus the synchronous floor F,
# if the scenario has one) so that slow drift of the machine hits both sides
# equally.  Each run is its own process.  Medians are printed as a table.
#
# Scenario protocol (see bench/README.md):
#   scen.pl --info                    -> "VARIANT <name>" lines, "FLOOR yes|no"
#   scen.pl --prepare [--quick]       -> create cached input files (untimed)
#   scen.pl --variant V [--quick]     -> "LOADED <path>", "RESULT <metric> <value> <unit>"
#   scen.pl --floor [--quick]         -> "RESULT ..." for a plain-Perl sync version
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use FindBin ();
use Getopt::Long qw(GetOptions);
use List::Util qw(max min sum);
use Scalar::Util qw(looks_like_number);
use Text::ParseWords qw(shellwords);

my $BENCH_DIR = $FindBin::RealBin;
my $REPO      = dirname($BENCH_DIR);

my %opt = (
    rounds  => 3,
    timeout => 60,
    perl    => $^X,
);
GetOptions(\%opt,
    'rounds=i', 'only=s', 'quick', 'self-test-original', 'ours-switches=s',
    'orig-switches=s', 'perl=s', 'timeout=i', 'verbose', 'list', 'help',
) or usage(2);
usage(0) if $opt{help};
$opt{rounds} >= 1 or die "--rounds must be >= 1\n";

# children run from the repo root so that relative switches like -Mblib work
chdir $REPO or die "chdir $REPO: $!\n";

my @scenarios = discover_scenarios();
if ($opt{list}) {
    print "$_->{name}: variants @{ $_->{variants} }; floor $_->{floor}\n" for @scenarios;
    exit 0;
}
die "no scenario matches --only '$opt{only}'\n" unless @scenarios;

my %side = setup_sides();
preflight_check(\%side);
prepare_inputs(\@scenarios);

my (%results, %units, @row_order, %seen_row, $failures);
$failures = 0;
run_all(\@scenarios);
print_table();
exit($failures ? 1 : 0);

sub usage {
    my ($code) = @_;
    print <<"USAGE";
usage: perl bench/run.pl [options]
  --rounds N             A/B rounds per scenario (default 3; medians reported)
  --only REGEX           only scenarios whose name (or name[variant]) matches
  --quick                smaller sizes (smoke test)
  --ours-switches STR    perl switches for "ours" (env AIO_BENCH_OURS;
                         default: -I$REPO/blib/lib -I$REPO/blib/arch)
  --orig-switches STR    perl switches for "original" (env AIO_BENCH_ORIG; default none)
  --self-test-original   compare the original against itself (no blib needed)
  --perl PATH            perl binary for every side (default: $^X)
  --timeout SEC          kill a scenario process after SEC seconds (default 60)
  --verbose              print every individual result line
  --list                 list scenarios and their variants, then exit
USAGE
    exit $code;
}

# --- sides -----------------------------------------------------------------

sub setup_sides {
    my $orig = $opt{'orig-switches'} // $ENV{AIO_BENCH_ORIG} // '';
    my $ours = $opt{'ours-switches'} // $ENV{AIO_BENCH_OURS};
    # in self-test mode "ours" is simply the original again
    $ours //= $opt{'self-test-original'} ? '' : "-I$REPO/blib/lib -I$REPO/blib/arch";
    return (
        orig  => { label => 'original', cmd => [$opt{perl}, shellwords($orig)] },
        ours  => { label => 'ours',     cmd => [$opt{perl}, shellwords($ours)] },
        # the floor never needs our module, so it always uses plain perl
        floor => { label => 'floor',    cmd => [$opt{perl}] },
    );
}

sub is_blib_path { return $_[0] =~ m{(?:^|/)blib/} }

# Dies unless the module a side loaded is the one it is supposed to test.
sub check_loaded {
    my ($which, $path) = @_;
    my $blib = is_blib_path($path);
    if ($which eq 'orig' && $blib) {
        die "refusing to run: the original side loaded $path (under blib/)\n";
    }
    if ($which eq 'ours' && $opt{'self-test-original'} && $blib) {
        die "refusing to run: --self-test-original, but ours loaded $path (under blib/)\n";
    }
    if ($which eq 'ours' && !$opt{'self-test-original'} && !$blib) {
        die "refusing to run: the ours side loaded $path, which is outside blib/.\n"
          . "Build it first (perl Makefile.PL && make), pass --ours-switches,\n"
          . "or use --self-test-original to compare the original with itself.\n";
    }
}

sub preflight_check {
    my ($sides) = @_;
    my $probe = 'require IO::AIO; print "$INC{q{IO/AIO.pm}}\t$IO::AIO::VERSION\n"';
    print "IO::AIO loaded by each side:\n";
    for my $which (qw(orig ours)) {
        my $s = $sides->{$which};
        my ($lines, $err) = run_child([@{ $s->{cmd} }, '-e', $probe]);
        die "cannot load IO::AIO on the $s->{label} side: $err\n" if $err;
        my ($path, $version) = split /\t/, ($lines->[0] // ''), 2;
        die "cannot load IO::AIO on the $s->{label} side\n" unless $path;
        chomp $version;
        printf "  %-9s %s\n            -> %s (version %s)\n",
            "$s->{label}:", join(' ', @{ $s->{cmd} }), $path, $version;
        check_loaded($which, $path);
    }
    print "  (self-test: original vs original)\n" if $opt{'self-test-original'};
    print "\n";
}

# --- scenarios -------------------------------------------------------------

sub discover_scenarios {
    my @found;
    for my $file (sort glob("$BENCH_DIR/scenarios/*.pl")) {
        my $name = basename($file, '.pl');
        my ($lines, $err) = run_child([$opt{perl}, $file, '--info']);
        die "$name --info failed: $err\n" if $err;
        if (my ($skip) = map { /^SKIP\s+(.*)/ ? $1 : () } @$lines) {
            print STDERR "skipping $name: $skip\n";
            next;
        }
        my @variants = map { /^VARIANT\s+(\S+)/ ? $1 : () } @$lines;
        my ($floor) = map { /^FLOOR\s+(\S+)/ ? $1 : () } @$lines;
        @variants = ('default') unless @variants;
        if (defined $opt{only}) {
            @variants = grep { "$name\[$_]" =~ /$opt{only}/ || $name =~ /$opt{only}/ } @variants;
            next unless @variants;
        }
        push @found, { name => $name, file => $file, variants => \@variants,
                       floor => ($floor // 'no') eq 'yes' ? 'yes' : 'no' };
    }
    return @found;
}

# Creates cached input files once, outside any timed run.
sub prepare_inputs {
    my ($scens) = @_;
    for my $sc (@$scens) {
        my ($lines, $err) = run_child([$opt{perl}, $sc->{file}, '--prepare', quick_flag()]);
        die "$sc->{name} --prepare failed: $err\n" if $err;
    }
}

sub quick_flag { return $opt{quick} ? ('--quick') : () }

sub row_key {
    my ($sc, $variant) = @_;
    return @{ $sc->{variants} } == 1 && $variant eq 'default'
        ? $sc->{name} : "$sc->{name}\[$variant]";
}

# Round-major order inside a scenario: r1: v1 A B, v2 A B, ..., F; r2: ...
sub run_all {
    my ($scens) = @_;
    for my $sc (@$scens) {
        for my $round (1 .. $opt{rounds}) {
            for my $variant (@{ $sc->{variants} }) {
                my $key = row_key($sc, $variant);
                for my $which (qw(orig ours)) {
                    run_one($sc, $key, $which, $round, '--variant', $variant);
                }
            }
            run_one($sc, "$sc->{name}/floor", 'floor', $round, '--floor')
                if $sc->{floor} eq 'yes';
        }
    }
}

sub run_one {
    my ($sc, $key, $which, $round, @args) = @_;
    my $s = $side{$which};
    printf STDERR "[%s r%d/%d] %-8s ...", $key, $round, $opt{rounds}, $s->{label};
    my ($lines, $err) = run_child([@{ $s->{cmd} }, $sc->{file}, @args, quick_flag()]);
    my ($loaded, @got);
    for my $line (@{ $lines // [] }) {
        $loaded = $1 if $line =~ /^LOADED\s+(.+?)\s*$/;
        push @got, [$1, $2, $3] if $line =~ /^RESULT\s+(\S+)\s+(\S+)\s+(\S+)/;
    }
    $err //= 'no RESULT lines' unless @got;
    $err //= "non-numeric RESULT value '$_->[1]'" for grep { !looks_like_number($_->[1]) } @got;
    $err //= 'no LOADED line (scenario must print $INC{IO/AIO.pm})'
        if $which ne 'floor' && !defined $loaded;
    push @row_order, $key unless $seen_row{$key}++;
    if ($err) {
        print STDERR " FAILED: $err\n";
        $failures++;
        return;
    }
    check_loaded($which, $loaded) if $which ne 'floor';
    for my $r (@got) {
        my ($metric, $value, $unit) = @$r;
        push @{ $results{$key}{$metric}{$which} }, $value;
        $units{$key}{$metric} //= $unit;
    }
    print STDERR ' ', join(', ', map { "$_->[0]=$_->[1] $_->[2]" } @got), "\n";
}

# Runs a command (list form, no shell) with a time limit; returns
# (\@stdout_lines, $error_or_undef).  stderr passes through.
sub run_child {
    my ($cmd) = @_;
    my $pid = open(my $fh, '-|', @$cmd);
    return (undef, "cannot start $cmd->[0]: $!") unless $pid;
    my @lines;
    my $ok = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm $opt{timeout};
        @lines = <$fh>;
        alarm 0;
        1;
    };
    if (!$ok) {
        alarm 0;
        kill 'KILL', $pid;     # only the child we started
        close $fh;
        return (\@lines, "timed out after $opt{timeout}s");
    }
    print STDERR map { "    | $_" } @lines if $opt{verbose};
    return (\@lines, undef) if close $fh;
    return (\@lines, $! ? "close: $!" : 'exit status ' . ($? >> 8) . ($? & 127 ? ' signal ' . ($? & 127) : ''));
}

# --- report ----------------------------------------------------------------

sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    my $mid = int(@v / 2);
    return @v % 2 ? $v[$mid] : ($v[$mid - 1] + $v[$mid]) / 2;
}

# Throughput units end in "/s" (higher is better); anything else
# (us, ms, bytes, ...) is a cost where lower is better.
sub higher_is_better { return $_[0] =~ m{/s$} }

# Relative range of repeated measurements (0 for fewer than two).
sub spread {
    my @v = @_;
    return 0 if @v < 2;
    my $m = median(@v) or return 0;
    return (max(@v) - min(@v)) / $m;
}

sub fmt_num {
    my ($v) = @_;
    return '-' unless defined $v;
    return sprintf '%.2fM', $v / 1e6 if abs($v) >= 1e6;
    return sprintf '%.1fk', $v / 1e3 if abs($v) >= 1e4;
    return sprintf '%.0f', $v        if abs($v) >= 100;
    return sprintf '%.2f', $v;
}

sub floor_key_for {
    my ($key) = @_;
    (my $name = $key) =~ s/\[.*//;
    return "$name/floor";
}

sub print_table {
    my @header = ('scenario', 'metric', 'unit', 'original', 'ours', 'ratio', 'sync floor', 'noise');
    my (@rows, @ratios);
    for my $key (grep { !m{/floor$} } @row_order) {
        push @rows, [$key, '(all runs failed)', ('-') x 6] unless $results{$key};
        for my $metric (sort keys %{ $results{$key} }) {
            my $unit = $units{$key}{$metric};
            my $o = median(@{ $results{$key}{$metric}{orig} // [] });
            my $u = median(@{ $results{$key}{$metric}{ours} // [] });
            my $f = median(@{ $results{ floor_key_for($key) }{$metric}{floor} // [] });
            my ($ratio, $ratio_text);
            if (defined $o && defined $u && $o > 0 && $u > 0) {
                $ratio = higher_is_better($unit) ? $u / $o : $o / $u;
                push @ratios, $ratio;
            } elsif (defined $o && defined $u && $o >= 0 && $u >= 0 && $o + $u > 0) {
                # one side is exactly 0 (e.g. a cost the original does not
                # pay at all): no finite ratio, left out of the mean
                my $ours_better = $u > 0 ? higher_is_better($unit) : !higher_is_better($unit);
                $ratio_text = $ours_better ? '>1000' : '<0.001';
            }
            my $noise = max(map { spread(@{ $results{$key}{$metric}{$_} // [] }) } qw(orig ours));
            push @rows, [$key, $metric, $unit, fmt_num($o), fmt_num($u),
                         defined $ratio ? sprintf('%.3f', $ratio) : $ratio_text // '-', fmt_num($f),
                         sprintf('%.0f%%', 100 * $noise)];
        }
    }
    my @w = map { my $i = $_; max(map { length $_->[$i] } \@header, @rows) } 0 .. $#header;
    my $fmt = join('  ', map { $_ < 3 ? "%-$w[$_]s" : "%$w[$_]s" } 0 .. $#w) . "\n";

    print "\nMedians of $opt{rounds} round(s)", ($opt{quick} ? ' (--quick sizes)' : ''), ".\n";
    print "ratio > 1 means OURS IS BETTER: ours/original for throughput (unit */s),\n";
    print "original/ours for latency and other costs. 'sync floor' is a plain-Perl\n";
    print "synchronous loop doing the same syscalls (same unit as the row).\n";
    print "'noise' is the larger (max-min)/median across rounds of the two sides:\n";
    print "ratios closer to 1 than that are not significant.\n\n";
    printf $fmt, @header;
    printf $fmt, map { '-' x $_ } @w;
    printf $fmt, @$_ for @rows;
    if (@ratios) {
        my $geo = exp(sum(map { log } @ratios) / @ratios);
        printf "\ngeometric mean of %d ratio(s): %.3f (>1: ours is better)\n", scalar @ratios, $geo;
    }
    print "\n$failures run(s) FAILED, see messages above\n" if $failures;
}

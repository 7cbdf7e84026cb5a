#!/usr/bin/perl
# tree_walk: recursive walk of a cached directory tree of ~100k entries
# (/tmp/aio-bench-tree: 10 dirs x 100 subdirs x 100 empty files, plus a
# .complete marker; built once and reused), counting every entry below the
# root.  Every directory found is descended into at once, so many
# directories are read concurrently.
#   scandir: aio_scandir $dir, 0 on every directory
#   readdirx: aio_readdirx with READDIR_DENTS|READDIR_DIRS_FIRST; recurses
#            into DT_DIR entries and aio_lstat()s only DT_UNKNOWN ones
# The synchronous floor is an opendir/readdir loop that lstat()s every entry
# (perl's readdir has no d_type), so it does more syscalls than readdirx.
# --quick walks one of the 10 top-level directories.
use strict;
use warnings;
use Fcntl qw(O_CREAT O_EXCL O_WRONLY);
use File::Path qw(remove_tree);
use FindBin ();
use lib "$FindBin::RealBin/../lib";
use BenchScenario qw(start loaded result median_rate drain);
use IO::AIO;

my $TREE   = '/tmp/aio-bench-tree';
my $MARKER = '.complete';
my ($TOP, $SUB, $FILES) = (10, 100, 100);
my @VARIANTS = qw(scandir readdirx);
# --reps: timed passes per process
my %opt = start(variants => \@VARIANTS, floor => 1, reps => [3, 5],
                prepare => \&prepare_tree);

# what a pass walks, and how many entries it must find below that root
my ($ROOT, $N) = $opt{quick}
    ? ("$TREE/d00", $SUB * (1 + $FILES))
    : ($TREE, $TOP * (1 + $SUB * (1 + $FILES)) + 1);    # + the marker

my $rate;
if ($opt{floor}) {
    $rate = median_rate($N, \&sync_pass);
} else {
    my $variant = $opt{variant} // 'scandir';
    my $pass = { scandir => \&scandir_pass, readdirx => \&readdirx_pass,
                 default => \&scandir_pass }->{$variant}
        or die "unknown variant '$variant'\n";
    loaded();
    $rate = median_rate($N, $pass);
}
result('entries_per_sec', '%.0f', $rate, 'entry/s');
exit 0;

sub check_count {
    my ($seen) = @_;
    $seen == $N or die "walk of $ROOT found $seen entries, expected $N\n";
}

sub sync_pass {
    my $seen = 0;
    my $walk;
    $walk = sub {
        my ($dir) = @_;
        opendir my $dh, $dir or die "opendir $dir: $!\n";
        for my $name (readdir $dh) {
            next if $name eq '.' || $name eq '..';
            $seen++;
            lstat "$dir/$name" or die "lstat $dir/$name: $!\n";
            $walk->("$dir/$name") if -d _;
        }
    };
    $walk->($ROOT);
    undef $walk;
    check_count($seen);
}

sub scandir_pass {
    my $seen = 0;
    my $scan;
    $scan = sub {
        my ($dir) = @_;
        aio_scandir $dir, 0, sub {
            my ($dirs, $nondirs) = @_;
            $dirs or die "aio_scandir $dir failed: $!\n";
            $seen += @$dirs + @$nondirs;
            $scan->("$dir/$_") for @$dirs;
        };
    };
    $scan->($ROOT);
    drain();
    undef $scan;
    check_count($seen);
}

sub readdirx_pass {
    my $seen = 0;
    my $flags = IO::AIO::READDIR_DENTS | IO::AIO::READDIR_DIRS_FIRST;
    my ($DT_DIR, $DT_UNKNOWN) = (IO::AIO::DT_DIR, IO::AIO::DT_UNKNOWN);
    my $scan;
    $scan = sub {
        my ($dir) = @_;
        aio_readdirx $dir, $flags, sub {
            my ($entries) = @_;
            $entries or die "aio_readdirx $dir failed: $!\n";
            $seen += @$entries;
            for my $e (@$entries) {
                my ($name, $type) = @$e;
                if ($type == $DT_DIR) {
                    $scan->("$dir/$name");
                } elsif ($type == $DT_UNKNOWN) {
                    my $path = "$dir/$name";
                    aio_lstat $path, sub {
                        $_[0] == 0 or die "aio_lstat $path failed: $!\n";
                        $scan->($path) if -d _;
                    };
                }
            }
        };
    };
    $scan->($ROOT);
    drain();
    undef $scan;
    check_count($seen);
}

# Builds the tree once under a private name and renames it into place; the
# marker is written last, so a tree without it is a leftover to replace.
sub prepare_tree {
    return if -e "$TREE/$MARKER";
    my $tmp = "$TREE.tmp.$$";
    remove_tree($tmp);
    mkdir $tmp or die "mkdir $tmp: $!\n";
    for my $t (0 .. $TOP - 1) {
        my $top = sprintf '%s/d%02d', $tmp, $t;
        mkdir $top or die "mkdir $top: $!\n";
        for my $s (0 .. $SUB - 1) {
            my $sub = sprintf '%s/d%03d', $top, $s;
            mkdir $sub or die "mkdir $sub: $!\n";
            for my $f (0 .. $FILES - 1) {
                my $file = sprintf '%s/f%03d', $sub, $f;
                sysopen my $fh, $file, O_WRONLY | O_CREAT | O_EXCL or die "create $file: $!\n";
                close $fh;
            }
        }
    }
    my $marker = "$tmp/$MARKER";
    sysopen my $fh, $marker, O_WRONLY | O_CREAT | O_EXCL or die "create $marker: $!\n";
    close $fh;
    remove_tree($TREE) if -d $TREE && !-e "$TREE/$MARKER";    # incomplete leftover
    if (!rename $tmp, $TREE) {
        my $e = $!;
        remove_tree($tmp);
        die "rename $tmp -> $TREE: $e\n" unless -e "$TREE/$MARKER";    # lost a race: fine
    }
}

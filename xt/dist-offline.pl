#!/usr/bin/perl
# xt/dist-offline.pl - proves that the `make dist` tarball builds and
# passes its tests without any registry: it makes the tarball, unpacks it
# into a scratch directory and runs `perl Makefile.PL && make && make test`
# there with CARGO_NET_OFFLINE=true and an empty CARGO_HOME (no cached
# index or crates), then checks that cargo downloaded nothing.
#
#   perl Makefile.PL && perl xt/dist-offline.pl [--cargo PATH] [--quick]
#
# --cargo PATH  build the tarball with this cargo (e.g. /usr/bin/cargo,
#               Debian's); the rustc beside it compiles.  Default: the one
#               Makefile.PL finds.
# --quick       make, cargo's tests and two Perl test files, not `make test`.
# Exits 0 on success, 1 on any failure.

use strict;
use warnings;

use Config;
use Cwd ();
use File::Temp ();
use Getopt::Long ();

my %opt;
Getopt::Long::GetOptions (\%opt, "cargo=s", "quick") or die "usage: $0 [--cargo PATH] [--quick]\n";
-e "Makefile" or die "dist-offline: no Makefile here (run perl Makefile.PL first)\n";

my $make = $Config{make} || "make";
my $top  = Cwd::getcwd;
# out of the scratch directory before File::Temp removes it (its END
# block runs after this one)
END { chdir $top if defined $top }

# make dist will not overwrite an older tarball
unlink glob "IO-AIO-*.tar.gz";
run ("$make dist > /dev/null");
my @tarballs = glob "IO-AIO-*.tar.gz";
@tarballs == 1 or die "dist-offline: make dist made no IO-AIO-*.tar.gz\n";
my $tarball = "$top/$tarballs[0]";

my $scratch = File::Temp::tempdir ("aio-dist-XXXXXX", TMPDIR => 1, CLEANUP => 1);
chdir $scratch or die "dist-offline: $scratch: $!\n";
run ("tar -xzf '$tarball'");
my ($dist) = grep -d, glob "IO-AIO-*";
chdir $dist or die "dist-offline: no directory in $tarball\n";

mkdir "$scratch/cargo-home" or die "dist-offline: $!\n";
$ENV{CARGO_HOME}        = "$scratch/cargo-home";
$ENV{CARGO_NET_OFFLINE} = "true";
if ($opt{cargo}) {
   $ENV{CARGO} = $opt{cargo};
   delete $ENV{RUSTC};    # Makefile.PL then takes the rustc beside it
}
print "dist-offline: building $tarballs[0] in $scratch/$dist",
   $opt{cargo} ? " with $opt{cargo}" : "", ", offline, CARGO_HOME empty\n";

run ("$^X Makefile.PL");
if ($opt{quick}) {
   run ("$make");
   run ("$make cargo_test");
   run ("prove -b t/00_load.t t/01_requests.t");
} else {
   run ("$make test");
}

# Everything came from vendor/: nothing was fetched into CARGO_HOME.
my @fetched = glob "$scratch/cargo-home/registry/*/*";
die "dist-offline: cargo fetched into CARGO_HOME: @fetched\n" if @fetched;

print "dist-offline: ok\n";

sub run {
   my ($command) = @_;
   print "+ $command\n";
   system ($command) == 0 or die "dist-offline: failed ($?): $command\n";
}

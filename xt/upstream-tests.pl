#!/usr/bin/perl
# xt/upstream-tests.pl - the original distributions' own test suites
# (IO-AIO 4.80 and AnyEvent-AIO 1.1, from Debian's source packages)
# against this checkout's build in blib/.
#
#   perl Makefile.PL && make && make test_upstream
#   perl xt/upstream-tests.pl          # the same, from the checkout
#
# The source packages are fetched once with `apt-get source
# --download-only` into target/upstream/ (deb-src entries mirroring the
# deb ones are added to apt's sources if there are none, which needs
# root); only their t/ directories are unpacked, into a scratch
# directory.  Every test process first loads IO::AIO and dies unless
# both AIO.pm and AIO.so came from this checkout's blib/, so a missing
# build cannot pass on the system's IO::AIO.  The last line is
# "upstream: N passed, M failed", counting test files; the exit status
# is 0 if all passed, 1 if any failed, 2 if the suites could not be
# fetched.

use strict;
use warnings;

use Cwd ();
use File::Copy ();
use File::Path ();
use File::Spec;
use File::Temp ();
use TAP::Harness;

my @packages = qw(libio-aio-perl libanyevent-aio-perl);
# a whole test file, in seconds; a hung one fails instead of stalling CI
my $timeout = $ENV{UPSTREAM_TIMEOUT} || 300;

my $top  = Cwd::getcwd;
my $blib = "$top/blib";
-e "$blib/lib/IO/AIO.pm" && -e "$blib/arch/auto/IO/AIO/AIO.so"
   or die "upstream-tests: no build in $blib (run perl Makefile.PL && make first)\n";

my $cache = "$top/target/upstream";
File::Path::make_path ($cache);
my @archives = map { fetch ($_) } @packages;

my $scratch = File::Temp::tempdir ("aio-upstream-XXXXXX", TMPDIR => 1, CLEANUP => !$ENV{UPSTREAM_KEEP});
print "upstream: scratch directory $scratch\n" if $ENV{UPSTREAM_KEEP};
write_guard ("$scratch/UpstreamGuard.pm");

my ($passed, $failed) = (0, 0);
for my $archive (@archives) {
   my $dist = unpack_tests ($archive, $scratch);
   my ($ok, $bad) = run_suite ($dist);
   $passed += $ok;
   $failed += $bad;
}
chdir $top;

print "upstream: $passed passed, $failed failed\n";
exit ($failed ? 1 : 0);

# The original tarball of a source package, downloaded unless cached.
sub fetch {
   my ($package) = @_;
   my ($have) = glob "$cache/${package}_*.orig.tar.*";
   return $have if $have;

   # Only the .orig tarball matters: apt-get fails when the Debian part
   # is gone from the mirror, after downloading the rest.
   for my $attempt (1, 2) {
      download ($package);
      ($have) = glob "$cache/${package}_*.orig.tar.*";
      return $have if $have;
      last if $attempt == 2 || !add_deb_src ();
   }
   give_up ("apt-get source $package left no .orig tarball in $cache");
}

sub download {
   my ($package) = @_;
   # as root, apt's download user could not write into our cache
   my $user = $> == 0 ? "-o APT::Sandbox::User=root" : "";
   system ("cd '$cache' && apt-get source --download-only -qq $user $package");
}

sub give_up {
   print STDERR "upstream-tests: $_[0]\n";
   print "upstream: 0 passed, 0 failed (suites not fetched)\n";
   exit 2;
}

# Adds deb-src twins of apt's deb entries, unless some deb-src entry
# exists already (then the failure was something else).  True if added.
sub add_deb_src {
   my @lists   = grep -f, "/etc/apt/sources.list", glob "/etc/apt/sources.list.d/*.list";
   my @stanzas = grep -f, glob "/etc/apt/sources.list.d/*.sources";
   my (@one_line, @deb822);
   for my $file (@lists) {
      open my $fh, "<", $file or next;
      while (<$fh>) {
         return 0 if /^\s*deb-src\s/;
         push @one_line, "deb-src$1\n" if /^\s*deb(\s.*)$/;
      }
   }
   for my $file (@stanzas) {
      open my $fh, "<", $file or next;
      local $/ = "";    # paragraph mode: one stanza at a time
      while (my $stanza = <$fh>) {
         next if $stanza =~ /^Enabled:\s*no\s*$/mi;
         my ($types) = $stanza =~ /^Types:\s*(.*?)\s*$/mi or next;
         return 0 if grep $_ eq "deb-src", split " ", $types;
         next unless grep $_ eq "deb", split " ", $types;
         $stanza =~ s/^Types:.*$/Types: deb-src/mi;
         $stanza =~ s/\n*\z/\n\n/;
         push @deb822, $stanza;
      }
   }
   @one_line || @deb822 or return 0;
   print STDERR "upstream-tests: adding deb-src entries and running apt-get update\n";
   my $base = "/etc/apt/sources.list.d/io-aio-upstream-src";
   write_file ("$base.list",    @one_line) if @one_line;
   write_file ("$base.sources", @deb822)   if @deb822;
   system ("apt-get update -qq") == 0
}

sub write_file {
   my ($path, @text) = @_;
   open my $fh, ">", $path or give_up ("cannot write $path: $! (adding deb-src entries needs root)");
   print $fh @text;
   close $fh or give_up ("cannot write $path: $!");
}

# Unpacks only the t/ directory of an original tarball; returns the
# distribution's directory (where its tests expect to run).
sub unpack_tests {
   my ($archive, $into) = @_;
   chomp (my @members = `tar -tf '$archive'`);
   # the files only: a directory member would extract all of it, and the
   # files named after it would then be "not found"
   @members = grep m{^[^/]+/t/.*[^/]\z}, @members;
   @members or die "upstream-tests: $archive has no t/ directory\n";
   system ("tar", "-xf", $archive, "-C", $into, @members) == 0 or die "upstream-tests: cannot unpack $archive\n";
   my ($dist) = $members[0] =~ m{^([^/]+)/};
   "$into/$dist"
}

# Runs one distribution's t/*.t from its directory, with the fixtures
# IO-AIO's t/01_stat.t and t/02_read.t look for there (a text file named
# AIO.xs and a directory bin/).  Returns (passed files, failed files).
sub run_suite {
   my ($dist) = @_;
   chdir $dist or die "upstream-tests: $dist: $!\n";
   if (-e "t/01_stat.t") {
      File::Copy::copy ("$top/xs/AIO.xs", "AIO.xs") or die "upstream-tests: AIO.xs: $!\n";
      mkdir "bin";
   }
   my @tests = sort glob "t/*.t";
   local $ENV{PERL5OPT} = join " ", grep defined, $ENV{PERL5OPT}, "-I$scratch", "-MUpstreamGuard";
   local $ENV{UPSTREAM_BLIB}    = $blib;
   local $ENV{UPSTREAM_TIMEOUT} = $timeout;
   print "\n", (File::Spec->splitdir ($dist))[-1], ":\n";
   my $harness    = TAP::Harness->new ({ lib => ["$blib/lib", "$blib/arch"], verbosity => 0 });
   my $aggregator = $harness->runtests (@tests);
   my $bad        = grep { ($aggregator->parsers ($_))[0]->has_problems } @tests;
   (@tests - $bad, $bad)
}

# The guard each test process loads first (through PERL5OPT).
sub write_guard {
   my ($path) = @_;
   open my $fh, ">", $path or die "upstream-tests: $path: $!\n";
   print $fh <<'GUARD';
package UpstreamGuard;
# Loads IO::AIO now and dies unless it and its shared object are the
# ones in $ENV{UPSTREAM_BLIB}; also bounds the test's run time.
use strict;
use IO::AIO ();
my $blib = $ENV{UPSTREAM_BLIB};
my $pm   = $INC{"IO/AIO.pm"};
my ($so) = grep m{/auto/IO/AIO/AIO\.so$}, @DynaLoader::dl_shared_objects;
die "UpstreamGuard: IO/AIO.pm came from $pm, not $blib/lib\n"
   unless $pm eq "$blib/lib/IO/AIO.pm";
die "UpstreamGuard: AIO.so came from ", ($so // "nowhere"), ", not $blib/arch\n"
   unless defined $so && $so eq "$blib/arch/auto/IO/AIO/AIO.so";
alarm $ENV{UPSTREAM_TIMEOUT};
1;
GUARD
   close $fh or die "upstream-tests: $path: $!\n";
}

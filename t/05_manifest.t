# MANIFEST lists every file of the repository that the distribution needs
# (everything git tracks, less what MANIFEST.SKIP leaves out), and nothing
# that does not exist: a file missing from it is missing from the make dist
# tarball, which then does not build.  Runs in a git checkout only.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Test::More;
use ExtUtils::Manifest ();

my $top = "$FindBin::Bin/..";
chdir $top or die "$top: $!";
plan skip_all => "not a git checkout" unless -d ".git" && `git --version 2>/dev/null`;

my @tracked = grep length, split /\n/, `git ls-files`;
my $skip    = ExtUtils::Manifest::maniskip ();
my %listed  = %{ ExtUtils::Manifest::maniread () };

my @missing = grep { !exists $listed{$_} && !$skip->($_) } @tracked;
is_deeply \@missing, [], "every tracked file is in MANIFEST (or MANIFEST.SKIP)";

my @gone = grep { !-e } sort keys %listed;
is_deeply \@gone, [], "every file in MANIFEST exists";

done_testing;

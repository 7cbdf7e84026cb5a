# bin/treescan: the set of paths equals find's, and its options filter.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use AIOTest;

BEGIN { use_ours () }

my $script = "$FindBin::Bin/../bin/treescan";
my @inc = map "-I$_", grep m{blib}, @INC;
my $tmp = File::Temp::tempdir (CLEANUP => 1);

# a small tree: nested dirs, files, an empty dir, symlinks to a dir and a
# file
mkdir "$tmp/t";
mkdir "$tmp/t/$_" for qw(a a/b a/b/c empty);
for my $f (qw(f1 a/f2 a/b/f3 a/b/c/f4)) { open my $fh, ">", "$tmp/t/$f" or die; print $fh "x" x length $f }
symlink "a", "$tmp/t/ldir";
symlink "f1", "$tmp/t/lfile";

sub treescan {
   my (@args) = @_;
   open my $fh, "-|", $^X, @inc, $script, @args or die "treescan: $!";
   local $/;
   my $out = <$fh>;
   close $fh;
   ($out, $? >> 8)
}

sub find_paths {
   my ($dir) = @_;
   open my $fh, "-|", "find", $dir, "-print0" or die;
   local $/;
   [sort split /\0/, <$fh>]
}

my ($out, $status) = treescan ("-0", "$tmp/t");
is $status, 0, "exit status 0";
my @paths = split /\0/, $out;
is_deeply [sort map { s{/$}{}r } @paths], find_paths ("$tmp/t"), "the same paths as find";
is_deeply [sort grep m{/$}, @paths], [map "$_/", sort "$tmp/t", map "$tmp/t/$_", qw(a a/b a/b/c empty)],
   "directories (not symlinks to them) carry a trailing /";

($out) = treescan ("--dirs", "$tmp/t");
is_deeply [sort split /\n/, $out], [map "$_/", sort "$tmp/t", map "$tmp/t/$_", qw(a a/b a/b/c empty)], "--dirs";

($out) = treescan ("--files", "$tmp/t/a");
is_deeply [sort split /\n/, $out], [sort map "$tmp/t/a/$_", qw(f2 b/f3 b/c/f4)], "--files";

($out) = treescan ("--match", 'f[34]$', "$tmp/t");
is_deeply [sort split /\n/, $out], [sort map "$tmp/t/$_", qw(a/b/f3 a/b/c/f4)], "--match";

($out) = treescan ("--stat", "--files", "$tmp/t/a/b");
is_deeply [sort split /\n/, $out], [sort "6\t$tmp/t/a/b/f3", "8\t$tmp/t/a/b/c/f4"], "--stat prints sizes";

($out) = treescan ("-sf", "--match=f3", "$tmp/t/a/b");
is $out, "6\t$tmp/t/a/b/f3\n", "bundled short options and --option=value";

($out, $status) = treescan ("--bogus", "$tmp/t");
is $status, 2, "an unknown option is a usage error";

($out, $status) = treescan ("--sync", "$tmp/t/a");
is $status, 0, "--sync succeeds";
is scalar (() = $out =~ /\n/g), 6, "--sync lists every entry";

($out, $status) = treescan ("$tmp/missing");
is $status, 1, "a missing start directory fails with status 1";

SKIP: {
   skip "needs /usr/share", 1 unless -d "/usr/share/perl5";
   ($out) = treescan ("-0", "/usr/share/perl5");
   is_deeply [sort map { s{/$}{}r } split /\0/, $out], find_paths ("/usr/share/perl5"),
      "a real tree: the same paths as find";
}

done_testing;

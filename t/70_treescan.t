# bin/treescan: the set of paths equals find's, its options filter, and
# usage errors are reported clearly (t/71 compares it with find in depth).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp ();
use AIOTest qw(:DEFAULT spew);
use Treescan;

BEGIN { use_ours () }

like treescan_aio_path (), $AIOTest::BLIB_RE, "treescan runs with our IO::AIO (blib/)";

my $tmp = File::Temp::tempdir (CLEANUP => 1);

# a small tree: nested dirs, files, an empty dir, symlinks to a dir and a
# file
mkdir "$tmp/t";
mkdir "$tmp/t/$_" for qw(a a/b a/b/c empty);
spew ("$tmp/t/$_", "x" x length) for qw(f1 a/f2 a/b/f3 a/b/c/f4);
symlink "a", "$tmp/t/ldir";
symlink "f1", "$tmp/t/lfile";

# (stdout, exit status) of a run that must print nothing on stderr
sub treescan {
   my (@args) = @_;
   my ($out, $err, $status) = run_cmd ({}, treescan_cmd (), @args);
   is $err, "", "treescan @args: nothing on stderr";
   ($out, $status)
}

sub find_paths {
   my ($dir) = @_;
   my ($out) = run_cmd ({}, "find", $dir, "-print0");
   [sort split /\0/, $out]
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

($out) = treescan ("-fmf3", "$tmp/t/a/b");
is $out, "$tmp/t/a/b/f3\n", "a value as the rest of a bundle (-mRE)";

($out) = treescan ("--", "$tmp/t/a/b/f3");
is $out, "$tmp/t/a/b/f3\n", "-- ends the options";

($out, $status) = treescan ("--sync", "$tmp/t/a");
is $status, 0, "--sync succeeds";
is scalar (() = $out =~ /\n/g), 6, "--sync lists every entry";

($out, $status) = treescan ("--help");
is $status, 0, "--help: exit status 0";
like $out, qr/^usage: treescan \[options\] \[PATH\.\.\.\]/, "--help: usage on stdout";

# every option --help lists is in the man page's SYNOPSIS
my @options = $out =~ /^\s+((?:-\w, )?--[a-z]+)/mg;
cmp_ok scalar @options, ">=", 9, "--help lists the options";
my ($synopsis) = do { local $/; open my $fh, "<", "$FindBin::Bin/../bin/treescan" or die; <$fh> }
   =~ /^=head1 SYNOPSIS\n(.*?)^=head1/ms;
for my $option (map split (/, /), @options) {
   like $synopsis, qr/(?<![\w-])\Q$option\E(?![\w-])/, "SYNOPSIS has $option";
}

# usage errors: a message and a usage line on stderr, nothing on stdout,
# exit status 2
my $usage_line = qr/\nusage: treescan \[options\] \[PATH\.\.\.\] .*--help.*\n\z/;
for (
   [["--bogus", $tmp],        "unknown option --bogus"],
   [["-sx", $tmp],            "unknown option -x"],
   [["--stat=1", $tmp],       "--stat takes no value"],
   [["--match"],              "--match needs a value"],
   [["--maxreq", "0", $tmp],  "--maxreq needs a positive number"],
   [["--maxreq=x", $tmp],     "--maxreq needs a positive number"],
   [["-m", "a(", $tmp],       qr/--match: Unmatched \( in regex; marked by <-- HERE in m\/a\( <-- HERE \//],
) {
   my ($args, $message) = @$_;
   my ($out, $err, $status) = run_cmd ({}, treescan_cmd (), @$args);
   my $what = "treescan @$args" =~ s/\Q$tmp\E/DIR/r;
   is $status, 2, "$what: exit status 2";
   is $out, "", "$what: nothing on stdout";
   like $err, ref $message ? qr/^treescan: $message$usage_line/m : qr/^treescan: \Q$message\E$usage_line/,
      "$what: message and usage line";
}

{
   my ($out, $err, $status) = run_cmd ({}, treescan_cmd (), "$tmp/missing");
   is $status, 1, "a missing start path fails with status 1";
   is $err, "treescan: $tmp/missing: No such file or directory\n", "... and says so";
}

SKIP: {
   skip "needs /usr/share/perl5", 2 unless -d "/usr/share/perl5";
   ($out) = treescan ("-0", "/usr/share/perl5");
   is_deeply [sort map { s{/$}{}r } split /\0/, $out], find_paths ("/usr/share/perl5"),
      "a real tree: the same paths as find";
}

done_testing;

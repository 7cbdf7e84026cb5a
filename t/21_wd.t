#!/usr/bin/perl

# Working directories: aio_wd, IO::AIO::WD objects, IO::AIO::CWD and
# IO::AIO::INVALID_WD, and the [$wd, $path] / $wd pathname forms in every
# kind of request.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest qw(:DEFAULT spew);
BEGIN { use_ours () }

use Test::More;
use Errno qw(ENOENT ENOTDIR EEXIST);
use File::Temp ();
use Cwd ();

my $tmp = Cwd::realpath (File::Temp::tempdir (CLEANUP => 1));
my $elsewhere = Cwd::realpath (File::Temp::tempdir (CLEANUP => 1));

sub open_fds {
   opendir my $dh, "/proc/self/fd" or return undef;
   scalar grep /^\d+$/, readdir $dh
}

mkdir "$tmp/sub" or die;
spew "$tmp/sub/file", "content";

# everything relative happens elsewhere, so only the wd can make it work
chdir $elsewhere or die;

############################################################################
# aio_wd

my $wd;
{
   my ($r) = run_req (\&aio_wd, "$tmp/sub/../sub");
   $wd = $r->[0];
   isa_ok $wd, "IO::AIO::WD", "aio_wd result";

   my ($p) = run_req (\&aio_realpath, $wd);
   is_deeply $p, ["$tmp/sub"], "a wd knows its canonical path";

   my ($e, $errno) = run_req (\&aio_wd, "$tmp/nope");
   is_deeply [$e, $errno], [[undef], ENOENT], "aio_wd of a missing dir: undef, ENOENT";

   ($e, $errno) = run_req (\&aio_wd, "$tmp/sub/file");
   is_deeply [$e, $errno], [[undef], ENOTDIR], "aio_wd of a file: undef, ENOTDIR";

   my ($top) = run_req (\&aio_wd, $tmp);
   my ($nested) = run_req (\&aio_wd, [$top->[0], "sub"]);
   ($p) = run_req (\&aio_realpath, $nested->[0]);
   is_deeply $p, ["$tmp/sub"], "aio_wd relative to another wd";

   is prototype ("IO::AIO::aio_wd"), '$;$', "aio_wd prototype";
   is prototype ("IO::AIO::CWD"), '', "CWD is a constant sub";
   isa_ok IO::AIO::CWD (), "IO::AIO::WD", "IO::AIO::CWD";
   isa_ok IO::AIO::INVALID_WD (), "IO::AIO::WD", "IO::AIO::INVALID_WD";
}

############################################################################
# pathname forms in requests

{
   my ($r) = run_req (\&aio_stat, [$wd, "file"]);
   is_deeply [$r, -s _], [[0], 7], "stat [\$wd, file]";

   ($r) = run_req (\&aio_lstat, $wd);
   ok $r->[0] == 0 && -d _, "lstat \$wd is the directory itself";

   ($r) = run_req (\&aio_stat, [$wd, "/etc/passwd"]);
   is $r->[0], 0, "an absolute path ignores the wd";

   ($r) = run_req (\&aio_open, [$wd, "file"], IO::AIO::O_RDONLY (), 0);
   ok $r->[0] && readline ($r->[0]) eq "content", "open [\$wd, file]";

   ($r) = run_req (\&aio_readdir, $wd);
   is_deeply $r, [["file"]], "readdir \$wd";

   ($r) = run_req (\&aio_mkdir, [$wd, "new"], 0755);
   ok $r->[0] == 0 && -d "$tmp/sub/new", "mkdir [\$wd, new]";

   ($r) = run_req (\&aio_rmdir, [$wd, "new"]);
   ok $r->[0] == 0 && !-e "$tmp/sub/new", "rmdir [\$wd, new]";

   ($r) = run_req (\&aio_chmod, [$wd, "file"], 0614);
   is ((stat "$tmp/sub/file")[2] & 07777, 0614, "chmod [\$wd, file]");

   ($r) = run_req (\&aio_utime, [$wd, "file"], 11, 22);
   is_deeply [(stat "$tmp/sub/file")[8, 9]], [11, 22], "utime [\$wd, file]";

   ($r) = run_req (\&aio_truncate, [$wd, "file"], 3);
   is -s "$tmp/sub/file", 3, "truncate [\$wd, file]";

   ($r) = run_req (\&aio_statvfs, $wd);
   is ref $r->[0], "HASH", "statvfs \$wd";

   ($r) = run_req (\&aio_link, [$wd, "file"], [$wd, "hard"]);
   ok $r->[0] == 0 && -f "$tmp/sub/hard", "link between pairs";

   ($r) = run_req (\&aio_rename, [$wd, "hard"], [$wd, "moved"]);
   ok $r->[0] == 0 && -f "$tmp/sub/moved" && !-e "$tmp/sub/hard", "rename between pairs";

   ($r) = run_req (\&aio_unlink, [$wd, "moved"]);
   ok $r->[0] == 0 && !-e "$tmp/sub/moved", "unlink [\$wd, moved]";

   ($r) = run_req (\&aio_mknod, [$wd, "fifo"], IO::AIO::S_IFIFO () | 0600, 0);
   ok $r->[0] == 0 && -p "$tmp/sub/fifo", "mknod [\$wd, fifo]";

   # the link is created relative to the wd of its own path (the original
   # ignores that wd: see DIFFERENCES FROM IO::AIO 4.80 in the POD)
   ($r) = run_req (\&aio_symlink, "file", [$wd, "sym"]);
   is readlink "$tmp/sub/sym", "file", "symlink to [\$wd, sym]";

   ($r) = run_req (\&aio_readlink, [$wd, "sym"]);
   is_deeply $r, ["file"], "readlink [\$wd, sym]";

   ($r) = run_req (\&aio_realpath, [$wd, "sym"]);
   is_deeply $r, ["$tmp/sub/file"], "realpath [\$wd, sym]";

   my ($e, $errno) = run_req (\&aio_stat, [$wd, "nope"]);
   is_deeply [$e, $errno], [[-1], ENOENT], "stat [\$wd, nope]: -1, ENOENT";

   ($e, $errno) = run_req (\&aio_mkdir, [$wd, "file"], 0755);
   is_deeply [$e, $errno], [[-1], EEXIST], "mkdir [\$wd, file]: -1, EEXIST";

   # requests and helpers of other families take pairs, too
   my $data;
   my $slurped;
   IO::AIO::aio_slurp ([$wd, "file"], 0, 0, $data, sub { $slurped = $_[0] });
   drain ();
   is_deeply [$slurped, $data], [3, "con"], "slurp [\$wd, file]";

   is IO::AIO::statx ([$wd, "file"], 0, IO::AIO::STATX_SIZE ()), 0, "statx [\$wd, file]";
   is IO::AIO::stx_size (), 3, "... sees the file";
   is_deeply [IO::AIO::statx ([undef, "file"], 0, IO::AIO::STATX_SIZE ()), $! + 0], [-1, ENOENT],
      "statx [undef, file]: -1, ENOENT (the original crashes)";

   # the path of a pair is copied at submission
   my $pair = [$wd, "file"];
   my $ok;
   aio_stat $pair, sub { $ok = $_[0] == 0 };
   $pair->[1] = "nope";
   drain ();
   ok $ok, "the pair's path is taken at submission";
}

############################################################################
# the descriptor follows the directory, the canonical path does not

{
   mkdir "$tmp/old" or die;
   spew "$tmp/old/f", "x";
   my ($r) = run_req (\&aio_wd, "$tmp/old");
   my $old = $r->[0];
   rename "$tmp/old", "$tmp/renamed" or die;

   ($r) = run_req (\&aio_stat, [$old, "f"]);
   is $r->[0], 0, "a renamed directory is still reached through its wd";

   my ($e, $errno) = run_req (\&aio_realpath, [$old, "f"]);
   is_deeply [$e, $errno], [[], ENOENT], "realpath relies on the canonical path (like the original)";
}

############################################################################
# "." of a wd in rename and rmdir uses the canonical path

{
   mkdir "$tmp/gone" or die;
   my ($r) = run_req (\&aio_wd, "$tmp/gone");
   my $gone = $r->[0];
   ($r) = run_req (\&aio_rename, $gone, "$tmp/went");
   ok $r->[0] == 0 && -d "$tmp/went" && !-e "$tmp/gone", "rename \$wd renames the directory";

   ($r) = run_req (\&aio_wd, "$tmp/went");
   ($r) = run_req (\&aio_rmdir, $r->[0]);
   ok $r->[0] == 0 && !-e "$tmp/went", "rmdir \$wd removes the directory";
}

############################################################################
# IO::AIO::CWD, IO::AIO::INVALID_WD and undef

{
   spew "$elsewhere/here", "h";
   my ($r) = run_req (\&aio_stat, [IO::AIO::CWD (), "here"]);
   is $r->[0], 0, "[CWD, path] is relative to the process's cwd";

   ($r) = run_req (\&aio_realpath, IO::AIO::CWD ());
   is_deeply $r, [$elsewhere], "realpath CWD is the cwd";

   for my $bad ([undef, "undef"], [IO::AIO::INVALID_WD (), "INVALID_WD"]) {
      my ($w, $name) = @$bad;
      my ($e, $errno) = run_req (\&aio_stat, [$w, "here"]);
      is_deeply [$e, $errno], [[-1], ENOENT], "stat [$name, path]: -1, ENOENT";

      ($e, $errno) = run_req (\&aio_stat, [$w, "/"]);
      is_deeply [$e, $errno], [[-1], ENOENT], "stat [$name, /]: even absolute paths fail";

      ($e, $errno) = run_req (\&aio_realpath, [$w, "here"]);
      is_deeply [$e, $errno], [[], ENOENT], "realpath [$name, path]: nothing, ENOENT";

      ($e, $errno) = run_req (\&aio_open, [$w, "here"], IO::AIO::O_RDONLY (), 0);
      is_deeply [$e, $errno], [[undef], ENOENT], "open [$name, path]: undef, ENOENT";

      ($e, $errno) = run_req (\&aio_rename, "$elsewhere/here", [$w, "there"]);
      is_deeply [$e, $errno, -e "$elsewhere/here"], [[-1], ENOENT, 1], "rename to [$name, path]: -1, ENOENT";

      ($e, $errno) = run_req (\&aio_wd, [$w, "."]);
      is_deeply [$e, $errno], [[undef], ENOENT], "aio_wd [$name, .]: undef, ENOENT";
   }

   my ($e, $errno) = run_req (\&aio_stat, IO::AIO::INVALID_WD ());
   is_deeply [$e, $errno], [[-1], ENOENT], "stat INVALID_WD: -1, ENOENT";
}

############################################################################
# what is not a pathname croaks, without crashing

{
   my $pathname = qr/^IO::AIO: pathname arguments must be specified as a string, an IO::AIO::WD object or a \[IO::AIO::WD, path\] pair /;
   my $wdmsg = qr/^IO::AIO: expected a working directory object as returned by aio_wd /;

   my @sparse;
   $sparse[1] = "x";
   my @no_path;
   $no_path[0] = $wd;
   $#no_path = 1;

   my @cases = (
      [[],                       $pathname, "empty array"],
      [[$wd],                    $pathname, "one element"],
      [[$wd, "a", "b"],          $pathname, "three elements"],
      [\@sparse,                 $pathname, "missing wd element"],
      [\@no_path,                $pathname, "missing path element"],
      [{},                       $pathname, "hash"],
      [\"x",                     $pathname, "scalar ref"],
      [bless ({}, "IO::AIO::WD"), $pathname, "hash blessed into IO::AIO::WD"],
      [["notwd", "x"],           $wdmsg,    "string as wd"],
      [[\1, "x"],                $wdmsg,    "reference as wd"],
      [[bless ({}, "Foo"), "x"], $wdmsg,    "object as wd"],
      [bless (\(my $x = 12345), "IO::AIO::WD"),          $wdmsg, "forged wd"],
      [[bless (\(my $y = 12345), "IO::AIO::WD"), "x"],   $wdmsg, "forged wd in a pair"],
      [[bless ({}, "IO::AIO::WD"), "x"],                 $wdmsg, "forged hash wd in a pair"],
   );

   my $before = IO::AIO::nreqs ();
   for (@cases) {
      my ($arg, $re, $name) = @$_;
      my $called;
      eval { aio_stat $arg, sub { $called = 1 } };
      like $@, $re, "$name croaks";
   }
   is IO::AIO::nreqs (), $before, "... and submits nothing";

   eval { aio_link "x", [bless (\(my $z = 1), "IO::AIO::WD"), "y"], sub { } };
   like $@, $wdmsg, "a forged wd as second path croaks";
}

############################################################################
# lifetime: closed when the object dies, but not while a request uses it

{
   my $fds = open_fds ();
   my $w = (run_req (\&aio_wd, $tmp))[0][0];
   is open_fds (), $fds + 1, "a wd holds a descriptor";

   IO::AIO::aioreq_pri (2);
   undef $w;
   is IO::AIO::nreqs (), 1, "destroying a wd submits a close request";
   is IO::AIO::aioreq_pri (), 2, "... without touching aioreq_pri";
   IO::AIO::aioreq_pri (0);
   drain ();
   is open_fds (), $fds, "... which closes its descriptor";

   # with one worker busy, the close request (highest priority) would run
   # before the queued stat if the stat did not keep the wd alive
   $w = (run_req (\&aio_wd, "$tmp/sub"))[0][0];
   saturate (0.2);
   my ($status, $size);
   aio_stat [$w, "file"], sub { ($status, $size) = ($_[0], -s _) };
   undef $w;
   drain ();
   IO::AIO::max_parallel (4);
   is_deeply [$status, $size], [0, 3], "a request keeps its wd alive";
   is open_fds (), $fds, "... and the wd is closed afterwards";

   # DESTROY called by hand: the descriptor is closed once only
   $w = (run_req (\&aio_wd, $tmp))[0][0];
   $w->DESTROY;
   drain ();
   open my $fh, "<", "$tmp/sub/file" or die;   # likely reuses the number
   my ($e, $errno) = run_req (\&aio_stat, [$w, "sub"]);
   is_deeply [$e, $errno], [[-1], ENOENT], "a destroyed wd behaves like INVALID_WD";
   undef $w;
   drain ();
   is sysread ($fh, my $buf, 10), 3, "the second DESTROY closed nothing";

   # results nobody takes are closed too
   aio_wd $tmp;
   aio_wd $tmp, sub { };
   drain ();
   is open_fds (), $fds + 1, "unused aio_wd results are closed ($fds + the file)";

   # a forged object naming an open descriptor must not close it
   IO::AIO::WD::DESTROY (bless \(my $f = fileno $fh), "IO::AIO::WD");
   drain ();
   sysseek $fh, 0, 0;
   is sysread ($fh, $buf, 10), 3, "destroying a forged object closes nothing";
}

############################################################################
# the same steps under the original IO::AIO and ours

SKIP: {
   skip "the original IO::AIO is not installed", 1 unless defined original_version ();

   my $script = <<'EOF';
      my $d = $ARGV[0];
      mkdir "$d/w" or die;
      open my $fh, ">", "$d/w/f" or die;
      print $fh "data";
      close $fh;
      chdir "/" or die;
      my $wd;
      sub step {
         my ($name, $submit, @args) = @_;
         my ($got, $errno);
         $submit->(@args, sub { $got = [@_]; $errno = $! + 0 });
         IO::AIO::flush ();
         my @show = map { !defined ? "undef" : ref eq "IO::AIO::WD" ? "WD" : ref eq "ARRAY" ? "[@$_]" : ref eq "HASH" ? "hash" : ref \$_ eq "GLOB" || ref eq "GLOB" ? "fh" : $_ } @$got;
         my $fail = !@show || $show[0] eq "undef" || $show[0] eq "-1";
         print "$name: (@show)", ($fail ? " $errno" : ""), "\n";
         $got->[0]
      }
      $wd = step wd => \&IO::AIO::aio_wd, "$d/w/../w";
      step wd_miss      => \&IO::AIO::aio_wd, "$d/nope";
      step wd_file      => \&IO::AIO::aio_wd, "$d/w/f";
      step realpath     => \&IO::AIO::aio_realpath, $wd;
      step realpath_rel => \&IO::AIO::aio_realpath, [$wd, "../w/f"];
      step stat         => \&IO::AIO::aio_stat, [$wd, "f"];
      step lstat_wd     => \&IO::AIO::aio_lstat, $wd;
      step stat_abs     => \&IO::AIO::aio_stat, [$wd, "/"];
      step stat_undef   => \&IO::AIO::aio_stat, [undef, "f"];
      step stat_invalid => \&IO::AIO::aio_stat, [IO::AIO::INVALID_WD, "/"];
      step stat_cwd     => \&IO::AIO::aio_stat, [IO::AIO::CWD, "f"];
      step realpath_cwd => \&IO::AIO::aio_realpath, IO::AIO::CWD;
      step realpath_inv => \&IO::AIO::aio_realpath, [undef, "f"];
      step readdir      => \&IO::AIO::aio_readdir, $wd;
      step mkdir        => \&IO::AIO::aio_mkdir, [$wd, "m"], 0700;
      step mkdir_again  => \&IO::AIO::aio_mkdir, [$wd, "m"], 0700;
      my $m = step wd_m => \&IO::AIO::aio_wd, [$wd, "m"];
      step rename_dot   => \&IO::AIO::aio_rename, $m, [$wd, "m2"];
      step realpath_m   => \&IO::AIO::aio_realpath, $m;
      step stat_m       => \&IO::AIO::aio_stat, $m;
      my $m2 = step wd_m2 => \&IO::AIO::aio_wd, "$d/w/m2";
      step rmdir_dot    => \&IO::AIO::aio_rmdir, $m2;
      step link         => \&IO::AIO::aio_link, [$wd, "f"], [$wd, "g"];
      step rename       => \&IO::AIO::aio_rename2, [$wd, "g"], [$wd, "f"], IO::AIO::RENAME_NOREPLACE;
      step chmod        => \&IO::AIO::aio_chmod, [$wd, "g"], 0640;
      step utime        => \&IO::AIO::aio_utime, [$wd, "g"], 1, 2;
      step truncate     => \&IO::AIO::aio_truncate, [$wd, "g"], 1;
      step statvfs      => \&IO::AIO::aio_statvfs, [$wd, "g"];
      step statvfs_inv  => \&IO::AIO::aio_statvfs, [undef, "g"];
      step symlink      => \&IO::AIO::aio_symlink, "g", "$d/w/s";
      step readlink     => \&IO::AIO::aio_readlink, [$wd, "s"];
      step realpath_s   => \&IO::AIO::aio_realpath, [$wd, "s"];
      step unlink       => \&IO::AIO::aio_unlink, [$wd, "s"];
      my $fh2 = step open => \&IO::AIO::aio_open, [$wd, "g"], IO::AIO::O_RDONLY, 0;
      print "read: ", scalar readline ($fh2), "\n";
      step open_inv     => \&IO::AIO::aio_open, [undef, "g"], IO::AIO::O_RDONLY, 0;
      print "size: ", -s "$d/w/g", " mode: ", sprintf ("%o", (stat _)[2] & 07777), "\n";
      print "entries: ", join (" ", sort map { s{.*/}{}r } glob "$d/w/*"), "\n";
      for my $bad ([], [$wd], {}, ["x", "y"]) {
         eval { IO::AIO::aio_stat ($bad, sub { }) };
         print "croak: ", $@ =~ s/ at .*//sr, "\n";
      }
EOF

   my ($orig, $ours) = run_here_and_original ($script);

   note $orig if $ENV{AIOTEST_SHOW};
   is $ours, $orig, "the same results and errno values as the original"
      or diag "original:\n$orig\nours:\n$ours";
}

done_testing;

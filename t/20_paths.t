#!/usr/bin/perl

# The path and stat family: aio_statvfs, aio_utime, aio_chown, aio_chmod,
# aio_truncate, aio_mknod, aio_link, aio_symlink, aio_readlink,
# aio_realpath, aio_rename and aio_rename2, on success and on failure,
# plus a comparison with the original IO::AIO.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest qw(:DEFAULT spew slurp);
BEGIN { use_ours () }

use Test::More;
use Errno qw(ENOENT ENOTDIR EEXIST EXDEV EBADF EINVAL EISDIR ELOOP);
use Fcntl ();
use File::Temp ();
use Cwd ();
use Time::HiRes ();

my $tmp = Cwd::realpath (File::Temp::tempdir (CLEANUP => 1));

spew "$tmp/file", "0123456789";
mkdir "$tmp/dir" or die;

############################################################################
# aio_statvfs

{
   my ($r) = run_req (\&aio_statvfs, $tmp);
   is ref $r->[0], "HASH", "statvfs of a path passes a hash";
   is join (" ", sort keys %{ $r->[0] }),
      "bavail bfree blocks bsize favail ffree files flag frsize fsid namemax",
      "statvfs hash has the eleven fields";
   cmp_ok $r->[0]{namemax}, ">", 0, "statvfs namemax is positive";
   cmp_ok $r->[0]{bsize}, ">", 0, "statvfs bsize is positive";

   open my $fh, "<", "$tmp/file" or die;
   my ($f) = run_req (\&aio_statvfs, $fh);
   is ref $f->[0], "HASH", "statvfs of a filehandle passes a hash";
   is $f->[0]{fsid}, $r->[0]{fsid}, "same file system, same fsid";

   my ($e, $errno) = run_req (\&aio_statvfs, "$tmp/nope");
   is_deeply $e, [undef], "statvfs of a missing path passes undef";
   is $errno, ENOENT, "... with ENOENT";

   ($e, $errno) = run_req (\&aio_statvfs, "$tmp/file/x");
   is $errno, ENOTDIR, "statvfs below a file: ENOTDIR";

   close $fh;
   ($e, $errno) = run_req (\&aio_statvfs, $fh);
   is_deeply [$e, $errno], [[undef], EBADF], "statvfs of a closed filehandle: undef, EBADF";
}

############################################################################
# aio_utime

{
   my ($r) = run_req (\&aio_utime, "$tmp/file", 1000.5, 2000.25);
   is_deeply $r, [0], "utime with fractional times succeeds";
   my @st = Time::HiRes::stat ("$tmp/file");
   is $st[8], 1000.5,  "atime set with its fraction";
   is $st[9], 2000.25, "mtime set with its fraction";

   ($r) = run_req (\&aio_utime, "$tmp/file", undef, undef);
   @st = stat "$tmp/file";
   ok $r->[0] == 0 && $st[8] > 1e9 && $st[9] > 1e9, "utime undef, undef sets both to now";

   # only both undef (or both -1) mean "now"; a single undef is -1
   ($r) = run_req (\&aio_utime, "$tmp/file", 5000, undef);
   @st = stat "$tmp/file";
   is_deeply [$r->[0], $st[8], $st[9]], [0, 5000, -1], "utime 5000, undef sets mtime to -1 like the original";

   run_req (\&aio_utime, "$tmp/file", 7, 7);
   ($r) = run_req (\&aio_utime, "$tmp/file", -1, -1);
   @st = stat "$tmp/file";
   ok $st[8] > 1e9 && $st[9] > 1e9, "utime -1, -1 also means now";

   open my $fh, "<", "$tmp/file" or die;
   ($r) = run_req (\&aio_utime, $fh, 3000, 4000);
   @st = stat "$tmp/file";
   is_deeply [$r->[0], @st[8, 9]], [0, 3000, 4000], "utime on a filehandle";

   my ($e, $errno) = run_req (\&aio_utime, "$tmp/nope", 1, 1);
   is_deeply [$e, $errno], [[-1], ENOENT], "utime of a missing path: -1, ENOENT";

   ($e, $errno) = run_req (\&aio_utime, "$tmp/file", -1.5, 1);
   is_deeply [$e, $errno], [[-1], EINVAL], "utime with a negative fraction: EINVAL";
}

############################################################################
# aio_chown (tests run as root)

SKIP: {
   skip "chown needs root", 5 if $>;

   my ($r) = run_req (\&aio_chown, "$tmp/file", 12, 34);
   is_deeply [$r, (stat "$tmp/file")[4, 5]], [[0], 12, 34], "chown path";

   ($r) = run_req (\&aio_chown, "$tmp/file", undef, 56);
   is_deeply [(stat "$tmp/file")[4, 5]], [12, 56], "chown undef uid leaves it unchanged";

   ($r) = run_req (\&aio_chown, "$tmp/file", 78, -1);
   is_deeply [(stat "$tmp/file")[4, 5]], [78, 56], "chown -1 gid leaves it unchanged";

   open my $fh, "<", "$tmp/file" or die;
   ($r) = run_req (\&aio_chown, $fh, 0, 0);
   is_deeply [$r, (stat "$tmp/file")[4, 5]], [[0], 0, 0], "chown filehandle";

   my ($e, $errno) = run_req (\&aio_chown, "$tmp/nope", 1, 1);
   is_deeply [$e, $errno], [[-1], ENOENT], "chown of a missing path: -1, ENOENT";
}

############################################################################
# aio_chmod

{
   my ($r) = run_req (\&aio_chmod, "$tmp/file", 0604);
   is_deeply [$r, (stat "$tmp/file")[2] & 07777], [[0], 0604], "chmod path";

   open my $fh, "<", "$tmp/file" or die;
   ($r) = run_req (\&aio_chmod, $fh, 0640);
   is_deeply [$r, (stat "$tmp/file")[2] & 07777], [[0], 0640], "chmod filehandle";

   my ($e, $errno) = run_req (\&aio_chmod, "$tmp/file/x", 0644);
   is_deeply [$e, $errno], [[-1], ENOTDIR], "chmod below a file: -1, ENOTDIR";

   ($e, $errno) = run_req (\&aio_chmod, "$tmp/nope", 0644);
   is_deeply [$e, $errno], [[-1], ENOENT], "chmod of a missing path: -1, ENOENT";
}

############################################################################
# aio_truncate

{
   my ($r) = run_req (\&aio_truncate, "$tmp/file", 4);
   is_deeply [$r, -s "$tmp/file"], [[0], 4], "truncate path";

   open my $fh, "+<", "$tmp/file" or die;
   ($r) = run_req (\&aio_truncate, $fh, 7);
   is_deeply [$r, -s "$tmp/file"], [[0], 7], "truncate filehandle (extends)";

   my ($e, $errno) = run_req (\&aio_truncate, "$tmp/file", undef);
   is_deeply [$e, $errno], [[-1], EINVAL], "truncate to undef: -1, EINVAL";

   ($e, $errno) = run_req (\&aio_truncate, "$tmp/dir", 0);
   is_deeply [$e, $errno], [[-1], EISDIR], "truncate a directory: -1, EISDIR";

   ($e, $errno) = run_req (\&aio_truncate, "$tmp/nope", 0);
   is_deeply [$e, $errno], [[-1], ENOENT], "truncate a missing path: -1, ENOENT";

   open my $ro, "<", "$tmp/file" or die;
   ($e, $errno) = run_req (\&aio_truncate, $ro, 0);
   is_deeply [$e, $errno], [[-1], EINVAL], "truncate a read-only filehandle: -1, EINVAL";
}

############################################################################
# aio_mknod

{
   my ($r) = run_req (\&aio_mknod, "$tmp/fifo", IO::AIO::S_IFIFO () | 0600, 0);
   is_deeply $r, [0], "mknod a fifo";
   ok -p "$tmp/fifo", "... it is a fifo";

   my ($e, $errno) = run_req (\&aio_mknod, "$tmp/fifo", IO::AIO::S_IFIFO () | 0600, 0);
   is_deeply [$e, $errno], [[-1], EEXIST], "mknod again: -1, EEXIST";

   ($e, $errno) = run_req (\&aio_mknod, "$tmp/nope/fifo", IO::AIO::S_IFIFO () | 0600, 0);
   is_deeply [$e, $errno], [[-1], ENOENT], "mknod in a missing directory: -1, ENOENT";
}

############################################################################
# aio_link, aio_symlink, aio_readlink

{
   my ($r) = run_req (\&aio_link, "$tmp/file", "$tmp/hard");
   is_deeply [$r, (stat "$tmp/file")[3]], [[0], 2], "link: two names now";

   my ($e, $errno) = run_req (\&aio_link, "$tmp/file", "$tmp/hard");
   is_deeply [$e, $errno], [[-1], EEXIST], "link onto an existing name: -1, EEXIST";

   ($e, $errno) = run_req (\&aio_link, "$tmp/nope", "$tmp/hard2");
   is_deeply [$e, $errno], [[-1], ENOENT], "link a missing file: -1, ENOENT";

   SKIP: {
      my $other = -d "/dev/shm" && (stat "/dev/shm")[0] != (stat $tmp)[0] ? "/dev/shm" : undef;
      skip "no second file system at hand", 1 unless $other;

      ($e, $errno) = run_req (\&aio_link, "$tmp/file", "$other/aio-paths-$$");
      unlink "$other/aio-paths-$$";
      is_deeply [$e, $errno], [[-1], EXDEV], "link across file systems: -1, EXDEV";
   }

   ($r) = run_req (\&aio_symlink, "some/where", "$tmp/sym");
   is_deeply [$r, readlink "$tmp/sym"], [[0], "some/where"], "symlink stores the target verbatim";

   ($e, $errno) = run_req (\&aio_symlink, "x", "$tmp/sym");
   is_deeply [$e, $errno], [[-1], EEXIST], "symlink onto an existing name: -1, EEXIST";

   ($r) = run_req (\&aio_readlink, "$tmp/sym");
   is_deeply $r, ["some/where"], "readlink passes the target";

   ($e, $errno) = run_req (\&aio_readlink, "$tmp/nope");
   is_deeply [$e, $errno], [[], ENOENT], "readlink of a missing path passes nothing, ENOENT";

   ($e, $errno) = run_req (\&aio_readlink, "$tmp/file");
   is_deeply [$e, $errno], [[], EINVAL], "readlink of a file passes nothing, EINVAL";
}

############################################################################
# aio_realpath

{
   symlink "dir", "$tmp/reldir" or die;
   symlink "$tmp/dir/../file", "$tmp/absfile" or die;
   symlink "loop2", "$tmp/loop1" or die;
   symlink "loop1", "$tmp/loop2" or die;

   my ($r) = run_req (\&aio_realpath, "$tmp//dir/./../reldir/");
   is_deeply $r, ["$tmp/dir"], "realpath resolves ., .., // and relative symlinks";

   ($r) = run_req (\&aio_realpath, "$tmp/absfile");
   is_deeply $r, ["$tmp/file"], "realpath follows absolute symlinks";

   ($r) = run_req (\&aio_realpath, "/../..");
   is_deeply $r, ["/"], "realpath does not climb above /";

   {
      my $cwd = Cwd::getcwd ();
      chdir "$tmp/dir" or die;
      ($r) = run_req (\&aio_realpath, "../file");
      chdir $cwd or die;
   }
   is_deeply $r, ["$tmp/file"], "realpath of a relative path starts at the cwd";

   my ($e, $errno) = run_req (\&aio_realpath, "$tmp/nope/..");
   is_deeply [$e, $errno], [[], ENOENT], "realpath through a missing name passes nothing, ENOENT";

   ($e, $errno) = run_req (\&aio_realpath, "$tmp/file/x");
   is_deeply [$e, $errno], [[], ENOTDIR], "realpath below a file: nothing, ENOTDIR";

   ($e, $errno) = run_req (\&aio_realpath, "$tmp/loop1");
   is_deeply [$e, $errno], [[], ELOOP], "realpath of a symlink loop: nothing, ELOOP";

   ($e, $errno) = run_req (\&aio_realpath, "");
   is_deeply [$e, $errno], [[], ENOENT], "realpath of an empty path: nothing, ENOENT";
}

############################################################################
# aio_rename, aio_rename2

{
   spew "$tmp/a", "A";
   spew "$tmp/b", "B";

   my ($r) = run_req (\&aio_rename, "$tmp/a", "$tmp/c");
   ok $r->[0] == 0 && !-e "$tmp/a" && slurp ("$tmp/c") eq "A", "rename moves";

   my ($e, $errno) = run_req (\&aio_rename, "$tmp/a", "$tmp/d");
   is_deeply [$e, $errno], [[-1], ENOENT], "rename a missing file: -1, ENOENT";

   ($e, $errno) = run_req (\&aio_rename, "$tmp/c", "$tmp/file/x");
   is_deeply [$e, $errno], [[-1], ENOTDIR], "rename below a file: -1, ENOTDIR";

   ($e, $errno) = run_req (\&aio_rename2, "$tmp/c", "$tmp/b", IO::AIO::RENAME_NOREPLACE ());
   is_deeply [$e, $errno, slurp ("$tmp/b")], [[-1], EEXIST, "B"], "rename2 NOREPLACE onto an existing file: -1, EEXIST";

   ($r) = run_req (\&aio_rename2, "$tmp/c", "$tmp/b", IO::AIO::RENAME_EXCHANGE ());
   is_deeply [$r, slurp ("$tmp/b"), slurp ("$tmp/c")], [[0], "A", "B"], "rename2 EXCHANGE swaps";

   ($e, $errno) = run_req (\&aio_rename2, "$tmp/c", "$tmp/b", 0x4000);
   is_deeply [$e, $errno], [[-1], EINVAL], "rename2 with unknown flags: -1, EINVAL";

   ($r) = run_req (\&aio_rename2, "$tmp/c", "$tmp/b", 0);
   is_deeply [$r, slurp ("$tmp/b"), -e "$tmp/c"], [[0], "B", undef], "rename2 with flags 0 replaces";

   spew "$tmp/c", "C";
   aio_rename2 "$tmp/c", "$tmp/b";
   drain ();
   is_deeply [slurp ("$tmp/b"), -e "$tmp/c"], ["C", undef], "rename2 flags default to 0";
}

############################################################################
# the Perl side: prototypes, usage messages, request objects

{
   my %proto = (
      aio_statvfs => '$;$',   aio_utime => '$$$;$', aio_chown => '$$$;$',
      aio_chmod   => '$$;$',  aio_truncate => '$$;$', aio_mknod => '$$$;$',
      aio_link    => '$$;$',  aio_symlink => '$$;$', aio_rename => '$$;$',
      aio_rename2 => '$$;$$', aio_readlink => '$;$', aio_realpath => '$;$',
   );
   is prototype ("IO::AIO::$_"), $proto{$_}, "prototype of $_" for sort keys %proto;

   eval { &IO::AIO::aio_rename2 ("x") };
   like $@, qr/^Usage: IO::AIO::aio_rename2\(oldpath, newpath, flags= 0, callback= &PL_sv_undef\)/, "aio_rename2 usage";
   eval { &IO::AIO::aio_symlink ("x") };
   like $@, qr/^Usage: IO::AIO::aio_symlink\(oldpath, newpath, callback= &PL_sv_undef\)/, "aio_symlink usage names the alias";
   eval { &IO::AIO::aio_utime ("x") };
   like $@, qr/^Usage: IO::AIO::aio_utime\(fh_or_path, atime, mtime, callback= &PL_sv_undef\)/, "aio_utime usage";

   my $req = aio_realpath "/", sub { };
   isa_ok $req, "IO::AIO::REQ", "aio_realpath in scalar context";
   drain ();

   eval { aio_chmod {}, 0644, sub { } };
   like $@, qr/^IO::AIO: pathname arguments must be specified as a string/, "a hash ref is no pathname";
}

############################################################################
# the same steps under the original IO::AIO and ours

SKIP: {
   skip "the original IO::AIO is not installed", 1 unless defined original_version ();

   my $script = <<'EOF';
      use Errno ();
      my $d = $ARGV[0];
      sub step {
         my ($name, $submit, @args) = @_;
         my ($got, $errno);
         $submit->(@args, sub { $got = [@_]; $errno = $! + 0 });
         IO::AIO::flush ();
         my @show = map { !defined ? "undef" : ref eq "HASH" ? "hash(" . join (",", sort keys %$_) . ")" : $_ } @$got;
         my $fail = !@show || $show[0] eq "undef" || $show[0] eq "-1";
         print "$name: [@show]", ($fail ? " $errno" : ""), "\n";
      }
      open my $fh, ">", "$d/f" or die;
      print $fh "hello";
      step statvfs      => \&IO::AIO::aio_statvfs, "$d/f";
      step statvfs_fh   => \&IO::AIO::aio_statvfs, $fh;
      step statvfs_miss => \&IO::AIO::aio_statvfs, "$d/nope";
      step utime        => \&IO::AIO::aio_utime, "$d/f", 100.5, undef;
      print "times: ", join (" ", (stat "$d/f")[8, 9]), "\n";
      step utime_bad    => \&IO::AIO::aio_utime, "$d/f", -0.5, 0;
      step chown        => \&IO::AIO::aio_chown, "$d/f", 3, undef;
      step chown_fh     => \&IO::AIO::aio_chown, $fh, undef, 4;
      print "owner: ", join (" ", (stat "$d/f")[4, 5]), "\n";
      step chmod        => \&IO::AIO::aio_chmod, $fh, 0612;
      printf "mode: %o\n", (stat "$d/f")[2];
      step truncate     => \&IO::AIO::aio_truncate, "$d/f", 2;
      step truncate_fh  => \&IO::AIO::aio_truncate, $fh, undef;
      step truncate_dir => \&IO::AIO::aio_truncate, $d, 0;
      print "size: ", -s "$d/f", "\n";
      step mknod        => \&IO::AIO::aio_mknod, "$d/p", IO::AIO::S_IFIFO () | 0644, 0;
      step mknod_again  => \&IO::AIO::aio_mknod, "$d/p", IO::AIO::S_IFIFO () | 0644, 0;
      step truncate_fifo => \&IO::AIO::aio_truncate, "$d/p", 0;
      step link         => \&IO::AIO::aio_link, "$d/f", "$d/g";
      step link_again   => \&IO::AIO::aio_link, "$d/f", "$d/g";
      step symlink      => \&IO::AIO::aio_symlink, "f", "$d/s";
      step symlink_dir  => \&IO::AIO::aio_symlink, "..", "$d/up";
      step readlink     => \&IO::AIO::aio_readlink, "$d/s";
      step readlink_f   => \&IO::AIO::aio_readlink, "$d/f";
      step readlink_miss => \&IO::AIO::aio_readlink, "$d/nope";
      step realpath     => \&IO::AIO::aio_realpath, "$d/up/" . (split m{/}, $d)[-1] . "/./s";
      step realpath_miss => \&IO::AIO::aio_realpath, "$d/nope/..";
      step realpath_file => \&IO::AIO::aio_realpath, "$d/f/";
      step rename       => \&IO::AIO::aio_rename, "$d/g", "$d/h";
      step rename_miss  => \&IO::AIO::aio_rename, "$d/g", "$d/h";
      step rename2_nr   => \&IO::AIO::aio_rename2, "$d/h", "$d/f", IO::AIO::RENAME_NOREPLACE ();
      step rename2_x    => \&IO::AIO::aio_rename2, "$d/h", "$d/s", IO::AIO::RENAME_EXCHANGE ();
      step rename2_bad  => \&IO::AIO::aio_rename2, "$d/h", "$d/s", 0x4000;
      print "entries: ", join (" ", sort map { s{.*/}{}r } glob "$d/*"), "\n";
EOF

   my ($orig, $ours) = run_here_and_original ($script);

   note $orig if $ENV{AIOTEST_SHOW};
   is $ours, $orig, "the same results and errno values as the original"
      or diag "original:\n$orig\nours:\n$ours";
}

done_testing;

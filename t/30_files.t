#!/usr/bin/perl
# Descriptor requests: aio_sendfile, aio_readahead, aio_allocate,
# aio_fiemap, aio_fcntl/aio_ioctl, the fsync family, aio_sync_file_range
# and aio_slurp.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Errno qw(EBADF EINVAL ENOENT ESPIPE EOPNOTSUPP ENOTTY);
use Fcntl qw(O_ACCMODE O_RDONLY O_WRONLY F_GETFL F_GETFD F_SETFD FD_CLOEXEC);
use File::Temp qw(tempdir);
use Test::More;

my $dir = tempdir (CLEANUP => 1);
my $data = join "", map { chr ($_ % 251) } 0 .. 300_000;
my $src = "$dir/src";

sub spew {
   my ($path, $bytes) = @_;
   open my $fh, ">", $path or die "$path: $!";
   binmode $fh;
   print $fh $bytes;
   close $fh or die "$path: $!";
}

sub slurp_file {
   my ($path) = @_;
   open my $fh, "<", $path or die "$path: $!";
   binmode $fh;
   local $/;
   scalar <$fh>
}

spew ($src, $data);
open my $in, "<", $src or die;
binmode $in;

my $BADFD = 999; # a descriptor number nothing has open
open my $probe, "<&=", $BADFD and die "descriptor $BADFD is open";

pipe my $pr, my $pw or die;

# ---- aio_sendfile --------------------------------------------------------

{
   open my $out, ">", "$dir/sf1" or die;
   my ($r) = run_req (sub { aio_sendfile $out, $in, 1000, 200_000, $_[0] });
   is $r->[0], 200_000, "aio_sendfile file to file: byte count";
   close $out;
   ok slurp_file ("$dir/sf1") eq substr ($data, 1000, 200_000), "aio_sendfile file to file: contents";
   is 0 + sysseek ($in, 0, 1), 0, "aio_sendfile leaves the input's file offset alone";
}

{
   # Linux sendfile refuses O_APPEND outputs (EINVAL): the emulation runs
   open my $out, ">>", "$dir/sf2" or die;
   my ($r) = run_req (sub { aio_sendfile $out, $in, 7, 150_000, $_[0] });
   is $r->[0], 150_000, "aio_sendfile emulated (O_APPEND output): byte count";
   close $out;
   ok slurp_file ("$dir/sf2") eq substr ($data, 7, 150_000), "aio_sendfile emulated: contents";
}

{
   open my $out, ">", "$dir/sf3" or die;
   my ($r) = run_req (sub { aio_sendfile $out, $in, length ($data) - 10, 100, $_[0] });
   is $r->[0], 10, "aio_sendfile stops at end of file";
   ($r) = run_req (sub { aio_sendfile $out, $in, 0, 0, $_[0] });
   is $r->[0], 0, "aio_sendfile of 0 bytes";
   my $err;
   ($r, $err) = run_req (sub { aio_sendfile $out, $BADFD, 0, 10, $_[0] });
   is $r->[0], -1, "aio_sendfile from a closed descriptor fails";
   is $err, EBADF, "... with EBADF";
}

ok !eval { no warnings; aio_sendfile undef, $in, 0, 1; 1 }, "aio_sendfile croaks on a bad filehandle";
like $@, qr/illegal fh argument/, "... with IO::AIO's message";

# ---- aio_readahead -------------------------------------------------------

{
   my ($r) = run_req (sub { aio_readahead $in, 0, 65536, $_[0] });
   is $r->[0], 0, "aio_readahead";
   my $err;
   ($r, $err) = run_req (sub { aio_readahead $BADFD, 0, 4096, $_[0] });
   is_deeply [$r->[0], $err], [-1, EBADF], "aio_readahead on a closed descriptor: EBADF";
   ($r, $err) = run_req (sub { aio_readahead $pr, 0, 4096, $_[0] });
   is_deeply [$r->[0], $err], [-1, EINVAL], "aio_readahead on a pipe: EINVAL";
}

# ---- aio_allocate --------------------------------------------------------

{
   open my $fh, "+>", "$dir/alloc" or die;
   my ($r, $err) = run_req (sub { aio_allocate $fh, 0, 0, 12345, $_[0] });
 SKIP: {
      skip "fallocate not supported here: $!", 3 if $r->[0] < 0 && $err == EOPNOTSUPP;
      is $r->[0], 0, "aio_allocate";
      is -s $fh, 12345, "aio_allocate extends the file";
      ($r) = run_req (sub { aio_allocate $fh, IO::AIO::FALLOC_FL_KEEP_SIZE, 0, 99999, $_[0] });
      is -s $fh, 12345, "aio_allocate with FALLOC_FL_KEEP_SIZE keeps the size";
   }
   ($r, $err) = run_req (sub { aio_allocate $pw, 0, 0, 10, $_[0] });
   is_deeply [$r->[0], $err], [-1, ESPIPE], "aio_allocate on a pipe: ESPIPE";
}

# ---- aio_fiemap ----------------------------------------------------------

{
   my ($r, $err) = run_req (sub { aio_fiemap $in, 0, undef, IO::AIO::FIEMAP_FLAG_SYNC, undef, $_[0] });
 SKIP: {
      skip "FIEMAP not supported here: $!", 5 unless ref $r->[0];
      my @ext = @{ $r->[0] };
      ok scalar @ext, "aio_fiemap returns extents";
      is scalar (grep { ref eq "ARRAY" && @$_ == 4 } @ext), scalar @ext, "... each [logical, physical, length, flags]";
      ok $ext[-1][3] & IO::AIO::FIEMAP_EXTENT_LAST, "... the last one flagged FIEMAP_EXTENT_LAST";
      my $covered = $ext[-1][0] + $ext[-1][2];
      cmp_ok $covered, ">=", length $data, "... covering the file";

      ($r) = run_req (sub { aio_fiemap $in, 0, undef, 0, 0, $_[0] });
      ok !ref $r->[0] && $r->[0] >= 1, "aio_fiemap with count 0 passes the number of extents ($r->[0])";
   }

   ($r, $err) = run_req (sub { aio_fiemap $pr, 0, 100, 0, undef, $_[0] });
   is scalar @$r, 0, "aio_fiemap failing passes no arguments";
   ok $err, "... and sets \$! ($!)";
}

# ---- aio_fcntl / aio_ioctl -----------------------------------------------

{
   my ($r) = run_req (sub { aio_fcntl $in, F_GETFL, 0, $_[0] });
   is $r->[0] & O_ACCMODE, O_RDONLY, "aio_fcntl F_GETFL";
   ($r) = run_req (sub { aio_fcntl $pw, F_GETFL, 0, $_[0] });
   is $r->[0] & O_ACCMODE, O_WRONLY, "aio_fcntl F_GETFL of a pipe's write end";
   ($r) = run_req (sub { aio_fcntl $in, F_SETFD, FD_CLOEXEC, $_[0] });
   is $r->[0], 0, "aio_fcntl F_SETFD";
   ($r) = run_req (sub { aio_fcntl $in, F_GETFD, 0, $_[0] });
   is $r->[0] & FD_CLOEXEC, FD_CLOEXEC, "... took effect";

   my $err;
   ($r, $err) = run_req (sub { aio_fcntl $BADFD, F_GETFL, 0, $_[0] });
   is_deeply [$r->[0], $err], [-1, EBADF], "aio_fcntl on a closed descriptor: EBADF";

   # FIONREAD writes an int into the buffer
   syswrite $pw, "hello";
   my $buf = "\0" x 4;
   ($r) = run_req (sub { aio_ioctl $pr, 0x541B, $buf, $_[0] });
   is $r->[0], 0, "aio_ioctl FIONREAD";
   is length $buf, 4, "... keeps the buffer's length";
   is unpack ("L", $buf), 5, "... and the kernel wrote into the buffer";
   sysread $pr, my $drop, 5;

   my $undef;
   ($r, $err) = run_req (sub { aio_ioctl $in, 0x541B, $undef, $_[0] });
   ok defined $r, "aio_ioctl with an undef buffer does not crash";
   my $short = "";
   ($r, $err) = run_req (sub { aio_ioctl $in, 0x5401, $short, $_[0] }); # TCGETS
   is_deeply [$r->[0], $err], [-1, ENOTTY], "aio_ioctl TCGETS on a file: ENOTTY";

   ok !eval { aio_ioctl $in, 0x541B, "constant", sub { }; 1 }, "aio_ioctl croaks on a read-only buffer";
   like $@, qr/read-only/, "... as Perl does";
}

# ---- fsync family --------------------------------------------------------

{
   open my $fh, ">", "$dir/sync" or die;
   syswrite $fh, "data";
   for my $name (qw(aio_fsync aio_fdatasync aio_syncfs)) {
      no strict "refs";
      my ($r) = run_req (sub { &$name ($fh, $_[0]) });
      is $r->[0], 0, $name;
      my ($bad, $err) = run_req (sub { &$name ($BADFD, $_[0]) });
      is_deeply [$bad->[0], $err], [-1, EBADF], "$name on a closed descriptor: EBADF";
   }
   my ($r, $err) = run_req (sub { aio_fsync $pr, $_[0] });
   is_deeply [$r->[0], $err], [-1, EINVAL], "aio_fsync on a pipe: EINVAL";

   ($r) = run_req (sub { aio_sync_file_range $fh, 0, 4, IO::AIO::SYNC_FILE_RANGE_WRITE | IO::AIO::SYNC_FILE_RANGE_WAIT_AFTER, $_[0] });
   is $r->[0], 0, "aio_sync_file_range";
   ($r, $err) = run_req (sub { aio_sync_file_range $pr, 0, 4, 0, $_[0] });
   is_deeply [$r->[0], $err], [-1, ESPIPE], "aio_sync_file_range on a pipe: ESPIPE";
}

# ---- aio_slurp -----------------------------------------------------------

{
   my $d;
   my ($r) = run_req (sub { aio_slurp $src, 0, 0, $d, $_[0] });
   is $r->[0], length $data, "aio_slurp of a whole file: result";
   ok $d eq $data, "... data";
   $d .= "more";
   is length $d, length ($data) + 4, "... and the scalar is an ordinary string";

   my $part = "previous contents";
   ($r) = run_req (sub { aio_slurp $src, -100, 0, $part, $_[0] });
   is $r->[0], 100, "aio_slurp with a negative offset";
   ok $part eq substr ($data, -100), "... reads the tail";

   ($r) = run_req (sub { aio_slurp $src, 10, 20, $part, $_[0] });
   is $r->[0], 20, "aio_slurp with a length";
   ok $part eq substr ($data, 10, 20), "... reads that range";

   ($r) = run_req (sub { aio_slurp $src, length ($data) - 5, 20, $part, $_[0] });
   is_deeply [$r->[0], $part], [5, substr ($data, -5)], "aio_slurp past the end reads what is there";

   my $keep = "untouched";
   my $err;
   ($r, $err) = run_req (sub { aio_slurp "$dir/missing", 0, 0, $keep, $_[0] });
   is_deeply [$r->[0], $err], [-1, ENOENT], "aio_slurp of a missing file: ENOENT";
   is $keep, "untouched", "... leaves the scalar alone";

   ok !eval { aio_slurp $src, 0, 0, "constant", sub { }; 1 }, "aio_slurp croaks on a read-only scalar";
}

# ---- against the original ------------------------------------------------

SKIP: {
   my $prog = sub {
      my ($path) = @_;
      <<EOF;
my \$src = "$path";
open my \$in, "<", \$src or die;
open my \$out, ">", "\$src.copy" or die;
my \@r;
aio_sendfile \$out, \$in, 5, 1000, sub { push \@r, "sendfile \@_" };
IO::AIO::flush;
my (\$d, \$e);
aio_slurp \$src, -50, 0, \$d, sub { push \@r, "slurp \@_ " . length \$d };
aio_readahead \$in, 0, 100, sub { push \@r, "readahead \@_" };
aio_fsync \$out, sub { push \@r, "fsync \@_" };
aio_fcntl \$in, 3, 0, sub { push \@r, "fcntl " . (\$_[0] & 3) };
aio_slurp "\$src.none", 0, 0, \$e, sub { push \@r, "missing \@_ " . (\$!+0) };
IO::AIO::flush;
print "\$_\\n" for sort \@r;
EOF
   };
   my $orig = run_original ($prog->($src));
   skip "the original IO::AIO is not installed", 1 unless defined $orig;

   my @ours;
   {
      open my $in2, "<", $src or die;
      open my $out2, ">", "$src.copy" or die;
      aio_sendfile $out2, $in2, 5, 1000, sub { push @ours, "sendfile @_" };
      drain ();
      my ($d, $e);
      aio_slurp $src, -50, 0, $d, sub { push @ours, "slurp @_ " . length $d };
      aio_readahead $in2, 0, 100, sub { push @ours, "readahead @_" };
      aio_fsync $out2, sub { push @ours, "fsync @_" };
      aio_fcntl $in2, 3, 0, sub { push @ours, "fcntl " . ($_[0] & 3) };
      aio_slurp "$src.none", 0, 0, $e, sub { push @ours, "missing @_ " . ($!+0) };
      drain ();
   }
   is join ("", map "$_\n", sort @ours), $orig, "same results as the original";
}

done_testing;

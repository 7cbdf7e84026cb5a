#!/usr/bin/perl
# Memory requests (aio_msync, aio_mtouch, aio_mlock, aio_mlockall) on
# scalars mapped by IO::AIO::mmap, and the life of such a mapping.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use AIOTest;
BEGIN { use_ours () }

use Errno qw(EINVAL ENOMEM);
use File::Temp qw(tempdir);
use Test::More;

my $dir = tempdir (CLEANUP => 1);
my $path = "$dir/map";
my $size = 3 * IO::AIO::PAGESIZE + 100;

{
   open my $fh, ">", $path or die;
   print $fh "." x $size;
}
open my $fh, "+<", $path or die;

# how many mappings of our file the process has
sub mappings {
   open my $maps, "<", "/proc/self/maps" or return -1;
   scalar grep /\Q$path\E$/, <$maps>
}

my $RW = IO::AIO::PROT_READ | IO::AIO::PROT_WRITE;

my $m;
ok IO::AIO::mmap ($m, $size, $RW, IO::AIO::MAP_SHARED, $fh), "mmap a file";
is length $m, $size, "the scalar spans the mapping";
substr ($m, 0, 5) = "hello";

{
   my ($r) = run_req (sub { aio_msync $m, 0, undef, IO::AIO::MS_SYNC, $_[0] });
   is $r->[0], 0, "aio_msync of the whole mapping";
   open my $check, "<", $path or die;
   read $check, my $head, 5;
   is $head, "hello", "... the file has the change";

   ($r) = run_req (sub { aio_msync $m, 10, 10, IO::AIO::MS_ASYNC, $_[0] });
   is $r->[0], 0, "aio_msync of a range, MS_ASYNC";

   my $err;
   ($r, $err) = run_req (sub { aio_msync $m, 0, undef, IO::AIO::MS_SYNC | IO::AIO::MS_ASYNC, $_[0] });
   is_deeply [$r->[0], $err], [-1, EINVAL], "aio_msync with MS_SYNC|MS_ASYNC: EINVAL";

   ($r) = run_req (sub { aio_mtouch $m, 0, undef, 0, $_[0] });
   is $r->[0], 0, "aio_mtouch reads the pages";
   ($r) = run_req (sub { aio_mtouch $m, -200, undef, IO::AIO::MT_MODIFY, $_[0] });
   is $r->[0], 0, "aio_mtouch MT_MODIFY of the tail";
   is substr ($m, 0, 5), "hello", "... and changes nothing";

   ($r, $err) = run_req (sub { aio_mlock $m, 0, 4096, $_[0] });
 SKIP: {
      skip "mlock refused: $!", 2 if $r->[0] < 0;
      is $r->[0], 0, "aio_mlock";
      is IO::AIO::munlock ($m, 0, 4096), 0, "munlock";
   }

   ($r, $err) = run_req (sub { aio_mlockall 0, $_[0] });
   is_deeply [$r->[0], $err], [-1, EINVAL], "aio_mlockall 0: EINVAL";
   ($r, $err) = run_req (sub { aio_mlockall IO::AIO::MCL_FUTURE, $_[0] });
 SKIP: {
      skip "mlockall refused: $!", 1 if $r->[0] < 0;
      is $r->[0], 0, "aio_mlockall MCL_FUTURE";
   }
   is IO::AIO::munlockall (), 0, "munlockall";

   ok !eval { aio_msync $m, $size + 1, undef, sub { }; 1 }, "an offset past the end croaks";
   like $@, qr/offset outside of scalar/, "... with IO::AIO's message";
   ok !eval { aio_mlock $m, -$size - 1; 1 }, "... so does a negative one before the start";
}

# while a request uses the mapping, it stays
{
   my $done;
   aio_mtouch $m, 0, undef, 0, sub { $done = 1 };
   ok !eval { IO::AIO::munmap ($m); 1 }, "munmap of a mapping in use croaks";
   like $@, qr/in use/, "... saying so";
   ok !eval { IO::AIO::mremap ($m, 2 * $size); 1 }, "so does mremap";
   drain ();
   ok $done, "the request finished";
}

# mremap, mapping lifetime
{
   my $res = IO::AIO::mremap ($m, IO::AIO::PAGESIZE);
   ok $res, "mremap to a smaller size";
   is $res, "0 but true", "... in place";
   is length $m, IO::AIO::PAGESIZE, "... the scalar shrank";
   is mappings (), 1, "one mapping";

   IO::AIO::munmap ($m);
   ok !defined $m, "munmap makes the scalar undef";
   is mappings (), 0, "... and removes the mapping";

   IO::AIO::mmap ($m, $size, $RW, IO::AIO::MAP_SHARED, $fh);
   $m = "something else";
   is mappings (), 0, "assigning to the scalar unmaps";
   is $m, "something else", "... and the scalar holds the new value";

   {
      my $scoped;
      IO::AIO::mmap ($scoped, $size, IO::AIO::PROT_READ, IO::AIO::MAP_SHARED, $fh);
      is mappings (), 1, "a scoped mapping";
      ok !eval { substr ($scoped, 0, 1) = "x"; 1 }, "a PROT_READ mapping is read-only";
      ok !eval { aio_mtouch $scoped, 0, undef, IO::AIO::MT_MODIFY, sub { }; 1 }, "aio_mtouch MT_MODIFY of it croaks";
   }
   is mappings (), 0, "freeing the scalar unmaps";

   # reassigned while a request uses it: unmapped when the request is done
   IO::AIO::mmap ($m, $size, $RW, IO::AIO::MAP_SHARED, $fh);
   aio_mtouch $m, 0, undef, 0, sub { };
   $m = "moved";
   drain ();
   is mappings (), 0, "reassigned while in use: unmapped after the request";
}

# errors of the helpers
{
   my $plain = "not mapped";
   ok !eval { IO::AIO::mremap ($plain, 100); 1 }, "mremap of an unmapped scalar croaks";
   like $@, qr/not mapped by IO::AIO::mmap/, "... with IO::AIO's message";
   ok !eval { &IO::AIO::madvise ($plain, 0); 1 }, "madvise without advice croaks";
   like $@, qr/^Usage: IO::AIO::madvise/, "... with a usage message";

   my $u;
   ok !IO::AIO::mmap ($u, 0, IO::AIO::PROT_READ, IO::AIO::MAP_SHARED, $fh), "mmap of 0 bytes fails";
   is $! + 0, EINVAL, "... with EINVAL";
   ok !defined $u, "... leaving the scalar alone";

   ok IO::AIO::mmap ($u, 4096, $RW, IO::AIO::MAP_PRIVATE | IO::AIO::MAP_ANONYMOUS), "anonymous mmap";
   is IO::AIO::madvise ($u, 0, undef, IO::AIO::MADV_DONTNEED), 0, "madvise";
   is IO::AIO::mprotect ($u, 0, undef, IO::AIO::PROT_READ), 0, "mprotect";
   is IO::AIO::madvise ($u, 0, undef, 12345), EINVAL, "madvise with bad advice returns EINVAL";
   is IO::AIO::mprotect ($u, 0, undef, -1), -1, "mprotect with bad flags fails";
   is $! + 0, EINVAL, "... with EINVAL";
}

# against the original
SKIP: {
   my $orig = run_original (<<EOF);
open my \$fh, "+<", "$path" or die;
IO::AIO::mmap my \$m, 4096, IO::AIO::PROT_READ | IO::AIO::PROT_WRITE, IO::AIO::MAP_SHARED, \$fh or die;
my \@r;
aio_msync \$m, 0, undef, IO::AIO::MS_SYNC, sub { push \@r, "msync \@_" };
aio_mtouch \$m, 0, 100, 0, sub { push \@r, "mtouch \@_" };
aio_mlockall 0, sub { push \@r, "mlockall \@_ " . (\$!+0) };
IO::AIO::flush;
push \@r, "mremap " . IO::AIO::mremap (\$m, 8192);
push \@r, "length " . length \$m;
print "\$_\\n" for sort \@r;
EOF
   skip "the original IO::AIO is not installed", 1 unless defined $orig;

   my @r;
   IO::AIO::mmap my $mm, 4096, $RW, IO::AIO::MAP_SHARED, $fh or die;
   aio_msync $mm, 0, undef, IO::AIO::MS_SYNC, sub { push @r, "msync @_" };
   aio_mtouch $mm, 0, 100, 0, sub { push @r, "mtouch @_" };
   aio_mlockall 0, sub { push @r, "mlockall @_ " . ($!+0) };
   drain ();
   push @r, "mremap " . IO::AIO::mremap ($mm, 8192);
   push @r, "length " . length $mm;
   is join ("", map "$_\n", sort @r), $orig, "same results as the original";
}

done_testing;

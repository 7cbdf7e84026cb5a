# The first requests: results, callback arguments and $! on success and
# failure.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Errno qw(ENOENT EEXIST ENOTEMPTY ENOTDIR EBADF EISDIR);
use Fcntl qw(O_RDONLY O_WRONLY O_RDWR O_CREAT O_EXCL);
use File::Temp ();
use AIOTest;

BEGIN { use_ours () }

my $dir = File::Temp::tempdir (CLEANUP => 1);

# runs one request and returns its callback arguments, with $! in "errno"
sub run1 (&) {
   my ($submit) = @_;
   my (@args, $errno, $called);
   $submit->(sub { @args = @_; $errno = $! + 0; $called++ });
   drain ();
   is $called, 1, "callback called exactly once";
   (\@args, $errno)
}

subtest "aio_nop and aio_busy: no arguments, \$! = 0" => sub {
   $! = 7;
   my ($args, $errno) = run1 { aio_nop $_[0] };
   is_deeply $args, [], "aio_nop passes nothing";
   is $errno, 0, "\$! is 0 in a successful callback";
   ($args) = run1 { IO::AIO::aio_busy 0.01, $_[0] };
   is_deeply $args, [], "aio_busy passes nothing";
};

subtest "aio_open modes and errors" => sub {
   my $file = "$dir/open";
   my ($args, $errno) = run1 { aio_open $file, O_RDWR | O_CREAT | O_EXCL, 0640, $_[0] };
   my $fh = $args->[0];
   ok $fh && defined fileno $fh, "a real filehandle";
   ok syswrite ($fh, "hello"), "writable (+< mode)";
   sysseek $fh, 0, 0;
   sysread $fh, my $buf, 10;
   is $buf, "hello", "readable";
   is +(stat $file)[2] & 07777, 0640 & ~umask, "mode honoured";

   ($args) = run1 { aio_open $file, O_RDONLY, 0, $_[0] };
   ok !do { no warnings "io"; defined syswrite ($args->[0], "x") }, "O_RDONLY handle is not writable";

   ($args, $errno) = run1 { aio_open $file, O_RDWR | O_CREAT | O_EXCL, 0600, $_[0] };
   is_deeply $args, [undef], "failure passes undef";
   is $errno, EEXIST, "EEXIST";
   ($args, $errno) = run1 { aio_open "$dir/missing/x", O_RDONLY, 0, $_[0] };
   is $errno, ENOENT, "ENOENT";
   ($args, $errno) = run1 { aio_open "$dir/a\0b", O_RDONLY, 0, $_[0] };
   is $errno, ENOENT, "a NUL byte in a path is ENOENT, as perl's open";
};

subtest "aio_read / aio_write buffer rules" => sub {
   my $file = "$dir/rw";
   open my $out, ">", $file or die; print $out "0123456789"; close $out;
   open my $fh, "+<", $file or die;

   my $buf = "abc";
   my ($args) = run1 { aio_read $fh, 2, 4, $buf, 1, $_[0] };
   is_deeply $args, [4], "read returns the byte count";
   is $buf, "a2345", "data placed at dataoffset, scalar cut after it";

   $buf = "XYZ";
   ($args) = run1 { aio_read $fh, 8, 100, $buf, -1, $_[0] };
   is $args->[0], 2, "short read at EOF";
   is $buf, "XY89", "negative dataoffset counts from the end";

   sysseek $fh, 5, 0;
   $buf = "";
   ($args) = run1 { aio_read $fh, undef, 3, $buf, 0, $_[0] };
   is $buf, "567", "undef offset reads at the current position";

   ($args) = run1 { aio_write $fh, 0, undef, "abcdef", 2, $_[0] };
   is $args->[0], 4, "undef length writes the rest of the scalar";
   ($args) = run1 { aio_write $fh, 10, 100, "Q", 0, $_[0] };
   is $args->[0], 1, "length is clipped to the scalar";
   open my $in, "<", $file or die; is scalar <$in>, "cdef456789Q", "file content";

   my ($x, $errno);
   ($args, $errno) = run1 { aio_read 999, 0, 1, $x, 0, $_[0] };
   is_deeply [$args->[0], $errno], [-1, EBADF], "EBADF on a bad descriptor number";

   eval { aio_read $fh, 0, 1, "literal", 0, sub {} };
   like $@, qr/^Modification of a read-only value attempted/, "read into a literal croaks";
   my $ro = "const"; Internals::SvREADONLY ($ro, 1);
   eval { aio_read $fh, 0, 1, $ro, 0, sub {} };
   like $@, qr/read-only/, "read into a read-only scalar croaks";
   eval { aio_read $fh, 0, 1, $buf, 100, sub {} };
   like $@, qr/^dataoffset outside of data scalar/, "dataoffset beyond the scalar croaks";
   my $wide = "\x{263a}";
   eval { aio_write $fh, 0, 1, $wide, 0, sub {} };
   like $@, qr/byte\/octet-encoded|Wide character/, "wide characters croak";
   # (warns "uninitialized" first, as the original does)
   eval { no warnings "uninitialized"; aio_read undef, 0, 1, $buf, 0, sub {} };
   like $@, qr/illegal fh argument/, "a non-handle croaks";
   eval { aio_read $fh, 0, 1, $buf, 0, "not code" };
   like $@, qr/callback must be a CODE reference/, "a non-code callback croaks";
   is IO::AIO::nreqs (), 0, "croaking calls leave no request behind";

   my $pinned = "";
   aio_read $fh, 0, 4, $pinned, 0, sub {};
   ok Internals::SvREADONLY ($pinned), "the buffer is read-only while in flight";
   drain ();
   ok !Internals::SvREADONLY ($pinned), "and writable again afterwards";
   is $pinned, "cdef", "with the data read";
};

subtest "aio_stat / aio_lstat fill the stat cache" => sub {
   my $file = "$dir/st";
   open my $out, ">", $file or die; print $out "x" x 1234; close $out;
   symlink $file, "$dir/link" or die;

   my ($args) = run1 { my $cb = $_[0]; aio_stat "$dir/link", sub { $cb->(@_, -s _, -f _ ? 1 : 0, eval { lstat _; 1 } ? 1 : 0) } };
   is_deeply $args, [0, 1234, 1, 0], "stat follows links, -s _ works, lstat _ dies after stat";
   ($args) = run1 { my $cb = $_[0]; aio_lstat "$dir/link", sub { $cb->(@_, -l _ ? 1 : 0) } };
   is_deeply $args, [0, 1], "lstat sees the link";
   open my $fh, "<", $file or die;
   ($args) = run1 { my $cb = $_[0]; aio_stat $fh, sub { $cb->(@_, (stat _)[1]) } };
   is_deeply $args, [0, (stat $file)[1]], "stat of a filehandle";
   my $errno;
   ($args, $errno) = run1 { my $cb = $_[0]; aio_stat "$dir/nope", sub { my $e = $!; $cb->(@_, defined -s _ ? 1 : 0, $! = $e) } };
   is_deeply [@$args[0, 1], $errno], [-1, 0, ENOENT], "failure: -1, ENOENT and an empty stat cache";
};

subtest "aio_mkdir, aio_rmdir, aio_unlink, aio_readdir, aio_readdirx" => sub {
   my ($args, $errno) = run1 { aio_mkdir "$dir/d", 0755, $_[0] };
   is_deeply [$args->[0], $errno], [0, 0], "mkdir";
   ($args, $errno) = run1 { aio_mkdir "$dir/d", 0755, $_[0] };
   is_deeply [$args->[0], $errno], [-1, EEXIST], "EEXIST";
   for my $name (qw(a b c)) { open my $f, ">", "$dir/d/$name" or die }
   mkdir "$dir/d/sub";

   ($args) = run1 { aio_readdir "$dir/d", $_[0] };
   is_deeply [sort @{ $args->[0] }], [qw(a b c sub)], "readdir names, without . and ..";
   ($args) = run1 { aio_readdirx "$dir/d", IO::AIO::READDIR_DENTS | IO::AIO::READDIR_DIRS_FIRST, $_[0] };
   is $args->[0][0][0], "sub", "dirs first";
   is $args->[0][0][1], IO::AIO::DT_DIR, "with its type";
   is $args->[0][0][2], (stat "$dir/d/sub")[1], "and inode";
   ok !eval { $args->[0][0][1] = 0; 1 }, "the type is a shared read-only value, as in IO::AIO";
   is scalar(grep { $_->[1] == IO::AIO::DT_REG } @{ $args->[0] }), 3, "types of the other entries";
   ok $args->[1] & IO::AIO::READDIR_DENTS, "flags come back";
   ($args, $errno) = run1 { aio_readdirx "$dir/nope", 0, $_[0] };
   is_deeply [@$args, $errno], [undef, IO::AIO::READDIR_DENTS, ENOENT], "failure: (undef, flags)";
   ($args, $errno) = run1 { aio_readdir "$dir/d/a", $_[0] };
   is_deeply [@$args, $errno], [undef, ENOTDIR], "readdir of a file: ENOTDIR";

   ($args, $errno) = run1 { aio_rmdir "$dir/d", $_[0] };
   is_deeply [$args->[0], $errno], [-1, ENOTEMPTY], "ENOTEMPTY";
   ($args, $errno) = run1 { aio_unlink "$dir/d/sub", $_[0] };
   is_deeply [$args->[0], $errno], [-1, EISDIR], "unlink of a dir: EISDIR";
   for my $name (qw(a b c)) {
      run1 { aio_unlink "$dir/d/$name", $_[0] };
   }
   run1 { aio_rmdir "$dir/d/sub", $_[0] };
   ($args, $errno) = run1 { aio_rmdir "$dir/d", $_[0] };
   is_deeply [$args->[0], $errno], [0, 0], "rmdir";
   ok !-e "$dir/d", "gone";
};

subtest "aio_close keeps the descriptor number taken" => sub {
   open my $fh, "<", "/dev/null" or die;
   my $fd = fileno $fh;
   my ($args) = run1 { aio_close $fh, $_[0] };
   is_deeply $args, [0], "close returns 0";
   ok !defined sysread ($fh, my $b, 1) || !length $b, "reads no data any more";
   open my $other, "<", "/dev/null" or die;
   isnt fileno $other, $fd, "the number is not reused while the handle lives";
};

done_testing;

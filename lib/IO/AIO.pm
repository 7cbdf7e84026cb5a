package IO::AIO;

use strict;
no warnings;

use Exporter ();

BEGIN {
   # 4.80, written as a number like the original so that $VERSION prints
   # the same and every "use IO::AIO VERSION" that 4.80 accepts passes.
   our $VERSION = 4.80;

   our @AIO_REQ = qw(aio_sendfile aio_seek aio_read aio_write aio_open aio_close
                     aio_stat aio_lstat aio_unlink aio_rmdir aio_readdir aio_readdirx
                     aio_scandir aio_symlink aio_readlink aio_realpath aio_fcntl aio_ioctl
                     aio_sync aio_fsync aio_syncfs aio_fdatasync aio_sync_file_range
                     aio_pathsync aio_readahead aio_fiemap aio_allocate
                     aio_rename aio_rename2 aio_link aio_move aio_copy aio_group
                     aio_nop aio_mknod aio_load aio_rmtree aio_mkdir aio_chown
                     aio_chmod aio_utime aio_truncate
                     aio_msync aio_mtouch aio_mlock aio_mlockall
                     aio_statvfs
                     aio_slurp
                     aio_wd);

   our @EXPORT = (@AIO_REQ, qw(aioreq_pri aioreq_nice));
   our @EXPORT_OK = qw(poll_fileno poll_cb poll_wait flush
                       min_parallel max_parallel max_idle idle_timeout
                       nreqs nready npending nthreads
                       max_poll_time max_poll_reqs
                       sendfile fadvise madvise
                       mmap munmap mremap munlock munlockall

                       accept4 tee splice pipe2 pipesize
                       fexecve mount umount memfd_create eventfd
                       timerfd_create timerfd_settime timerfd_gettime
                       pidfd_open pidfd_send_signal pidfd_getfd);

   # requests, but not exported by default
   push @AIO_REQ, qw(aio_busy);

   our @ISA = qw(Exporter);
   @IO::AIO::GRP::ISA = qw(IO::AIO::REQ);

   require XSLoader;
   XSLoader::load ("IO::AIO", $VERSION);
}

# Results still outstanding at exit are delivered, as with IO::AIO.
END { flush () }

1;

__END__

=head1 NAME

IO::AIO - asynchronous file and directory I/O, with a Rust engine

=head1 SYNOPSIS

   use IO::AIO;

   aio_open "/etc/passwd", IO::AIO::O_RDONLY, 0, sub {
      my ($fh) = @_ or die "open: $!";
      my $buf;
      aio_read $fh, 0, 4096, $buf, 0, sub {
         print "read $_[0] bytes\n";
      };
   };

   IO::AIO::flush;   # wait for everything, running the callbacks

=head1 DESCRIPTION

A drop-in replacement for IO::AIO 4.80: the same functions, arguments,
results and callback order, run by a pool of worker threads written in
Rust.  Requests return at once; their callbacks run later, inside
C<IO::AIO::poll_cb>, when your event loop sees C<IO::AIO::poll_fileno>
become readable.

=cut

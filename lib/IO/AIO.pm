package IO::AIO;

use strict;
no warnings;

use Errno ();
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
                       pidfd_open pidfd_send_signal pidfd_getfd

                       stats stats_reset slow_request);

   # requests, but not exported by default
   push @AIO_REQ, qw(aio_busy);

   our @ISA = qw(Exporter);
   @IO::AIO::GRP::ISA = qw(IO::AIO::REQ);

   require XSLoader;
   XSLoader::load ("IO::AIO", $VERSION);
}

# aio_rmtree recurses, so its prototype must be known before its body.
sub aio_rmtree($;$);

#############################################################################
# Composite requests: plain Perl on top of the primitive requests.  Each one
# returns an aio_group, so cancelling it cancels the whole operation, and
# hands the caller's aioreq_pri to every request it submits.  Primitives
# that another file provides are called with parentheses, so this compiles
# whether or not they are already defined.

# the path of entry $name in directory $dir, where $dir may also be given
# relative to a working directory object, as [$wd, $path] or as $wd
sub _entry_path {
   my ($dir, $name) = @_;

   return [$dir->[0], "$dir->[1]/$name"]
      if ref $dir eq "ARRAY";

   return [$dir, $name]
      if ref $dir && UNIVERSAL::isa ($dir, "IO::AIO::WD");

   "$dir/$name"
}

# aio_rmtree: delete $path and everything below it; the status is that of
# the final rmdir.  Unlike IO::AIO 4.80, a $path that is not a directory
# (in particular a symlink to one, also when written with a trailing slash)
# is never descended into: it fails with ENOTDIR without touching anything.
sub aio_rmtree($;$) {
   my ($path, $cb) = @_;

   my $pri = aioreq_pri;
   my $grp = aio_group $cb;

   # the croak IO::AIO's first request gives (ours takes it as fh_or_path)
   die qq{"pathname" argument must be byte/octet-encoded}
      unless ref $path || utf8::downgrade (my $bytes = $path, 1);

   my $self = $path;
   $self =~ s{(?<=[^/])/+\z}{}
      unless ref $self;

   aioreq_pri $pri;
   $grp->add (aio_lstat ($self, sub {
      return $grp->result (-1)
         if $_[0];

      unless (-d _) {
         $! = Errno::ENOTDIR ();
         return $grp->result (-1);
      }

      aioreq_pri $pri;
      $grp->add (aio_scandir ($path, 0, sub {
         my ($dirs, $nondirs) = @_;

         # if the scan failed, the rmdir still runs and reports why
         aioreq_pri $pri;
         my $subgrp = aio_group sub {
            aioreq_pri $pri;
            $grp->add (aio_rmdir ($path, sub {
               $grp->result ($_[0]);
            }));
         };
         $grp->add ($subgrp);

         for (@{ $dirs || [] }) {
            aioreq_pri $pri;
            $subgrp->add (aio_rmtree (_entry_path ($path, $_)));
         }

         for (@{ $nondirs || [] }) {
            aioreq_pri $pri;
            $subgrp->add (aio_unlink (_entry_path ($path, $_)));
         }
      }));
   }));

   $grp
}

# aio_load: read the whole file into $data (aliased); status as aio_read.
# The size comes from a plain fstat: the inode is in memory once the file
# is open, so it cannot block, and a request of its own would cost a round
# trip through the pool per file.
sub aio_load($$;$) {
   my ($path, undef, $cb) = @_;
   my $data = \$_[1];

   my $pri = aioreq_pri;
   my $grp = aio_group $cb;

   aioreq_pri $pri;
   $grp->add (aio_open ($path, O_RDONLY, 0, sub {
      my $fh = shift
         or return $grp->result (-1);

      aioreq_pri $pri;
      $grp->add (aio_read ($fh, 0, -s $fh, $$data, 0, sub {
         $grp->result ($_[0]);
      }));
   }));

   $grp
}

# aio_copy: copy a file's contents with sendfile into a new (or truncated)
# $dst created with mode 0200, then restore atime/mtime, mode and owner, in
# that order, ignoring errors there.  If the contents could not be copied,
# $dst is unlinked again.
sub aio_copy($$;$) {
   my ($src, $dst, $cb) = @_;

   my $pri = aioreq_pri;
   my $grp = aio_group $cb;

   aioreq_pri $pri;
   $grp->add (aio_open ($src, O_RDONLY, 0, sub {
      my $in = shift
         or return $grp->result (-1);

      aioreq_pri $pri;
      $grp->add (aio_stat ($in, sub {
         return $grp->result (-1)
            if $_[0];

         my ($mode, $uid, $gid, $size, $atime, $mtime) = (stat _)[2, 4, 5, 7, 8, 9];

         aioreq_pri $pri;
         $grp->add (aio_open ($dst, O_CREAT | O_WRONLY | O_TRUNC, 0200, sub {
            my $out = shift
               or return $grp->result (-1);

            aioreq_pri $pri;
            $grp->add (aio_sendfile ($out, $in, 0, $size, sub {
               if ($_[0] != $size) {
                  $grp->result (-1);
                  close $in;
                  close $out;

                  aioreq_pri $pri;
                  $grp->add (aio_unlink ($dst));
                  return;
               }

               $grp->result (0);
               close $in;

               my $owner = sub {
                  aioreq_pri $pri;
                  $grp->add (aio_chmod ($out, $mode & 07777, sub {
                     aioreq_pri $pri;
                     $grp->add (aio_chown ($out, $uid, $gid, sub {
                        aioreq_pri $pri;
                        $grp->add (aio_close ($out));
                     }));
                  }));
               };

               aioreq_pri $pri;
               $grp->add (aio_utime ($out, $atime, $mtime, sub {
                  if ($_[0] < 0 && $! == ENOSYS) {
                     # no futimes: by name then
                     aioreq_pri $pri;
                     $grp->add (aio_utime ($dst, $atime, $mtime, $owner));
                  } else {
                     $owner->();
                  }
               }));
            }));
         }));
      }));
   }));

   $grp
}

# aio_move: rename, or copy and unlink when rename says EXDEV.
sub aio_move($$;$) {
   my ($src, $dst, $cb) = @_;

   my $pri = aioreq_pri;
   my $grp = aio_group $cb;

   aioreq_pri $pri;
   $grp->add (aio_rename ($src, $dst, sub {
      return $grp->result ($_[0])
         unless $_[0] && $! == EXDEV;

      aioreq_pri $pri;
      $grp->add (aio_copy ($src, $dst, sub {
         $grp->result ($_[0]);
         return if $_[0];

         aioreq_pri $pri;
         $grp->add (aio_unlink ($src));
      }));
   }));

   $grp
}

# aio_pathsync: open $path read-only, fsync it, close it.
sub aio_pathsync($;$) {
   my ($path, $cb) = @_;

   my $pri = aioreq_pri;
   my $grp = aio_group $cb;

   aioreq_pri $pri;
   $grp->add (aio_open ($path, O_RDONLY, 0, sub {
      my $fh = shift
         or return $grp->result (-1);

      aioreq_pri $pri;
      $grp->add (aio_fsync ($fh, sub {
         $grp->result ($_[0]);

         aioreq_pri $pri;
         $grp->add (aio_close ($fh));
      }));
   }));

   $grp
}

# The engine's statistics (see STATISTICS in the POD), failures keyed by
# errno name.
sub stats() {
   my $stats = _stats;

   for my $op ($stats->{total}, values %{ $stats->{ops} }) {
      my $by_number = $op->{errors};
      $op->{errors} = { map +(_errname ($_) => $by_number->{$_}), keys %$by_number };
   }

   $stats
}

# ENOENT for 2: the first of the names of an errno, in sorted order (so
# EAGAIN rather than EWOULDBLOCK); the number if it has none.
sub _errname {
   my ($errno) = @_;
   local $! = $errno;
   (sort grep $!{$_}, keys %!)[0] // $errno
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
prototypes, exports, results, C<$!> values and callback order, run by a
pool of worker threads written in Rust.  Programs, AnyEvent::AIO,
Coro::AIO and event-loop integrations written for IO::AIO work unchanged.

Every C<aio_*> function queues a request and returns at once.  A worker
thread executes it; the result then waits until your program calls
C<IO::AIO::poll_cb>, which runs the request's callback with the result as
arguments and C<$!> set to the request's error.  C<IO::AIO::poll_fileno>
is readable exactly while results wait, so any event loop can drive the
module:

   use EV;
   my $aio_w = EV::io IO::AIO::poll_fileno, EV::READ, \&IO::AIO::poll_cb;

Without an event loop, C<IO::AIO::flush> waits for and handles everything
outstanding.  L</EVENT LOOP INTEGRATION> shows the set-up for AnyEvent,
Coro, Event, Glib and a plain C<select> loop.

=head2 Request life cycle

A request is I<ready> (queued), then I<executing> (a worker runs it), then
I<pending> (its result waits for C<poll_cb>), then I<done> (its callback
ran).  C<IO::AIO::nreqs>, C<nready>, C<npending> and C<nthreads> count
requests in these states and running workers.

In non-void context every C<aio_*> function returns an C<IO::AIO::REQ>
object; in void context it returns nothing.

=head1 REQUESTS

The callback is always the last argument and may be omitted or C<undef>.
Pathnames are byte strings; a string with characters above 255 croaks.
Wherever a pathname is expected, a working directory object or a
C<[$wd, $path]> pair may be given instead; see L</WORKING DIRECTORIES>.

Most callbacks get a single number: 0 (or a count or offset) on success,
-1 on failure, with C<$!> telling why.  Requests that produce a value
(a handle, a list, a string) pass C<undef> or nothing at all on failure;
each entry says which.

Every request function has a prototype, so it can be called like a
built-in function, without parentheses.  Arguments marked with a default
(C<$offset = 0>) may be left out, but only from the right: to pass a
callback, pass the arguments before it as well.

=head2 Files and descriptors

=over 4

=item aio_open $pathname, $flags, $mode, $callback->($fh)

Opens a file like C<sysopen> and passes a Perl filehandle whose mode
(C<< < >>, C<< > >> or C<< +< >>) follows C<$flags>, or nothing useful
(C<undef>) with C<$!> set on failure.  Use the C<O_*> constants of
C<Fcntl> or C<IO::AIO::O_*>.

   aio_open "/var/log/app.log", IO::AIO::O_WRONLY | IO::AIO::O_APPEND, 0, sub {
      my ($fh) = @_ or die "open: $!";
      ...
   };

=item aio_close $fh, $callback->($status)

Closes the descriptor behind C<$fh> in the background.  The descriptor
number stays taken (by a dead pipe) until Perl closes C<$fh> itself, so it
cannot be reused under a handle that still exists.  Passes 0 or -1.

=item aio_seek $fh, $offset, $whence, $callback->($new_offset)

C<sysseek> in the background; passes the new offset or -1.

=item aio_read  $fh, $offset, $length, $data, $dataoffset, $callback->($retval)

=item aio_write $fh, $offset, $length, $data, $dataoffset, $callback->($retval)

Reads or writes C<$length> bytes at file offset C<$offset> (C<undef>:
the current position, which then moves) into or from the scalar C<$data>,
starting at C<$dataoffset> in the scalar (negative: counted from its end).
C<aio_read> grows C<$data> as needed and cuts it after the bytes read;
C<aio_write> with C<$length> C<undef> or beyond the scalar writes the rest
of it.  Passes the number of bytes transferred, or -1.  While the request
runs, C<$data> is read-only.

   aio_read $fh, 0, 4096, my $buf, 0, sub {
      $_[0] > 0 or die "read: $!";
      print "got $_[0] bytes\n";
   };

=item aio_sendfile $out_fh, $in_fh, $in_offset, $length, $callback->($retval)

Copies up to C<$length> bytes from C<$in_fh>, starting at C<$in_offset>,
to C<$out_fh> at its current position.  The position of C<$in_fh> is
neither used nor moved, so many requests may read one input at once; the
position of C<$out_fh> advances, so give each output one request at a
time.

The kernel does the copying where it can: copy_file_range(2) between two
regular files, for 64 KiB or more (it shares the data's extents on
filesystems that can reflink, such as Btrfs and XFS, and copies
server-side on NFS), sendfile(2) otherwise.  Where sendfile refuses the
pair of descriptors (C<ENOSYS>, C<EINVAL>, C<ENOTSOCK>, C<EOPNOTSUPP>,
C<EAFNOSUPPORT> or C<EPROTOTYPE>) the worker reads and writes in 64 KiB
chunks instead, so any readable input and writable output will do.

Passes the number of bytes written, which may be less than C<$length>:
at the end of the input, when a non-blocking socket is full, or when an
error stops a transfer that had already written something.  -1 comes only
when nothing was written.  Compare the result with C<$length>.

   # send a whole file to a connected socket
   open my $in, "<", $file or die "$file: $!";
   aio_sendfile $sock, $in, 0, -s $in, sub {
      $_[0] == -s $in or warn "sent only $_[0] bytes: $!";
   };

=item aio_readahead $fh, $offset, $length, $callback->($retval)

Asks the kernel to load C<$length> bytes from C<$offset> on (rounded out to
whole pages) into the page cache, so that later reads need not wait for
the disk; nothing is copied to Perl and the file position does not move.
Passes 0 or -1.

=item aio_allocate $fh, $mode, $offset, $len, $callback->($status)

fallocate(2): reserves or releases disk space for the C<$len> bytes
from C<$offset> on.  C<$mode> 0 allocates and extends the
file if the range goes beyond its end; C<IO::AIO::FALLOC_FL_KEEP_SIZE>
allocates without changing the size;
C<IO::AIO::FALLOC_FL_PUNCH_HOLE | IO::AIO::FALLOC_FL_KEEP_SIZE> frees the
range (it reads back as zeros).  The other C<FALLOC_FL_*> modes are listed
under L</CONSTANTS>.  Passes 0 or -1; filesystems that cannot do what was
asked fail with C<EOPNOTSUPP>.

   # make sure 1 GiB can be written without running out of space
   aio_allocate $fh, IO::AIO::FALLOC_FL_KEEP_SIZE, 0, 2**30, sub {
      $_[0] and warn "cannot reserve space: $!";
   };

=item aio_fcntl $fh, $cmd, $arg, $callback->($retval)

=item aio_ioctl $fh, $request, $arg, $callback->($retval)

Perl's C<fcntl> and C<ioctl>, run by a worker.  A number in C<$arg> is
passed to the kernel as it is.  A string (or C<undef>) is passed as a
buffer the kernel may read and write; it is made at least 256 bytes large
behind the scenes, keeps its length, and shows what the kernel wrote once
the callback runs.  Passes the system call's return value (a plain 0 where
Perl's built-ins would return the string C<0 but true>), or -1.

Meant for commands that do filesystem work: C<FS_IOC_*>, C<FICLONE>,
C<FITRIM>, C<F_ADD_SEALS> and the like.  A command that waits for
something else, such as a blocking lock, occupies a worker thread the
whole time, and with all workers waiting no other request runs.

   # read the inode flags (chattr/lsattr) of a file
   my $flags = pack "L", 0;
   aio_ioctl $fh, IO::AIO::FS_IOC_GETFLAGS, $flags, sub {
      $_[0] < 0 and return warn "FS_IOC_GETFLAGS: $!";
      print "immutable\n" if unpack ("L", $flags) & IO::AIO::FS_IMMUTABLE_FL;
   };

=item aio_fiemap $fh, $start, $length, $flags, $count, $callback->(\@extents)

Asks the filesystem (with the FIEMAP ioctl) where the bytes from C<$start>
on are stored: C<$length> bytes of them, or up to the end of the file if
C<$length> is C<undef>.  C<$flags> is 0, C<IO::AIO::FIEMAP_FLAG_SYNC>
(write out dirty data first, so that delayed allocations show up) or
C<IO::AIO::FIEMAP_FLAG_XATTR> (map the extended attributes instead).

With C<$count> C<undef> all extents of the range are returned (the kernel
is asked again until it reports the last one); a number returns at most
that many.  The callback gets an array reference of extents, each
C<[$logical, $physical, $length, $flags]> with C<$flags> a combination of
C<IO::AIO::FIEMAP_EXTENT_*>; the file's final extent has
C<FIEMAP_EXTENT_LAST>.  With C<$count> 0 it gets only the number of
extents the kernel counted.

On failure the callback gets no arguments; C<$!> is C<EOPNOTSUPP> for
handles and filesystems without FIEMAP, C<IO::AIO::EBADR> for flags the
filesystem does not support.

   aio_fiemap $fh, 0, undef, 0, undef, sub {
      my ($extents) = @_ or return warn "fiemap: $!";
      printf "%d bytes at disk offset %d\n", $_->[2], $_->[1] for @$extents;
   };

=item aio_slurp $pathname, $offset, $length, $data, $callback->($retval)

Opens a file, reads it into C<$data> and closes it, all in one request.
A negative C<$offset> counts from the end of the file; C<$length> 0 reads
up to the end.  C<$data> ends up holding exactly the bytes read, and the
callback gets their number, or -1.  C<$data> is read-only while the
request runs.

   my $passwd;
   aio_slurp "/etc/passwd", 0, 0, $passwd, sub {
      $_[0] >= 0 or die "/etc/passwd: $!";
      print "read $_[0] bytes\n";
   };

C<aio_load> (under L</Composite requests>) does the same with a chain of
requests.

=back

=head2 The stat family

=over 4

=item aio_stat  $fh_or_path, $callback->($status)

=item aio_lstat $fh_or_path, $callback->($status)

C<stat> or C<lstat> in the background.  Passes 0 or -1, and fills Perl's
stat cache, so the callback can use C<_>:

   aio_stat $path, sub {
      $_[0] and return warn "$path: $!";
      printf "%s: %d bytes, mode %o\n", $path, -s _, (stat _)[2] & 07777;
   };

As with Perl's own functions, C<lstat _> dies after C<aio_stat>.  The
timestamps with their nanoseconds are available from C<IO::AIO::st_mtime>
and friends, the parts of a device number from C<IO::AIO::major> and
C<IO::AIO::minor>; see L</Stat extensions>.

=item aio_statvfs $fh_or_path, $callback->($info)

C<statvfs> or C<fstatvfs> in the background.  Passes a hash reference
with the keys C<bsize>, C<frsize>, C<blocks>, C<bfree>, C<bavail>,
C<files>, C<ffree>, C<favail>, C<fsid>, C<flag> (test it with the
C<IO::AIO::ST_*> constants) and C<namemax>, or C<undef> on failure.

   aio_statvfs "/var", sub {
      my $fs = shift or die "statvfs: $!";
      printf "%.1f GiB free\n", $fs->{bavail} * $fs->{frsize} / 2**30;
   };

=item aio_utime $fh_or_path, $atime, $mtime, $callback->($status)

Sets access and modification times, in seconds since the epoch; fractions
are kept to the nanosecond.  If both are C<undef> (or both -1), both
become the current time; a single C<undef> counts as -1.

=item aio_chown $fh_or_path, $uid, $gid, $callback->($status)

C<chown> in the background; C<undef> or -1 leaves that id as it is.

=item aio_chmod $fh_or_path, $mode, $callback->($status)

=item aio_truncate $fh_or_path, $length, $callback->($status)

C<chmod> and C<truncate> in the background.  A path is truncated through
a descriptor opened for writing, so a directory fails with C<EISDIR>;
an C<undef> length fails with C<EINVAL>.

=back

=head2 Paths

=over 4

=item aio_unlink $pathname, $callback->($status)

C<unlink> in the background; passes 0 or -1.

=item aio_mknod $pathname, $mode, $dev, $callback->($status)

Creates a special file; C<$mode> includes the type, e.g.
C<IO::AIO::S_IFIFO | 0600> with C<$dev> 0 for a FIFO.  For devices, build
C<$dev> with C<IO::AIO::makedev>.

=item aio_link $oldpath, $newpath, $callback->($status)

=item aio_symlink $target, $newpath, $callback->($status)

=item aio_rename $oldpath, $newpath, $callback->($status)

=item aio_rename2 $oldpath, $newpath, $flags, $callback->($status)

Hard link, symbolic link (C<$target> is stored as it is) and rename.
C<aio_rename2> takes the C<IO::AIO::RENAME_NOREPLACE>, C<RENAME_EXCHANGE>
and C<RENAME_WHITEOUT> flags of renameat2(2); with 0 it is C<aio_rename>.

=item aio_readlink $pathname, $callback->($target)

=item aio_realpath $pathname, $callback->($path)

Pass the contents of a symlink, or the canonical absolute form of a path
(every symlink, C<.> and C<..> resolved; every component must exist).  On
failure the callback gets no arguments at all and C<$!> says why.

   aio_realpath ".", sub {
      my ($cwd) = @_ or die "realpath: $!";
      print "working in $cwd\n";
   };

=back

=head2 Directories

=over 4

=item aio_mkdir $pathname, $mode, $callback->($status)

=item aio_rmdir $pathname, $callback->($status)

C<mkdir> and C<rmdir> in the background; pass 0 or -1.

=item aio_readdir $pathname, $callback->($entries)

Passes a reference to an array of the names in the directory (without
C<.> and C<..>), or C<undef> on failure.

=item aio_readdirx $pathname, $flags, $callback->($entries, $flags)

Like C<aio_readdir>, with C<$flags> from C<IO::AIO::READDIR_*>:
C<READDIR_DENTS> makes each entry C<[$name, $type, $inode]> with C<$type>
one of C<IO::AIO::DT_*>; C<READDIR_DIRS_FIRST> puts likely directories
first; C<READDIR_STAT_ORDER> orders entries for fast stat()ing.  The flags
passed back include C<READDIR_FOUND_UNKNOWN> if some entry's type was
unknown.

=item aio_scandir $pathname, $maxreq, $callback->($dirs, $nondirs)

Reads a directory and sorts its entries into the subdirectories one can
descend into and everything else (files, devices, and symlinks, including
symlinks to directories).  Passes two array references of names, or no
arguments at all on failure.

The engine does this in a single request: it trusts the types that
readdir reports and C<lstat>s only entries of unknown type.  C<$maxreq>,
which bounds the number of C<stat> requests in IO::AIO, is accepted and
ignored.  Returns a group, like the composite requests below.

   # print a directory tree
   sub walk {
      my ($dir) = @_;
      aio_scandir $dir, 0, sub {
         my ($dirs, $nondirs) = @_ or return warn "$dir: $!";
         print "$dir/$_\n" for @$nondirs;
         walk ("$dir/$_") for @$dirs;
      };
   }
   walk ("/etc");
   IO::AIO::flush;

=back

=head2 Composite requests

These requests are written in Perl on top of the others.  Each returns a
group (see L</GROUPS>), so cancelling it cancels whatever part is still
to come, and each submits all its parts with the priority that was in
effect when it was called (see C<aioreq_pri>).

=over 4

=item aio_load $pathname, $data, $callback->($retval)

Opens the file, C<stat>s the handle for its size and reads that many
bytes into C<$data>.  Passes the number of bytes read, or -1, like
C<aio_read>.  C<aio_slurp> does the same in one request.

   my $config;
   aio_load "/etc/hostname", $config, sub {
      $_[0] >= 0 or die "hostname: $!";
      print "this is $config";
   };

=item aio_copy $srcpath, $dstpath, $callback->($status)

Copies a file (not a directory).  C<$dstpath> is created with mode 0200
(or truncated if it exists), filled with C<aio_sendfile>, then given the
source's access and modification times, permission bits and owner, in
that order; failures in these last steps are ignored (so a copy made
without the right to C<chown> simply belongs to the caller).  If the
contents could not be copied completely, C<$dstpath> is unlinked again.
Passes 0 or -1.

   aio_copy "data.db", "data.db.bak", sub {
      $_[0] and die "backup failed: $!";
   };

=item aio_move $srcpath, $dstpath, $callback->($status)

Renames a file; if that fails with C<EXDEV> (different filesystems), it
copies it with C<aio_copy> and unlinks the source once the copy
succeeded.  Passes 0 or -1.  Directories can only be moved within a
filesystem.

=item aio_rmtree $pathname, $callback->($status)

Deletes a directory with everything below it, using C<aio_scandir>,
C<aio_unlink> and C<aio_rmdir>.  Passes the status of the last step, the
C<rmdir> of C<$pathname> itself: if something inside could not be
removed, that fails (usually with C<ENOTEMPTY>).  If C<$pathname> is not
a directory, including a symlink to one, nothing is touched and the
callback gets -1 with C<$!> = C<ENOTDIR>.

   aio_rmtree "/tmp/build-$$", sub {
      $_[0] and warn "cleanup: $!";
   };

=back

=head2 Syncing

=over 4

=item aio_sync $callback->($status)

C<sync> in the background: starts writing every filesystem's dirty data.

=item aio_fsync $fh, $callback->($status)

=item aio_fdatasync $fh, $callback->($status)

Write a file's data and metadata (C<fsync>), or its data and only the
metadata needed to read it back (C<fdatasync>), to the disk.  Pass 0 or
-1.

=item aio_syncfs $fh, $callback->($status)

syncfs(2): writes out the filesystem that holds C<$fh>.  Where the kernel
lacks syncfs, it runs C<sync> instead but still passes -1 with C<$!> =
C<ENOSYS>.

=item aio_sync_file_range $fh, $offset, $nbytes, $flags, $callback->($status)

sync_file_range(2): writes out the data (not the metadata) in a byte
range; C<$nbytes> 0 means up to the end of the file.  C<$flags> combines
C<IO::AIO::SYNC_FILE_RANGE_WAIT_BEFORE>, C<SYNC_FILE_RANGE_WRITE> and
C<SYNC_FILE_RANGE_WAIT_AFTER>.  Where the kernel lacks the call,
C<fdatasync> runs instead.  Passes 0 or -1.

=item aio_pathsync $pathname, $callback->($status)

A composite request: opens C<$pathname> read-only, C<fsync>s it and
closes it.  Its use is making directory changes (creating, renaming or
removing entries) durable, by syncing the directory; it works on anything
that can be opened for reading.  Passes 0 or -1.

   # write a file safely: write, fsync, rename, then sync the directory
   aio_rename "$dir/new.tmp", "$dir/current", sub {
      $_[0] and die "rename: $!";
      aio_pathsync $dir, sub { $_[0] and warn "pathsync: $!" };
   };

=back

=head2 Memory

These requests work on the memory of a scalar, usually one mapped with
C<IO::AIO::mmap> (see L</Memory maps>).  C<$offset> may be negative to
count from the end of the string; C<$length> C<undef>, or larger than what
is left, means up to the end.  The range is widened to whole pages.  While
a request uses a mapped scalar, C<IO::AIO::munmap> and C<IO::AIO::mremap>
of it croak.

=over 4

=item aio_msync $scalar, $offset = 0, $length = undef, $flags = MS_SYNC, $callback->($status)

msync(2): writes the changed pages of a shared file mapping back to the
file.  C<$flags> is C<IO::AIO::MS_SYNC> (wait for the writes) or
C<IO::AIO::MS_ASYNC> (just start them), optionally with
C<IO::AIO::MS_INVALIDATE>.  Passes 0 or -1.

=item aio_mtouch $scalar, $offset = 0, $length = undef, $flags = 0, $callback->($status)

Touches every page of the range, so that later accesses do not fault:
with C<$flags> 0 by reading a byte of each page, with
C<IO::AIO::MT_MODIFY> by writing it back (which makes the page dirty).
C<MT_MODIFY> on a mapping without C<PROT_WRITE> croaks.  Passes 0.

=item aio_mlock $scalar, $offset = 0, $length = undef, $callback->($status)

mlock(2): brings the pages in and keeps them in RAM.  Passes 0 or -1
(C<ENOMEM> or C<EPERM> beyond C<RLIMIT_MEMLOCK>).  C<IO::AIO::munlock>
undoes it; unmapping does as well.

   open my $fh, "<", $file or die "$file: $!";
   IO::AIO::mmap my $map, -s $fh, IO::AIO::PROT_READ, IO::AIO::MAP_SHARED, $fh
      or die "mmap: $!";
   aio_mlock $map, 0, undef, sub {
      $_[0] and warn "mlock: $!";
   };

=item aio_mlockall $flags, $callback->($status)

mlockall(2) for the whole process, with C<$flags> a combination of
C<IO::AIO::MCL_CURRENT>, C<MCL_FUTURE> and C<MCL_ONFAULT>.  Passes 0 or
-1.  C<IO::AIO::munlockall> undoes it.

=back

=head2 Other requests

=over 4

=item aio_nop $callback->()

Does nothing, but goes through the whole request cycle.

=item IO::AIO::aio_busy $seconds, $callback->()

Keeps a worker busy for C<$seconds> (for testing).

=item aio_group $callback->(...)

Creates a group (an C<IO::AIO::GRP>, always returned): a request that
completes when all requests added to it have completed; see L</GROUPS>.

=back

=head1 WORKING DIRECTORIES

The process has one current directory, shared by every thread.  Working
directory objects (class C<IO::AIO::WD>) give requests others: a pathname
argument may be

=over 4

=item * a string, relative to the current directory when the request runs;

=item * C<[$wd, $path]>: C<$path> relative to C<$wd> (absolute paths ignore
it); the path is copied when the request is submitted;

=item * C<$wd> alone, the same as C<[$wd, ".">].  C<aio_rmdir> and the old
path of C<aio_rename> use the directory's canonical path in this case, as
C<.> itself cannot be removed or renamed.

=back

=over 4

=item aio_wd $pathname, $callback->($wd)

Opens a directory as a working directory object, remembering its canonical
path as well.  Passes C<undef> with C<$!> set on failure; as an C<undef>
C<$wd> in a pair makes every request fail with C<ENOENT>, checking is often
unnecessary.

   aio_wd "/etc", sub {
      my $etc = shift;
      aio_stat [$etc, "passwd"], sub { ... };
   };

The object holds a directory descriptor (C<O_PATH>), so it keeps reaching
the same directory even if that is renamed; C<aio_realpath> of it (or of a
path relative to it) uses the canonical path it was opened with.  The
descriptor is closed by a request of the highest priority when the last
reference goes away (at program exit, directly); requests using the object
keep it alive until they are done.

=item IO::AIO::CWD

A constant object standing for the current directory: C<[IO::AIO::CWD,
$path]> is the same as C<$path>.

=item IO::AIO::INVALID_WD

A constant object for which every request fails with C<ENOENT>; an C<undef>
in a pair means the same.

=back

=head1 REQUEST OBJECTS

=over 4

=item $req->cancel

Cancels the request: a request not yet executing never executes, and the
callback of a cancelled request is never called.  Cancelling a group
cancels its members.  Harmless on finished requests.

=item $old = $req->cb ($callback)

Replaces the callback, returns the previous one.

=back

=head1 GROUPS

A group collects requests so that they can be waited for, or cancelled,
as one.  The group's callback runs after the callbacks of all members.

   my $grp = aio_group sub { print "all done\n" };
   $grp->add (aio_stat $_) for @files;

=over 4

=item $grp->add (@requests)

Adds requests (also other groups).  Croaks inside the group's own callback
or for a group inside the added request (cycles).

=item $grp->cancel_subs

Cancels the members, not the group; also stops its feeder.

=item $grp->result (@values)

The arguments for the group's callback; also remembers C<$!>.

=item $grp->errno ($errno)

Sets the C<$!> the group's callback will see (default: the current C<$!>).

=item $grp->limit ($n)

=item $grp->feed ($callback->($grp))

A feeder adds requests on demand: it is called whenever the group has
fewer than C<limit> members outstanding (default limit 2 once a feeder is
set, 0 pauses feeding), until one call adds nothing.

   my @todo = @files;
   my $grp = aio_group sub { print "all stat()ed\n" };
   $grp->limit (16);
   $grp->feed (sub {
      my $file = shift @todo // return;
      $_[0]->add (aio_stat $file);
   });

=back

=head1 CONTROLLING THE ENGINE

=over 4

=item IO::AIO::poll_fileno

The descriptor to watch for readability.

=item IO::AIO::poll_cb

Runs the callbacks of waiting results.  Returns 0 when all were handled,
-1 (with C<$!> = EAGAIN) when C<max_poll_reqs> or C<max_poll_time> cut the
round short.  If a callback dies, C<poll_cb> dies with its error after the
request was cleaned up; later results stay queued for the next call.
While workers are running requests and more are queued, C<poll_cb> waits
up to 20 microseconds for further results before it returns (within
C<max_poll_time>), so that a stream of small requests is handled in one
call rather than one trip through the event loop per result (see
L</THE RUST ENGINE>).

=item IO::AIO::poll_wait

Waits until a result is pending (or nothing is outstanding).

=item IO::AIO::poll

C<poll_wait> then C<poll_cb>.

=item IO::AIO::flush

Waits for and handles every outstanding request.  Runs at program end.

=item IO::AIO::max_poll_reqs $n, IO::AIO::max_poll_time $seconds

Limit the work of one C<poll_cb> call (0: no limit), to keep a program
responsive under load.

=item IO::AIO::min_parallel $n, IO::AIO::max_parallel $n

Raise or lower the limit on worker threads (default 4).  Threads start on
demand.  C<max_parallel> waits until surplus threads have exited; 0 queues
requests without running them.

=item IO::AIO::max_idle $n, IO::AIO::idle_timeout $seconds

Threads beyond C<max_idle> (default 4) that stay idle for C<idle_timeout>
seconds (default 10) exit.

=item IO::AIO::max_outstanding $n

Makes C<poll_cb> block while more than C<$n> requests are outstanding.

=item $old_pri = aioreq_pri $pri

Sets the priority of the next request, from -4 (lowest) to 4 (highest;
values beyond are clamped), default 0.  Workers take queued requests of
higher priority first; a request that is already executing is not
interrupted.  The setting applies to the one request submitted next and
then returns to 0.  Returns the previous setting; without an argument it
only returns the current one, which is how composite requests pass the
caller's priority on to their parts.

   aioreq_pri 4;
   aio_stat $hot_path, sub { ... };    # ahead of everything queued

=item aioreq_nice $delta

Lowers the priority of the next request by C<$delta> (a negative
C<$delta> raises it), starting from the current setting and clamped to
-4 .. 4.  Handy for background work: C<aioreq_nice 2> before each request
of a bulk job.

=item IO::AIO::nreqs, nready, npending, nthreads

The counters described in L</Request life cycle>.

=item IO::AIO::reinit

Makes the module usable in a forked child: the child starts with no
outstanding requests and new threads.  C<poll_fileno> keeps its number, so
a watcher that an event loop registered before the fork (AnyEvent::AIO
registers one when it loads) goes on working; with EV call
C<< EV::default_loop->loop_fork >> in the child, as libev requires after
any fork.  A child does not need to call it: the module does the same on
its first use there, and right at the fork the descriptor becomes the
child's own, never readable for the parent's results.

Called in a process that did not fork since its last use, it waits for
the requests that worker threads are running (their callbacks are not
called), drops the queued ones and starts afresh on the same descriptor.

=back

=head1 STATISTICS

These functions, an addition of this module (exported on request only),
show where requests spend their time: waiting in the queue for a thread,
or executing (in the kernel, on the disk).  Collection is off until the
program first calls C<IO::AIO::stats>, C<IO::AIO::stats_reset> or
C<IO::AIO::slow_request>, or runs with C<IO_AIO_STATS=1> in its
environment (read when the module loads; L<aio-stat> sets it).  While it
is off, a request pays one well-predicted branch where it is submitted,
one where it is executed and one where it is handed out.  While it is on, a
request also costs a small allocation and up to three readings of the clock,
and the thread that calls C<poll_cb> does all the counting: no lock, no
atomic operation.

=over 4

=item $stats = IO::AIO::stats

Returns a new hash reference, since collection began or was last reset:

   {
      engine   => "threads",   # as IO::AIO::engine
      elapsed  => 12.5,        # seconds
      nreqs    => 3, nready => 1, npending => 0, nthreads => 4,  # now
      threads_started => 4, threads_exited => 0,
      wakeups  => 310,         # sleeping threads woken for work
      sleeps   => 320,         # times a thread went to sleep
      watches  => 12,          # a sleeper kept watch for stalled threads
      spins    => 4000,        # a thread looked for work before sleeping
      given_back => 0,         # requests handed back by a thread that
                               # met a slow one before them
      ring_submitted => 0,     # requests handed to io_uring
      ring_kicked => 0,        # ... of which the ring's own thread entered
                               # (reads that waited for the disk)
      total    => { ... },     # all requests
      ops      => {            # each kind that had requests
         stat => {
            submitted  => 8,
            completed  => 8,   # callback called (failed ones included)
            failed     => 3,
            errors     => { ENOENT => 3 },
            cancelled  => 0,   # cancelled: callback not called
            on_threads => 8,   # executed by the worker threads
            on_ring    => 0,   # ... by io_uring
            queued     => { count => 8, sum => 0.0021, min => 0.000012,
                            max => 0.0009, p50 => 0.00021,
                            p90 => 0.00071, p99 => 0.0009 },
            exec       => { ... },
         },
         ...
      },
   }

Kinds are named after their request without C<aio_>: C<stat> (also
C<aio_lstat>), C<read>, C<write>, C<open>, C<readdir> (also
C<aio_readdirx>), C<busy>, C<nop>, and so on; a request whose arguments
could not be converted (a bad buffer, say) counts as C<fail>.  Groups and
composite requests (C<aio_copy>, C<aio_load>, ...) are not counted
themselves; the requests they are made of are.

A request is counted when C<poll_cb> hands its result out, so for the
requests submitted since collection began, C<submitted> equals
C<completed> + C<cancelled> + those still outstanding.  Requests submitted
before (or before C<stats_reset>) are not counted, and a forked child's
engine starts from zero.

C<queued> is the time from submission until a worker thread began to
execute the request (0 for a request that io_uring takes as it is
submitted); C<exec> the time from then until it was done (for io_uring,
until its completion was picked up, which happens in C<poll_cb> and when
requests are submitted).  The time a result then waits for C<poll_cb> is
in neither (C<npending> shows how many wait).  Times are seconds.  Counts,
sums, minima and maxima are exact; C<p50>, C<p90> and C<p99> (the
durations that 50, 90 and 99% of the requests did not exceed) come from
buckets of powers of two and are within a factor of two, exact where they
fall on the minimum or the maximum.

=item IO::AIO::stats_reset

Zeroes the statistics (and turns collection on).

=item IO::AIO::slow_request $seconds, sub { my ($op, $path_or_fd, $queued, $exec) = @_; ... }

Calls the sub for every request that took longer than C<$seconds> from
submission until done (C<$queued> + C<$exec>), right after the request's
own callback, from C<poll_cb>; also turns collection on.  C<$op> is its
kind, as in C<IO::AIO::stats>; C<$path_or_fd> the path it worked on (its
first, as given, so relative to its working directory), else its
descriptor number, else (C<aio_busy>, C<aio_nop>, C<aio_sync>, the memory
requests) undef.  Cancelled requests are not reported.  If the sub dies,
C<poll_cb> dies with its error, as for a callback.  C<slow_request undef>
removes it.

=back

=head2 Diagnosing a stall

A request that is slow to complete may have waited for a thread, or have
run slowly.  Here one thread (C<max_parallel 1>) is held by a request
that takes a second, and a C<stat> that the disk would answer in
microseconds waits behind it:

   use IO::AIO qw(:DEFAULT stats slow_request);

   IO::AIO::max_parallel 1;

   slow_request 0.1, sub {
      my ($op, $path_or_fd, $queued, $exec) = @_;
      printf STDERR "slow %s %s: %.3fs queued, %.3fs executing\n",
                    $op, $path_or_fd // "-", $queued, $exec;
   };

   IO::AIO::aio_busy 1;                    # holds the only thread
   aio_stat "/etc/hostname", sub { };      # waits behind it
   IO::AIO::flush;

   my $stat = stats->{ops}{stat};
   printf "stat: %.3fs queued, %.6fs executing\n",
          $stat->{queued}{max}, $stat->{exec}{max};

prints

   slow busy -: 0.000s queued, 1.000s executing
   slow stat /etc/hostname: 1.000s queued, 0.000s executing
   stat: 1.000s queued, 0.000009s executing

The C<stat> took a second, all of it in the queue: the cure is more
threads (C<max_parallel>), or a lower priority (C<aioreq_pri>) for the
slow kind of request, not a faster disk.  A request that io_uring takes
as it is submitted does not wait for a thread at all (with
C<IO_AIO_ENGINE=uring>, a C<stat> submitted while no request is queued).

=head2 aio-stat

   aio-stat [--interval N] [--json] [--output FILE] program.pl [args]

runs a program unchanged with collection on and prints its statistics on
standard error when it ends, and every N seconds with C<--interval>, as a
table (or, with C<--json>, as lines of JSON for plots):

   aio-stat: 1.00s, engine threads, 1 threads (1 started, 0 exited), 0 outstanding, 0 results waiting
   op               requests      done  failed  cancel    ring  queued p50      p99      max  exec p50      p99      max  exec sum
   busy                    1         1       0       0       0       195us    195us    195us     1.00s    1.00s    1.00s     1.00s
   stat                    1         1       0       0       0       1.00s    1.00s    1.00s    9.38us   9.38us   9.38us    9.38us
   total                   2         2       0       0       0       195us    1.00s    1.00s    9.38us    1.00s    1.00s     1.00s
   engine: 0 wake-ups, 0 sleeps, 0 watches, 1 spins, 1 given back, 0 to the ring

See L<aio-stat> and L<IO::AIO::StatReport>.

=head1 EVENT LOOP INTEGRATION

Callbacks only run inside C<IO::AIO::poll_cb>.  A program with an event
loop watches C<IO::AIO::poll_fileno> for readability and calls
C<poll_cb> when it is; the descriptor stays readable as long as results
are waiting, so a round that C<max_poll_reqs> or C<max_poll_time> cut
short simply comes back in the next loop iteration.  Each example below
runs as it is.

=head2 EV

   use EV;
   use IO::AIO;

   my $aio_w = EV::io IO::AIO::poll_fileno, EV::READ, \&IO::AIO::poll_cb;

   aio_stat "/etc/passwd", sub {
      print "size: ", -s _, "\n";
      EV::break;
   };

   EV::run;

=head2 AnyEvent

L<AnyEvent::AIO> sets the watcher up in whatever loop AnyEvent runs on
(EV, Event, Glib, Tk, POE, its own pure-Perl loop ...); loading it is all
there is to do.

   use AnyEvent;
   use AnyEvent::AIO;
   use IO::AIO;

   my $done = AE::cv;
   my $hostname;
   aio_slurp "/etc/hostname", 0, 0, $hostname, sub {
      $done->send ($_[0] < 0 ? "error: $!" : $hostname);
   };
   print $done->recv;

=head2 Coro

L<Coro::AIO> wraps every request so that it blocks only the coroutine
that makes it and returns the result instead of calling back; the other
coroutines keep running, and the stat cache is filled as usual.

   use Coro;
   use Coro::AIO;

   my @threads = map {
      my $path = $_;
      async {
         aio_stat $path
            and return print "$path: $!\n";
         print "$path: ", -s _, " bytes\n";
      };
   } "/etc/passwd", "/etc/group", "/nonexistent";

   $_->join for @threads;

=head2 Event

   use Event;
   use IO::AIO;

   my $aio_w = Event->io (fd => IO::AIO::poll_fileno, poll => "r",
                          cb => \&IO::AIO::poll_cb);

   aio_readdir "/etc", sub {
      my ($names) = @_ or die "readdir: $!";
      print scalar @$names, " entries in /etc\n";
      Event::unloop;
   };

   Event::loop;

=head2 Glib

   use Glib;
   use IO::AIO;

   my $loop = Glib::MainLoop->new;
   Glib::IO->add_watch (IO::AIO::poll_fileno, "in", sub {
      IO::AIO::poll_cb;
      1    # keep the watch
   });

   aio_realpath "/usr/bin/../lib", sub {
      print "resolved: $_[0]\n";
      $loop->quit;
   };

   $loop->run;

=head2 A select loop

Without an event loop module, C<select> on C<poll_fileno> (and on the
program's own descriptors).  C<max_poll_reqs> and C<max_poll_time> bound
each C<poll_cb> call, so that a flood of results cannot keep the loop from
its other work for long.

   use IO::AIO;

   IO::AIO::max_poll_reqs 64;      # at most 64 callbacks per poll_cb ...
   IO::AIO::max_poll_time 0.01;    # ... and no more than about 10 ms

   my $total = 0;
   aio_stat $_, sub { $total += -s _ unless $_[0] } for glob "/etc/*";

   my $fd = IO::AIO::poll_fileno;
   while (IO::AIO::nreqs) {
      my $rin = "";
      vec ($rin, $fd, 1) = 1;
      # vec ($rin, fileno $socket, 1) = 1;   # the program's own descriptors
      select $rin, undef, undef, 0.5;

      IO::AIO::poll_cb if vec $rin, $fd, 1;
      # ... timers and other work of the program ...
   }

   print "$total bytes in /etc\n";

=head1 SYNCHRONOUS HELPERS

These functions are not requests: they run in the calling thread and
return their result directly, blocking for as long as the system call
does.  They wrap Linux calls that Perl itself does not offer, several of
them useful together with the requests (C<mmap> for the memory requests,
C<pipe2> and C<splice> next to C<aio_sendfile>).

Many can be imported by name (C<use IO::AIO qw(mmap pipe2)>): C<sendfile>,
C<fadvise>, C<madvise>, C<mmap>, C<munmap>, C<mremap>, C<munlock>,
C<munlockall>, C<accept4>, C<tee>, C<splice>, C<pipe2>, C<pipesize>,
C<fexecve>, C<mount>, C<umount>, C<memfd_create>, C<eventfd>, the
C<timerfd_*> and the C<pidfd_*> functions.  The others are always called
with their full name.  Unless said otherwise, a function returns 0 (or a
count) on success and -1 with C<$!> set on failure; functions that create
a descriptor return a new Perl filehandle, or C<undef> with C<$!> set.

=head2 Memory maps

=over 4

=item IO::AIO::mmap $scalar, $length, $prot, $flags, $fh = undef, $offset = 0

Maps C<$length> bytes of C<$fh> from C<$offset> on (a multiple of
C<IO::AIO::PAGESIZE>) into memory and makes C<$scalar> a string whose
bytes are that memory.  With C<$fh> C<undef> and C<IO::AIO::MAP_ANONYMOUS>
in C<$flags> the memory is fresh and zero-filled.  C<$prot> combines
C<IO::AIO::PROT_READ>, C<PROT_WRITE> and C<PROT_EXEC> (or is
C<PROT_NONE>); C<$flags> is C<IO::AIO::MAP_SHARED> (changes reach the file
and other processes) or C<MAP_PRIVATE>, plus any other C<MAP_*> flags.
Returns true, or false with C<$!> set.

Read the scalar like any string; change it only in place, without
changing its length (four-argument C<substr>, C<vec>, an lvalue C<substr>
of the same length).  Assigning something else to the scalar detaches
it, and the memory is unmapped when the scalar is freed, mapped again,
or passed to C<IO::AIO::munmap>.

   use Digest::MD5 ();

   open my $fh, "<", $file or die "$file: $!";
   IO::AIO::mmap my $data, -s $fh, IO::AIO::PROT_READ, IO::AIO::MAP_SHARED, $fh
      or die "mmap: $!";
   print Digest::MD5::md5_hex ($data), "  $file\n";

=item IO::AIO::munmap $scalar

Unmaps the memory behind C<$scalar>, which becomes C<undef>.  Croaks while
a request (C<aio_msync>, C<aio_mlock>, ...) still uses it.

=item IO::AIO::mremap $scalar, $new_length, $flags = MREMAP_MAYMOVE, $new_address = 0

mremap(2): resizes a mapping made by C<IO::AIO::mmap>; the scalar's length
follows.  Returns false with C<$!> set on failure; on success the string
C<0 but true> if the memory stayed at its address and 1 if it moved.  With
C<$flags> 0 it may not move, and fails if it cannot grow in place.
Croaks for a scalar that is not mapped or that a request is using.

=item IO::AIO::madvise $scalar, $offset, $length, $advice

=item IO::AIO::mprotect $scalar, $offset, $length, $prot

posix_madvise(3) with one of the C<IO::AIO::MADV_*> values, or
mprotect(2) with C<PROT_*> values, for a byte range of a mapped scalar;
C<$offset> and C<$length> work as for the memory requests (negative
offset from the end, C<undef> length to the end), and the range is
widened to whole pages.  C<mprotect> returns 0 or -1; C<madvise> returns
0 or the error number itself, as posix_madvise does.

=item IO::AIO::munlock $scalar, $offset = 0, $length = undef

Undoes C<aio_mlock> for a range of the scalar.

=item IO::AIO::mlockall $flags

=item IO::AIO::munlockall

The blocking forms of C<aio_mlockall>, and its opposite.

=back

=head2 Descriptors and pipes

=over 4

=item IO::AIO::sendfile $out_fh, $in_fh, $offset, $count

C<aio_sendfile> in the calling thread, with the same fallback and result.
Reasonable when the input is most likely cached and the output is a
non-blocking socket, so that neither side can hold the caller up.

=item IO::AIO::fadvise $fh, $offset, $length, $advice

posix_fadvise(2): tells the kernel how a range of the file (C<$length>
0: up to the end) will be used, with one of the C<IO::AIO::FADV_*>
values.  Returns 0 or the error number itself.

   # we will read the whole file once, front to back
   IO::AIO::fadvise $fh, 0, 0, IO::AIO::FADV_SEQUENTIAL;

=item IO::AIO::accept4 $listen_fh, $sockaddr, $maxlen, $flags

accept4(2): accepts a connection and returns its handle, or C<undef>.
C<$flags> may hold C<IO::AIO::SOCK_CLOEXEC> and C<SOCK_NONBLOCK> (from
L<Socket>), so the new socket never exists without them.  The peer's
address is stored in C<$sockaddr> if C<$maxlen> is not 0; an address
longer than C<$maxlen> bytes shows as a string one byte longer than
C<$maxlen>.  Pass C<undef> and 0 to skip the address.

   use Socket qw(SOCK_NONBLOCK unpack_sockaddr_in inet_ntoa);

   my $peer;
   my $conn = IO::AIO::accept4 $listener, $peer, 128,
                 IO::AIO::SOCK_CLOEXEC | SOCK_NONBLOCK
      or die "accept4: $!";
   my ($port, $addr) = unpack_sockaddr_in $peer;
   print "connection from ", inet_ntoa ($addr), ":$port\n";

=item IO::AIO::splice $in_fh, $in_offset, $out_fh, $out_offset, $length, $flags

splice(2): moves up to C<$length> bytes between two descriptors, one of
which must be a pipe, without copying them through Perl.  An offset of
C<undef> uses (and advances) that descriptor's position and must be used
for the pipe.  C<$flags> combines the C<IO::AIO::SPLICE_F_*> values.
Returns the number of bytes moved (0 at the end of the input), or -1.
The two descriptors must not refer to the same file.

=item IO::AIO::tee $in_fh, $out_fh, $length, $flags

tee(2): copies up to C<$length> bytes from one pipe into another without
consuming them, so they can still be read (or spliced) from C<$in_fh>.
Returns the number of bytes copied, or -1.

=item IO::AIO::pipesize $pipe_fh, $new_size = -1

Returns the capacity of a pipe in bytes, or sets it when C<$new_size> is
given and returns the new capacity (the kernel rounds up); -1 on failure.

=item IO::AIO::pipe2 $flags = 0

pipe2(2): returns a read and a write handle, or the empty list on
failure.  C<$flags> may combine C<IO::AIO::O_CLOEXEC>, C<O_NONBLOCK> and
C<O_DIRECT> (packet mode); with 0 it is Perl's C<pipe>.

   my ($r, $w) = IO::AIO::pipe2 IO::AIO::O_CLOEXEC | IO::AIO::O_NONBLOCK
      or die "pipe2: $!";

=item IO::AIO::memfd_create $name, $flags = 0

memfd_create(2): an anonymous file that lives in memory, returned as a
read-write handle (C<undef> on failure).  C<$name> only shows up in
F</proc/self/fd>.  C<$flags> combines the C<IO::AIO::MFD_*> values;
C<MFD_CLOEXEC> is what one usually wants, C<MFD_ALLOW_SEALING> permits
C<F_ADD_SEALS> later.

   my $fh = IO::AIO::memfd_create "scratch", IO::AIO::MFD_CLOEXEC
      or die "memfd_create: $!";
   syswrite $fh, "kept in RAM\n";

=item IO::AIO::fexecve $fh, \@args, \@env = undef

fexecve(3): runs the program open on C<$fh> in place of the current
process.  C<@args> is the complete argument vector, starting with the
program's name; without C<\@env> the current environment is passed.
Returns only on failure, with -1.

=back

=head2 Event, timer and process descriptors

=over 4

=item IO::AIO::eventfd $initval = 0, $flags = 0

eventfd(2): a descriptor holding a 64-bit counter, starting at
C<$initval>.  Writing 8 bytes (C<pack "Q", $n>) adds C<$n>; reading 8 bytes
returns the counter and resets it (with C<IO::AIO::EFD_SEMAPHORE>: returns 1
and decrements it).  It is readable while the counter is not zero, so it
can wake an event loop.  C<$flags> combines the C<IO::AIO::EFD_*> values.

   my $fh = IO::AIO::eventfd 0, IO::AIO::EFD_CLOEXEC or die "eventfd: $!";
   syswrite $fh, pack "Q", 3;
   sysread $fh, my $buf, 8;
   print "counter was ", unpack ("Q", $buf), "\n";   # 3

=item IO::AIO::timerfd_create $clockid, $flags = 0

timerfd_create(2): a timer that is read like a file.  C<$clockid> is one
of the C<IO::AIO::CLOCK_*> values, C<$flags> combines C<IO::AIO::TFD_NONBLOCK>
and C<TFD_CLOEXEC>.  Once the timer has expired, the handle is readable;
reading 8 bytes returns (as C<unpack "Q">) how many times it expired since
the last read.

=item IO::AIO::timerfd_settime $fh, $flags, $interval, $value

Arms the timer to expire in C<$value> seconds and then every
C<$interval> seconds (0: only once); a C<$value> of 0 disarms it.  Both
may have fractions.  With C<IO::AIO::TFD_TIMER_ABSTIME> in C<$flags>,
C<$value> is a time on the timer's clock rather than a delay.  Returns the
previous interval and remaining time, or the empty list on failure.

=item IO::AIO::timerfd_gettime $fh

Returns the interval and the time until the next expiry, or the empty
list on failure.

   my $t = IO::AIO::timerfd_create IO::AIO::CLOCK_MONOTONIC,
                                    IO::AIO::TFD_CLOEXEC
      or die "timerfd_create: $!";
   my @old = IO::AIO::timerfd_settime $t, 0, 0.5, 0.5
      or die "timerfd_settime: $!";
   for (1 .. 3) {
      sysread $t, my $buf, 8;
      printf "tick (%d expiry)\n", unpack "Q", $buf;
   }

=item IO::AIO::pidfd_open $pid, $flags = 0

pidfd_open(2): a handle referring to a process.  It becomes readable when
the process exits, and unlike the pid it can never come to mean another
process.  Returns C<undef> on failure.

=item IO::AIO::pidfd_send_signal $pidfh, $signal, $siginfo = undef, $flags = 0

pidfd_send_signal(2): sends C<$signal> (a number) to the process.
C<$siginfo>, if given, is a hash reference whose keys C<code>, C<pid>,
C<uid>, C<value_int> and C<value_ptr> fill in the C<siginfo_t> the
receiver sees; anything other than a hash reference croaks.  Returns 0 or
-1.

   my $pid = fork // die "fork: $!";
   if (!$pid) { sleep 10; exit }
   my $pidfh = IO::AIO::pidfd_open $pid or die "pidfd_open: $!";
   IO::AIO::pidfd_send_signal $pidfh, 15
      and die "pidfd_send_signal: $!";
   my $rin = "";
   vec ($rin, fileno $pidfh, 1) = 1;
   select $rin, undef, undef, undef;     # readable once the child is gone
   waitpid $pid, 0;

=item IO::AIO::pidfd_getfd $pidfh, $targetfd, $flags = 0

pidfd_getfd(2): returns a duplicate of descriptor number C<$targetfd> of
another process (which one needs the right to ptrace), or C<undef>.

=back

=head2 Mounts and limits

=over 4

=item IO::AIO::mount $special, $path, $fstype, $flags = 0, $data = undef

mount(2): mounts C<$special> (a device, or any string for filesystems
without one) on C<$path>.  C<$flags> combines the C<IO::AIO::MS_*> mount
flags; C<$data> is the filesystem's option string, or C<undef>.  Returns
0 or -1; needs privileges.

   IO::AIO::mount "tmpfs", "/mnt/scratch", "tmpfs",
                  IO::AIO::MS_NOSUID | IO::AIO::MS_NODEV, "size=64m"
      and die "mount: $!";

=item IO::AIO::umount $path, $flags = 0

umount(2), or umount2(2) when C<$flags> (C<IO::AIO::MNT_FORCE>,
C<MNT_DETACH>, C<MNT_EXPIRE>, C<UMOUNT_NOFOLLOW>) is not 0.  Returns 0 or
-1.

=item IO::AIO::get_fdlimit

The current (soft) limit on open descriptors, which is one more than the
highest descriptor number the process may use; C<undef> on failure.

=item IO::AIO::min_fdlimit $n = 0x7fffffff

Raises the descriptor limit to at least C<$n>, raising the hard limit as
well where the process may.  Returns true, or C<undef> with C<$!> set if
C<$n> could not be reached; the limit has then still been raised as far
as it would go (see C<get_fdlimit>).

   IO::AIO::min_fdlimit 4096
      or warn "only ", IO::AIO::get_fdlimit, " descriptors available: $!";

=back

=head2 Stat extensions

Perl's C<stat> returns whole seconds.  These functions read the
timestamps of the last C<stat>, C<lstat>, C<aio_stat> or C<aio_lstat>
from Perl's stat cache with their nanoseconds.  They are meaningful after
a successful call, or inside the callback of a successful request.

=over 4

=item IO::AIO::st_atime, IO::AIO::st_mtime, IO::AIO::st_ctime, IO::AIO::st_btime

Access, modification, change and birth time as floating-point seconds.
A double holds present-day times only to about a microsecond; use the
C<nsec> functions when every digit matters.  Linux's C<stat> reports no
birth time, so C<st_btime> is 0 (C<IO::AIO::statx> gets it).

=item IO::AIO::st_xtime

The four times above as one list.

=item IO::AIO::st_atimensec, IO::AIO::st_mtimensec, IO::AIO::st_ctimensec, IO::AIO::st_btimensec

=item IO::AIO::st_xtimensec

Only the nanoseconds (0 .. 999999999) of each time, or all four as a
list; the whole seconds come from C<(stat _)[8]> and so on.

   aio_stat "/etc", sub {
      $_[0] and return warn "/etc: $!";
      printf "modified at %d.%09d\n", (stat _)[9], IO::AIO::st_mtimensec;
   };

=item IO::AIO::st_btimesec

=item IO::AIO::st_gen

Birth time seconds and the inode generation number, on systems whose
C<stat> has them; always 0 on Linux.

=item IO::AIO::major $dev

=item IO::AIO::minor $dev

=item IO::AIO::makedev $major, $minor

Split a device number (C<(stat _)[6]> or C<[0]>) into its major and minor
number, or build one, for instance for C<aio_mknod>.

   my $rdev = (stat "/dev/null")[6];
   printf "/dev/null is %d:%d\n", IO::AIO::major $rdev, IO::AIO::minor $rdev;

=item IO::AIO::statx $pathname, $flags, $mask

statx(2), run in the calling thread: returns 0 or -1.  C<$pathname> may
be relative to a working directory (C<[$wd, $path]>).  C<$flags> combines
C<IO::AIO::AT_*> values (C<AT_SYMLINK_NOFOLLOW>, C<AT_NO_AUTOMOUNT>,
C<AT_STATX_SYNC_TYPE> ...); C<$mask> says which fields are wanted
(C<IO::AIO::STATX_*>, C<STATX_ALL> for everything).  The result does not
go into Perl's stat cache but into a buffer of its own, read by the
accessors below until the next C<statx>.  IO::AIO 4.80 has this function
too, but leaves it undocumented.

=item IO::AIO::stx_mask, stx_mode, stx_nlink, stx_uid, stx_gid, stx_ino, stx_size, stx_blocks, stx_blksize

=item IO::AIO::stx_attributes, stx_attributes_mask

=item IO::AIO::stx_dev_major, stx_dev_minor, stx_rdev_major, stx_rdev_minor

=item IO::AIO::stx_atime, stx_btime, stx_ctime, stx_mtime

=item IO::AIO::stx_atimesec, stx_btimesec, stx_ctimesec, stx_mtimesec

=item IO::AIO::stx_atimensec, stx_btimensec, stx_ctimensec, stx_mtimensec

The fields of the last C<statx> result (all called with the C<IO::AIO::>
prefix).  C<stx_mask> tells which fields the filesystem actually filled
in; C<stx_attributes> holds C<IO::AIO::STATX_ATTR_*> bits, valid where
C<stx_attributes_mask> has them set.  The times come as floating-point
seconds, whole seconds, or nanoseconds.

   if (IO::AIO::statx ("/etc/hostname", 0, IO::AIO::STATX_BTIME) == 0
       && IO::AIO::stx_mask & IO::AIO::STATX_BTIME) {
      print "created ", scalar localtime IO::AIO::stx_btimesec, "\n";
   }

=back

=head1 CONSTANTS

All constants are functions in package C<IO::AIO> without arguments, to
be called with their full name (C<IO::AIO::O_RDONLY>); none is exported.
Most take their value from the system headers at build time, and a name
the system does not define is 0, so that code can test a flag without
checking whether it exists.  (C<FS_IOC_FIEMAP> alone is left out
entirely where it is missing.)  Marked values below belong to IO::AIO's
own interface and are the same everywhere.

=over 4

=item Open flags: C<O_*>

C<O_RDONLY>, C<O_WRONLY>, C<O_RDWR> and C<O_ACCMODE>; C<O_CREAT>,
C<O_EXCL>, C<O_TRUNC>, C<O_APPEND>, C<O_NONBLOCK>, C<O_CLOEXEC>,
C<O_NOCTTY>, C<O_NOFOLLOW>, C<O_DIRECTORY>, C<O_DIRECT>, C<O_NOATIME>,
C<O_SYNC>, C<O_DSYNC>, C<O_RSYNC>, C<O_ASYNC>, C<O_PATH>, C<O_TMPFILE>,
C<O_EXEC>, C<O_SEARCH> (C<O_RDONLY> where the system lacks it) and
C<O_TTY_INIT>.  For C<aio_open>, C<pipe2> and wherever Perl's C<Fcntl>
lacks one.

=item File types: C<S_IF*>

C<S_IFMT> (the mask) and C<S_IFREG>, C<S_IFDIR>, C<S_IFLNK>, C<S_IFIFO>,
C<S_IFSOCK>, C<S_IFCHR>, C<S_IFBLK>, C<S_IFWHT>: the type bits of a
mode, for C<aio_mknod> and for examining C<(stat _)[2]>.

=item Directory entry types: C<DT_*> (fixed values)

C<DT_UNKNOWN>, C<DT_FIFO>, C<DT_CHR>, C<DT_DIR>, C<DT_BLK>, C<DT_REG>,
C<DT_LNK>, C<DT_SOCK>, C<DT_WHT>: the C<$type> of an C<aio_readdirx>
entry.

=item Directory reading: C<READDIR_*> (fixed values)

C<READDIR_DENTS>, C<READDIR_DIRS_FIRST>, C<READDIR_STAT_ORDER> and
C<READDIR_FOUND_UNKNOWN>, the flags of C<aio_readdirx>.

=item Seeking: C<SEEK_*>

C<SEEK_SET>, C<SEEK_CUR> and C<SEEK_END> (fixed at 0, 1, 2), and
C<SEEK_DATA>, C<SEEK_HOLE> (from the system) to find data and holes in a
sparse file, for C<aio_seek>.

=item Renaming: C<RENAME_*> (fixed values)

C<RENAME_NOREPLACE>, C<RENAME_EXCHANGE>, C<RENAME_WHITEOUT>, for
C<aio_rename2>.

=item Space allocation: C<FALLOC_FL_*> (fixed values)

C<FALLOC_FL_KEEP_SIZE>, C<FALLOC_FL_PUNCH_HOLE>,
C<FALLOC_FL_COLLAPSE_RANGE> (remove a range, closing the gap),
C<FALLOC_FL_ZERO_RANGE>, C<FALLOC_FL_INSERT_RANGE> (open a gap) and
C<FALLOC_FL_UNSHARE_RANGE> (give shared blocks a private copy), for
C<aio_allocate>.

=item Syncing: C<SYNC_FILE_RANGE_*> and C<MS_*> (fixed values)

C<SYNC_FILE_RANGE_WAIT_BEFORE>, C<SYNC_FILE_RANGE_WRITE>,
C<SYNC_FILE_RANGE_WAIT_AFTER> for C<aio_sync_file_range>; C<MS_ASYNC>,
C<MS_SYNC> and C<MS_INVALIDATE> for C<aio_msync>.

=item Memory: C<PROT_*>, C<MAP_*>, C<MREMAP_*>, C<MADV_*>, C<MCL_*>, C<MT_MODIFY>, C<PAGESIZE>

C<PROT_NONE>, C<PROT_READ>, C<PROT_WRITE>, C<PROT_EXEC> for C<mmap> and
C<mprotect>.  C<MAP_SHARED>, C<MAP_PRIVATE>, C<MAP_SHARED_VALIDATE> and the
modifiers C<MAP_ANONYMOUS> (C<MAP_ANON> on systems with only that name),
C<MAP_FIXED>, C<MAP_FIXED_NOREPLACE>, C<MAP_LOCKED>, C<MAP_NORESERVE>,
C<MAP_POPULATE>, C<MAP_NONBLOCK>, C<MAP_GROWSDOWN>, C<MAP_32BIT>,
C<MAP_HUGETLB>, C<MAP_STACK>, C<MAP_SYNC>, C<MAP_UNINITIALIZED> for
C<mmap>.  C<MREMAP_MAYMOVE> and C<MREMAP_FIXED> for C<mremap>.
C<MADV_NORMAL>, C<MADV_SEQUENTIAL>, C<MADV_RANDOM>, C<MADV_WILLNEED>,
C<MADV_DONTNEED> for C<madvise>.  C<MCL_CURRENT>, C<MCL_FUTURE>,
C<MCL_ONFAULT> (fixed) for C<aio_mlockall> and C<mlockall>.  C<MT_MODIFY>
(fixed) for C<aio_mtouch>.  C<PAGESIZE> is the system's page size,
determined when the module loads.

=item File advice: C<FADV_*>

C<FADV_NORMAL>, C<FADV_SEQUENTIAL>, C<FADV_RANDOM>, C<FADV_NOREUSE>,
C<FADV_WILLNEED>, C<FADV_DONTNEED>, for C<fadvise>.

=item Filesystem status: C<ST_*>

C<ST_RDONLY>, C<ST_NOSUID>, C<ST_NODEV>, C<ST_NOEXEC>, C<ST_SYNCHRONOUS>,
C<ST_MANDLOCK>, C<ST_WRITE>, C<ST_APPEND>, C<ST_IMMUTABLE>, C<ST_NOATIME>,
C<ST_NODIRATIME>, C<ST_RELATIME>: bits of the C<flag> field of an
C<aio_statvfs> result.

=item Extents: C<FIEMAP_*>

C<FIEMAP_FLAG_SYNC>, C<FIEMAP_FLAG_XATTR> and C<FIEMAP_FLAGS_COMPAT> (the
flags C<aio_fiemap> accepts); C<FIEMAP_EXTENT_LAST>,
C<FIEMAP_EXTENT_UNKNOWN>, C<FIEMAP_EXTENT_DELALLOC>,
C<FIEMAP_EXTENT_ENCODED>, C<FIEMAP_EXTENT_DATA_ENCRYPTED>,
C<FIEMAP_EXTENT_NOT_ALIGNED>, C<FIEMAP_EXTENT_DATA_INLINE>,
C<FIEMAP_EXTENT_DATA_TAIL>, C<FIEMAP_EXTENT_UNWRITTEN>,
C<FIEMAP_EXTENT_MERGED>, C<FIEMAP_EXTENT_SHARED> (the flags of each
extent it returns).  The error C<EBADR> reports unsupported flags.

=item Filesystem ioctls: C<FS_IOC_*>, C<FI*>, C<BLK*>, C<FS_*_FL>, C<FS_XFLAG_*>

Request numbers for C<aio_ioctl>: C<FS_IOC_GETFLAGS>, C<FS_IOC_SETFLAGS>,
C<FS_IOC_GETVERSION>, C<FS_IOC_SETVERSION>, C<FS_IOC_FIEMAP>,
C<FS_IOC_FSGETXATTR>, C<FS_IOC_FSSETXATTR>, the encryption requests
C<FS_IOC_SET_ENCRYPTION_POLICY>, C<FS_IOC_GET_ENCRYPTION_PWSALT>,
C<FS_IOC_GET_ENCRYPTION_POLICY> (with C<FS_KEY_DESCRIPTOR_SIZE>);
C<FIFREEZE>, C<FITHAW>, C<FITRIM>, C<FICLONE>, C<FICLONERANGE>,
C<FIDEDUPERANGE>; and for block devices C<BLKROSET>, C<BLKROGET>,
C<BLKRRPART>, C<BLKGETSIZE>, C<BLKGETSIZE64>, C<BLKFLSBUF>, C<BLKRASET>,
C<BLKRAGET>, C<BLKFRASET>, C<BLKFRAGET>, C<BLKSECTSET>, C<BLKSECTGET>,
C<BLKSSZGET>, C<BLKBSZGET>, C<BLKBSZSET>.  The inode flags that
C<FS_IOC_GETFLAGS> and C<FS_IOC_SETFLAGS> read and write (what
chattr(1) shows) are C<FS_SECRM_FL>, C<FS_UNRM_FL>, C<FS_COMPR_FL>,
C<FS_SYNC_FL>, C<FS_IMMUTABLE_FL>, C<FS_APPEND_FL>, C<FS_NODUMP_FL>,
C<FS_NOATIME_FL>, C<FS_DIRTY_FL>, C<FS_COMPRBLK_FL>, C<FS_NOCOMP_FL>,
C<FS_ENCRYPT_FL>, C<FS_BTREE_FL>, C<FS_INDEX_FL>, C<FS_JOURNAL_DATA_FL>,
C<FS_NOTAIL_FL>, C<FS_DIRSYNC_FL>, C<FS_TOPDIR_FL> and the mask
C<FS_FL_USER_MODIFIABLE>; the values C<FS_XFLAG_REALTIME>,
C<FS_XFLAG_PREALLOC>, C<FS_XFLAG_IMMUTABLE>, C<FS_XFLAG_APPEND>,
C<FS_XFLAG_SYNC>, C<FS_XFLAG_NOATIME>, C<FS_XFLAG_NODUMP>,
C<FS_XFLAG_RTINHERIT>, C<FS_XFLAG_PROJINHERIT>, C<FS_XFLAG_NOSYMLINKS>,
C<FS_XFLAG_EXTSIZE>, C<FS_XFLAG_EXTSZINHERIT>, C<FS_XFLAG_NODEFRAG>,
C<FS_XFLAG_FILESTREAM>, C<FS_XFLAG_DAX>, C<FS_XFLAG_HASATTR> are those of
the C<fsxattr> structure of C<FS_IOC_FSGETXATTR>.

=item Descriptor control: C<F_*>

C<F_DUPFD_CLOEXEC>; the open file description locks C<F_OFD_GETLK>,
C<F_OFD_SETLK>, C<F_OFD_GETLKW>; file sealing with C<F_ADD_SEALS>,
C<F_GET_SEALS> and the seals C<F_SEAL_SEAL>, C<F_SEAL_SHRINK>,
C<F_SEAL_GROW>, C<F_SEAL_WRITE>.  For C<aio_fcntl> and Perl's C<fcntl>.
(Linux names the blocking lock C<F_OFD_SETLKW>, so C<F_OFD_GETLKW> is 0
there.)

=item Pipes and sockets: C<SPLICE_F_*>, C<SOCK_CLOEXEC>, C<MSG_CMSG_CLOEXEC>

C<SPLICE_F_MOVE>, C<SPLICE_F_NONBLOCK>, C<SPLICE_F_MORE>, C<SPLICE_F_GIFT>
for C<splice> and C<tee>; C<SOCK_CLOEXEC> for C<accept4> (and
C<socket>); C<MSG_CMSG_CLOEXEC> for C<recvmsg>.

=item Event, timer and memory files: C<EFD_*>, C<TFD_*>, C<CLOCK_*>, C<MFD_*>

C<EFD_CLOEXEC>, C<EFD_NONBLOCK>, C<EFD_SEMAPHORE> for C<eventfd>.
C<TFD_CLOEXEC>, C<TFD_NONBLOCK> for C<timerfd_create>, and
C<TFD_TIMER_ABSTIME>, C<TFD_TIMER_CANCEL_ON_SET> for C<timerfd_settime>.
The clocks C<CLOCK_REALTIME>, C<CLOCK_MONOTONIC>, C<CLOCK_BOOTTIME>
(which keeps counting during suspend), C<CLOCK_REALTIME_ALARM> and
C<CLOCK_BOOTTIME_ALARM> (which wake the system).  C<MFD_CLOEXEC>,
C<MFD_ALLOW_SEALING>, C<MFD_HUGETLB>, C<MFD_HUGETLB_2MB>,
C<MFD_HUGETLB_1GB> for C<memfd_create>.

=item Mounting: C<MS_*>, C<MNT_*>, C<UMOUNT_NOFOLLOW>

The C<mount> flags C<MS_RDONLY>, C<MS_NOSUID>, C<MS_NODEV>, C<MS_NOEXEC>,
C<MS_SYNCHRONOUS>, C<MS_REMOUNT>, C<MS_MANDLOCK>, C<MS_DIRSYNC>,
C<MS_NOATIME>, C<MS_NODIRATIME>, C<MS_BIND>, C<MS_MOVE>, C<MS_REC>,
C<MS_SILENT>, C<MS_POSIXACL>, C<MS_UNBINDABLE>, C<MS_PRIVATE>,
C<MS_SLAVE>, C<MS_SHARED>, C<MS_RELATIME>, C<MS_KERNMOUNT>,
C<MS_I_VERSION>, C<MS_STRICTATIME>, C<MS_LAZYTIME>, C<MS_ACTIVE>,
C<MS_NOUSER>, C<MS_RMT_MASK>, C<MS_MGC_VAL>, C<MS_MGC_MSK> (not to be
confused with the C<MS_*> of C<aio_msync>, which share the prefix).  The
C<umount> flags C<MNT_FORCE>, C<MNT_DETACH>, C<MNT_EXPIRE>,
C<UMOUNT_NOFOLLOW>.

=item New mount interface: C<OPEN_TREE_*>, C<FSOPEN_*>, C<FSPICK_*>, C<MOVE_MOUNT_*>, C<FSCONFIG_*>, C<MOUNT_ATTR_*>

C<OPEN_TREE_CLONE>; C<FSOPEN_CLOEXEC>; C<FSPICK_CLOEXEC>,
C<FSPICK_SYMLINK_NOFOLLOW>, C<FSPICK_NO_AUTOMOUNT>, C<FSPICK_EMPTY_PATH>;
C<MOVE_MOUNT_F_SYMLINKS>, C<MOVE_MOUNT_F_AUTOMOUNTS>,
C<MOVE_MOUNT_F_EMPTY_PATH>, C<MOVE_MOUNT_T_SYMLINKS>,
C<MOVE_MOUNT_T_AUTOMOUNTS>, C<MOVE_MOUNT_T_EMPTY_PATH>;
C<FSCONFIG_SET_FLAG>, C<FSCONFIG_SET_STRING>, C<FSCONFIG_SET_BINARY>,
C<FSCONFIG_SET_PATH>, C<FSCONFIG_SET_PATH_EMPTY>, C<FSCONFIG_SET_FD>,
C<FSCONFIG_CMD_CREATE>, C<FSCONFIG_CMD_RECONFIGURE>; C<MOUNT_ATTR_RDONLY>,
C<MOUNT_ATTR_NOSUID>, C<MOUNT_ATTR_NODEV>, C<MOUNT_ATTR_NOEXEC>,
C<MOUNT_ATTR__ATIME>, C<MOUNT_ATTR_RELATIME>, C<MOUNT_ATTR_NOATIME>,
C<MOUNT_ATTR_STRICTATIME>, C<MOUNT_ATTR_NODIRATIME>.  Values for use with
C<syscall> and the open_tree(2)/fsopen(2) family, which this module does
not wrap.  As in IO::AIO, the C<FSCONFIG_*> values are 0 with the usual
headers, where they are not macros.

=item Paths relative to directories: C<AT_*>

C<AT_FDCWD>, C<AT_SYMLINK_NOFOLLOW>, C<AT_SYMLINK_FOLLOW>, C<AT_EACCESS>,
C<AT_REMOVEDIR>, C<AT_NO_AUTOMOUNT>, C<AT_EMPTY_PATH>, C<AT_RECURSIVE>,
and C<AT_STATX_SYNC_TYPE>, C<AT_STATX_AS_STAT>, C<AT_STATX_FORCE_SYNC>,
C<AT_STATX_DONT_SYNC> for C<statx>.

=item statx fields: C<STATX_*>

The C<$mask> bits of C<statx> and C<stx_mask>: C<STATX_TYPE>,
C<STATX_MODE>, C<STATX_NLINK>, C<STATX_UID>, C<STATX_GID>,
C<STATX_ATIME>, C<STATX_MTIME>, C<STATX_CTIME>, C<STATX_INO>,
C<STATX_SIZE>, C<STATX_BLOCKS>, C<STATX_BTIME>, and C<STATX_BASIC_STATS>
(what C<stat> returns) and C<STATX_ALL>.  The C<stx_attributes> bits
C<STATX_ATTR_COMPRESSED>, C<STATX_ATTR_IMMUTABLE>, C<STATX_ATTR_APPEND>,
C<STATX_ATTR_NODUMP>, C<STATX_ATTR_ENCRYPTED>, C<STATX_ATTR_AUTOMOUNT>.

=item Process ids: C<P_*>

C<P_PID>, C<P_PIDFD>, C<P_PGID>, C<P_ALL>, the id types of waitid(2).
Like IO::AIO, this module takes them from macros, and the usual headers
declare them otherwise, so they are normally 0.

=item Error numbers: C<ENOSYS>, C<EXDEV>, C<EBADR>

Errors the requests report and that L<Errno> may not name on every
system.

=back

=head1 THE RUST ENGINE

This section describes how requests run.  Nothing in it changes what a
program sees (results, C<$!>, callback order, priorities, groups); it
explains the speed, and what the tuning functions do.

=head2 Queues, threads and the descriptor

Requests wait in one FIFO per priority; worker threads take the highest
first.  Results wait in a second priority queue until C<poll_cb> takes them
out, highest priority first.  The descriptor is an eventfd (a pipe where
eventfd is missing), written only when the result queue turns non-empty
and drained when it turns empty, so it is readable exactly while results
wait.

Threads start on demand, when a request is queued and fewer threads run
than requests are unfinished, up to the limit: 8 unless changed with
C<min_parallel> or C<max_parallel>, as in IO::AIO.  Beyond C<max_idle>
idle threads, a thread exits after C<idle_timeout> seconds without work.

A request that may block never waits in a worker's hands behind another
one.  A worker takes several queued requests at once (up to 16, its share
of the queue) only while they are of kinds that ran quickly the last time
(a cached C<aio_stat>, an C<aio_nop>), never behind a request known to take
long (C<aio_busy>, the C<sync> family), and never behind a kind that was
slow (over 50 microseconds: it waited for the disk) or has not run yet (the
first read may be of a pipe that stays empty).  If a request of a
quick kind does turn out slow, the worker gives the rest of its batch back
to the queue for the other threads, and takes that kind one at a time
from then on.  So a flood of cached requests costs one lock per batch,
while reads from the disk spread over all threads.

Waking a sleeping thread costs a system call and often a context switch,
so a flood of small requests must not wake one per request.  A worker
that ran out of work after quick requests looks for more for about 50
microseconds before it sleeps (after slow ones it sleeps at once: new
work then comes at the pace of the disk).  Submitting wakes a sleeper only
for requests that no awake worker will take.  When a submitter leaves a
request to busy workers that were quick so far, one sleeper keeps watch,
waking every millisecond while the others are busy, and takes over if they
stall; once the queue is empty it sleeps too.  No other timer runs: an
idle pool, or one whose only request is a long C<aio_busy>, uses no CPU.

=head2 Polling

A C<poll_cb> call hands out every result that waited when it began.
Results that arrive meanwhile (a feeder keeping the workers busy, say) are
handed out too, but only until the call has lasted a millisecond; then it
returns, leaving the descriptor readable for the rest, so that the event
loop's timers and other watchers run between rounds.  C<max_poll_reqs> and
C<max_poll_time>, if set, bound the call as in IO::AIO instead.  When
C<poll_cb> has handed out every waiting result while workers are running
requests and more are queued, it looks for new results for up to 20
microseconds before it returns, so that in a stream of small requests the
callbacks run while the workers make the next system calls.  A request
submitted when a worker is looking for work, with nothing else queued and
no result waiting, is given up to 3 microseconds to complete before the
submitting function returns: a request as quick as an C<aio_nop> is then
done before the caller reaches its event loop, whose C<select> finds the
descriptor readable at once.  After requests that took longer, this
waiting backs off (down to one try in 64).

=head2 Memory

A queued request costs about 135 bytes: one allocation, which holds the
engine's request and the glue's record of it, and a queue slot.  What the
submitting thread allocates for a request (its path, the buffer for a
C<stat> result, which the next C<aio_stat> reuses) is freed by that
thread, never by a worker, so the threads do not contend for the
allocator; from 1024 outstanding requests on, the
polling thread also makes room in the result queue for all of them.  After
a burst of 65536 or more outstanding requests has drained, the queues'
memory is given back to the system (C<malloc_trim>); smaller bursts keep
theirs for the next one, which would otherwise fault it in again.  Panics
inside the engine fail the request (C<EIO>) instead of the process.

=head2 Engines: threads and io_uring

Where the kernel offers io_uring, reads go to it by default: an
C<aio_read> of at most 128 KiB from a regular file is handed to the
kernel directly by the thread that submits it, as an entry of one ring
per process, without a worker thread.  Many reads are in the kernel at
once (as many as are outstanding, up to 1024), not one per thread, and the
kernel signals the same descriptor when each completes; C<poll_cb> takes
the completions as they arrive and hands them out with the threads'
results, in priority order, with the same results and C<$!> values.  A
read goes to the ring unless a request of higher priority waits for a
thread (that one goes first), or any request waits while C<max_parallel>
is 1 (with one thread, requests start strictly in the order submitted, as
in IO::AIO), or C<max_parallel> is 0 (which holds every request back, as
documented).  A read on the ring takes no thread from the requests that
wait, and it keeps the disk busy while slow requests hold the threads: in
a cold C<aio_load> of 8,000 small files, 64 at a time, directory by
directory, the reads used to queue behind the opens on 8 threads; on the
ring they ran at 1.4 to 1.6 times the original's rate.  Measured on the
project's machine (2 vCPUs, virtio disk, caches dropped before every
pass), 20,000 random 4 KiB reads of a 1 GiB file with 64 in flight ran at
1.3 to 1.9 times the original's rate in earlier runs, and at 1.54 times it
(0.94 of fio's rate on the same file) with 0.56 of its CPU time per read
in the latest full benchmark run; on threads they ran at the original's
rate, as both then have 8 reads at the disk.

While the kernel holds fewer than two of the ring's requests, the
submitting thread enters each new one itself, and a cached read completes
inside that call, with no thread involved.  From two on (the reads wait
for the disk), one more thread, which sleeps otherwise, enters them for
it: the kernel's work of starting a read (the page-cache lookup, the block
request, the device's doorbell) and of finishing it (copying the data)
then runs beside the Perl code instead of on its thread, and reads pushed
meanwhile go in together.  On an otherwise idle machine this is what keeps
the Perl thread from becoming the limit: cold random reads went from 0.85
to 0.89 of fio's rate and from 22 to 19 microseconds of CPU per read, and
a cold C<aio_load> of small files, in an order that jumps between
directories, went from 1.0 to 1.2 times the original's rate (medians of
two series of alternating runs) to 1.3 times it.  When another process
keeps a CPU busy, that thread must wait for it, and the same reads ran
about 15% slower than with the submitting thread doing all the work, still
at or above the original's rate.

Everything else runs on the threads, by measurement: larger reads (a
cached one would be copied on the submitting thread itself, where threads
copy beside the Perl code, and readahead serves cold sequential reads as
fast on threads: 1 MiB reads ran at 0.84 of the original through the ring,
1.06 on threads); C<statx> always runs on the kernel's own io_uring
workers, and cold stat storms ran at about 0.6 of the threads' rate through
the ring; opens through the ring were slower for cold small-file loads.
Reads of pipes and sockets, and reads at the file position, stay on
threads too (the ring accepts an offset there and waits where
C<O_NONBLOCK> says C<EAGAIN>).

C<IO_AIO_ENGINE> in the environment, read once when the module loads,
chooses otherwise: C<threads> runs everything on the threads;
C<uring> hands the ring C<aio_read>/C<aio_write> on regular files,
C<aio_open>, C<aio_stat>/C<aio_lstat> (as C<statx>) and
C<aio_fsync>/C<aio_fdatasync>; C<uring:read,open> routes only the
operations named (C<read>, C<write>, C<open>, C<stat>, C<fsync>); unset or
C<auto> is the default above.  C<IO::AIO::engine> returns C<threads> or
C<uring>.  Where io_uring cannot be used (an old kernel, seccomp,
C<kernel.io_uring_disabled>, missing opcodes), the default silently uses
threads and C<IO_AIO_ENGINE=uring> says why on standard error first.  No
kernel polling thread (C<SQPOLL>) is used.

C<max_parallel>, C<min_parallel>, C<max_idle> and C<idle_timeout> count and
limit worker threads only, as documented; requests in the ring are not
limited by them.  C<nthreads> counts worker threads (the kernel's own
io_uring workers are not counted).  Cancelling a request that is already
in the kernel does not stop it, as cancelling one that a thread executes
does not: it completes, and its callback is not called.  A forked child
never touches its parent's ring (its mappings are not inherited); the
child's first request makes a ring of its own.

=head1 DIFFERENCES FROM IO::AIO 4.80

Where the original crashes, corrupts memory or loses data, this module
behaves safely instead:

=over 4

=item * A successful request's callback sees C<$!> = 0; the original leaves
a stale error from the worker thread there.

=item * C<aio_read> into a read-only scalar (including a string literal)
croaks with C<Modification of a read-only value attempted>, as C<sysread>
does; the original overwrites the constant.  A second C<aio_read> into a
buffer that is still in flight croaks the same way.

=item * A pathname containing a NUL byte fails with C<ENOENT>, as Perl's own
file functions do, instead of being cut at the NUL.

=item * Adding a group to itself or to a group inside it, or adding a request
that belongs to another group, croaks; the original hangs or corrupts its
bookkeeping.

=item * Objects blessed into C<IO::AIO::REQ> by other code are treated as
finished requests instead of being dereferenced.

=item * Objects blessed into C<IO::AIO::WD> by other code, and pairs with a
nonexistent element (a sparse array), croak when used as pathnames;
destroying such an object closes nothing.  A second C<[$wd, $path]> with
an C<undef> or C<INVALID_WD> C<$wd> (in C<aio_link>, C<aio_rename>, ...)
fails with C<ENOENT> like the first.

=item * C<aio_symlink $target, [$wd, $path]> creates the link relative to
C<$wd>.  The original ignores that C<$wd> (creating the link relative to
the current directory) and uses the working directory of C<$target>
instead, which is only the link's contents.

=item * C<aio_statvfs> of a path opens it with C<O_PATH>, so it also works
on sockets and never opens devices for reading; the original's
C<O_RDONLY> open fails on sockets with C<ENXIO>.

=item * C<aio_rmtree> of something that is not a directory fails with
C<ENOTDIR> and touches nothing.  The original scans a symlink to a
directory like the directory itself and deletes the contents of its
target before failing to C<rmdir> the link.

=item * C<aio_mtouch> with C<MT_MODIFY> on a mapping without C<PROT_WRITE>
croaks; in the original a worker writes to the read-only page and the
process dies of C<SIGSEGV>.

=item * C<IO::AIO::munmap> and C<IO::AIO::mremap> croak while a request uses
the mapped scalar, instead of pulling the memory away from the worker.

=item * C<IO::AIO::mprotect> on a scalar whose string lives in Perl's own
heap fails with C<EINVAL> (it would protect whatever shares its pages and
crash the program), as does C<IO::AIO::madvise> with advice beyond the
POSIX values; both work as before on C<IO::AIO::mmap> scalars and other
memory that Perl does not own.

=item * C<aio_mtouch> on memory that cannot be touched (C<PROT_NONE>, a file
mapping beyond the end of its file) fails with C<EFAULT> or C<EINVAL>
instead of killing the process with C<SIGSEGV> or C<SIGBUS>.

=item * A length that cannot be allocated (C<aio_read>, C<aio_slurp>,
C<aio_fiemap>'s count) fails the request with C<ENOMEM>, and one beyond any
address space (a negative length, 2**63 and more) with C<EFAULT>, the
error the original gives for -1, instead of ending the process with
"Out of memory!" or "panic: memory wrap".

=item * C<IO::AIO::madvise> and C<IO::AIO::mprotect> with fewer than four
arguments croak with their usage line; the original reads the missing one
from beyond its arguments (and may crash).

=item * C<IO::AIO::mremap> of a scalar that holds a number or a reference
instead of a mapping croaks like for any other scalar that is not one; the
original crashes.

=item * C<aio_fcntl> and C<aio_ioctl> with a modifiable C<undef> as
C<$arg> pass an empty buffer, as documented above; the original crashes.

=item * C<aio_fiemap> with a negative C<$count> returns all extents; the
original reads beyond its buffer when the count's low 32 bits are 0 (as
for -2**63).

=item * C<aio_close> of a descriptor that is not open fails with C<EBADF>
instead of creating that descriptor.

=item * A forked child may use the module without calling
C<IO::AIO::reinit>: its first use starts a fresh engine (the parent's
requests stay the parent's).  The original hangs there.  In the child,
C<poll_fileno> (same number, as in the original) never becomes readable
for the parent's results, and a callback that forks ends the round in the
child: the round's other callbacks run in the parent only.  In the
original, the child can see the parent's readiness and run the parent's
callbacks.

=item * C<IO::AIO::reinit> in a process that did not fork first waits for
the requests being run and drops the rest; the original reinitialises its
structures under its running threads (undefined behaviour).

=item * When a group member's callback dies, C<poll_cb> dies with that
error even if the group's own callback runs in the same call (it does, in
both); the original then dies with an empty error.

=item * A composite request (C<aio_copy>, C<aio_move>, C<aio_rmtree>)
that croaks on an argument leaves a group that simply completes in the
next C<poll_cb> (C<aio_scandir> makes none); the original can leave a
half-made group that makes a later C<flush> die ("busy IO::AIO::REQ
object expected").

=item * When the system refuses every worker thread (C<RLIMIT_NPROC>),
requests run in C<poll_cb>, C<poll_wait> and C<flush> instead of waiting
forever.

=item * Code that runs while a request is being changed or submitted, and
finishes that request, is safe: a destructor run by replacing a callback
(C<< $req->cb >>), a feeder or a group result (C<< $grp->feed >>,
C<< $grp->result >>, C<cancel_subs>), or the one-shot submission hook
AnyEvent::AIO installs, or a tied argument's C<FETCH>, may call
C<IO::AIO::flush>.  The original frees the
old value (or runs the hook) first and then uses the request, which may be
gone by then.

=back

Other differences, where both behaviours are safe:

=over 4

=item * C<aio_scandir> reads and classifies a directory in one request;
C<$maxreq> is ignored, as there are no C<stat> requests to bound.  It is
an XSUB: called as C<&aio_scandir (...)> with a wrong number of arguments
it croaks with its usage line, and AnyEvent::AIO's one-shot hook given as
a sub name is looked up in the caller's package, not in C<IO::AIO>.

=item * C<aio_slurp> with C<$length> 0 leaves an ordinary string in
C<$data>; the original attaches a buffer of its own that, like a mapped
scalar, may only be modified in place.

=item * C<aio_copy> finds the size, times, mode and owner of the source
with C<aio_stat>; the original calls C<stat> in the main thread, where it
can block on a slow filesystem.  (C<aio_load> sizes the open file with
C<-s>, as the original does: one round trip through the pool less per
file.)

=item * In void context C<aio_scandir> submits only the scan, without the
group that nobody could reach, so C<IO::AIO::nreqs> counts one request
for it instead of several.

=item * Without C<max_poll_reqs> and C<max_poll_time>, a C<poll_cb> call
hands out every result that waited when it began, and results that
arrive meanwhile only for about a millisecond; then it returns -1 (as
when a budget is used up) with the descriptor still readable, so an event
loop's timers keep running during a long stream of results.  The original
goes on as long as results keep coming.

=item * Reads that go to the io_uring engine (see L</Engines: threads and
io_uring>) are not bounded by C<max_parallel>, which limits worker
threads; with C<max_parallel 0> every request is held back, as before.
Once reads wait for the disk, the ring has one thread of its own beside
the workers (it sleeps while there is nothing to enter, and
C<IO::AIO::nthreads> does not count it).

=item * C<IO::AIO::max_poll_time> takes any positive number of seconds; the
original rounds values below about a millisecond down to 0 (no limit).

=item * C<IO::AIO::stats>, C<IO::AIO::stats_reset> and C<IO::AIO::slow_request>
(exported on request only) and the B<aio-stat> command are additions (see
L</STATISTICS>).

=back

=head1 SEE ALSO

L<AnyEvent::AIO>, L<Coro::AIO>, the original L<IO::AIO>, L<aio-stat>.

=head1 AUTHOR

The Seed 708a7b06 maintainers (the name in the project's git history).
The interface, and therefore every name, prototype and documented
behaviour this module reproduces, is that of IO::AIO 4.80 by Marc
Lehmann; the code and this documentation are written anew.

The project has no public repository or bug tracker yet.

=head1 COPYRIGHT AND LICENSE

Copyright (C) 2026 the Seed 708a7b06 maintainers.

This library is free software; you can redistribute it and/or modify it
under the same terms as Perl itself: either the GNU General Public
License, version 1 or (at your option) any later version, or the Artistic
License that comes with Perl (SPDX: C<GPL-1.0-or-later OR
Artistic-1.0-Perl>).  The file F<LICENSE> holds both texts.

=cut

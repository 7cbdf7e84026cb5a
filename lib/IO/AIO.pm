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
                       pidfd_open pidfd_send_signal pidfd_getfd);

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

# aio_scandir: split the entries of a directory into real directories and
# everything else.  Types reported by readdir are trusted; entries of
# unknown type are lstat'ed, likely directories first and in inode order,
# at most $maxreq at a time, until the link count says every subdirectory
# has been found.
sub aio_scandir($$;$) {
   my ($path, $maxreq, $cb) = @_;

   my $pri = aioreq_pri;
   my $grp = aio_group $cb;

   # The engine scans the directory and classifies its entries in one
   # request (IO::AIO needs a chain of stat requests, which $maxreq bounds;
   # here it has nothing left to limit).
   aioreq_pri $pri;
   $grp->add (_scandir ($path, sub { $grp->result (@_) }));

   $grp
}

# aio_rmtree: delete $path and everything below it; the status is that of
# the final rmdir.  Unlike IO::AIO 4.80, a $path that is not a directory
# (in particular a symlink to one, also when written with a trailing slash)
# is never descended into: it fails with ENOTDIR without touching anything.
sub aio_rmtree($;$) {
   my ($path, $cb) = @_;

   my $pri = aioreq_pri;
   my $grp = aio_group $cb;

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
      $grp->add (aio_stat ($fh, sub {
         return $grp->result (-1)
            if $_[0];

         aioreq_pri $pri;
         $grp->add (aio_read ($fh, 0, -s _, $$data, 0, sub {
            $grp->result ($_[0]);
         }));
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
outstanding.

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

=item aio_stat  $fh_or_path, $callback->($status)

=item aio_lstat $fh_or_path, $callback->($status)

C<stat> or C<lstat> in the background.  Passes 0 or -1, and fills Perl's
stat cache, so the callback can use C<_>:

   aio_stat $path, sub {
      $_[0] and return warn "$path: $!";
      printf "%s: %d bytes, mode %o\n", $path, -s _, (stat _)[2] & 07777;
   };

As with Perl's own functions, C<lstat _> dies after C<aio_stat>.

=item aio_unlink $pathname, $callback->($status)

=item aio_mkdir $pathname, $mode, $callback->($status)

=item aio_rmdir $pathname, $callback->($status)

C<unlink>, C<mkdir> and C<rmdir> in the background; pass 0 or -1.

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

=item aio_mknod $pathname, $mode, $dev, $callback->($status)

Creates a special file; C<$mode> includes the type, e.g.
C<IO::AIO::S_IFIFO | 0600> with C<$dev> 0 for a FIFO.

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

=item aio_nop $callback->()

Does nothing, but goes through the whole request cycle.

=item IO::AIO::aio_busy $seconds, $callback->()

Keeps a worker busy for C<$seconds> (for testing).

=item aio_sync $callback->($status)

C<sync> in the background.

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
reference goes away; requests using the object keep it alive until they
are done.

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

=item aioreq_pri $pri, aioreq_nice $delta

Set the priority (-4..4, higher first, default 0) of the next request.
C<aioreq_pri> returns the current value.

=item IO::AIO::nreqs, nready, npending, nthreads

The counters described in L</Request life cycle>.

=item IO::AIO::reinit

Makes the module usable in a forked child: the child starts with no
outstanding requests and new threads.

=back

=head1 THE RUST ENGINE

Requests wait in one FIFO per priority; worker threads take the highest
first.  Results wait in a second priority queue until C<poll_cb> takes them
in batches, with one lock per batch.  The descriptor is an eventfd (a pipe
where eventfd is missing), written only when the result queue turns
non-empty and drained when it turns empty.  A worker that runs out of work
looks for more for about 50 microseconds before it sleeps, which saves a
thread wake-up when requests come one at a time.  Panics inside the engine
fail the request (C<EIO>) instead of the process.

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

=back

=head1 SEE ALSO

L<AnyEvent::AIO>, L<Coro::AIO>, the original L<IO::AIO>.

=cut

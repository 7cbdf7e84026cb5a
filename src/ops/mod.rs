//! Executing an operation on a worker thread.

pub mod dir;
pub mod files;
pub mod paths;

use std::time::Duration;

use crate::request::{Errno, Op, Outcome, Output, Request, Target};
use crate::sys;

/// What a worker needs besides the operation itself.
pub(crate) struct Context<'a> {
    pub req: &'a Request,
    /// Read end of a dead pipe, dup2()ed over descriptors by `Close`.
    pub dead_fd: std::os::unix::io::RawFd,
}

pub(crate) fn execute(op: &mut Op, ctx: &Context) -> Outcome {
    let int = |r: Result<i64, Errno>| r.map(Output::Int);
    match *op {
        Op::Nop => Ok(Output::Int(0)),
        Op::Fail { errno } => Err(errno),
        Op::Busy { secs } => {
            std::thread::sleep(Duration::from_secs_f64(secs.clamp(0.0, 1e9)));
            Ok(Output::Int(0))
        }
        Op::Sync => {
            sys::sync();
            Ok(Output::Int(0))
        }
        Op::Open { ref path, flags, mode } => sys::open_owned(path.dir, &path.path, flags, mode).map(Output::Fd),
        // A descriptor that is not open fails as close(2) would: dup2 would
        // create it, and nobody would ever close it.
        Op::Close { fd } => {
            // SAFETY: F_GETFD takes no pointer; `aio_close` acts for the
            // descriptor's owner, who asked for it to be replaced.
            let replaced = unsafe { sys::fcntl(fd, libc::F_GETFD, 0).and_then(|_| sys::dup2(ctx.dead_fd, fd)) };
            int(replaced.map(|_| 0))
        }
        Op::Seek { fd, offset, whence } => int(sys::lseek(fd, offset, whence)),
        Op::Read { fd, offset, ref buf } => int(sys::read_buf(fd, offset, buf)),
        Op::Write { fd, offset, ref buf } => int(sys::write_buf(fd, offset, buf)),
        Op::Stat { ref target, follow, ref mut buf } => {
            let st = match *target {
                Target::Path(ref path) => sys::fstatat(path.dir, &path.path, follow)?,
                Target::Fd(fd) => sys::fstat(fd)?,
            };
            Ok(Output::Stat(match buf.take() {
                Some(mut buf) => {
                    *buf = st;
                    buf
                }
                None => Box::new(st),
            }))
        }
        Op::Unlink { ref path } => int(sys::unlink_at(path.dir, &path.path, 0)),
        Op::Rmdir { ref path } => int(sys::unlink_at(path.dir, &path.path, libc::AT_REMOVEDIR)),
        Op::Mkdir { ref path, mode } => int(sys::mkdir_at(path.dir, &path.path, mode)),
        Op::Readdir { ref path, flags } => {
            dir::read(path, flags, ctx.req).map(|listing| Output::Dir(Box::new(listing)))
        }
        Op::Scandir { ref path } => dir::scan(path, ctx.req).map(|listing| Output::Dir(Box::new(listing))),
        Op::Sendfile { out_fd, in_fd, offset, len } => int(files::sendfile(out_fd, in_fd, offset, len)),
        Op::Readahead { fd, offset, len } => int(sys::readahead(fd, offset, len)),
        Op::Fallocate { fd, mode, offset, len } => int(sys::fallocate(fd, mode, offset, len)),
        Op::Fiemap { fd, start, len, flags, count } => files::fiemap(fd, start, len, flags, count),
        Op::Fcntl { fd, cmd, ref arg } => int(files::fcntl(fd, cmd, arg)),
        Op::Ioctl { fd, request, ref arg } => int(files::ioctl(fd, request, arg)),
        Op::Fsync { fd } => int(sys::fsync(fd)),
        Op::Fdatasync { fd } => int(sys::fdatasync(fd)),
        Op::Syncfs { fd } => int(files::syncfs(fd)),
        Op::SyncFileRange { fd, offset, nbytes, flags } => int(files::sync_file_range(fd, offset, nbytes, flags)),
        Op::Slurp { ref path, ref read } => files::slurp(path, read.offset, read.len, read.buf.as_ref()),
        Op::Msync { ref mem, flags } => int(files::msync(mem, flags)),
        Op::Mtouch { ref mem, modify } => int(files::mtouch(mem, modify, ctx.req)),
        Op::Mlock { ref mem } => int(files::mlock(mem)),
        Op::Mlockall { flags } => int(sys::mlockall(flags)),
        Op::Statvfs { ref target } => paths::statvfs(target),
        Op::Utime { ref target, ref times } => int(paths::utime(target, times.as_deref())),
        Op::Chown { ref target, uid, gid } => int(paths::chown(target, uid, gid)),
        Op::Chmod { ref target, mode } => int(paths::chmod(target, mode)),
        Op::Truncate { ref target, length } => int(paths::truncate(target, length)),
        Op::Mknod { ref path, mode, dev } => int(sys::mknodat(path.dir, &path.path, mode, dev)),
        Op::Link { ref from, ref to } => int(sys::linkat(from.dir, &from.path, to.dir, &to.path)),
        Op::Symlink { ref target, ref link } => int(sys::symlinkat(target, link.dir, &link.path)),
        Op::Rename { ref from, ref to, flags } => int(sys::renameat2(from.dir, &from.path, to.dir, &to.path, flags)),
        Op::Readlink { ref path } => paths::readlink(path),
        Op::Realpath { ref path, ref base } => paths::realpath(&path.path, base.as_deref()).map(Output::Bytes),
        Op::WdOpen { ref path, ref base } => paths::wd_open(path, base.as_deref()),
        Op::WdClose { ref mut fd } => {
            drop(fd.take());
            Ok(Output::Int(0))
        }
    }
}

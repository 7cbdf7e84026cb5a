//! Thin syscall wrappers, each returning `Result<_, Errno>` with errno
//! captured right after the call.  A wrapper whose soundness rests on its
//! caller (descriptor ownership, what an fcntl/ioctl does) is an `unsafe
//! fn`; buffers come as `ForeignBuf`s, whose invariant covers them.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::unix::io::RawFd;

use crate::types::{Errno, ForeignBuf};

/// Converts a libc-style `-1 on error` return into a `Result`.
fn check(ret: i64) -> Result<i64, Errno> {
    if ret < 0 {
        Err(Errno::last())
    } else {
        Ok(ret)
    }
}

/// Runs `f` until it stops failing with EINTR.
fn retry(mut f: impl FnMut() -> i64) -> Result<i64, Errno> {
    loop {
        match check(f()) {
            Err(Errno(libc::EINTR)) => continue,
            other => return other,
        }
    }
}

pub fn eventfd_nonblocking() -> Result<RawFd, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) }.into()).map(|fd| fd as RawFd)
}

/// A non-blocking, close-on-exec pipe: `(read end, write end)`.
pub fn pipe_nonblocking() -> Result<(RawFd, RawFd), Errno> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) }.into())?;
    Ok((fds[0], fds[1]))
}

/// A close-on-exec pipe whose write end is closed at once: reading it gives
/// EOF, writing it fails.  `aio_close` dup2()s it over the closed descriptor.
pub fn dead_pipe() -> Result<RawFd, Errno> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }.into())?;
    // SAFETY: just made, ours alone.
    unsafe { close(fds[1]) };
    Ok(fds[0])
}

pub fn write_all(fd: RawFd, bytes: &[u8]) -> Result<i64, Errno> {
    // SAFETY: the pointer and length describe the live slice `bytes`.
    retry(|| unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) } as i64)
}

pub fn read_into(fd: RawFd, bytes: &mut [u8]) -> Result<i64, Errno> {
    // SAFETY: the pointer and length describe the live slice `bytes`.
    retry(|| unsafe { libc::read(fd, bytes.as_mut_ptr().cast(), bytes.len()) } as i64)
}

/// # Safety
/// `fd` must be owned by the caller: nobody else uses or closes it.
pub unsafe fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd`; errors are of no use here.
    unsafe { libc::close(fd) };
}

pub fn open_at(dir: RawFd, path: &CStr, flags: i32, mode: u32) -> Result<RawFd, Errno> {
    // SAFETY: `path` is a NUL-terminated string alive across the call.
    retry(|| unsafe { libc::openat(dir, path.as_ptr(), flags | libc::O_CLOEXEC, mode) } as i64).map(|fd| fd as RawFd)
}

/// `open_at`, the descriptor owned by the result.
pub fn open_owned(dir: RawFd, path: &CStr, flags: i32, mode: u32) -> Result<std::os::unix::io::OwnedFd, Errno> {
    // SAFETY: a descriptor just opened, owned by nobody else.
    open_at(dir, path, flags, mode).map(|fd| unsafe { own_fd(fd) })
}

/// # Safety
/// `to` is closed and replaced: the caller must own it, or act for its
/// owner (as `aio_close` does).
pub unsafe fn dup2(from: RawFd, to: RawFd) -> Result<i64, Errno> {
    // SAFETY: no pointers; the caller owns `to`.
    retry(|| unsafe { libc::dup2(from, to) } as i64)
}

/// dup3(2) with O_CLOEXEC: `to` then refers to what `from` does.
///
/// # Safety
/// As for `dup2`.
pub unsafe fn dup3(from: RawFd, to: RawFd) -> Result<i64, Errno> {
    // SAFETY: no pointers; the caller owns `to`.
    retry(|| unsafe { libc::dup3(from, to, libc::O_CLOEXEC) } as i64)
}

pub fn lseek(fd: RawFd, offset: i64, whence: i32) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::lseek(fd, offset, whence) })
}

/// read(2) or pread(2) into foreign memory.
pub fn read_buf(fd: RawFd, offset: Option<i64>, buf: &ForeignBuf) -> Result<i64, Errno> {
    // SAFETY: the glue pins `buf` (valid for `len` writable bytes) for the
    // life of the request, and only this worker touches it meanwhile.
    retry(|| unsafe {
        match offset {
            Some(offset) => libc::pread(fd, buf.ptr().cast(), buf.len(), offset),
            None => libc::read(fd, buf.ptr().cast(), buf.len()),
        }
    } as i64)
}

/// write(2) or pwrite(2) from foreign memory.
pub fn write_buf(fd: RawFd, offset: Option<i64>, buf: &ForeignBuf) -> Result<i64, Errno> {
    // SAFETY: as for `read_buf`, the memory is pinned and readable.
    retry(|| unsafe {
        match offset {
            Some(offset) => libc::pwrite(fd, buf.ptr().cast(), buf.len(), offset),
            None => libc::write(fd, buf.ptr().cast(), buf.len()),
        }
    } as i64)
}

/// An all-zero `struct stat`.
pub fn zeroed_stat() -> libc::stat {
    // SAFETY: `struct stat` is plain integers, for which zero is valid.
    unsafe { std::mem::zeroed() }
}

pub fn fstatat(dir: RawFd, path: &CStr, follow: bool) -> Result<libc::stat, Errno> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: `path` is NUL-terminated, `st` has room for a `struct stat`.
    check(unsafe { libc::fstatat(dir, path.as_ptr(), st.as_mut_ptr(), flags) }.into())?;
    // SAFETY: fstatat succeeded, so it filled in the whole struct.
    Ok(unsafe { st.assume_init() })
}

pub fn fstat(fd: RawFd) -> Result<libc::stat, Errno> {
    let mut st = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: `st` has room for a `struct stat`.
    check(unsafe { libc::fstat(fd, st.as_mut_ptr()) }.into())?;
    // SAFETY: fstat succeeded, so it filled in the whole struct.
    Ok(unsafe { st.assume_init() })
}

pub fn unlink_at(dir: RawFd, path: &CStr, flags: i32) -> Result<i64, Errno> {
    // SAFETY: `path` is a NUL-terminated string alive across the call.
    check(unsafe { libc::unlinkat(dir, path.as_ptr(), flags) }.into())
}

pub fn mkdir_at(dir: RawFd, path: &CStr, mode: u32) -> Result<i64, Errno> {
    // SAFETY: `path` is a NUL-terminated string alive across the call.
    check(unsafe { libc::mkdirat(dir, path.as_ptr(), mode) }.into())
}

pub fn sync() {
    // SAFETY: plain syscall without pointers.
    unsafe { libc::sync() };
}

/// Reads raw `linux_dirent64` records into `buf`; 0 means end of directory.
pub fn getdents64(fd: RawFd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
    retry(|| unsafe { libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len()) }).map(|n| n as usize)
}

/// poll(2) on one descriptor; returns the number of ready descriptors
/// (0 on timeout or error: callers re-check their condition and retry).
pub fn poll_one(pollfd: &mut libc::pollfd, timeout_ms: i32) -> i32 {
    // SAFETY: `pollfd` points to one valid pollfd struct.
    unsafe { libc::poll(pollfd, 1, timeout_ms) }.max(0)
}

/// Takes ownership of a descriptor (one a syscall just returned).
///
/// # Safety
/// `fd` must be open and owned by nobody else (the result closes it).
pub unsafe fn own_fd(fd: RawFd) -> std::os::unix::io::OwnedFd {
    use std::os::unix::io::FromRawFd;
    // SAFETY: the caller hands over sole ownership of `fd`.
    unsafe { std::os::unix::io::OwnedFd::from_raw_fd(fd) }
}

// ---- descriptor, sync and memory requests (ops/files.rs) ----

pub fn sendfile(out_fd: RawFd, in_fd: RawFd, offset: &mut i64, count: usize) -> Result<i64, Errno> {
    // SAFETY: `offset` is a valid, exclusive pointer to an off_t for the call.
    retry(|| unsafe { libc::sendfile(out_fd, in_fd, offset, count) } as i64)
}

/// copy_file_range(2) from `in_fd` at `*offset` to `out_fd`'s file position.
pub fn copy_file_range(in_fd: RawFd, offset: &mut i64, out_fd: RawFd, count: usize) -> Result<i64, Errno> {
    // SAFETY: `offset` is a valid, exclusive pointer to an off_t for the
    // call; a null output offset means the file position.
    retry(|| unsafe { libc::copy_file_range(in_fd, offset, out_fd, std::ptr::null_mut(), count, 0) } as i64)
}

/// pread(2) into a slice we own.
pub fn pread_into(fd: RawFd, bytes: &mut [u8], offset: i64) -> Result<i64, Errno> {
    // SAFETY: the pointer and length describe the live slice `bytes`.
    retry(|| unsafe { libc::pread(fd, bytes.as_mut_ptr().cast(), bytes.len(), offset) } as i64)
}

/// pread(2) into foreign memory, `skip` bytes into it.
pub fn pread_buf(fd: RawFd, buf: &ForeignBuf, skip: usize, offset: i64) -> Result<i64, Errno> {
    let skip = skip.min(buf.len());
    // SAFETY: the glue pins `buf` (valid for `len` writable bytes) for the
    // life of the request; `skip <= len` keeps the range inside it.
    retry(|| unsafe { libc::pread(fd, buf.ptr().add(skip).cast(), buf.len() - skip, offset) } as i64)
}

pub fn readahead(fd: RawFd, offset: i64, len: usize) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::readahead(fd, offset, len) } as i64)
}

pub fn fallocate(fd: RawFd, mode: i32, offset: i64, len: usize) -> Result<i64, Errno> {
    // Wraps like IO::AIO's cast to off_t: a length of 2^63 or more becomes
    // negative, which the kernel refuses with EINVAL.
    let len = len as i64;
    // SAFETY: plain syscall without pointers.
    retry(|| unsafe { libc::fallocate(fd, mode, offset, len) }.into())
}

/// `FS_IOC_FIEMAP` = _IOWR('f', 11, struct fiemap) (a 32-byte header).
const FS_IOC_FIEMAP: libc::c_ulong = 0xC020_660B;

/// The FIEMAP ioctl on `buf`, a `struct fiemap` followed by its extents,
/// laid out as 64-bit words (see `ops::files::fiemap`).
pub fn ioctl_fiemap(fd: RawFd, buf: &mut [u64]) -> Result<i64, Errno> {
    // SAFETY: the caller sized `buf` for the header plus fm_extent_count
    // extents, so the kernel writes only inside it.
    check(unsafe { libc::ioctl(fd, FS_IOC_FIEMAP, buf.as_mut_ptr()) }.into())
}

/// fcntl(2) with an integer or pointer argument (`arg` is either).
///
/// # Safety
/// What `cmd` does must be sound: memory it reads or writes through `arg`
/// valid for that (for the glue: a pinned scalar buffer sized like Perl's
/// own fcntl does), descriptors it closes or replaces owned by the caller.
pub unsafe fn fcntl(fd: RawFd, cmd: i32, arg: usize) -> Result<i64, Errno> {
    // SAFETY: the caller's promise.
    check(unsafe { libc::fcntl(fd, cmd, arg) }.into())
}

/// ioctl(2) with an integer or pointer argument (`arg` is either).
///
/// # Safety
/// As for `fcntl`, for what `request` does.
pub unsafe fn ioctl(fd: RawFd, request: u64, arg: usize) -> Result<i64, Errno> {
    // SAFETY: the caller's promise.
    check(unsafe { libc::ioctl(fd, request as libc::c_ulong, arg) }.into())
}

pub fn fsync(fd: RawFd) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::fsync(fd) }.into())
}

pub fn fdatasync(fd: RawFd) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::fdatasync(fd) }.into())
}

pub fn syncfs(fd: RawFd) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::syncfs(fd) }.into())
}

pub fn sync_file_range(fd: RawFd, offset: i64, nbytes: usize, flags: u32) -> Result<i64, Errno> {
    let nbytes = i64::try_from(nbytes).map_err(|_| Errno(libc::EINVAL))?;
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::sync_file_range(fd, offset, nbytes, flags) }.into())
}

/// msync(2) of whole pages; the kernel checks that they are mapped.
pub fn msync(mem: &ForeignBuf, flags: i32) -> Result<i64, Errno> {
    // SAFETY: no memory is accessed by us; the kernel validates the range.
    check(unsafe { libc::msync(mem.ptr().cast(), mem.len(), flags) }.into())
}

pub fn mlock(mem: &ForeignBuf) -> Result<i64, Errno> {
    // SAFETY: no memory is accessed by us; the kernel validates the range.
    check(unsafe { libc::mlock(mem.ptr().cast(), mem.len()) }.into())
}

pub fn mlockall(flags: i32) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::mlockall(flags) }.into())
}

/// Faults in every page of `mem` (for writing, with `modify`), stopping
/// early once `stop()` says so.  The kernel does it (MADV_POPULATE_READ /
/// _WRITE), so memory that cannot be touched (PROT_NONE, a file mapping
/// beyond the end of its file, a read-only page to be modified) fails with
/// EFAULT instead of killing the process with SIGSEGV or SIGBUS.  Kernels
/// before 5.14 lack these: there the pages are read (and written back) one
/// byte each, as IO::AIO does.
pub fn touch_pages(mem: &ForeignBuf, page: usize, modify: bool, stop: impl Fn() -> bool) -> Result<(), Errno> {
    const MADV_POPULATE_READ: libc::c_int = 22;
    const MADV_POPULATE_WRITE: libc::c_int = 23;
    const CHUNK: usize = 256;
    let advice = if modify { MADV_POPULATE_WRITE } else { MADV_POPULATE_READ };
    if !populate_supported() {
        return touch_by_hand(mem, 0, page, modify, stop);
    }
    let mut at = 0;
    while at < mem.len() {
        let len = (mem.len() - at).min(CHUNK * page);
        // SAFETY: madvise only inspects the range; an invalid one fails.
        let rc = unsafe { libc::madvise(mem.ptr().add(at).cast(), len, advice) };
        if rc != 0 {
            match Errno::last() {
                Errno(libc::EINTR) | Errno(libc::EAGAIN) => continue,
                Errno(libc::ENOMEM) => return Err(Errno(libc::EFAULT)),
                errno => return Err(errno),
            }
        }
        at += len;
        if stop() {
            break;
        }
    }
    Ok(())
}

/// Whether the kernel knows MADV_POPULATE_READ (Linux 5.14), probed once
/// on a page of our own stack.
fn populate_supported() -> bool {
    // racing first callers may both probe; they get the same answer
    static SUPPORTED: once_cell::race::OnceBool = once_cell::race::OnceBool::new();
    SUPPORTED.get_or_init(|| {
        let probe = [0u8; 1];
        let page = (probe.as_ptr() as usize & !(page_size() - 1)) as *mut libc::c_void;
        // SAFETY: our own stack page, mapped and readable; madvise only
        // faults it in.
        unsafe { libc::madvise(page, page_size(), 22) == 0 }
    })
}

/// The fallback of `touch_pages`: one volatile access per page.
fn touch_by_hand(
    mem: &ForeignBuf,
    mut at: usize,
    page: usize,
    modify: bool,
    stop: impl Fn() -> bool,
) -> Result<(), Errno> {
    while at < mem.len() {
        // SAFETY: `mem` covers whole pages of a pinned scalar's memory (its
        // string rounded out to page boundaries, which are mapped as a
        // whole); volatile accesses keep the touch from being optimised
        // away, and writing back the byte just read leaves the data as is.
        unsafe {
            let p = mem.ptr().add(at);
            let byte = std::ptr::read_volatile(p);
            if modify {
                std::ptr::write_volatile(p, byte);
            }
        }
        at += page;
        if stop() {
            break;
        }
    }
    Ok(())
}

pub fn page_size() -> usize {
    // SAFETY: plain libc call without pointers.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as usize
    } else {
        4096
    }
}

/// Starts a thread with every signal blocked, as IO::AIO's threads are:
/// signals are for the Perl thread, and a worker that caught one would
/// fail its syscall with EINTR (Perl's handlers do not restart calls).
pub fn spawn_signal_free<F>(name: &str, body: F) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    let mut all = MaybeUninit::<libc::sigset_t>::uninit();
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: the sets are written by sigfillset/pthread_sigmask before
    // they are read; the new thread inherits the blocked mask, and the
    // caller's own mask is restored right after.
    unsafe {
        libc::sigfillset(all.as_mut_ptr());
        libc::pthread_sigmask(libc::SIG_SETMASK, all.as_ptr(), old.as_mut_ptr());
    }
    let spawned = std::thread::Builder::new().name(name.into()).spawn(body);
    // SAFETY: `old` was filled in by the first pthread_sigmask.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, old.as_ptr(), std::ptr::null_mut()) };
    spawned
}

/// `len` zeroed words, or ENOMEM: from calloc, which leaves a large
/// buffer's pages untouched until they are used (a FIEMAP buffer sized by
/// the caller may be gigabytes, of which the kernel fills a few extents).
pub fn zeroed_words(len: usize) -> Result<Vec<u64>, Errno> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<u64>(len).map_err(|_| Errno(libc::ENOMEM))?;
    // SAFETY: the layout is not zero-sized.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<u64>();
    if ptr.is_null() {
        return Err(Errno(libc::ENOMEM));
    }
    // SAFETY: allocated by the global allocator for `len` u64s, every one
    // of them initialised (zero).
    Ok(unsafe { Vec::from_raw_parts(ptr, len, len) })
}

/// Returns free heap memory to the system (glibc keeps it otherwise).
pub fn malloc_trim() {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe { libc::malloc_trim(0) };
}

/// Seconds since the epoch, as time(2) gives them.
pub fn now_secs() -> i64 {
    // SAFETY: time(NULL) writes nothing.
    unsafe { libc::time(std::ptr::null_mut()) }
}

// ---- path and stat family (ops::paths) ----

/// Opens `path` without reading or writing it (`O_PATH`), e.g. to ask
/// about its file system.
pub fn open_path_at(dir: RawFd, path: &CStr, extra_flags: i32) -> Result<std::os::unix::io::OwnedFd, Errno> {
    open_owned(dir, path, libc::O_PATH | extra_flags, 0)
}

pub fn fstatvfs(fd: RawFd) -> Result<Box<libc::statvfs>, Errno> {
    let mut st = Box::new(MaybeUninit::<libc::statvfs>::uninit());
    // SAFETY: `st` has room for a `struct statvfs`.
    retry(|| unsafe { libc::fstatvfs(fd, st.as_mut_ptr()) }.into())?;
    // SAFETY: fstatvfs succeeded, so it filled in the whole struct.
    Ok(unsafe { box_assume_init(st) })
}

/// `Box::<MaybeUninit<T>>::assume_init`, which needs Rust 1.82.
///
/// # Safety
/// `b` must hold an initialized `T`.
pub unsafe fn box_assume_init<T>(b: Box<MaybeUninit<T>>) -> Box<T> {
    // SAFETY: `MaybeUninit<T>` has the layout of `T`, and the caller
    // vouches for the contents.
    unsafe { Box::from_raw(Box::into_raw(b).cast()) }
}

/// utimensat(2) (`path` given) or futimens(2); `None` means "now".
pub fn utimens(dir: RawFd, path: Option<&CStr>, fd: RawFd, times: Option<&[libc::timespec; 2]>) -> Result<i64, Errno> {
    let times = times.map_or(std::ptr::null(), |t| t.as_ptr());
    // SAFETY: `path` (if any) is NUL-terminated and `times` is null or
    // points to two timespecs, both alive across the call.
    check(
        unsafe {
            match path {
                Some(path) => libc::utimensat(dir, path.as_ptr(), times, 0),
                None => libc::futimens(fd, times),
            }
        }
        .into(),
    )
}

pub fn fchownat(dir: RawFd, path: &CStr, uid: u32, gid: u32) -> Result<i64, Errno> {
    // SAFETY: `path` is a NUL-terminated string alive across the call.
    check(unsafe { libc::fchownat(dir, path.as_ptr(), uid, gid, 0) }.into())
}

pub fn fchown(fd: RawFd, uid: u32, gid: u32) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::fchown(fd, uid, gid) }.into())
}

pub fn fchmodat(dir: RawFd, path: &CStr, mode: u32) -> Result<i64, Errno> {
    // SAFETY: `path` is a NUL-terminated string alive across the call.
    check(unsafe { libc::fchmodat(dir, path.as_ptr(), mode, 0) }.into())
}

pub fn fchmod(fd: RawFd, mode: u32) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    check(unsafe { libc::fchmod(fd, mode) }.into())
}

pub fn ftruncate(fd: RawFd, length: i64) -> Result<i64, Errno> {
    // SAFETY: plain syscall without pointers.
    retry(|| unsafe { libc::ftruncate(fd, length) }.into())
}

pub fn mknodat(dir: RawFd, path: &CStr, mode: u32, dev: u64) -> Result<i64, Errno> {
    // SAFETY: `path` is a NUL-terminated string alive across the call.
    check(unsafe { libc::mknodat(dir, path.as_ptr(), mode, dev) }.into())
}

pub fn linkat(from_dir: RawFd, from: &CStr, to_dir: RawFd, to: &CStr) -> Result<i64, Errno> {
    // SAFETY: both paths are NUL-terminated strings alive across the call.
    check(unsafe { libc::linkat(from_dir, from.as_ptr(), to_dir, to.as_ptr(), 0) }.into())
}

pub fn symlinkat(target: &CStr, dir: RawFd, link: &CStr) -> Result<i64, Errno> {
    // SAFETY: both strings are NUL-terminated and alive across the call.
    check(unsafe { libc::symlinkat(target.as_ptr(), dir, link.as_ptr()) }.into())
}

/// renameat2(2), called directly (older glibcs lack a wrapper).
pub fn renameat2(from_dir: RawFd, from: &CStr, to_dir: RawFd, to: &CStr, flags: u32) -> Result<i64, Errno> {
    // SAFETY: both paths are NUL-terminated strings alive across the call;
    // the kernel reads them and nothing else.
    check(unsafe { libc::syscall(libc::SYS_renameat2, from_dir, from.as_ptr(), to_dir, to.as_ptr(), flags) })
}

/// readlinkat(2) into `buf`; returns the length stored (not terminated).
pub fn readlinkat(dir: RawFd, path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`;
    // `path` is NUL-terminated and alive across the call.
    check(unsafe { libc::readlinkat(dir, path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) } as i64)
        .map(|n| n as usize)
}

/// The process's current working directory (at most `max` bytes).
pub fn getcwd(max: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; max];
    // SAFETY: getcwd writes at most `buf.len()` bytes, NUL included.
    if unsafe { libc::getcwd(buf.as_mut_ptr().cast(), buf.len()) }.is_null() {
        return Err(Errno::last());
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf.truncate(len);
    Ok(buf)
}

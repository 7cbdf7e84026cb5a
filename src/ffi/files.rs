//! Descriptor, sync and memory requests (`ops::files`), their results, and
//! the synchronous `sendfile` helper.

use super::*;

/// `aio_fsync`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fsync(pool: *mut Pool, req: *const AiorsReq, fd: c_int) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Fsync { fd })) }
}

/// `aio_fdatasync`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fdatasync(pool: *mut Pool, req: *const AiorsReq, fd: c_int) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Fdatasync { fd })) }
}

/// `aio_syncfs`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_syncfs(pool: *mut Pool, req: *const AiorsReq, fd: c_int) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Syncfs { fd })) }
}

/// `aio_readahead` of `len` bytes at `offset`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_readahead(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    offset: i64,
    len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Readahead { fd, offset, len })) }
}

/// `aio_allocate`: fallocate(2) with its `mode`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fallocate(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    mode: c_int,
    offset: i64,
    len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Fallocate { fd, mode, offset, len })) }
}

/// `aio_sync_file_range` with `SYNC_FILE_RANGE_*` flags.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_sync_file_range(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    offset: i64,
    nbytes: usize,
    flags: u32,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::SyncFileRange { fd, offset, nbytes, flags })) }
}

/// `aio_sendfile`: `len` bytes of `in_fd` at `offset` to `out_fd`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_sendfile(
    pool: *mut Pool,
    req: *const AiorsReq,
    out_fd: c_int,
    in_fd: c_int,
    offset: i64,
    len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Sendfile { out_fd, in_fd, offset, len })) }
}

/// `aio_fiemap`; `count` < 0 asks for all extents.  The result is read
/// with `aiors_result_extents` (none when `count` is 0: the event's result
/// is then the number of extents).
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fiemap(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    start: u64,
    len: u64,
    flags: u32,
    count: i64,
) -> c_int {
    let op = || {
        // As in IO::AIO: negative asks for all, else the low 32 bits count
        // (so 2^32 asks for the number of extents, like 0).
        let count = (count >= 0).then_some(count as u32);
        Ok(Op::Fiemap { fd, start, len, flags, count })
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_fcntl` with an integer argument.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fcntl_int(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    cmd: c_int,
    arg: isize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Fcntl { fd, cmd, arg: CtlArg::Int(arg) })) }
}

/// `aio_fcntl` with a buffer argument the kernel may read and write.
///
/// # Safety
/// `pool` and `req` must be live; `buf` valid for `buf_len` bytes, readable
/// and writable, until the request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fcntl_buf(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    cmd: c_int,
    buf: *mut c_char,
    buf_len: usize,
) -> c_int {
    // SAFETY: the caller's promise about `buf`.
    let arg = CtlArg::Buf(unsafe { ForeignBuf::new(buf.cast(), buf_len) });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Fcntl { fd, cmd, arg })) }
}

/// `aio_ioctl` with an integer argument.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_ioctl_int(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    request: u64,
    arg: isize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Ioctl { fd, request, arg: CtlArg::Int(arg) })) }
}

/// `aio_ioctl` with a buffer argument the kernel may read and write.
///
/// # Safety
/// `pool` and `req` must be live; `buf` valid for `buf_len` bytes, readable
/// and writable, until the request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_ioctl_buf(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    request: u64,
    buf: *mut c_char,
    buf_len: usize,
) -> c_int {
    // SAFETY: the caller's promise about `buf`.
    let arg = CtlArg::Buf(unsafe { ForeignBuf::new(buf.cast(), buf_len) });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Ioctl { fd, request, arg })) }
}

/// `aio_slurp` of `len` bytes (0: to the end) at `offset` (negative: from
/// the end) into a buffer of the engine's, read with `aiors_result_data`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_slurp_alloc(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    offset: i64,
    len: usize,
) -> c_int {
    let read = Box::new(SlurpRead { offset, len, buf: None });
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Slurp { path, read }) }
}

/// `aio_slurp` of `len` bytes at `offset` (negative: from the end) into
/// `buf`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes;
/// `buf` writable for `len` bytes until the request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_slurp_buf(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    offset: i64,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    // SAFETY: the caller's promise about `buf`.
    let buf = Some(unsafe { ForeignBuf::new(buf.cast(), len) });
    let read = Box::new(SlurpRead { offset, len, buf });
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Slurp { path, read }) }
}

/// `aio_msync` of `len` bytes at `mem` with `MS_*` flags.
///
/// # Safety
/// `pool` and `req` must be live; `mem` must stay mapped until the request
/// is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_msync(
    pool: *mut Pool,
    req: *const AiorsReq,
    mem: *mut c_char,
    len: usize,
    flags: c_int,
) -> c_int {
    // SAFETY: the caller's promise about `mem`.
    let op = || Ok(Op::Msync { mem: unsafe { ForeignBuf::new(mem.cast(), len) }, flags });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_mtouch` of `len` bytes at `mem`: reads every page, or with
/// `modify` non-zero (IO::AIO::MT_MODIFY) writes every page.
///
/// # Safety
/// `pool` and `req` must be live; `mem` must stay mapped, readable and
/// writable, until the request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_mtouch(
    pool: *mut Pool,
    req: *const AiorsReq,
    mem: *mut c_char,
    len: usize,
    modify: c_int,
) -> c_int {
    // SAFETY: the caller's promise about `mem`.
    let op = || Ok(Op::Mtouch { mem: unsafe { ForeignBuf::new(mem.cast(), len) }, modify: modify != 0 });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_mlock` of `len` bytes at `mem`.
///
/// # Safety
/// `pool` and `req` must be live; `mem` must stay mapped until the request
/// is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_mlock(
    pool: *mut Pool,
    req: *const AiorsReq,
    mem: *mut c_char,
    len: usize,
) -> c_int {
    // SAFETY: the caller's promise about `mem`.
    let op = || Ok(Op::Mlock { mem: unsafe { ForeignBuf::new(mem.cast(), len) } });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_mlockall` with `MCL_*` flags.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_mlockall(pool: *mut Pool, req: *const AiorsReq, flags: c_int) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Mlockall { flags })) }
}

/// The extents of the last done fiemap, as `[logical, physical, length,
/// flags]` quadruples at `*extents`; returns their number, or -1 if the
/// event has none.
///
/// # Safety
/// `pool` and `req` must be live; `extents` writable.  Valid until the next poll.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_extents(pool: *mut Pool, extents: *mut *const u64) -> isize {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        match unsafe { current_output(pool) } {
            Some(Output::Extents(list)) => {
                // SAFETY: the caller passes a writable out pointer.
                unsafe { *extents = list.as_ptr().cast() };
                list.len() as isize
            }
            _ => -1,
        }
    })
}

/// The bytes the last done slurp read into a buffer of the engine's;
/// returns their number, or -1 if the event has none.
///
/// # Safety
/// `pool` and `req` must be live; `data` writable.  Valid until the next poll.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_data(pool: *mut Pool, data: *mut *const c_char) -> isize {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        match unsafe { current_output(pool) } {
            Some(Output::Data(bytes)) => {
                // SAFETY: the caller passes a writable out pointer.
                unsafe { *data = bytes.as_ptr().cast() };
                bytes.len() as isize
            }
            _ => -1,
        }
    })
}

/// `IO::AIO::sendfile`: the synchronous sendfile with `aio_sendfile`'s
/// emulation.  Returns the bytes written, or -1 with `*err` set.
///
/// # Safety
/// `err` must be null or writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_sendfile(
    out_fd: c_int,
    in_fd: c_int,
    offset: i64,
    count: usize,
    err: *mut c_int,
) -> i64 {
    let result = guard(Err(Errno(libc::EIO)), || crate::ops::files::sendfile(out_fd, in_fd, offset, count));
    match result {
        Ok(n) => n,
        Err(Errno(errno)) => {
            // SAFETY: the caller passes null or writable memory.
            if let Some(err) = unsafe { err.as_mut() } {
                *err = errno;
            }
            -1
        }
    }
}

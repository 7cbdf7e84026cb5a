//! Descriptor, sync and memory requests (`ops::files`), their results, and
//! the synchronous `sendfile` helper.

use super::*;

/// `which` of `aiors_submit_fd`.
pub const AIORS_FD_FSYNC: c_int = 1;
pub const AIORS_FD_FDATASYNC: c_int = 2;
pub const AIORS_FD_SYNCFS: c_int = 3;
/// Uses `offset`, `len`.
pub const AIORS_FD_READAHEAD: c_int = 4;
/// Uses `offset`, `len` and `arg` (the fallocate mode).
pub const AIORS_FD_FALLOCATE: c_int = 5;
/// Uses `offset`, `len` and `arg` (the SYNC_FILE_RANGE_* flags).
pub const AIORS_FD_SYNC_FILE_RANGE: c_int = 6;

/// `which` of `aiors_submit_mem`.
pub const AIORS_MEM_MSYNC: c_int = 1;
/// `flags` & 1 (IO::AIO::MT_MODIFY) writes every page.
pub const AIORS_MEM_MTOUCH: c_int = 2;
pub const AIORS_MEM_MLOCK: c_int = 3;
/// Uses only `flags`.
pub const AIORS_MEM_MLOCKALL: c_int = 4;

/// Requests on one descriptor: `AIORS_FD_*`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fd(
    pool: *mut Pool,
    req: *const AiorsReq,
    which: c_int,
    fd: c_int,
    offset: i64,
    len: usize,
    arg: i64,
) -> c_int {
    let op = || match which {
        AIORS_FD_FSYNC => Ok(Op::Fsync { fd }),
        AIORS_FD_FDATASYNC => Ok(Op::Fdatasync { fd }),
        AIORS_FD_SYNCFS => Ok(Op::Syncfs { fd }),
        AIORS_FD_READAHEAD => Ok(Op::Readahead { fd, offset, len }),
        AIORS_FD_FALLOCATE => Ok(Op::Fallocate { fd, mode: arg as i32, offset, len }),
        AIORS_FD_SYNC_FILE_RANGE => Ok(Op::SyncFileRange { fd, offset, nbytes: len, flags: arg as u32 }),
        _ => Err(Errno(libc::EINVAL)),
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
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

/// `aio_fcntl` (`ioctl` 0) or `aio_ioctl` (`ioctl` 1): the argument is
/// `buf` when it is not null, else the integer `intarg`.
///
/// # Safety
/// `pool` and `req` must be live; `buf` null or valid for `buf_len` bytes, readable
/// and writable, until the request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_ctl(
    pool: *mut Pool,
    req: *const AiorsReq,
    ioctl: c_int,
    fd: c_int,
    request: u64,
    intarg: isize,
    buf: *mut c_char,
    buf_len: usize,
) -> c_int {
    let op = || {
        let arg =
            if buf.is_null() { CtlArg::Int(intarg) } else { CtlArg::Buf(ForeignBuf { ptr: buf.cast(), len: buf_len }) };
        let op = if ioctl != 0 { Op::Ioctl { fd, request, arg } } else { Op::Fcntl { fd, cmd: request as c_int, arg } };
        Ok(op)
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_slurp`: into `buf` (`len` bytes) when it is not null, else into a
/// buffer of the engine's, read with `aiors_result_data`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes; `buf` null
/// or writable for `len` bytes until the request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_slurp(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    offset: i64,
    len: usize,
    buf: *mut c_char,
) -> c_int {
    let buf = (!buf.is_null()).then(|| ForeignBuf { ptr: buf.cast(), len });
    let read = Box::new(SlurpRead { offset, len, buf });
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Slurp { path, read }) }
}

/// Memory requests: `AIORS_MEM_*` on `len` bytes at `mem`.
///
/// # Safety
/// `pool` and `req` must be live; `mem` must stay mapped (and, for MTOUCH, be
/// readable and writable) until the request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_mem(
    pool: *mut Pool,
    req: *const AiorsReq,
    which: c_int,
    mem: *mut c_char,
    len: usize,
    flags: c_int,
) -> c_int {
    let op = || {
        let mem = ForeignBuf { ptr: mem.cast(), len };
        match which {
            AIORS_MEM_MSYNC => Ok(Op::Msync { mem, flags }),
            AIORS_MEM_MTOUCH => Ok(Op::Mtouch { mem, modify: flags & 1 != 0 }),
            AIORS_MEM_MLOCK => Ok(Op::Mlock { mem }),
            AIORS_MEM_MLOCKALL => Ok(Op::Mlockall { flags }),
            _ => Err(Errno(libc::EINVAL)),
        }
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
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

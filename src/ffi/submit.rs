//! Submission of the first requests: groups, nop, busy, sync, close, paths,
//! open, readdir, scandir, stat, read/write, seek.

use super::*;

/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_group(pool: *mut Pool, req: *const AiorsReq) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_with(pool, req, |pool, grp| pool.submit_group(grp)) }
}

/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_nop(pool: *mut Pool, req: *const AiorsReq) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Nop)) }
}

/// A request that fails with `errno` without running anything (the glue
/// found its arguments unusable, e.g. a length it cannot allocate).
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_fail(pool: *mut Pool, req: *const AiorsReq, errno: c_int) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Err(Errno(errno))) }
}

/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_sync(pool: *mut Pool, req: *const AiorsReq) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Sync)) }
}

/// `aio_busy`: sleeps `secs` seconds in a worker (a negative delay is 0).
/// A delay that is not a number, +inf or too large for a timespec fails
/// with EINVAL, as IO::AIO's select(2) does.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_busy(pool: *mut Pool, req: *const AiorsReq, secs: f64) -> c_int {
    let op = || {
        // 2^63 seconds and more do not fit a timespec's tv_sec.
        if secs.is_nan() || secs >= 9_223_372_036_854_775_808.0 {
            Err(Errno(libc::EINVAL))
        } else {
            Ok(Op::Busy { secs: secs.max(0.0) })
        }
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_close`: see `Op::Close`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_close(pool: *mut Pool, req: *const AiorsReq, fd: c_int) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Close { fd })) }
}

/// `aio_unlink`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_unlink(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Unlink { path }) }
}

/// `aio_rmdir`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_rmdir(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Rmdir { path }) }
}

/// `aio_mkdir`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_mkdir(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    mode: u32,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Mkdir { path, mode }) }
}

/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_open(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    flags: c_int,
    mode: u32,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Open { path, flags, mode }) }
}

/// `aio_readdir` / `aio_readdirx` with IO::AIO's READDIR_* flags.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_readdir(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    flags: u32,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Readdir { path, flags }) }
}

/// `aio_scandir`'s directory scan: a listing whose directories come first
/// and are the entries of type `DT_DIR`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_scandir(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Scandir { path }) }
}

/// `aio_read` of `len` bytes into `buf`; `offset` < 0 means the
/// descriptor's current position.
///
/// # Safety
/// `pool` and `req` must be live; `buf` writable for `len` bytes until the
/// request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_read(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    offset: i64,
    buf: *mut c_char,
    len: usize,
) -> c_int {
    let op = || {
        let offset = (offset >= 0).then_some(offset);
        // SAFETY: the caller's promise about `buf`.
        Ok(Op::Read { fd, offset, buf: unsafe { ForeignBuf::new(buf.cast(), len) } })
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_write` of `len` bytes from `buf`; `offset` < 0 means the
/// descriptor's current position.
///
/// # Safety
/// `pool` and `req` must be live; `buf` valid for `len` bytes until the
/// request is done.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_write(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    offset: i64,
    buf: *const c_char,
    len: usize,
) -> c_int {
    let op = || {
        let offset = (offset >= 0).then_some(offset);
        // SAFETY: the caller's promise about `buf`; a write only reads it.
        Ok(Op::Write { fd, offset, buf: unsafe { ForeignBuf::new(buf as *mut u8, len) } })
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_seek`.
///
/// # Safety
/// `pool` and `req` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_seek(
    pool: *mut Pool,
    req: *const AiorsReq,
    fd: c_int,
    offset: i64,
    whence: c_int,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || Ok(Op::Seek { fd, offset, whence })) }
}

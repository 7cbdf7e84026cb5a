//! Submission of the first requests: groups, nop, busy, sync, close, paths,
//! open, readdir, scandir, stat, read/write, seek.

use super::*;

/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_group(pool: *mut Pool, token: Token, pri: c_int) -> *mut AiorsReq {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded from the caller.
        let Some(pool) = (unsafe { pool_ref(pool) }) else { return std::ptr::null_mut() };
        into_handle(pool.submit_group(token, Pri::new(pri)))
    })
}

/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_nop(pool: *mut Pool, token: Token, pri: c_int) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::Nop)) }
}

/// A request that fails with `errno` without running anything (the glue
/// found its arguments unusable, e.g. a length it cannot allocate).
///
/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_fail(pool: *mut Pool, token: Token, pri: c_int, errno: c_int) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Err(Errno(errno))) }
}

/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_sync(pool: *mut Pool, token: Token, pri: c_int) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::Sync)) }
}

/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_busy(pool: *mut Pool, token: Token, pri: c_int, secs: f64) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::Busy { secs: if secs.is_nan() { 0.0 } else { secs } })) }
}

/// `aio_close`: see `Op::Close`.
///
/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_close(pool: *mut Pool, token: Token, pri: c_int, fd: c_int) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::Close { fd })) }
}

/// Path operations: `AIORS_PATH_UNLINK`, `_RMDIR`, `_MKDIR` (uses `mode`).
pub const AIORS_PATH_UNLINK: c_int = 1;
pub const AIORS_PATH_RMDIR: c_int = 2;
pub const AIORS_PATH_MKDIR: c_int = 3;

/// # Safety
/// `pool` must be live; `path` must point to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_path(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    which: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    mode: u32,
) -> *mut AiorsReq {
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let op = unsafe { path_at(dir, path, path_len) }.and_then(|path| match which {
        AIORS_PATH_UNLINK => Ok(Op::Unlink { path }),
        AIORS_PATH_RMDIR => Ok(Op::Rmdir { path }),
        AIORS_PATH_MKDIR => Ok(Op::Mkdir { path, mode }),
        _ => Err(Errno(libc::EINVAL)),
    });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// # Safety
/// `pool` must be live; `path` must point to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_open(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    flags: c_int,
    mode: u32,
) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, token, pri, dir, path, path_len, |path| Op::Open { path, flags, mode }) }
}

/// `aio_readdir` / `aio_readdirx` with IO::AIO's READDIR_* flags.
///
/// # Safety
/// `pool` must be live; `path` must point to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_readdir(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    flags: u32,
) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, token, pri, dir, path, path_len, |path| Op::Readdir { path, flags }) }
}

/// `aio_scandir`'s directory scan: a listing whose directories come first
/// and are the entries of type `DT_DIR`.
///
/// # Safety
/// `pool` must be live; `path` must point to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_scandir(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, token, pri, dir, path, path_len, |path| Op::Scandir { path }) }
}

/// `aio_stat`/`aio_lstat` of a path (`path` non-null) or of `fd`.
///
/// # Safety
/// `pool` must be live; `path` null or pointing to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_stat(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    fd: c_int,
    follow: c_int,
) -> *mut AiorsReq {
    // SAFETY: the caller guarantees `path_len` bytes at a non-null `path`.
    let op = unsafe { target_at(dir, path, path_len, fd) }.map(|target| Op::stat(target, follow != 0));
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// `aio_read` (`write` 0) or `aio_write` (`write` 1) of `len` bytes at
/// `buf`; `offset` < 0 means the descriptor's current position.
///
/// # Safety
/// `pool` must be live; `buf` valid for `len` bytes (writable for reads)
/// until the request is done.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_rw(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    write: c_int,
    fd: c_int,
    offset: i64,
    buf: *mut c_char,
    len: usize,
) -> *mut AiorsReq {
    let offset = (offset >= 0).then_some(offset);
    let buf = ForeignBuf { ptr: buf.cast(), len };
    let op = if write != 0 { Op::Write { fd, offset, buf } } else { Op::Read { fd, offset, buf } };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(op)) }
}

/// `aio_seek`.
///
/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_seek(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    fd: c_int,
    offset: i64,
    whence: c_int,
) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::Seek { fd, offset, whence })) }
}

//! The path and stat family: aio_statvfs, aio_utime, aio_chown, aio_chmod,
//! aio_truncate, aio_mknod, aio_link, aio_symlink, aio_rename(2),
//! aio_readlink, aio_realpath, aio_wd and closing working directories.

use super::*;

/// `dir` value of a path relative to `IO::AIO::INVALID_WD` (or a closed
/// working directory): the request fails with ENOENT.
pub const AIORS_INVALID_WD: c_int = -1;

/// `which` of `aiors_submit_attr`; `a` and `b` as noted.
pub const AIORS_ATTR_STATVFS: c_int = 1;
/// `a`: the mode.
pub const AIORS_ATTR_CHMOD: c_int = 2;
/// `a`: the new length.
pub const AIORS_ATTR_TRUNCATE: c_int = 3;
/// `a`, `b`: uid and gid, -1 for unchanged (truncated to 32 bits).
pub const AIORS_ATTR_CHOWN: c_int = 4;

/// `which` of `aiors_submit_path2`.
pub const AIORS_PATH2_LINK: c_int = 1;
/// The first path is the link's contents, stored verbatim.
pub const AIORS_PATH2_SYMLINK: c_int = 2;
/// Uses `flags` (`RENAME_*`).
pub const AIORS_PATH2_RENAME: c_int = 3;

/// `which` of `aiors_submit_resolve`.
pub const AIORS_RESOLVE_READLINK: c_int = 1;
pub const AIORS_RESOLVE_REALPATH: c_int = 2;
pub const AIORS_RESOLVE_WD: c_int = 3;

/// Requests on a path or descriptor: `AIORS_ATTR_*`.
///
/// # Safety
/// `pool` and `req` must be live; `path` null or pointing to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_attr(
    pool: *mut Pool,
    req: *const AiorsReq,
    which: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    fd: c_int,
    a: i64,
    b: i64,
) -> c_int {
    let op = || {
        // SAFETY: the caller guarantees `path_len` bytes at a non-null `path`.
        unsafe { target_at(dir, path, path_len, fd) }.and_then(|target| match which {
            AIORS_ATTR_STATVFS => Ok(Op::Statvfs { target }),
            AIORS_ATTR_CHMOD => Ok(Op::Chmod { target, mode: a as u32 }),
            AIORS_ATTR_TRUNCATE => Ok(Op::Truncate { target, length: a }),
            AIORS_ATTR_CHOWN => Ok(Op::Chown { target, uid: a as u32, gid: b as u32 }),
            _ => Err(Errno(libc::EINVAL)),
        })
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_utime`: times in (fractional) seconds; both -1 means "now".
///
/// # Safety
/// `pool` and `req` must be live; `path` null or pointing to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_utime(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    fd: c_int,
    atime: f64,
    mtime: f64,
) -> c_int {
    let op = || {
        let times = crate::ops::paths::utime_times(atime, mtime).map(Box::new);
        // SAFETY: the caller guarantees `path_len` bytes at a non-null `path`.
        unsafe { target_at(dir, path, path_len, fd) }.map(|target| Op::Utime { target, times })
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// `aio_mknod`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_mknod(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    mode: u32,
    dev: u64,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Mknod { path, mode, dev }) }
}

/// Requests on two paths: `AIORS_PATH2_*`.
///
/// # Safety
/// `pool` and `req` must be live; each path must point to its length in bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_path2(
    pool: *mut Pool,
    req: *const AiorsReq,
    which: c_int,
    dir1: c_int,
    path1: *const c_char,
    path1_len: usize,
    dir2: c_int,
    path2: *const c_char,
    path2_len: usize,
    flags: u32,
) -> c_int {
    let op = || {
        // SAFETY: the caller guarantees the lengths.
        let from = unsafe { path_at(dir1, path1, path1_len) };
        // SAFETY: as above.
        let to = unsafe { path_at(dir2, path2, path2_len) };
        from.and_then(|from| {
            let to = to?;
            match which {
                AIORS_PATH2_LINK => Ok(Op::Link { from, to: Box::new(to) }),
                AIORS_PATH2_SYMLINK => Ok(Op::Symlink { target: from.path, link: Box::new(to) }),
                AIORS_PATH2_RENAME => Ok(Op::Rename { from, to: Box::new(to), flags }),
                _ => Err(Errno(libc::EINVAL)),
            }
        })
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// Requests resolving a path: `AIORS_RESOLVE_*`.  `base` (null for the
/// process's cwd) is the canonical path of the working directory `dir`
/// stands for; realpath and wd resolve relative paths against it.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes, `base` be
/// null or point to `base_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_resolve(
    pool: *mut Pool,
    req: *const AiorsReq,
    which: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    base: *const c_char,
    base_len: usize,
) -> c_int {
    let op = || {
        let base = if base.is_null() {
            Ok(None)
        } else {
            // SAFETY: the caller guarantees `base_len` bytes at `base`.
            unsafe { path_at(libc::AT_FDCWD, base, base_len) }.map(|at| Some(at.path))
        };
        // SAFETY: the caller guarantees `path_len` bytes at `path`.
        unsafe { path_at(dir, path, path_len) }.and_then(|path| match which {
            AIORS_RESOLVE_READLINK => Ok(Op::Readlink { path }),
            AIORS_RESOLVE_REALPATH => Ok(Op::Realpath { path: Box::new(path), base: base? }),
            AIORS_RESOLVE_WD => Ok(Op::WdOpen { path: Box::new(path), base: base? }),
            _ => Err(Errno(libc::EINVAL)),
        })
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, op) }
}

/// Closes a working directory's descriptor on a worker; takes ownership
/// of `fd` if it is >= 0 (otherwise the request does nothing).
///
/// # Safety
/// `pool` and `req` must be live; `fd` must be < 0 or a descriptor nobody else uses
/// or closes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_wd_close(pool: *mut Pool, req: *const AiorsReq, fd: c_int) -> c_int {
    // Owned at once: closed even if the submission fails.
    let fd = (fd >= 0).then(|| crate::sys::own_fd(fd));
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, move || Ok(Op::WdClose { fd })) }
}

/// The `struct statvfs` of the last done event, or null if it has none.
///
/// # Safety
/// `pool` and `req` must be live.  The pointer is valid until the next poll.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_statvfs(pool: *mut Pool) -> *const libc::statvfs {
    // SAFETY: forwarded from the caller.
    guard(std::ptr::null(), || match unsafe { current_output(pool) } {
        Some(Output::Statvfs(st)) => &**st,
        _ => std::ptr::null(),
    })
}

/// The path of the last done event (readlink, realpath, or the canonical
/// path of an `aio_wd`), not NUL-terminated; null if it has none.
///
/// # Safety
/// `pool` and `req` must be live, `len` writable.  The pointer is valid until the
/// next poll or `aiors_result_take_fd`.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_bytes(pool: *mut Pool, len: *mut usize) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: forwarded from the caller.
        let bytes = match unsafe { current_output(pool) } {
            Some(Output::Bytes(bytes) | Output::Wd { path: bytes, .. }) => bytes,
            _ => return std::ptr::null(),
        };
        // SAFETY: the caller passes writable memory.
        if let Some(len) = unsafe { len.as_mut() } {
            *len = bytes.len();
        }
        bytes.as_ptr().cast()
    })
}

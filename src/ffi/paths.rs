//! The path and stat family: aio_statvfs, aio_utime, aio_chown, aio_chmod,
//! aio_truncate, aio_mknod, aio_link, aio_symlink, aio_rename(2),
//! aio_readlink, aio_realpath, aio_wd and closing working directories.

use super::*;

/// `dir` value of a path relative to `IO::AIO::INVALID_WD` (or a closed
/// working directory): the request fails with ENOENT.
pub const AIORS_INVALID_WD: c_int = -1;

/// Declares a request's two entry points, `$on_path` (after `pool` and
/// `req`: `dir`, `path`, `path_len`) and `$on_fd` (`fd`), each followed by
/// the request's own arguments; one body builds the op from its target.
macro_rules! path_or_fd {
    ($(#[doc = $doc:literal])* $on_path:ident, $on_fd:ident, |$target:ident $(, $arg:ident: $ty:ty)*| $op:expr) => {
        $(#[doc = $doc])*
        /// This one works on a path.
        ///
        /// # Safety
        /// `pool` and `req` must be live; `path` must point to `path_len` bytes.
        #[no_mangle]
        pub unsafe extern "C" fn $on_path(
            pool: *mut Pool,
            req: *const AiorsReq,
            dir: c_int,
            path: *const c_char,
            path_len: usize,
            $($arg: $ty,)*
        ) -> c_int {
            let make = |$target: Target| $op;
            // SAFETY: forwarded from the caller.
            unsafe { submit_at(pool, req, dir, path, path_len, |at| make(Target::Path(at))) }
        }

        $(#[doc = $doc])*
        /// This one works on the descriptor `fd`.
        ///
        /// # Safety
        /// `pool` and `req` must be live.
        #[no_mangle]
        pub unsafe extern "C" fn $on_fd(pool: *mut Pool, req: *const AiorsReq, fd: c_int, $($arg: $ty,)*) -> c_int {
            let make = |$target: Target| $op;
            // SAFETY: forwarded from the caller.
            unsafe { submit(pool, req, || Ok(make(Target::Fd(fd)))) }
        }
    };
}

path_or_fd! {
    /// `aio_stat` (`follow` non-zero) or `aio_lstat`.
    aiors_submit_stat_path, aiors_submit_stat_fd, |target, follow: c_int| Op::stat(target, follow != 0)
}

path_or_fd! {
    /// `aio_statvfs`.
    aiors_submit_statvfs_path, aiors_submit_statvfs_fd, |target| Op::Statvfs { target }
}

path_or_fd! {
    /// `aio_chmod`.
    aiors_submit_chmod_path, aiors_submit_chmod_fd, |target, mode: u32| Op::Chmod { target, mode }
}

path_or_fd! {
    /// `aio_truncate` to `length` bytes.
    aiors_submit_truncate_path, aiors_submit_truncate_fd, |target, length: i64| Op::Truncate { target, length }
}

path_or_fd! {
    /// `aio_chown`; an id of `(uint32_t)-1` stays unchanged.
    aiors_submit_chown_path, aiors_submit_chown_fd, |target, uid: u32, gid: u32| Op::Chown { target, uid, gid }
}

path_or_fd! {
    /// `aio_utime`: times in (fractional) seconds; both -1 means "now".
    aiors_submit_utime_path, aiors_submit_utime_fd, |target, atime: f64, mtime: f64| {
        Op::Utime { target, times: crate::ops::paths::utime_times(atime, mtime).map(Box::new) }
    }
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

/// `aio_link`: a hard link `to` of `from`.
///
/// # Safety
/// `pool` and `req` must be live; each path must point to its length in bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_link(
    pool: *mut Pool,
    req: *const AiorsReq,
    from_dir: c_int,
    from: *const c_char,
    from_len: usize,
    to_dir: c_int,
    to: *const c_char,
    to_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    let op = || unsafe { two_paths(from_dir, from, from_len, to_dir, to, to_len) };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || op().map(|(from, to)| Op::Link { from, to: Box::new(to) })) }
}

/// `aio_symlink`: a symbolic link `link` whose contents are `target`,
/// stored verbatim (`target_dir` only matters as `AIORS_INVALID_WD`).
///
/// # Safety
/// `pool` and `req` must be live; each path must point to its length in bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_symlink(
    pool: *mut Pool,
    req: *const AiorsReq,
    target_dir: c_int,
    target: *const c_char,
    target_len: usize,
    link_dir: c_int,
    link: *const c_char,
    link_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    let op = || unsafe { two_paths(target_dir, target, target_len, link_dir, link, link_len) };
    // SAFETY: forwarded from the caller.
    unsafe {
        submit(pool, req, || op().map(|(target, link)| Op::Symlink { target: target.path, link: Box::new(link) }))
    }
}

/// `aio_rename`/`aio_rename2` with `RENAME_*` flags.
///
/// # Safety
/// `pool` and `req` must be live; each path must point to its length in bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_rename(
    pool: *mut Pool,
    req: *const AiorsReq,
    from_dir: c_int,
    from: *const c_char,
    from_len: usize,
    to_dir: c_int,
    to: *const c_char,
    to_len: usize,
    flags: u32,
) -> c_int {
    // SAFETY: forwarded from the caller.
    let op = || unsafe { two_paths(from_dir, from, from_len, to_dir, to, to_len) };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || op().map(|(from, to)| Op::Rename { from, to: Box::new(to), flags })) }
}

/// Both paths of a two-path request, the first failure winning.
///
/// # Safety
/// Each path must point to its length in bytes.
unsafe fn two_paths(
    dir1: c_int,
    path1: *const c_char,
    len1: usize,
    dir2: c_int,
    path2: *const c_char,
    len2: usize,
) -> Result<(At, At), Errno> {
    // SAFETY: the caller guarantees the lengths.
    let first = unsafe { path_at(dir1, path1, len1) }?;
    // SAFETY: as above.
    Ok((first, unsafe { path_at(dir2, path2, len2) }?))
}

/// `aio_readlink`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_readlink(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_at(pool, req, dir, path, path_len, |path| Op::Readlink { path }) }
}

/// `aio_realpath`.  `base` (null for the process's cwd) is the canonical
/// path of the working directory `dir` stands for; a relative path
/// resolves against it.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes, `base` be
/// null or point to `base_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_realpath(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    base: *const c_char,
    base_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    let op = || unsafe { based_path(dir, path, path_len, base, base_len) };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || op().map(|(path, base)| Op::Realpath { path: Box::new(path), base })) }
}

/// `aio_wd`: opens the directory and resolves its canonical path, `base`
/// as for `aiors_submit_realpath`.
///
/// # Safety
/// `pool` and `req` must be live; `path` must point to `path_len` bytes, `base` be
/// null or point to `base_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_submit_wd(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    base: *const c_char,
    base_len: usize,
) -> c_int {
    // SAFETY: forwarded from the caller.
    let op = || unsafe { based_path(dir, path, path_len, base, base_len) };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, req, || op().map(|(path, base)| Op::WdOpen { path: Box::new(path), base })) }
}

/// A path and the canonical path of its working directory (`None` for the
/// process's cwd).
///
/// # Safety
/// `path` must point to `path_len` bytes, `base` be null or point to
/// `base_len` bytes.
unsafe fn based_path(
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    base: *const c_char,
    base_len: usize,
) -> Result<(At, Option<CString>), Errno> {
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let path = unsafe { path_at(dir, path, path_len) }?;
    if base.is_null() {
        return Ok((path, None));
    }
    // SAFETY: the caller guarantees `base_len` bytes at `base`.
    unsafe { path_at(libc::AT_FDCWD, base, base_len) }.map(|base| (path, Some(base.path)))
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
    // SAFETY: the caller hands over `fd`.
    let fd = (fd >= 0).then(|| unsafe { crate::sys::own_fd(fd) });
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

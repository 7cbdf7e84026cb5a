//! The C ABI used by the XS glue (declared in `xs/aiors.h`).
//!
//! Ownership rules:
//! - `aiors_pool_new` returns a pool owned by the caller; `aiors_pool_free`
//!   stops it, `aiors_pool_forget` abandons it (in a forked child, where its
//!   threads do not exist and its locks may be held).
//! - Every `aiors_submit_*` returns a request handle owned by the caller,
//!   released with `aiors_req_free`; the request itself lives on until it
//!   was handed back by `aiors_poll_next`.
//! - `token` is opaque to the engine; each submitted request's token comes
//!   back in exactly one `AIORS_EVENT_DONE` event.
//! - The `aiors_result_*` accessors describe the last `DONE` event and stay
//!   valid until the next `aiors_poll_next` call.
//! - Buffers passed to read/write stay valid and unmoved until the request
//!   is done.  Strings are copied during the call.
//! - Thread safety: every function must be called from one thread (the
//!   Perl thread); the engine's own threads never call back.
//!
//! Every export catches panics, so none can unwind into C; a caught panic
//! yields the documented failure value.

use std::ffi::{c_char, c_int, CString};
use std::os::fd::IntoRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::group::{self, AddError};
use crate::ops::dir::Listing;
use crate::pool::{Event, PollEnd, Pool};
use crate::request::{At, CtlArg, Errno, ForeignBuf, Op, Output, Pri, Request, Target, Token};

/// `xs/aiors.h` states the same constants (checked by `build.rs`).
mod header_constants {
    include!(concat!(env!("OUT_DIR"), "/header_constants.rs"));
}

/// Opaque handle to a request: a pointer made by `Arc::into_raw`, owning
/// one reference.
pub type AiorsReq = Request;

pub const AIORS_EVENT_DONE: c_int = 1;
pub const AIORS_EVENT_FEED: c_int = 2;

pub const AIORS_ADD_OK: c_int = 0;
pub const AIORS_ADD_NOT_A_GROUP: c_int = 1;
pub const AIORS_ADD_GROUP_FINISHED: c_int = 2;
pub const AIORS_ADD_IN_ANOTHER_GROUP: c_int = 3;
pub const AIORS_ADD_CYCLE: c_int = 4;

/// One thing for the glue to do, filled in by `aiors_poll_next`.
#[repr(C)]
pub struct AiorsEvent {
    /// `AIORS_EVENT_DONE` or `AIORS_EVENT_FEED`.
    pub kind: c_int,
    /// Done only: the callback must not run (the request was cancelled).
    pub cancelled: c_int,
    pub token: Token,
    /// Done only: the integer result, -1 on failure.
    pub result: i64,
    /// Done only: errno on failure, 0 on success.
    pub errno: c_int,
}

/// Runs `f`, turning a panic into `fallback`.
fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// # Safety
/// `pool` must come from `aiors_pool_new` and not be freed.
unsafe fn pool_ref<'a>(pool: *mut Pool) -> Option<&'a mut Pool> {
    // SAFETY: the caller passes a live pool used by one thread only.
    unsafe { pool.as_mut() }
}

/// # Safety
/// `req` must be null or come from an `aiors_submit_*` call and not be freed.
unsafe fn req_ref(req: *const AiorsReq) -> Option<std::mem::ManuallyDrop<Arc<Request>>> {
    // SAFETY: as documented above, `req` owns a reference that outlives
    // this call; ManuallyDrop keeps the count unchanged.
    (!req.is_null()).then(|| std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(req) }))
}

/// Copies a byte string into a path; a NUL byte inside makes the request
/// fail with ENOENT, as Perl's own file functions do, and so does a `dir`
/// of `AIORS_INVALID_WD` (as IO::AIO does for `IO::AIO::INVALID_WD`).
///
/// # Safety
/// `path` must point to `len` readable bytes.
unsafe fn path_at(dir: c_int, path: *const c_char, len: usize) -> Result<At, Errno> {
    if path.is_null() {
        return Err(Errno(libc::EFAULT));
    }
    if dir == AIORS_INVALID_WD {
        return Err(Errno(libc::ENOENT));
    }
    // SAFETY: the caller guarantees `len` readable bytes at `path`.
    let bytes = unsafe { std::slice::from_raw_parts(path.cast::<u8>(), len) };
    CString::new(bytes).map(|path| At { dir, path }).map_err(|_| Errno(libc::ENOENT))
}

fn into_handle(req: Arc<Request>) -> *mut AiorsReq {
    Arc::into_raw(req).cast_mut()
}

/// Submits `op`, or a request failing with `errno` if its arguments could
/// not be converted.
///
/// # Safety
/// `pool` as for `pool_ref`.
unsafe fn submit(pool: *mut Pool, token: Token, pri: c_int, op: Result<Op, Errno>) -> *mut AiorsReq {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded from the caller.
        let Some(pool) = (unsafe { pool_ref(pool) }) else { return std::ptr::null_mut() };
        let op = op.unwrap_or_else(|errno| Op::Fail { errno });
        into_handle(pool.submit(token, Pri::new(pri), op))
    })
}

/// Creates a pool; on failure returns null and stores errno in `*err`.
///
/// # Safety
/// `err` must be null or point to writable memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_pool_new(err: *mut c_int) -> *mut Pool {
    guard(std::ptr::null_mut(), || match Pool::new() {
        Ok(pool) => Box::into_raw(Box::new(pool)),
        Err(Errno(errno)) => {
            // SAFETY: the caller passes null or writable memory.
            if let Some(err) = unsafe { err.as_mut() } {
                *err = errno;
            }
            std::ptr::null_mut()
        }
    })
}

/// Stops the pool's threads (after their current requests) and frees it.
///
/// # Safety
/// `pool` must come from `aiors_pool_new`; it is invalid afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_pool_free(pool: *mut Pool) {
    if !pool.is_null() {
        // SAFETY: the caller hands back ownership of a live pool.
        guard((), || drop(unsafe { Box::from_raw(pool) }));
    }
}

/// Abandons the pool (used in a forked child): its memory is left alone,
/// as its locks may be held by threads that do not exist there, but its
/// descriptors are closed, so that a child does not inherit them for good.
///
/// # Safety
/// `pool` must be null or come from `aiors_pool_new`; it is invalid
/// afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_pool_forget(pool: *mut Pool) {
    // SAFETY: forwarded from the caller; only plain fields are read.
    if let Some(pool) = unsafe { pool_ref(pool) } {
        pool.drop_spare_rings_in_child();
        let mut fds = pool.own_fds();
        fds.sort_unstable();
        let mut last = -1;
        for fd in fds {
            if fd >= 0 && fd != last {
                crate::sys::close(fd);
            }
            last = fd;
        }
    }
}

macro_rules! pool_getter {
    ($(#[$doc:meta])* $name:ident, $ty:ty, $fallback:expr, |$pool:ident| $body:expr) => {
        $(#[$doc])*
        /// # Safety
        /// `pool` must be a live pool from `aiors_pool_new`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(pool: *mut Pool) -> $ty {
            // SAFETY: forwarded from the caller.
            guard($fallback, || unsafe { pool_ref(pool) }.map_or($fallback, |$pool| $body))
        }
    };
}

pool_getter!(
    /// The descriptor that is readable while results wait.
    aiors_fileno, c_int, -1, |pool| pool.fileno());
pool_getter!(aiors_nreqs, usize, 0, |pool| pool.nreqs());
pool_getter!(aiors_nready, usize, 0, |pool| pool.nready());
pool_getter!(aiors_npending, usize, 0, |pool| pool.npending());
pool_getter!(aiors_nthreads, usize, 0, |pool| pool.nthreads());
pool_getter!(
    /// The engine chosen when the pool was made: a static "threads" or
    /// "uring".
    aiors_engine, *const c_char, std::ptr::null(), |pool| match pool.engine() {
        crate::engine::Engine::Threads => c"threads".as_ptr(),
        crate::engine::Engine::Uring(_) => c"uring".as_ptr(),
    });
pool_getter!(
    /// Starts a `poll_cb` round (resets the max_poll_reqs/time budget).
    aiors_poll_begin, (), (), |pool| pool.poll_begin());
pool_getter!(
    /// Blocks until a result waits or nothing is outstanding.
    aiors_wait, (), (), |pool| pool.wait());

macro_rules! pool_setter {
    ($name:ident, $arg:ty, |$pool:ident, $value:ident| $body:expr) => {
        /// # Safety
        /// `pool` must be a live pool from `aiors_pool_new`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(pool: *mut Pool, $value: $arg) {
            guard((), || {
                // SAFETY: forwarded from the caller.
                if let Some($pool) = unsafe { pool_ref(pool) } {
                    $body
                }
            })
        }
    };
}

pool_setter!(aiors_set_min_parallel, u32, |pool, n| pool.set_min_parallel(n as usize));
pool_setter!(aiors_set_max_parallel, u32, |pool, n| pool.set_max_parallel(n as usize));
pool_setter!(aiors_set_max_idle, u32, |pool, n| pool.set_max_idle(n as usize));
pool_setter!(aiors_set_idle_timeout, u32, |pool, secs| pool.set_idle_timeout(Duration::from_secs(secs.into())));
pool_setter!(aiors_set_max_poll_reqs, u32, |pool, n| pool.set_max_poll_reqs(n as usize));
pool_setter!(aiors_set_max_poll_time, f64, |pool, secs| pool.set_max_poll_time(
    (secs > 0.0).then(|| Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX))
));

/// Fills `*event` with the next thing to do.  Returns 1 if it did, 0 when
/// no result waits, -1 when the max_poll_reqs/time budget is used up.
///
/// # Safety
/// `pool` must be live; `event` must point to writable memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_poll_next(pool: *mut Pool, event: *mut AiorsEvent) -> c_int {
    guard(0, || {
        // SAFETY: forwarded from the caller.
        let (Some(pool), Some(event)) = (unsafe { pool_ref(pool) }, unsafe { event.as_mut() }) else { return 0 };
        match pool.poll_next() {
            Ok(Event::Feed { token }) => {
                *event = AiorsEvent { kind: AIORS_EVENT_FEED, cancelled: 0, token, result: 0, errno: 0 };
                1
            }
            Ok(Event::Done { token, cancelled }) => {
                let (result, errno) = match pool.current() {
                    Some(Err(Errno(errno))) => (-1, *errno),
                    Some(Ok(output)) => (output.value(), 0),
                    None => (0, 0),
                };
                *event = AiorsEvent { kind: AIORS_EVENT_DONE, cancelled: cancelled.into(), token, result, errno };
                1
            }
            Err(PollEnd::Empty) => 0,
            Err(PollEnd::Budget) => -1,
        }
    })
}

/// The `struct stat` of the last done event, or null if it has none.
///
/// # Safety
/// `pool` must be live.  The pointer is valid until the next poll.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_stat(pool: *mut Pool) -> *const libc::stat {
    // SAFETY: forwarded from the caller.
    guard(std::ptr::null(), || match unsafe { pool_ref(pool) }.and_then(|p| p.current()) {
        Some(Ok(Output::Stat(stat))) => &**stat,
        _ => std::ptr::null(),
    })
}

/// Takes the descriptor opened by the last done event (`aio_open`,
/// `aio_wd`); -1 if none.  Other results of the event are gone afterwards.
///
/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_take_fd(pool: *mut Pool) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        let Some(pool) = (unsafe { pool_ref(pool) }) else { return -1 };
        match pool.take_current() {
            Some(Ok(Output::Fd(fd))) => fd.into_raw_fd(),
            Some(Ok(Output::Wd { fd, .. })) => fd.into_raw_fd(),
            _ => -1,
        }
    })
}

fn current_listing(pool: &Pool) -> Option<&Listing> {
    match pool.current() {
        Some(Ok(Output::Dir(listing))) => Some(listing),
        _ => None,
    }
}

/// Number of entries of the last done readdir (0 if none) and, through
/// `flags`, its result flags.
///
/// # Safety
/// `pool` must be live; `flags` null or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_dir_count(pool: *mut Pool, flags: *mut u32) -> usize {
    guard(0, || {
        // SAFETY: forwarded from the caller.
        let Some(listing) = unsafe { pool_ref(pool) }.and_then(|p| current_listing(p)) else { return 0 };
        // SAFETY: the caller passes null or writable memory.
        if let Some(flags) = unsafe { flags.as_mut() } {
            *flags = listing.flags;
        }
        listing.entries.len()
    })
}

/// Entry `index` of the last done readdir: its name (not NUL-terminated),
/// inode and `DT_*` type.  Returns 0, or -1 if there is no such entry.
///
/// # Safety
/// `pool` must be live; the out pointers writable.  The name stays valid
/// until the next poll.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_dir_entry(
    pool: *mut Pool,
    index: usize,
    name: *mut *const c_char,
    name_len: *mut usize,
    inode: *mut u64,
    kind: *mut c_int,
) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        let Some(listing) = unsafe { pool_ref(pool) }.and_then(|p| current_listing(p)) else { return -1 };
        let Some(entry) = listing.entries.get(index) else { return -1 };
        let bytes = listing.name(entry);
        // SAFETY: the caller passes writable out pointers.
        unsafe {
            *name = bytes.as_ptr().cast();
            *name_len = bytes.len();
            *inode = entry.inode;
            *kind = entry.kind.into();
        }
        0
    })
}

/// Releases the caller's handle (the request itself may still run).
///
/// # Safety
/// `req` must be null or from `aiors_submit_*`; it is invalid afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_req_free(req: *mut AiorsReq) {
    if !req.is_null() {
        // SAFETY: the caller hands back the reference the handle owns.
        guard((), || drop(unsafe { Arc::from_raw(req) }));
    }
}

macro_rules! req_fn {
    ($(#[$doc:meta])* $name:ident ( $($arg:ident : $ty:ty),* ) -> $ret:ty, $fallback:expr, |$req:ident| $body:expr) => {
        $(#[$doc])*
        /// # Safety
        /// `req` must be null or a live handle from `aiors_submit_*`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(req: *const AiorsReq $(, $arg: $ty)*) -> $ret {
            // SAFETY: forwarded from the caller.
            guard($fallback, || unsafe { req_ref(req) }.map_or($fallback, |$req| { let $req: &Request = &$req; $body }))
        }
    };
}

req_fn!(
    /// Cancels the request and, for a group, all its members.
    aiors_req_cancel() -> (), (), |req| group::cancel(req));
req_fn!(
    /// Cancels a group's members (not the group) and stops its feeder.
    aiors_grp_cancel_subs() -> (), (), |req| group::cancel_members(req));
req_fn!(aiors_req_is_group() -> c_int, 0, |req| group::is_group(req).into());
req_fn!(aiors_grp_set_limit(limit: c_int) -> (), (), |req| group::set_limit(req, limit));
req_fn!(aiors_grp_limit() -> c_int, 0, |req| group::limit(req));
req_fn!(aiors_grp_set_feeder(present: c_int) -> (), (), |req| group::set_feeder(req, present != 0));
req_fn!(
    /// Starts a feeding round if the group wants one; 1 if the caller
    /// should now call the feeder.
    aiors_grp_feed_begin() -> c_int, 0, |req| group::feed_begin(req).into());
req_fn!(
    /// Ends a feeding round; 0 if nothing was added (the feeder is dropped).
    aiors_grp_feed_end() -> c_int, 0, |req| group::feed_end(req).into());

/// Adds `member` to `grp`; returns `AIORS_ADD_OK` or why not.
///
/// # Safety
/// Both must be live handles from `aiors_submit_*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_grp_add(grp: *const AiorsReq, member: *const AiorsReq) -> c_int {
    guard(AIORS_ADD_NOT_A_GROUP, || {
        // SAFETY: forwarded from the caller.
        let (Some(grp), Some(member)) = (unsafe { req_ref(grp) }, unsafe { req_ref(member) }) else {
            return AIORS_ADD_NOT_A_GROUP;
        };
        match group::add(&grp, &member) {
            Ok(()) => AIORS_ADD_OK,
            Err(AddError::NotAGroup) => AIORS_ADD_NOT_A_GROUP,
            Err(AddError::GroupFinished) => AIORS_ADD_GROUP_FINISHED,
            Err(AddError::InAnotherGroup) => AIORS_ADD_IN_ANOTHER_GROUP,
            Err(AddError::Cycle) => AIORS_ADD_CYCLE,
        }
    })
}

// ---- Submission: one function per operation family. ----

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
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let op = unsafe { path_at(dir, path, path_len) }.map(|path| Op::Open { path, flags, mode });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
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
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let op = unsafe { path_at(dir, path, path_len) }.map(|path| Op::Readdir { path, flags });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
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
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let op = unsafe { path_at(dir, path, path_len) }.map(|path| Op::Scandir { path });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
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
    let target = if path.is_null() {
        Ok(Target::Fd(fd))
    } else {
        // SAFETY: the caller guarantees `path_len` bytes at `path`.
        unsafe { path_at(dir, path, path_len) }.map(Target::Path)
    };
    let op = target.map(|target| Op::Stat { target, follow: follow != 0 });
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

// ---- Descriptor, sync and memory requests (ops/files.rs). ----

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
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_fd(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    which: c_int,
    fd: c_int,
    offset: i64,
    len: usize,
    arg: i64,
) -> *mut AiorsReq {
    let op = match which {
        AIORS_FD_FSYNC => Ok(Op::Fsync { fd }),
        AIORS_FD_FDATASYNC => Ok(Op::Fdatasync { fd }),
        AIORS_FD_SYNCFS => Ok(Op::Syncfs { fd }),
        AIORS_FD_READAHEAD => Ok(Op::Readahead { fd, offset, len }),
        AIORS_FD_FALLOCATE => Ok(Op::Fallocate { fd, mode: arg as i32, offset, len }),
        AIORS_FD_SYNC_FILE_RANGE => Ok(Op::SyncFileRange { fd, offset, nbytes: len, flags: arg as u32 }),
        _ => Err(Errno(libc::EINVAL)),
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// `aio_sendfile`: `len` bytes of `in_fd` at `offset` to `out_fd`.
///
/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_sendfile(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    out_fd: c_int,
    in_fd: c_int,
    offset: i64,
    len: usize,
) -> *mut AiorsReq {
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::Sendfile { out_fd, in_fd, offset, len })) }
}

/// `aio_fiemap`; `count` < 0 asks for all extents.  The result is read
/// with `aiors_result_extents` (none when `count` is 0: the event's result
/// is then the number of extents).
///
/// # Safety
/// `pool` must be live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_fiemap(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    fd: c_int,
    start: u64,
    len: u64,
    flags: u32,
    count: i64,
) -> *mut AiorsReq {
    let count = u32::try_from(count).ok();
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::Fiemap { fd, start, len, flags, count })) }
}

/// `aio_fcntl` (`ioctl` 0) or `aio_ioctl` (`ioctl` 1): the argument is
/// `buf` when it is not null, else the integer `intarg`.
///
/// # Safety
/// `pool` must be live; `buf` null or valid for `buf_len` bytes, readable
/// and writable, until the request is done.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_ctl(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    ioctl: c_int,
    fd: c_int,
    request: u64,
    intarg: isize,
    buf: *mut c_char,
    buf_len: usize,
) -> *mut AiorsReq {
    let arg = if buf.is_null() { CtlArg::Int(intarg) } else { CtlArg::Buf(ForeignBuf { ptr: buf.cast(), len: buf_len }) };
    let op = if ioctl != 0 { Op::Ioctl { fd, request, arg } } else { Op::Fcntl { fd, cmd: request as c_int, arg } };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(op)) }
}

/// `aio_slurp`: into `buf` (`len` bytes) when it is not null, else into a
/// buffer of the engine's, read with `aiors_result_data`.
///
/// # Safety
/// `pool` must be live; `path` must point to `path_len` bytes; `buf` null
/// or writable for `len` bytes until the request is done.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_slurp(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    offset: i64,
    len: usize,
    buf: *mut c_char,
) -> *mut AiorsReq {
    let buf = (!buf.is_null()).then(|| ForeignBuf { ptr: buf.cast(), len });
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let op = unsafe { path_at(dir, path, path_len) }.map(|path| Op::Slurp { path, offset, len, buf });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// Memory requests: `AIORS_MEM_*` on `len` bytes at `mem`.
///
/// # Safety
/// `pool` must be live; `mem` must stay mapped (and, for MTOUCH, be
/// readable and writable) until the request is done.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_mem(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    which: c_int,
    mem: *mut c_char,
    len: usize,
    flags: c_int,
) -> *mut AiorsReq {
    let mem = ForeignBuf { ptr: mem.cast(), len };
    let op = match which {
        AIORS_MEM_MSYNC => Ok(Op::Msync { mem, flags }),
        AIORS_MEM_MTOUCH => Ok(Op::Mtouch { mem, modify: flags & 1 != 0 }),
        AIORS_MEM_MLOCK => Ok(Op::Mlock { mem }),
        AIORS_MEM_MLOCKALL => Ok(Op::Mlockall { flags }),
        _ => Err(Errno(libc::EINVAL)),
    };
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// The extents of the last done fiemap, as `[logical, physical, length,
/// flags]` quadruples at `*extents`; returns their number, or -1 if the
/// event has none.
///
/// # Safety
/// `pool` must be live; `extents` writable.  Valid until the next poll.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_extents(pool: *mut Pool, extents: *mut *const u64) -> isize {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        match unsafe { pool_ref(pool) }.and_then(|p| p.current()) {
            Some(Ok(Output::Extents(list))) => {
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
/// `pool` must be live; `data` writable.  Valid until the next poll.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_data(pool: *mut Pool, data: *mut *const c_char) -> isize {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        match unsafe { pool_ref(pool) }.and_then(|p| p.current()) {
            Some(Ok(Output::Data(bytes))) => {
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
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_sendfile(out_fd: c_int, in_fd: c_int, offset: i64, count: usize, err: *mut c_int) -> i64 {
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

// ==== Path and stat family: aio_statvfs, aio_utime, aio_chown, aio_chmod,
// ==== aio_truncate, aio_mknod, aio_link, aio_symlink, aio_rename(2),
// ==== aio_readlink, aio_realpath, aio_wd and closing working directories.

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

/// A path (`path` non-null) or the descriptor `fd`.
///
/// # Safety
/// `path` null or pointing to `path_len` bytes.
unsafe fn target_at(dir: c_int, path: *const c_char, path_len: usize, fd: c_int) -> Result<Target, Errno> {
    if path.is_null() {
        Ok(Target::Fd(fd))
    } else {
        // SAFETY: the caller guarantees `path_len` bytes at `path`.
        unsafe { path_at(dir, path, path_len) }.map(Target::Path)
    }
}

/// Requests on a path or descriptor: `AIORS_ATTR_*`.
///
/// # Safety
/// `pool` must be live; `path` null or pointing to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_attr(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    which: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    fd: c_int,
    a: i64,
    b: i64,
) -> *mut AiorsReq {
    // SAFETY: the caller guarantees `path_len` bytes at a non-null `path`.
    let op = unsafe { target_at(dir, path, path_len, fd) }.and_then(|target| match which {
        AIORS_ATTR_STATVFS => Ok(Op::Statvfs { target }),
        AIORS_ATTR_CHMOD => Ok(Op::Chmod { target, mode: a as u32 }),
        AIORS_ATTR_TRUNCATE => Ok(Op::Truncate { target, length: a }),
        AIORS_ATTR_CHOWN => Ok(Op::Chown { target, uid: a as u32, gid: b as u32 }),
        _ => Err(Errno(libc::EINVAL)),
    });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// `aio_utime`: times in (fractional) seconds; both -1 means "now".
///
/// # Safety
/// `pool` must be live; `path` null or pointing to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_utime(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    fd: c_int,
    atime: f64,
    mtime: f64,
) -> *mut AiorsReq {
    let times = crate::ops::paths::utime_times(atime, mtime);
    // SAFETY: the caller guarantees `path_len` bytes at a non-null `path`.
    let op = unsafe { target_at(dir, path, path_len, fd) }.map(|target| Op::Utime { target, times });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// `aio_mknod`.
///
/// # Safety
/// `pool` must be live; `path` must point to `path_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_mknod(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    mode: u32,
    dev: u64,
) -> *mut AiorsReq {
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let op = unsafe { path_at(dir, path, path_len) }.map(|path| Op::Mknod { path, mode, dev });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// Requests on two paths: `AIORS_PATH2_*`.
///
/// # Safety
/// `pool` must be live; each path must point to its length in bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_path2(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    which: c_int,
    dir1: c_int,
    path1: *const c_char,
    path1_len: usize,
    dir2: c_int,
    path2: *const c_char,
    path2_len: usize,
    flags: u32,
) -> *mut AiorsReq {
    // SAFETY: the caller guarantees the lengths.
    let from = unsafe { path_at(dir1, path1, path1_len) };
    // SAFETY: as above.
    let to = unsafe { path_at(dir2, path2, path2_len) };
    let op = from.and_then(|from| {
        let to = to?;
        match which {
            AIORS_PATH2_LINK => Ok(Op::Link { from, to }),
            AIORS_PATH2_SYMLINK => Ok(Op::Symlink { target: from.path, link: to }),
            AIORS_PATH2_RENAME => Ok(Op::Rename { from, to, flags }),
            _ => Err(Errno(libc::EINVAL)),
        }
    });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// Requests resolving a path: `AIORS_RESOLVE_*`.  `base` (null for the
/// process's cwd) is the canonical path of the working directory `dir`
/// stands for; realpath and wd resolve relative paths against it.
///
/// # Safety
/// `pool` must be live; `path` must point to `path_len` bytes, `base` be
/// null or point to `base_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_resolve(
    pool: *mut Pool,
    token: Token,
    pri: c_int,
    which: c_int,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    base: *const c_char,
    base_len: usize,
) -> *mut AiorsReq {
    let base = if base.is_null() {
        Ok(None)
    } else {
        // SAFETY: the caller guarantees `base_len` bytes at `base`.
        unsafe { path_at(libc::AT_FDCWD, base, base_len) }.map(|at| Some(at.path))
    };
    // SAFETY: the caller guarantees `path_len` bytes at `path`.
    let op = unsafe { path_at(dir, path, path_len) }.and_then(|path| match which {
        AIORS_RESOLVE_READLINK => Ok(Op::Readlink { path }),
        AIORS_RESOLVE_REALPATH => Ok(Op::Realpath { path, base: base? }),
        AIORS_RESOLVE_WD => Ok(Op::WdOpen { path, base: base? }),
        _ => Err(Errno(libc::EINVAL)),
    });
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, op) }
}

/// Closes a working directory's descriptor on a worker; takes ownership
/// of `fd` if it is >= 0 (otherwise the request does nothing).
///
/// # Safety
/// `pool` must be live; `fd` must be < 0 or a descriptor nobody else uses
/// or closes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_submit_wd_close(pool: *mut Pool, token: Token, pri: c_int, fd: c_int) -> *mut AiorsReq {
    let fd = (fd >= 0).then(|| crate::sys::own_fd(fd));
    // SAFETY: forwarded from the caller.
    unsafe { submit(pool, token, pri, Ok(Op::WdClose { fd })) }
}

/// The `struct statvfs` of the last done event, or null if it has none.
///
/// # Safety
/// `pool` must be live.  The pointer is valid until the next poll.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_statvfs(pool: *mut Pool) -> *const libc::statvfs {
    // SAFETY: forwarded from the caller.
    guard(std::ptr::null(), || match unsafe { pool_ref(pool) }.and_then(|p| p.current()) {
        Some(Ok(Output::Statvfs(st))) => &**st,
        _ => std::ptr::null(),
    })
}

/// The path of the last done event (readlink, realpath, or the canonical
/// path of an `aio_wd`), not NUL-terminated; null if it has none.
///
/// # Safety
/// `pool` must be live, `len` writable.  The pointer is valid until the
/// next poll or `aiors_result_take_fd`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn aiors_result_bytes(pool: *mut Pool, len: *mut usize) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: forwarded from the caller.
        let bytes = match unsafe { pool_ref(pool) }.and_then(|p| p.current()) {
            Some(Ok(Output::Bytes(bytes) | Output::Wd { path: bytes, .. })) => bytes,
            _ => return std::ptr::null(),
        };
        // SAFETY: the caller passes writable memory.
        if let Some(len) = unsafe { len.as_mut() } {
            *len = bytes.len();
        }
        bytes.as_ptr().cast()
    })
}

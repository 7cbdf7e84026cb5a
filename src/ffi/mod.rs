//! The C ABI used by the XS glue (declared in `xs/aiors.h`).
//!
//! Ownership rules:
//! - `aiors_pool_new` returns a pool owned by the caller; `aiors_pool_free`
//!   stops it, `aiors_pool_successor` abandons it for a new one (in a
//!   forked child, where its threads do not exist and its locks may be
//!   held, or after stopping its threads).
//! - `aiors_req_new` returns a request handle owned by the caller,
//!   released with `aiors_req_free`; the request is submitted once, with
//!   an `aiors_submit_*` function, and lives on until it was handed back by
//!   `aiors_poll_next`.
//! - Each request has a user area (`aiors_req_user`) for the caller's own
//!   record, so that a request is one allocation; the engine never touches
//!   it.  Its address is the request's token: each submitted request's
//!   token comes back in exactly one `AIORS_EVENT_DONE` event.  The area
//!   lives as long as the request: the caller must not touch it after
//!   releasing its handle.
//! - The `aiors_result_*` accessors describe the last `DONE` event and stay
//!   valid until the next `aiors_poll_next` call.
//! - Buffers passed to read/write stay valid and unmoved until the request
//!   is done.  Strings are copied during the call.
//! - Thread safety: every function must be called from one thread (the
//!   Perl thread); the engine's own threads never call back.
//!
//! Every export catches panics, so none can unwind into C; a caught panic
//! yields the documented failure value.

use std::cell::{Cell, RefCell};
use std::ffi::{c_void, CString};
use std::os::raw::{c_char, c_int};
use std::os::unix::io::IntoRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use crate::group::{self, AddError};
use crate::ops::dir::Entry;
use crate::pool::{Event, PollEnd, Pool};
use crate::request::{At, CtlArg, Errno, ForeignBuf, Op, Output, Pri, Request, SlurpRead, Target, Token, USER_WORDS};

mod files;
mod paths;
mod stats;
mod submit;

pub use files::*;
pub use paths::*;
pub use stats::*;
pub use submit::*;

/// `xs/aiors.h` states the same constants (checked by `build.rs`).
mod header_constants {
    include!(concat!(env!("OUT_DIR"), "/header_constants.rs"));
}

/// Opaque handle to a request: a pointer made by `Arc::into_raw`, owning
/// one reference.
pub type AiorsReq = Request;

/// Bytes of a request's user area.
pub const AIORS_REQ_USER_SIZE: usize = USER_WORDS * std::mem::size_of::<usize>();

/// `aiors_poll_next` and `aiors_poll_followup`: the engine panicked (now
/// or in an earlier call whose panic was not taken yet); the message is
/// waiting for `aiors_take_panic`.
pub const AIORS_POLL_PANIC: c_int = -2;

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

thread_local! {
    /// The message of the first panic `guard` caught that the caller has
    /// not taken yet (`aiors_take_panic`).  Exports run on one thread.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The next `aiors_poll_next` panics (`aiors_test_panic_next_poll`).
    static TEST_PANIC_NEXT_POLL: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, turning a panic into `fallback` and keeping its message for
/// `aiors_take_panic`.
fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = match payload.downcast::<String>() {
            Ok(message) => *message,
            Err(payload) => payload.downcast_ref::<&str>().map_or("a panic without a message", |m| *m).to_string(),
        };
        PANIC.with(|panic| {
            panic.borrow_mut().get_or_insert(message);
        });
        fallback
    })
}

fn panic_pending() -> bool {
    PANIC.with(|panic| panic.borrow().is_some())
}

/// Copies the message of a panic caught in an export and not yet taken
/// into `buf` (NUL-terminated, cut to `size` bytes) and forgets it.
/// Returns the message's full length (at least 1), 0 if there is none.
///
/// # Safety
/// `buf` must be null or writable for `size` bytes.
#[no_mangle]
pub unsafe extern "C" fn aiors_take_panic(buf: *mut c_char, size: usize) -> usize {
    guard(0, || {
        let message = match PANIC.with(|panic| panic.borrow_mut().take()) {
            Some(message) => message,
            None => return 0,
        };
        if !buf.is_null() && size > 0 {
            let len = message.len().min(size - 1);
            // SAFETY: the caller passes `size` writable bytes; `len` < `size`.
            unsafe {
                std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), len);
                *buf.add(len) = 0;
            }
        }
        message.len().max(1)
    })
}

/// For tests of the path above: the next `aiors_poll_next` of this thread
/// panics.
#[no_mangle]
pub extern "C" fn aiors_test_panic_next_poll() {
    guard((), || TEST_PANIC_NEXT_POLL.with(|test| test.set(true)));
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
    Arc::into_raw(req) as *mut AiorsReq
}

/// Submits `req` to run the operation `op` builds (inside the panic
/// guard), or to fail with `errno` if its arguments could not be
/// converted.  Returns 1, or 0 if `req` was submitted before
/// (or is a group).
///
/// # Safety
/// `pool` as for `pool_ref`, `req` as for `req_ref`.
unsafe fn submit(pool: *mut Pool, req: *const AiorsReq, op: impl FnOnce() -> Result<Op, Errno>) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { submit_with(pool, req, |pool, req| pool.submit(req, op().unwrap_or_else(|errno| Op::Fail { errno }))) }
}

/// Runs a submission of `req` to `pool`: 1 if it was submitted, 0 if
/// refused or a handle is null.
///
/// # Safety
/// `pool` as for `pool_ref`, `req` as for `req_ref`.
unsafe fn submit_with(pool: *mut Pool, req: *const AiorsReq, run: impl FnOnce(&Pool, &Arc<Request>) -> bool) -> c_int {
    guard(0, || {
        // SAFETY: forwarded from the caller.
        let (pool, req) = match (unsafe { pool_ref(pool) }, unsafe { req_ref(req) }) {
            (Some(pool), Some(req)) => (pool, req),
            _ => return 0,
        };
        c_int::from(run(pool, &req))
    })
}

/// Submits `req` to run the operation `make` builds from a path argument
/// (or to fail as `path_at` says).
///
/// # Safety
/// As for `submit`; `path` must point to `path_len` bytes.
unsafe fn submit_at(
    pool: *mut Pool,
    req: *const AiorsReq,
    dir: c_int,
    path: *const c_char,
    path_len: usize,
    make: impl FnOnce(At) -> Op,
) -> c_int {
    // SAFETY: forwarded from the caller, who guarantees `path_len` bytes
    // at `path`.
    unsafe { submit(pool, req, || path_at(dir, path, path_len).map(make)) }
}

/// `pri` clamped to IO::AIO's range, -4..4, as a request gets it (and as
/// `aioreq_pri` reports it).
#[no_mangle]
pub extern "C" fn aiors_pri_clamp(pri: c_int) -> c_int {
    Pri::new(pri).get()
}

/// A new request of priority `pri` (clamped to -4..4), a group if `group`
/// is non-zero, with a zeroed user area; null on failure.
#[no_mangle]
pub extern "C" fn aiors_req_new(pri: c_int, group: c_int) -> *mut AiorsReq {
    guard(std::ptr::null_mut(), || {
        let pri = Pri::new(pri);
        into_handle(if group != 0 { Request::new_group(pri) } else { Request::new(pri) })
    })
}

/// The request's user area: `AIORS_REQ_USER_SIZE` bytes, word-aligned.
///
/// # Safety
/// `req` must be a live handle from `aiors_req_new`.
#[no_mangle]
pub unsafe extern "C" fn aiors_req_user(req: *const AiorsReq) -> *mut c_void {
    // SAFETY: forwarded from the caller.
    guard(std::ptr::null_mut(), || unsafe { req_ref(req) }.map_or(std::ptr::null_mut(), |req| req.user.as_ptr().cast()))
}

/// Creates a pool; on failure returns null and stores errno in `*err`.
///
/// # Safety
/// `err` must be null or point to writable memory.
#[no_mangle]
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
#[no_mangle]
pub unsafe extern "C" fn aiors_pool_free(pool: *mut Pool) {
    if !pool.is_null() {
        // SAFETY: the caller hands back ownership of a live pool.
        guard((), || drop(unsafe { Box::from_raw(pool) }));
    }
}

/// In a forked child, before anything else: puts a fresh, unsignalled
/// eventfd or pipe behind the pool's readiness descriptor, keeping its
/// number, so that a watcher of an event loop keeps working and nothing
/// the parent signals shows (its threads write to the object the parent
/// keeps).  Only syscalls: a `pthread_atfork` child handler may call it.
/// Returns 0 or an errno.
///
/// # Safety
/// `pool` must be null or a live pool from `aiors_pool_new`.
#[no_mangle]
pub unsafe extern "C" fn aiors_pool_renew_fileno(pool: *mut Pool) -> c_int {
    guard(libc::EIO, || {
        // SAFETY: forwarded from the caller.
        match unsafe { pool_ref(pool) }.map(|pool| pool.renew_notifier_in_child()) {
            Some(Err(Errno(errno))) => errno,
            _ => 0,
        }
    })
}

/// A new pool replacing `old` (null: none), which is abandoned: its memory
/// is left alone (in a forked child its locks may be held by threads that
/// do not exist there), its descriptors are closed, except that with
/// `keep_fileno` the new pool takes over its readiness descriptor, drained,
/// whose number then stays (in a forked child, renew it first with
/// `aiors_pool_renew_fileno`).  `old`'s threads must be gone (a forked
/// child) or stopped.  On failure returns null, stores errno in `*err` and
/// leaves `old` as it was.
///
/// # Safety
/// `old` must be null or a live pool from `aiors_pool_new`, invalid
/// afterwards unless null is returned; `err` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_pool_successor(old: *mut Pool, keep_fileno: c_int, err: *mut c_int) -> *mut Pool {
    // SAFETY: forwarded from the caller.
    let fresh = unsafe { aiors_pool_new(err) };
    guard(std::ptr::null_mut(), || {
        // SAFETY: both are live pools; `old` is never dropped.
        if let (Some(old), Some(fresh)) = (unsafe { pool_ref(old) }, unsafe { pool_ref(fresh) }) {
            let kept = keep_fileno != 0 && fresh.take_over_notifier(old);
            // Close what the old pool owns, but nothing the new one does.
            let keep = if kept { fresh.own_fds() } else { [-1; 4] };
            let mut fds = old.own_fds().to_vec();
            fds.retain(|fd| !keep.contains(fd));
            fds.sort_unstable();
            fds.dedup();
            // SAFETY: descriptors of the abandoned pool, which nobody uses
            // any more.
            fds.into_iter().filter(|&fd| fd >= 0).for_each(|fd| unsafe { crate::sys::close(fd) });
        }
        fresh
    })
}

macro_rules! pool_getter {
    ($(#[$doc:meta])* $name:ident, $ty:ty, $fallback:expr, |$pool:ident| $body:expr) => {
        $(#[$doc])*
        /// # Safety
        /// `pool` must be a live pool from `aiors_pool_new`.
        #[no_mangle]
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
/// The name of the engine chosen when the pool was made, "threads" or
/// "uring": static, `*len` bytes, not NUL-terminated.
///
/// # Safety
/// `pool` must be a live pool from `aiors_pool_new`; `len` writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_engine(pool: *mut Pool, len: *mut usize) -> *const c_char {
    guard(std::ptr::null(), || {
        // SAFETY: forwarded from the caller.
        let (pool, len) = match (unsafe { pool_ref(pool) }, unsafe { len.as_mut() }) {
            (Some(pool), Some(len)) => (pool, len),
            _ => return std::ptr::null(),
        };
        let name = pool.engine().name();
        *len = name.len();
        name.as_ptr().cast()
    })
}
pool_getter!(
    /// Starts a `poll_cb` round (resets the max_poll_reqs/time budget).
    aiors_poll_begin, (), (), |pool| pool.poll_begin());
pool_getter!(
/// Blocks until a result waits or nothing is outstanding; returns at
/// once while a panic waits to be reported by `aiors_poll_next`.
aiors_wait, (), (), |pool| if !panic_pending() {
    pool.wait()
});

macro_rules! pool_setter {
    ($name:ident, $arg:ty, |$pool:ident, $value:ident| $body:expr) => {
        /// # Safety
        /// `pool` must be a live pool from `aiors_pool_new`.
        #[no_mangle]
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
// Duration::from_secs_f64 panics past Duration::MAX (try_from_secs_f64 needs Rust 1.66).
pool_setter!(aiors_set_max_poll_time, f64, |pool, secs| pool.set_max_poll_time((secs > 0.0).then(|| {
    if secs < Duration::MAX.as_secs_f64() {
        Duration::from_secs_f64(secs)
    } else {
        Duration::MAX
    }
})));

/// Fills `*event` with the next thing to do.  Returns 1 if it did, 0 when
/// no result waits, -1 when the max_poll_reqs/time budget is used up,
/// `AIORS_POLL_PANIC` if the engine panicked.
///
/// # Safety
/// `pool` must be live; `event` must point to writable memory.
#[no_mangle]
pub unsafe extern "C" fn aiors_poll_next(pool: *mut Pool, event: *mut AiorsEvent) -> c_int {
    guard(AIORS_POLL_PANIC, || {
        if panic_pending() {
            return AIORS_POLL_PANIC;
        }
        if TEST_PANIC_NEXT_POLL.with(|test| test.replace(false)) {
            panic!("a panic for a test (aiors_test_panic_next_poll)");
        }
        // SAFETY: forwarded from the caller.
        let (pool, event) = match (unsafe { pool_ref(pool) }, unsafe { event.as_mut() }) {
            (Some(pool), Some(event)) => (pool, event),
            _ => return 0,
        };
        match pool.poll_next() {
            Ok(next) => {
                *event = event_of(pool, next);
                1
            }
            Err(PollEnd::Empty) => 0,
            Err(PollEnd::Budget) => -1,
        }
    })
}

/// After a callback died, ending a round early: fills `*event` with the
/// next piece of its request's group bookkeeping (feed the group, or the
/// group is done), like `aiors_poll_next` but never with a new result.
/// Returns 1 if it did, 0 when that is done (the readiness descriptor is
/// then readable exactly while results wait), `AIORS_POLL_PANIC` if the
/// engine panicked.
///
/// # Safety
/// `pool` must be live; `event` must point to writable memory.
#[no_mangle]
pub unsafe extern "C" fn aiors_poll_followup(pool: *mut Pool, event: *mut AiorsEvent) -> c_int {
    guard(AIORS_POLL_PANIC, || {
        if panic_pending() {
            return AIORS_POLL_PANIC;
        }
        // SAFETY: forwarded from the caller.
        let (pool, event) = match (unsafe { pool_ref(pool) }, unsafe { event.as_mut() }) {
            (Some(pool), Some(event)) => (pool, event),
            _ => return 0,
        };
        match pool.poll_followup() {
            Some(next) => {
                *event = event_of(pool, next);
                1
            }
            None => 0,
        }
    })
}

fn event_of(pool: &Pool, event: Event) -> AiorsEvent {
    match event {
        Event::Feed { token } => AiorsEvent { kind: AIORS_EVENT_FEED, cancelled: 0, token, result: 0, errno: 0 },
        Event::Done { token, cancelled } => {
            let (result, errno) = match pool.current() {
                Some(Err(Errno(errno))) => (-1, *errno),
                Some(Ok(output)) => (output.value(), 0),
                None => (0, 0),
            };
            AiorsEvent { kind: AIORS_EVENT_DONE, cancelled: cancelled.into(), token, result, errno }
        }
    }
}

/// The `struct stat` of the last done event, or null if it has none.
///
/// # Safety
/// `pool` must be live.  The pointer is valid until the next poll.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_stat(pool: *mut Pool) -> *const libc::stat {
    // SAFETY: forwarded from the caller.
    guard(std::ptr::null(), || match unsafe { current_output(pool) } {
        Some(Output::Stat(stat)) => &**stat,
        _ => std::ptr::null(),
    })
}

/// Takes the descriptor opened by the last done event (`aio_open`,
/// `aio_wd`); -1 if none.  Other results of the event are gone afterwards.
///
/// # Safety
/// `pool` must be live.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_take_fd(pool: *mut Pool) -> c_int {
    guard(-1, || {
        // SAFETY: forwarded from the caller.
        let pool = match unsafe { pool_ref(pool) } {
            Some(pool) => pool,
            None => return -1,
        };
        match pool.take_current() {
            Some(Ok(Output::Fd(fd))) => fd.into_raw_fd(),
            Some(Ok(Output::Wd { fd, .. })) => fd.into_raw_fd(),
            _ => -1,
        }
    })
}

/// The successful result of the last done event, if any.
///
/// # Safety
/// As for `pool_ref`; the result is valid until the next poll.
unsafe fn current_output<'a>(pool: *mut Pool) -> Option<&'a Output> {
    // SAFETY: forwarded from the caller.
    match unsafe { pool_ref(pool) }?.current() {
        Some(Ok(output)) => Some(output),
        _ => None,
    }
}

/// The entries of the last done readdir or scan (0 if none): `*entries`
/// points to the entries (`aiors_dirent`), `*names` to the names they index
/// (not NUL-terminated), `*flags` receives the result flags.  Everything
/// stays valid until the next poll.
///
/// # Safety
/// `pool` must be live; each out pointer null or writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_dir(
    pool: *mut Pool,
    entries: *mut *const Entry,
    names: *mut *const c_char,
    flags: *mut u32,
) -> usize {
    guard(0, || {
        // SAFETY: forwarded from the caller.
        let listing = match unsafe { current_output(pool) } {
            Some(Output::Dir(listing)) => listing,
            _ => return 0,
        };
        // SAFETY: the caller passes null or writable out pointers.
        unsafe {
            if let Some(entries) = entries.as_mut() {
                *entries = listing.entries.as_ptr();
            }
            if let Some(names) = names.as_mut() {
                *names = listing.names.as_ptr().cast();
            }
            if let Some(flags) = flags.as_mut() {
                *flags = listing.flags;
            }
        }
        listing.entries.len()
    })
}

/// Releases the caller's handle (the request itself may still run).
///
/// # Safety
/// `req` must be null or from `aiors_submit_*`; it is invalid afterwards.
#[no_mangle]
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
        #[no_mangle]
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
req_fn!(
    /// 1 once the group's completion was handed out: it takes no more
    /// members.
    aiors_grp_finished() -> c_int, 0, |req| group::is_finished(req).into());
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
#[no_mangle]
pub unsafe extern "C" fn aiors_grp_add(grp: *const AiorsReq, member: *const AiorsReq) -> c_int {
    guard(AIORS_ADD_NOT_A_GROUP, || {
        // SAFETY: forwarded from the caller.
        let (grp, member) = match (unsafe { req_ref(grp) }, unsafe { req_ref(member) }) {
            (Some(grp), Some(member)) => (grp, member),
            _ => return AIORS_ADD_NOT_A_GROUP,
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

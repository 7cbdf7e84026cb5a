//! Statistics for `IO::AIO::stats` and `IO::AIO::slow_request`: a
//! snapshot that the glue reads record by record, and the times of the
//! last done request.

use std::os::raw::{c_char, c_int};
use std::time::Duration;

use super::{guard, pool_ref};
use crate::pool::Pool;
use crate::stats::{EngineCounters, Histogram, OpStats, Stats, Subject};

/// A snapshot of the statistics, owned by the caller.
pub type AiorsStats = Stats;

/// Times of one kind of request, in seconds.
#[repr(C)]
pub struct AiorsTimes {
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

/// One kind of request, or all of them.
#[repr(C)]
pub struct AiorsOpStats {
    /// The kind's name (`aio_<name>`; not NUL-terminated), empty for the
    /// total.
    pub name: *const c_char,
    pub name_len: usize,
    pub submitted: u64,
    pub completed: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub on_threads: u64,
    pub on_ring: u64,
    pub queued: AiorsTimes,
    pub executing: AiorsTimes,
}

/// What the pool did while statistics were collected.
pub type AiorsEngineCounters = EngineCounters;

/// How long the request of the last done event took, and what it worked
/// on: a path (`path` non-null), a descriptor (`fd` >= 0) or neither.
#[repr(C)]
pub struct AiorsDoneTimes {
    pub op: *const c_char,
    pub op_len: usize,
    pub queued: f64,
    pub executing: f64,
    pub path: *const c_char,
    pub path_len: usize,
    pub fd: c_int,
}

/// Starts collecting statistics (from zero), unless already collecting.
///
/// # Safety
/// `pool` must be a live pool from `aiors_pool_new`.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_enable(pool: *mut Pool) {
    // SAFETY: forwarded from the caller.
    guard((), || unsafe { pool_ref(pool) }.map_or((), |pool| pool.stats_enable()))
}

/// Zeroes the statistics and collects from now on.
///
/// # Safety
/// `pool` must be a live pool from `aiors_pool_new`.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_reset(pool: *mut Pool) {
    // SAFETY: forwarded from the caller.
    guard((), || unsafe { pool_ref(pool) }.map_or((), |pool| pool.stats_reset()))
}

/// A snapshot of the statistics, to be released with `aiors_stats_free`;
/// null while collection is off.
///
/// # Safety
/// `pool` must be a live pool from `aiors_pool_new`.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_new(pool: *mut Pool) -> *mut AiorsStats {
    guard(std::ptr::null_mut(), || {
        // SAFETY: forwarded from the caller.
        let stats = unsafe { pool_ref(pool) }.and_then(|pool| pool.stats());
        stats.map_or(std::ptr::null_mut(), |stats| Box::into_raw(Box::new(stats)))
    })
}

/// Releases a snapshot.
///
/// # Safety
/// `stats` must be null or come from `aiors_stats_new`; it is invalid
/// afterwards.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_free(stats: *mut AiorsStats) {
    if !stats.is_null() {
        // SAFETY: the caller hands back the snapshot it owns.
        guard((), || drop(unsafe { Box::from_raw(stats) }));
    }
}

/// Seconds since collection began or was last reset, as of the snapshot.
///
/// # Safety
/// `stats` must be a live snapshot.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_elapsed(stats: *const AiorsStats) -> f64 {
    // SAFETY: the caller passes a live snapshot.
    guard(0.0, || unsafe { stats.as_ref() }.map_or(0.0, |stats| stats.elapsed.as_secs_f64()))
}

/// Fills `*out` with what the pool did since collection began or was
/// last reset, as of the snapshot.
///
/// # Safety
/// `stats` must be a live snapshot, `out` writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_engine(stats: *const AiorsStats, out: *mut AiorsEngineCounters) {
    guard((), || {
        // SAFETY: the caller passes a live snapshot and writable memory.
        if let (Some(stats), Some(out)) = unsafe { (stats.as_ref(), out.as_mut()) } {
            *out = stats.engine;
        }
    })
}

/// The statistics of `index` 0 (all requests) or of one kind (1 and on);
/// `None` past the last.
fn op_at(stats: &Stats, index: usize) -> Option<(&'static str, &OpStats)> {
    match index {
        0 => Some(("", &stats.total)),
        _ => stats.ops.get(index - 1).map(|(kind, op)| (kind.name(), op)),
    }
}

/// Fills `*out` with the statistics of `index`: 0 for all requests, 1
/// and on for each kind.  Returns 0 (leaving `*out` alone) past the last.
///
/// # Safety
/// `stats` must be a live snapshot, `out` writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_op(stats: *const AiorsStats, index: usize, out: *mut AiorsOpStats) -> c_int {
    guard(0, || {
        // SAFETY: the caller passes a live snapshot and writable memory.
        let (stats, out) = match unsafe { (stats.as_ref(), out.as_mut()) } {
            (Some(stats), Some(out)) => (stats, out),
            _ => return 0,
        };
        let (name, op) = match op_at(stats, index) {
            Some(found) => found,
            None => return 0,
        };
        *out = AiorsOpStats {
            name: name.as_ptr().cast(),
            name_len: name.len(),
            submitted: op.submitted,
            completed: op.completed,
            failed: op.failed,
            cancelled: op.cancelled,
            on_threads: op.on_threads,
            on_ring: op.on_ring,
            queued: times(&op.queued),
            executing: times(&op.executing),
        };
        1
    })
}

fn times(histogram: &Histogram) -> AiorsTimes {
    let secs = Duration::as_secs_f64;
    AiorsTimes {
        count: histogram.count,
        sum: secs(&histogram.sum),
        min: secs(&histogram.min),
        max: secs(&histogram.max),
        p50: secs(&histogram.percentile(0.5)),
        p90: secs(&histogram.percentile(0.9)),
        p99: secs(&histogram.percentile(0.99)),
    }
}

/// The `nth` errno (in ascending order) by which requests of `index` (as
/// for `aiors_stats_op`) failed, and how many failed so: 1, or 0 past the
/// last.
///
/// # Safety
/// `stats` must be a live snapshot; `errno_` and `count` writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_stats_error(
    stats: *const AiorsStats,
    index: usize,
    nth: usize,
    errno_: *mut c_int,
    count: *mut u64,
) -> c_int {
    guard(0, || {
        // SAFETY: the caller passes a live snapshot and writable memory.
        let (stats, errno_, count) = match unsafe { (stats.as_ref(), errno_.as_mut(), count.as_mut()) } {
            (Some(stats), Some(errno_), Some(count)) => (stats, errno_, count),
            _ => return 0,
        };
        match op_at(stats, index).and_then(|(_, op)| op.errors.iter().nth(nth)) {
            Some((&errno, &failed)) => {
                *errno_ = errno;
                *count = failed;
                1
            }
            None => 0,
        }
    })
}

/// Fills `*out` with the times of the last done event's request: 1, or 0
/// if they were not collected (collection off, the request cancelled
/// before it ran, or a group).  The path stays valid until the next poll.
///
/// # Safety
/// `pool` must be live, `out` writable.
#[no_mangle]
pub unsafe extern "C" fn aiors_result_times(pool: *mut Pool, out: *mut AiorsDoneTimes) -> c_int {
    guard(0, || {
        // SAFETY: forwarded from the caller.
        let (pool, out) = match unsafe { (pool_ref(pool), out.as_mut()) } {
            (Some(pool), Some(out)) => (pool, out),
            _ => return 0,
        };
        let done = match pool.done_times() {
            Some(done) => done,
            None => return 0,
        };
        let name = done.kind.name();
        let (path, path_len, fd) = match done.subject {
            Subject::Path(path) => (path.as_ptr(), path.to_bytes().len(), -1),
            Subject::Fd(fd) => (std::ptr::null(), 0, fd),
            Subject::Nothing => (std::ptr::null(), 0, -1),
        };
        *out = AiorsDoneTimes {
            op: name.as_ptr().cast(),
            op_len: name.len(),
            queued: done.queued.as_secs_f64(),
            executing: done.executing.as_secs_f64(),
            path,
            path_len,
            fd,
        };
        1
    })
}

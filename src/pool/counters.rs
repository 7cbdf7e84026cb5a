//! Counters shared with the workers, readable without a lock.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

use crate::stats::EngineCounters;

/// Counters shared with the workers, readable without a lock.  Each sits in
/// its own cache line and has one writer at a time (plain stores, no
/// read-modify-write on a line the other side uses): a line written by one
/// CPU and read by another costs a transfer, per request in a flood.
/// `nready` is `queued - taken`.
#[derive(Default)]
pub(super) struct Counters {
    /// Requests ever queued; written only by the polling thread.
    pub(super) queued: CacheLine<AtomicUsize>,
    /// Requests ever taken from the queue (changes under `work`).
    pub(super) taken: CacheLine<AtomicUsize>,
    /// Results ever pushed (changes under `results`); `npending` is this
    /// minus the results the polling side took.
    pub(super) pushed: CacheLine<AtomicUsize>,
    /// Threads started, and the most allowed (change under `work`, rarely).
    pub(super) nthreads: AtomicUsize,
    pub(super) thread_limit: AtomicUsize,
    /// What the heuristics did, for tests and statistics.
    pub(super) events: Events,
}

/// Counts of the pool's events, each a relaxed add on a path that does a
/// syscall or takes a lock anyway (or, for the ring, on the polling
/// thread's own line).
#[derive(Default)]
pub(super) struct Events {
    pub(super) threads_started: AtomicU64,
    pub(super) threads_exited: AtomicU64,
    /// Sleeping workers woken for work.
    pub(super) wakeups: AtomicU64,
    /// Times a worker went to sleep.
    pub(super) sleeps: AtomicU64,
    /// Times a sleeper kept watch for stalled busy workers.
    pub(super) watches: AtomicU64,
    /// Times a worker spun for more work instead of sleeping.
    pub(super) spins: AtomicU64,
    /// Requests a worker gave back because one before them ran slowly.
    pub(super) given_back: AtomicU64,
    /// Requests handed to the ring.
    pub(super) ring_submitted: CacheLine<AtomicU64>,
    /// Of those, requests the ring's kicker thread entered.
    pub(super) ring_kicked: AtomicU64,
}

impl Events {
    pub(super) fn count(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Relaxed);
    }

    pub(super) fn snapshot(&self) -> EngineCounters {
        let get = |counter: &AtomicU64| counter.load(Relaxed);
        EngineCounters {
            threads_started: get(&self.threads_started),
            threads_exited: get(&self.threads_exited),
            wakeups: get(&self.wakeups),
            sleeps: get(&self.sleeps),
            watches: get(&self.watches),
            spins: get(&self.spins),
            given_back: get(&self.given_back),
            ring_submitted: get(&self.ring_submitted),
            ring_kicked: get(&self.ring_kicked),
        }
    }
}

/// Keeps its value in a cache line of its own (128 bytes: x86 fetches
/// lines in adjacent pairs).
#[derive(Default)]
#[repr(align(128))]
pub(super) struct CacheLine<T>(T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

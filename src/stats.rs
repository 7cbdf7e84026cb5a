//! Statistics of requests, read by `IO::AIO::stats`: per kind of
//! operation, how many requests were submitted, completed, failed (by
//! errno) and cancelled, which engine ran them, how long they waited in
//! the queue and how long they executed.
//!
//! Collection is off until asked for (`Pool::stats_enable`).  Then each
//! request carries a `Timing` (see `timing`), made by the submitting thread, stamped by
//! the worker (or the ring's reaper) that executes the request, and read
//! when the polling thread hands the result out.  Every count is made on
//! the polling thread, so nothing here is shared between threads: no
//! lock, no atomic.  While collection is off, a request pays one branch
//! where it is submitted, one where it is executed and one where it is
//! handed out.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::ffi::CStr;
use std::os::unix::io::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use crate::request::{Completion, Errno, Job, Op, OpKind, Target};
use crate::timing::Timing;

/// Buckets of a `Histogram`: bucket `b` > 0 holds durations of
/// [2^(b-1), 2^b) ns, bucket 0 those of 0 ns; the last one also holds
/// everything longer (146 years).
const BUCKETS: usize = 64;

/// Durations in buckets of powers of two nanoseconds, with their exact
/// count, sum, minimum and maximum: fixed size, and percentiles within a
/// factor of two (exact for the smallest and the largest).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Histogram {
    pub count: u64,
    pub sum: Duration,
    /// Zero while nothing was recorded.
    pub min: Duration,
    pub max: Duration,
    buckets: [u64; BUCKETS],
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram { count: 0, sum: Duration::ZERO, min: Duration::ZERO, max: Duration::ZERO, buckets: [0; BUCKETS] }
    }
}

impl Histogram {
    pub fn record(&mut self, duration: Duration) {
        let ns = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        let bucket = ((u64::BITS - ns.leading_zeros()) as usize).min(BUCKETS - 1);
        self.buckets[bucket] += 1;
        self.min = if self.count == 0 { duration } else { self.min.min(duration) };
        self.count += 1;
        self.sum = self.sum.saturating_add(duration);
        self.max = self.max.max(duration);
    }

    /// The duration that a fraction `p` (0 to 1) of those recorded do not
    /// exceed: the smallest or largest if it is one of them; otherwise
    /// its bucket is exact, and the place within the bucket (narrowed to
    /// the minimum and maximum) assumes an even spread.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.count == 0 {
            return Duration::ZERO;
        }
        let rank = ((p * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == 1 {
            return self.min;
        }
        let mut below = 0;
        for (bucket, &n) in self.buckets.iter().enumerate() {
            if below + n >= rank {
                let (low, high) = bucket_bounds(bucket);
                let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
                let (low, high) = (low.max(nanos(self.min)), high.min(nanos(self.max)));
                let within = (rank - below) as f64 / n as f64;
                let ns = low as f64 + (high - low) as f64 * within;
                return Duration::from_nanos(ns as u64);
            }
            below += n;
        }
        self.max
    }

    fn merge(&mut self, other: &Histogram) {
        if other.count > 0 {
            self.min = if self.count == 0 { other.min } else { self.min.min(other.min) };
        }
        self.count += other.count;
        self.sum = self.sum.saturating_add(other.sum);
        self.max = self.max.max(other.max);
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets.iter()) {
            *mine += theirs;
        }
    }
}

/// The smallest and largest duration (ns) that `bucket` holds.
fn bucket_bounds(bucket: usize) -> (u64, u64) {
    match bucket {
        0 => (0, 0),
        _ => (1 << (bucket - 1), (1 << (bucket - 1)) * 2 - 1),
    }
}

/// The statistics of one kind of operation, or of all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpStats {
    pub submitted: u64,
    /// Handed out with their callbacks called, failed ones included.
    pub completed: u64,
    pub failed: u64,
    /// Handed out cancelled: their callbacks were not called.
    pub cancelled: u64,
    /// Requests that the worker threads executed, and that the ring did.
    pub on_threads: u64,
    pub on_ring: u64,
    /// From submission until a worker began to execute it (or the ring
    /// took it), and from then until it was done.
    pub queued: Histogram,
    pub executing: Histogram,
    /// The failures by errno.
    pub errors: BTreeMap<i32, u64>,
}

impl OpStats {
    fn merge(&mut self, other: &OpStats) {
        self.submitted += other.submitted;
        self.completed += other.completed;
        self.failed += other.failed;
        self.cancelled += other.cancelled;
        self.on_threads += other.on_threads;
        self.on_ring += other.on_ring;
        self.queued.merge(&other.queued);
        self.executing.merge(&other.executing);
        for (&errno, &count) in &other.errors {
            *self.errors.entry(errno).or_insert(0) += count;
        }
    }

    fn count_done(&mut self, completion: &Completion, timing: &Timing, cancelled: bool) {
        if cancelled {
            self.cancelled += 1;
        } else {
            self.completed += 1;
            if let Err(Errno(errno)) = completion.outcome {
                self.failed += 1;
                *self.errors.entry(errno).or_insert(0) += 1;
            }
        }
        if let Some((queued, executing)) = timing.times() {
            self.queued.record(queued);
            self.executing.record(executing);
            if timing.on_ring() {
                self.on_ring += 1;
            } else {
                self.on_threads += 1;
            }
        }
    }
}

/// What the pool's heuristics did: a snapshot of its event counts (see
/// `pool::counters::Events` for the meaning of each field).  The C ABI
/// hands it out as it is (`aiors_engine_counters`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct EngineCounters {
    pub threads_started: u64,
    pub threads_exited: u64,
    pub wakeups: u64,
    pub sleeps: u64,
    pub watches: u64,
    pub spins: u64,
    pub given_back: u64,
    pub ring_submitted: u64,
    pub ring_kicked: u64,
}

impl EngineCounters {
    /// What happened since `base`, an earlier snapshot.
    fn since(self, base: EngineCounters) -> EngineCounters {
        EngineCounters {
            threads_started: self.threads_started - base.threads_started,
            threads_exited: self.threads_exited - base.threads_exited,
            wakeups: self.wakeups - base.wakeups,
            sleeps: self.sleeps - base.sleeps,
            watches: self.watches - base.watches,
            spins: self.spins - base.spins,
            given_back: self.given_back - base.given_back,
            ring_submitted: self.ring_submitted - base.ring_submitted,
            ring_kicked: self.ring_kicked - base.ring_kicked,
        }
    }
}

/// The statistics since collection began or was last reset.
#[derive(Clone, Debug)]
pub struct Stats {
    pub elapsed: Duration,
    /// What the pool's heuristics did meanwhile.
    pub engine: EngineCounters,
    /// Every kind of operation, in `OpKind::ALL`'s order.
    pub ops: Vec<(OpKind, OpStats)>,
    pub total: OpStats,
}

/// The polling thread's side of collection, kept in the `Pool`.
#[derive(Default)]
pub(crate) struct Collector {
    on: Cell<bool>,
    /// Counts resets: requests submitted before the last one are not
    /// counted when they are done.
    generation: Cell<u32>,
    since: Cell<Option<Instant>>,
    /// Engine counters at the last reset (they count from the start).
    baseline: Cell<EngineCounters>,
    /// Indexed by `OpKind`; empty while collection is off.
    ops: RefCell<Vec<OpStats>>,
}

impl Collector {
    pub(crate) fn on(&self) -> bool {
        self.on.get()
    }

    /// Counts a request of `kind` submitted now; returns its timing.
    pub(crate) fn submitted(&self, kind: OpKind) -> Box<Timing> {
        self.ops.borrow_mut()[kind as usize].submitted += 1;
        Box::new(Timing::submitted_now(self.generation.get()))
    }

    /// Counts a request handed out as done (call only for requests that
    /// carry a timing).
    pub(crate) fn handed_out(&self, completion: &Completion, cancelled: bool) {
        match completion.job.timing.as_deref() {
            Some(timing) if timing.generation() == self.generation.get() => {
                self.ops.borrow_mut()[completion.job.op.kind() as usize].count_done(completion, timing, cancelled)
            }
            _ => {}
        }
    }

    /// Zeroes the statistics and collects from now on; `engine`: the
    /// pool's counters now.
    pub(crate) fn reset(&self, engine: EngineCounters) {
        self.on.set(true);
        self.generation.set(self.generation.get().wrapping_add(1));
        self.since.set(Some(Instant::now()));
        self.baseline.set(engine);
        *self.ops.borrow_mut() = vec![OpStats::default(); OpKind::ALL.len()];
    }

    /// The statistics so far, `engine` being the pool's counters now;
    /// None while collection is off.
    pub(crate) fn snapshot(&self, engine: EngineCounters) -> Option<Stats> {
        if !self.on() {
            return None;
        }
        let ops: Vec<(OpKind, OpStats)> = OpKind::ALL.iter().copied().zip(self.ops.borrow().iter().cloned()).collect();
        let mut total = OpStats::default();
        for (_, stats) in &ops {
            total.merge(stats);
        }
        let elapsed = self.since.get().map_or(Duration::ZERO, |since| since.elapsed());
        Some(Stats { elapsed, engine: engine.since(self.baseline.get()), ops, total })
    }
}

/// What a request works on: its first path or descriptor argument.
#[derive(Debug, PartialEq, Eq)]
pub enum Subject<'a> {
    Path(&'a CStr),
    Fd(RawFd),
    Nothing,
}

impl<'a> Subject<'a> {
    pub fn of(op: &'a Op) -> Subject<'a> {
        let target = |target: &'a Target| match target {
            Target::Path(at) => Subject::Path(&at.path),
            Target::Fd(fd) => Subject::Fd(*fd),
        };
        match op {
            Op::Nop | Op::Fail { .. } | Op::Busy { .. } | Op::Sync | Op::Mlockall { .. } => Subject::Nothing,
            Op::Msync { .. } | Op::Mtouch { .. } | Op::Mlock { .. } => Subject::Nothing,
            Op::Open { path, .. }
            | Op::Unlink { path }
            | Op::Mkdir { path, .. }
            | Op::Rmdir { path }
            | Op::Readdir { path, .. }
            | Op::Scandir { path }
            | Op::Slurp { path, .. }
            | Op::Mknod { path, .. }
            | Op::Readlink { path }
            | Op::Link { from: path, .. }
            | Op::Rename { from: path, .. } => Subject::Path(&path.path),
            Op::Realpath { path, .. } | Op::WdOpen { path, .. } => Subject::Path(&path.path),
            Op::Symlink { target, .. } => Subject::Path(target),
            Op::Close { fd }
            | Op::Seek { fd, .. }
            | Op::Read { fd, .. }
            | Op::Write { fd, .. }
            | Op::Sendfile { out_fd: fd, .. }
            | Op::Readahead { fd, .. }
            | Op::Fallocate { fd, .. }
            | Op::Fiemap { fd, .. }
            | Op::Fcntl { fd, .. }
            | Op::Ioctl { fd, .. }
            | Op::Fsync { fd }
            | Op::Fdatasync { fd }
            | Op::Syncfs { fd }
            | Op::SyncFileRange { fd, .. } => Subject::Fd(*fd),
            Op::Stat { target: t, .. }
            | Op::Statvfs { target: t }
            | Op::Utime { target: t, .. }
            | Op::Chown { target: t, .. }
            | Op::Chmod { target: t, .. }
            | Op::Truncate { target: t, .. } => target(t),
            Op::WdClose { fd } => fd.as_ref().map_or(Subject::Nothing, |fd| Subject::Fd(fd.as_raw_fd())),
        }
    }
}

/// How long the request of the last `Done` event took, for the
/// slow-request hook.
#[derive(Debug)]
pub struct DoneTimes<'a> {
    pub kind: OpKind,
    pub queued: Duration,
    pub executing: Duration,
    pub subject: Subject<'a>,
}

impl<'a> DoneTimes<'a> {
    /// The times of `job`, if they were collected and it ran.
    pub(crate) fn of(job: &'a Job) -> Option<DoneTimes<'a>> {
        let (queued, executing) = job.timing.as_ref()?.times()?;
        Some(DoneTimes { kind: job.op.kind(), queued, executing, subject: Subject::of(&job.op) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(us: u64) -> Duration {
        Duration::from_micros(us)
    }

    #[test]
    fn histogram_counts_sums_and_maxima_are_exact() {
        let mut h = Histogram::default();
        assert_eq!(h.percentile(0.5), Duration::ZERO, "empty");
        for d in [us(3), us(5), Duration::ZERO, us(1000)] {
            h.record(d);
        }
        assert_eq!((h.count, h.sum, h.min, h.max), (4, us(1008), Duration::ZERO, us(1000)));
        assert_eq!(h.percentile(1.0), us(1000), "p100 is the maximum");
        assert_eq!(h.percentile(0.0), Duration::ZERO, "p0 is the minimum");
        let mut two = Histogram::default();
        two.record(us(2900));
        two.record(Duration::from_secs(1));
        assert_eq!(two.percentile(0.5), us(2900), "the smallest of two is exact");
        assert_eq!(two.percentile(0.99), Duration::from_secs(1), "so is the largest");
    }

    #[test]
    fn bucket_bounds_cover_each_power_of_two() {
        assert_eq!(bucket_bounds(0), (0, 0));
        assert_eq!(bucket_bounds(1), (1, 1));
        assert_eq!(bucket_bounds(2), (2, 3));
        assert_eq!(bucket_bounds(11), (1024, 2047));
        assert_eq!(bucket_bounds(BUCKETS - 1), (1 << 62, u64::MAX >> 1));
        let mut h = Histogram::default();
        h.record(Duration::from_nanos(1024));
        h.record(Duration::from_nanos(2047));
        assert_eq!(h.buckets[11], 2);
        h.record(Duration::MAX);
        assert_eq!(h.buckets[BUCKETS - 1], 1, "the longest land in the last bucket");
        assert_eq!((h.min, h.max), (Duration::from_nanos(1024), Duration::MAX));
        assert_eq!(h.sum, Duration::MAX, "the sum saturates");
    }

    #[test]
    fn percentiles_stay_within_a_factor_of_two() {
        let mut h = Histogram::default();
        // 1..=1000 µs, evenly: p50 = 500 µs, p90 = 900 µs, p99 = 990 µs.
        for n in 1..=1000 {
            h.record(us(n));
        }
        for (p, exact) in [(0.5, 500), (0.9, 900), (0.99, 990)] {
            let got = h.percentile(p);
            assert!(got >= us(exact) / 2 && got <= us(exact) * 2, "p{p}: {got:?} for {exact} µs");
        }
        assert!(h.percentile(0.5) <= h.percentile(0.9) && h.percentile(0.9) <= h.percentile(0.99));
        assert!(h.percentile(0.99) <= h.max);
    }

    #[test]
    fn percentiles_of_two_clusters_pick_the_right_cluster() {
        // 98 quick requests and 2 slow ones: p50 and p90 are quick, p99
        // is slow.
        let mut h = Histogram::default();
        for _ in 0..98 {
            h.record(us(10));
        }
        h.record(Duration::from_millis(100));
        h.record(Duration::from_millis(100));
        assert!(h.percentile(0.5) >= us(8) && h.percentile(0.5) < us(17), "{:?}", h.percentile(0.5));
        assert!(h.percentile(0.9) < us(17));
        let p99 = h.percentile(0.99);
        assert!(p99 > Duration::from_millis(60) && p99 <= Duration::from_millis(100), "{p99:?}");
    }

    #[test]
    fn merged_histograms_equal_one_that_recorded_all() {
        let (mut a, mut b, mut both) = (Histogram::default(), Histogram::default(), Histogram::default());
        for n in 0..50 {
            a.record(us(n));
            both.record(us(n));
        }
        for n in 0..20 {
            b.record(us(n * 100));
            both.record(us(n * 100));
        }
        a.merge(&b);
        assert_eq!(a, both);
    }

    #[test]
    fn subjects_are_the_first_path_or_descriptor() {
        use crate::request::At;
        let at = |path: &str| At { dir: libc::AT_FDCWD, path: std::ffi::CString::new(path).unwrap() };
        let stat = Op::stat(Target::Path(at("/etc")), true);
        assert_eq!(Subject::of(&stat), Subject::Path(CStr::from_bytes_with_nul(b"/etc\0").unwrap()));
        assert_eq!(Subject::of(&Op::stat(Target::Fd(7), true)), Subject::Fd(7));
        assert_eq!(Subject::of(&Op::Fsync { fd: 3 }), Subject::Fd(3));
        let rename = Op::Rename { from: at("a"), to: Box::new(at("b")), flags: 0 };
        assert_eq!(Subject::of(&rename), Subject::Path(CStr::from_bytes_with_nul(b"a\0").unwrap()));
        assert_eq!(Subject::of(&Op::Busy { secs: 1.0 }), Subject::Nothing);
    }
}

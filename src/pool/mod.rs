//! The worker pool: request queue, worker threads, the io_uring engine's
//! ring, result queue, the readiness descriptor, and the polling side that
//! hands results out.
//!
//! - `submit`: the submitting (Perl) thread queues a request for the
//!   threads, or hands it to the ring; wakes or starts threads.
//! - `worker`: the threads' BUSY/IDLE loop.
//! - `results`: the polling side: results in priority order, group
//!   bookkeeping, readiness, `poll_cb`'s budget.
//! - `tuning`: every time and size the heuristics use, with the
//!   measurements behind them; `counters`: what tests and statistics read;
//!   `statistics`: what the pool hands the collector (`crate::stats`).
//!
//! Locks: `work` guards the request queue and thread bookkeeping, `results`
//! the result queue.  No code holds both, and none holds one across a Perl
//! callback.  The readiness descriptor is signalled and drained under
//! `results`, so it is readable exactly while results wait (two short,
//! non-blocking syscalls, once per empty ↔ non-empty transition); the
//! ring's completions signal it too, and are looked for after each drain.
//!
//! Requests that may block never wait behind others in a worker's hands: a
//! worker takes several requests at once only of kinds that ran quickly of
//! late, and gives back the rest of its batch when one turns out slow.
//! Wake-ups cost a futex call and often a context switch, so a flood of
//! quick requests must not cause one per request: a worker that ran out of
//! work spins briefly before it sleeps, and submitting wakes a sleeper only
//! for requests no awake worker will take.  When a submitter leaves work to
//! busy workers that were quick so far, one sleeper keeps watch (waking
//! every `SENTRY`) in case they stall; no other timer runs, so an idle pool
//! sleeps.  Threads start on demand (`Pool::maybe_start_thread`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::engine::{self, Engine};
use crate::group;
use crate::notify::Notifier;
use crate::ops;
use crate::queue::PriQueue;
use crate::request::{Completion, Errno, Job, Op, OpKind, Outcome, Output, Request, Token};
use crate::stats::{Collector, EngineCounters};
use crate::sys;
use crate::uring::Ring;

mod counters;
mod results;
mod statistics;
mod submit;
mod tuning;
mod worker;

use self::counters::{Counters, Events};
use self::results::Step;
pub use self::results::{Event, PollEnd};
use self::tuning::*;

/// Thread settings with IO::AIO's defaults.
struct Limits {
    /// Upper bound on threads (`max_parallel`; `min_parallel` raises it).
    wanted: usize,
    max_idle: usize,
    idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { wanted: 8, max_idle: 4, idle_timeout: Duration::from_secs(10) }
    }
}

struct WorkState {
    queue: PriQueue<Job>,
    limits: Limits,
    /// Threads running (excluding those told to quit).
    started: usize,
    /// Threads sleeping on `work_ready`.
    sleeping: usize,
    /// Sleepers notified but not yet awake: each will take a share.
    waking: usize,
    /// Threads that took a batch and have not come back for more.
    busy: usize,
    /// A sleeper keeps watch (see `SENTRY`).
    sentry: bool,
    /// Quit orders not yet taken by a worker (`max_parallel` lowering).
    quit_orders: usize,
    /// Threads alive, including those told to quit but not yet gone.
    alive: usize,
}

struct ResultState {
    queue: PriQueue<Completion>,
    /// The notifier was signalled and not drained since.
    signalled: bool,
}

struct Shared {
    work: Mutex<WorkState>,
    work_ready: Condvar,
    thread_exited: Condvar,
    results: Mutex<ResultState>,
    notifier: Notifier,
    counters: Counters,
    /// A worker is spinning for work, so submitting need not wake one.
    spinning: AtomicBool,
    /// Kinds of request that ran slowly the last time (a bit per
    /// `OpKind`): those are taken one at a time.  A kind that never ran
    /// counts as slow: the first read may be of a pipe that blocks.
    slow_kinds: AtomicU64,
    /// When a worker last finished a batch, in µs since `epoch`.
    progress_us: AtomicU64,
    epoch: Instant,
    dead_fd: RawFd,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic never happens under our locks, but if one did the data is
    // still consistent (all updates are single assignments).
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct Pool {
    shared: Arc<Shared>,
    engine: Engine,
    /// The io_uring engine's ring, used by the polling thread only.
    ring: RefCell<Option<Ring>>,
    /// The kernel may have signalled the descriptor since it was last
    /// drained (it does for every completion of the ring).
    ring_signalled: Cell<bool>,
    /// Results taken from the shared queue in one go, in priority order.
    batch: VecDeque<Completion>,
    agenda: Vec<Step>,
    /// The result of the last `Done` event, for the payload accessors.
    pub(crate) current: Option<Completion>,
    /// `aio_stat` result buffers handed back, for the next submissions.
    /// In a storm of stats their malloc and free took 8% of the polling
    /// thread's samples (160-byte chunks, which glibc sorts through its
    /// bins); reusing them saves some 165 instructions per stat.  Never
    /// more than were outstanding at once, and given back with a burst's
    /// memory (see `BURST`).
    #[allow(clippy::vec_box)] // the boxes are what is kept
    spare_stat_bufs: RefCell<Vec<Box<libc::stat>>>,
    /// Requests submitted and not yet handed out as done; changes only on
    /// the polling thread, so it stays in this thread's cache.
    nreqs: Cell<usize>,
    /// Requests ever submitted (wrapping), and their number when the
    /// current `poll_cb` round began: a round whose callbacks submit is a
    /// stream worth lingering for.
    submitted: Cell<usize>,
    round_submitted: usize,
    /// Most requests outstanding at once since memory was last given back.
    peak: Cell<usize>,
    /// Results taken from the shared queue so far (see `Counters::pushed`).
    taken: usize,
    /// `await_quick_result`'s misses in a row, and chances left to skip.
    quick_misses: Cell<u32>,
    quick_skips: Cell<u32>,
    max_poll_reqs: usize,
    max_poll_time: Option<Duration>,
    /// Results handed out and start time of the current `poll_cb` call.
    budget_used: usize,
    budget_start: Instant,
    /// `Counters::pushed` when the round began: those results are handed
    /// out whatever `ROUND_LIMIT` says.
    round_waiting: usize,
    pub(crate) stats: Collector,
}

impl Pool {
    /// A pool with the engine `IO_AIO_ENGINE` asks for (see `engine`).
    pub fn new() -> Result<Pool, Errno> {
        Pool::with_engine(Engine::from_env())
    }

    pub fn with_engine(engine: Engine) -> Result<Pool, Errno> {
        let notifier = Notifier::new()?;
        // The ring signals the descriptor itself, which takes an eventfd;
        // without a ring, the threads run everything.
        let ring = match engine {
            Engine::Uring(_) if notifier.is_eventfd() => Ring::new(notifier.fd()).ok(),
            _ => None,
        };
        let engine = if ring.is_some() { engine } else { Engine::Threads };
        let dead_fd = sys::dead_pipe()?;
        let shared = Shared {
            work: Mutex::new(WorkState {
                queue: PriQueue::default(),
                limits: Limits::default(),
                started: 0,
                sleeping: 0,
                waking: 0,
                busy: 0,
                sentry: false,
                quit_orders: 0,
                alive: 0,
            }),
            work_ready: Condvar::new(),
            thread_exited: Condvar::new(),
            results: Mutex::new(ResultState { queue: PriQueue::default(), signalled: false }),
            notifier,
            counters: Counters { thread_limit: AtomicUsize::new(Limits::default().wanted), ..Counters::default() },
            spinning: AtomicBool::new(false),
            slow_kinds: AtomicU64::new(u64::MAX),
            progress_us: AtomicU64::new(0),
            epoch: Instant::now(),
            dead_fd,
        };
        Ok(Pool {
            shared: Arc::new(shared),
            engine,
            ring: RefCell::new(ring),
            ring_signalled: Cell::new(false),
            batch: VecDeque::new(),
            agenda: Vec::new(),
            current: None,
            spare_stat_bufs: RefCell::new(Vec::new()),
            nreqs: Cell::new(0),
            submitted: Cell::new(0),
            round_submitted: 0,
            peak: Cell::new(0),
            taken: 0,
            quick_misses: Cell::new(0),
            quick_skips: Cell::new(0),
            max_poll_reqs: 0,
            max_poll_time: None,
            budget_used: 0,
            budget_start: Instant::now(),
            round_waiting: 0,
            stats: Collector::default(),
        })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The descriptor that is readable while results wait.
    pub fn fileno(&self) -> RawFd {
        self.shared.notifier.fd()
    }

    pub fn nreqs(&self) -> usize {
        self.nreqs.get()
    }

    pub fn nready(&self) -> usize {
        self.shared.nready()
    }

    pub fn npending(&self) -> usize {
        self.shared.counters.pushed.load(Relaxed).wrapping_sub(self.taken)
    }

    /// What the pool's heuristics did so far.
    pub fn engine_counters(&self) -> EngineCounters {
        self.shared.counters.events.snapshot()
    }

    pub fn nthreads(&self) -> usize {
        self.shared.counters.nthreads.load(Relaxed)
    }

    /// Raises the thread limit to at least `threads` (threads still start
    /// on demand).
    pub fn set_min_parallel(&self, threads: usize) {
        let mut work = lock(&self.shared.work);
        work.limits.wanted = work.limits.wanted.max(threads);
        self.shared.counters.thread_limit.store(work.limits.wanted, Relaxed);
    }

    /// Lowers the thread limit to at most `threads` and waits until the
    /// surplus threads have exited (each finishes its current request).
    pub fn set_max_parallel(&self, threads: usize) {
        let shared = &*self.shared;
        let mut work = lock(&shared.work);
        work.limits.wanted = work.limits.wanted.min(threads);
        shared.counters.thread_limit.store(work.limits.wanted, Relaxed);
        while work.started > work.limits.wanted {
            work.started -= 1;
            work.quit_orders += 1;
        }
        shared.counters.nthreads.store(work.started, Relaxed);
        shared.work_ready.notify_all();
        while work.alive > work.started {
            work = shared.thread_exited.wait(work).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub fn set_max_idle(&self, threads: usize) {
        lock(&self.shared.work).limits.max_idle = threads;
    }

    pub fn set_idle_timeout(&self, timeout: Duration) {
        let mut work = lock(&self.shared.work);
        work.limits.idle_timeout = timeout;
        // Sleepers re-arm their timers with the new value.
        self.shared.work_ready.notify_all();
    }

    pub fn set_max_poll_reqs(&mut self, reqs: usize) {
        self.max_poll_reqs = reqs;
    }

    pub fn set_max_poll_time(&mut self, time: Option<Duration>) {
        self.max_poll_time = time;
    }
}

impl Shared {
    /// Wakes one sleeper for work; called under `work`.
    fn wake_one(&self, work: &mut WorkState) {
        work.waking += 1;
        Events::count(&self.counters.events.wakeups, 1);
        self.work_ready.notify_one();
    }

    fn nready(&self) -> usize {
        self.counters.queued.load(Relaxed).wrapping_sub(self.counters.taken.load(Relaxed))
    }

    /// Counts requests taken from the queue; called under `work`.
    fn count_taken(&self, requests: usize) {
        let taken = &self.counters.taken;
        taken.store(taken.load(Relaxed) + requests, Relaxed);
    }
}

impl Pool {
    /// The descriptors the pool owns (notifier, dead pipe, ring; -1 for
    /// none), for a forked child to close when it abandons the pool.  The
    /// ring's mappings are not inherited.
    pub fn own_fds(&self) -> [RawFd; 4] {
        let [read, write] = self.shared.notifier.fds();
        let ring = self.ring.borrow().as_ref().map_or(-1, Ring::fd);
        [read, write, self.shared.dead_fd, ring]
    }
}

impl Pool {
    /// In a forked child: puts a fresh readiness object behind the same
    /// descriptor number (see `Notifier::renew`), as the old one is shared
    /// with the parent.
    pub fn renew_notifier_in_child(&self) -> Result<(), Errno> {
        self.shared.notifier.renew()
    }

    /// Makes `old`'s readiness descriptor this (new, unstarted) pool's, so
    /// that its number stays; false, with nothing changed, if a thread
    /// started.  The ring then signals it.
    pub fn take_over_notifier(&mut self, old: &Pool) -> bool {
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => {
                shared.notifier = Notifier::adopt(old.shared.notifier.fds());
                shared.notifier.drain();
                if let Some(ring) = self.ring.get_mut() {
                    if ring.signal_to(shared.notifier.fd()).is_err() {
                        // Without its signal the ring is of no use.
                        self.ring = RefCell::new(None);
                        self.engine = Engine::Threads;
                    }
                }
                true
            }
            None => false,
        }
    }
}

impl Drop for Pool {
    /// Stops the threads after they finished what they run; requests still
    /// queued are dropped unexecuted.
    fn drop(&mut self) {
        self.set_max_parallel(0);
        // SAFETY: the pool's own descriptor, its workers gone.
        unsafe { sys::close(self.shared.dead_fd) };
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod engine_tests;

/// Requests named by numbers, as tests write their expectations.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::request::Pri;

    /// `path`, relative to the working directory.
    pub(crate) fn at(path: &str) -> crate::request::At {
        crate::request::At { dir: libc::AT_FDCWD, path: std::ffi::CString::new(path).unwrap() }
    }

    /// Keeps each name in word 0 of its request's user area, and every
    /// request it made alive, so that no two share a token.
    #[derive(Default)]
    pub(crate) struct Named(Vec<Arc<Request>>);

    impl Named {
        pub(crate) fn submit(&mut self, pool: &Pool, name: usize, pri: Pri, op: Op) -> Arc<Request> {
            let req = self.named(Request::new(pri), name);
            assert!(pool.submit(&req, op));
            req
        }

        pub(crate) fn group(&mut self, pool: &Pool, name: usize) -> Arc<Request> {
            let grp = self.named(Request::new_group(Pri::default()), name);
            assert!(pool.submit_group(&grp));
            grp
        }

        fn named(&mut self, req: Arc<Request>, name: usize) -> Arc<Request> {
            req.user.word(0).store(name, Relaxed);
            self.0.push(Arc::clone(&req));
            req
        }

        /// The name of the request an event's token stands for.
        pub(crate) fn of(&self, token: Token) -> usize {
            let req = self.0.iter().find(|req| req.token() == token).expect("a request of ours");
            req.user.word(0).load(Relaxed)
        }
    }
}

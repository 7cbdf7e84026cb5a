//! The worker pool: request queue, worker threads, result queue, the
//! readiness descriptor, and the polling side that hands results out.
//!
//! Locks: `work` guards the request queue and thread bookkeeping, `results`
//! the result queue.  No code holds both, and none holds one across a Perl
//! callback.  The readiness descriptor is signalled and drained under
//! `results`, so it is readable exactly while results wait (two short,
//! non-blocking syscalls, once per empty ↔ non-empty transition).
//!
//! Wake-ups (each costs a futex call and often a context switch, so a
//! flood of small requests must not cause one per request): a worker that
//! runs out of work spins briefly (`SPIN`) before it sleeps, and takes up
//! to `MAX_BATCH` requests per lock.  Submitting wakes a sleeper only for
//! requests that no awake worker will take: not for one a spinner or an
//! already woken sleeper will find, and not while busy workers get through
//! their batches quickly (`QUICK`).  If a busy worker then stalls on a long
//! request, a sleeper on sentry duty (waking every `SENTRY`) takes over.
//! Threads start on demand (`Pool::maybe_start_thread`).

use std::cell::Cell;
use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::engine::{Engine, RegularCache, Routes};
use crate::group;
use crate::notify::Notifier;
use crate::ops;
use crate::queue::PriQueue;
use crate::request::{Completion, Errno, Job, Op, Outcome, Output, Request, Token};
use crate::sys;
use crate::uring::{self, Ring};

mod worker;

/// How long a worker that ran out of work keeps looking for more (yielding
/// the CPU in between) before it sleeps.  Waking a sleeping thread on
/// another CPU costs far more (about 100 µs on small VMs) than this, and
/// only one worker spins at a time.
const SPIN: Duration = Duration::from_micros(50);

/// How long of `SPIN` a worker only pauses between looks: a yield is a
/// syscall (about 1 µs on a VM), and a request submitted right after a
/// result (a round trip) should be taken before its submitter sleeps.
const SPIN_PAUSING: Duration = Duration::from_micros(5);

/// How long a worker in a stream of requests waits for more to gather.
const STREAM_GATHER: Duration = Duration::from_micros(4);

/// A busy thread that finished a batch this recently is expected back for
/// the next one before a sleeping thread could be woken.
const QUICK: Duration = Duration::from_micros(50);

/// How long a `poll_cb` round that handed out every waiting result keeps
/// looking for more while workers are running requests and more are
/// queued (a stream; not for a lone request beside long-running ones).  A result that
/// arrives meanwhile is handed out in the same round: far cheaper than
/// returning to the event loop for it (reset the descriptor, sleep in
/// select, be woken by the worker's write: 10-20 µs on small VMs), and it
/// lets the callbacks overlap with the workers' syscalls.
const LINGER: Duration = Duration::from_micros(20);

/// How long a submission waits for its result when a worker spinning for
/// work takes it at once and no other result waits: a request as quick as
/// a cached `stat` is then done before the caller reaches its event loop,
/// which finds the descriptor readable instead of sleeping until the
/// worker's write wakes it (a sleep and a cross-CPU wakeup: 5-10 µs here).
const QUICK_RESULT: Duration = Duration::from_micros(3);

/// After this many misses in a row (requests slower than `QUICK_RESULT`),
/// waiting is tried only once per `2^QUICK_MISSES_MAX` chances, so slow
/// requests cost the submitter almost nothing.
const QUICK_MISSES_MAX: u32 = 6;

/// How often a sleeping thread looks for requests left to busy threads.
const SENTRY: Duration = Duration::from_millis(1);

/// Requests outstanding at once from which memory is given back to the
/// system after they are done.
const BURST: usize = 16 * 1024;

/// Outstanding requests from which the polling thread makes room in the
/// result queue for all of their results, so that workers never grow it:
/// memory a worker allocates lands in its thread's malloc arena, whose top
/// `malloc_trim` does not give back (megabytes after a million requests).
/// Room that is never used costs no resident memory.
const RESERVE_FROM: usize = 1024;

/// Most requests a worker takes from the queue at once.
const MAX_BATCH: usize = 16;

/// Thread settings with IO::AIO's defaults.
struct Limits {
    /// Upper bound on threads (`max_parallel`; `min_parallel` raises it).
    wanted: usize,
    max_idle: usize,
    idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { wanted: 4, max_idle: 4, idle_timeout: Duration::from_secs(10) }
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

/// Counters shared with the workers, readable without a lock.  Each sits in
/// its own cache line and has one writer at a time (plain stores, no
/// read-modify-write on a line the other side uses): a line written by one
/// CPU and read by another costs a transfer, per request in a flood.
/// `nready` is `queued - taken`.
#[derive(Default)]
struct Counters {
    /// Requests ever queued; written only by the polling thread.
    queued: CacheLine<AtomicUsize>,
    /// Requests ever taken from the queue (changes under `work`).
    taken: CacheLine<AtomicUsize>,
    /// Results ever pushed (changes under `results`); `npending` is this
    /// minus the results the polling side took.
    pushed: CacheLine<AtomicUsize>,
    /// Threads started, and the most allowed (change under `work`, rarely).
    nthreads: AtomicUsize,
    thread_limit: AtomicUsize,
}

/// Keeps its value in a cache line of its own (128 bytes: x86 fetches
/// lines in adjacent pairs).
#[derive(Default)]
#[repr(align(128))]
struct CacheLine<T>(T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
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
    /// When a worker last finished a batch, in µs since `epoch`.
    progress_us: AtomicU64,
    epoch: Instant,
    dead_fd: RawFd,
    engine: Engine,
    /// Rings of workers that exited, for the next ones: each ring holds a
    /// descriptor, and the number of descriptors should not follow the
    /// number of threads.
    rings: Mutex<Vec<Ring>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic never happens under our locks, but if one did the data is
    // still consistent (all updates are single assignments).
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the polling side hands out, one at a time.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// A request is done: run its callback (unless cancelled), then free it.
    Done { token: Token, cancelled: bool },
    /// A group wants its feeder called (see `group::feed_begin`).
    Feed { token: Token },
}

/// Why `Pool::poll_next` returned no event.
#[derive(Debug, PartialEq, Eq)]
pub enum PollEnd {
    /// No result is waiting.
    Empty,
    /// `max_poll_reqs` or `max_poll_time` was reached; results remain.
    Budget,
}

/// Follow-up work of the polling side, done before the next result.
enum Step {
    /// The request's callback ran: settle its group membership.
    Finished(Arc<Request>),
    /// A member of this group finished: feed it if it wants.
    Feed(Arc<Request>),
    /// Complete this group if it has run empty.
    FinishIfDrained(Arc<Request>),
}

pub struct Pool {
    shared: Arc<Shared>,
    /// Results taken from the shared queue in one go, in priority order.
    batch: VecDeque<Completion>,
    agenda: Vec<Step>,
    /// The result of the last `Done` event, for the payload accessors.
    current: Option<Completion>,
    /// Requests submitted and not yet handed out as done; changes only on
    /// the polling thread, so it stays in this thread's cache.
    nreqs: Cell<usize>,
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
}

impl Pool {
    /// A pool with the engine `IO_AIO_ENGINE` asks for (see `engine`).
    pub fn new() -> Result<Pool, Errno> {
        Pool::with_engine(Engine::from_env())
    }

    pub fn with_engine(engine: Engine) -> Result<Pool, Errno> {
        let notifier = Notifier::new()?;
        let dead_fd = sys::dead_pipe()?;
        let shared = Shared {
            work: Mutex::new(WorkState {
                queue: PriQueue::default(),
                limits: Limits::default(),
                started: 0,
                sleeping: 0,
                waking: 0,
                busy: 0,
                quit_orders: 0,
                alive: 0,
            }),
            work_ready: Condvar::new(),
            thread_exited: Condvar::new(),
            results: Mutex::new(ResultState { queue: PriQueue::default(), signalled: false }),
            notifier,
            counters: Counters { thread_limit: AtomicUsize::new(Limits::default().wanted), ..Counters::default() },
            spinning: AtomicBool::new(false),
            progress_us: AtomicU64::new(0),
            epoch: Instant::now(),
            dead_fd,
            engine,
            rings: Mutex::new(Vec::new()),
        };
        Ok(Pool {
            shared: Arc::new(shared),
            batch: VecDeque::new(),
            agenda: Vec::new(),
            current: None,
            nreqs: Cell::new(0),
            peak: Cell::new(0),
            taken: 0,
            quick_misses: Cell::new(0),
            quick_skips: Cell::new(0),
            max_poll_reqs: 0,
            max_poll_time: None,
            budget_used: 0,
            budget_start: Instant::now(),
        })
    }

    pub fn engine(&self) -> Engine {
        self.shared.engine
    }

    /// The descriptor that is readable while results wait.
    pub fn fileno(&self) -> RawFd {
        self.shared.notifier.fd()
    }

    /// Queues `req` (made by `Request::new`) to run `op`; false, with
    /// nothing queued, if it was submitted before.
    pub fn submit(&self, req: &Arc<Request>, op: Op) -> bool {
        if req.is_group() || !req.mark_submitted() {
            return false;
        }
        let pri = req.pri();
        let shared = &*self.shared;
        let taken_at_once;
        {
            let mut work = lock(&shared.work);
            let spinning = shared.spinning.load(Relaxed);
            taken_at_once = spinning && work.queue.is_empty();
            work.queue.push(pri, Job { req: Arc::clone(req), op });
            let queued = &shared.counters.queued;
            queued.store(queued.load(Relaxed) + 1, Relaxed);
            // Wake a sleeper only for requests that no thread already
            // awake (a spinning one, or one woken before) will take, and
            // not while busy threads are finishing batches quickly: they
            // come back for this one sooner than a sleeper would wake (if
            // they stall, a sleeper on sentry duty takes it).  That is
            // asked for the first request nobody takes, then again each
            // time another batch's worth piled up: in a flood, a clock
            // read per request would cost as much as the request.
            let coming = work.waking + usize::from(spinning);
            let uncovered = work.queue.len().saturating_sub(coming);
            if work.sleeping > work.waking
                && uncovered % MAX_BATCH == 1
                && !(work.busy > 0 && shared.progressed_recently())
            {
                work.waking += 1;
                shared.work_ready.notify_one();
            }
        }
        self.count_new_request();
        let outstanding = self.nreqs();
        if outstanding >= RESERVE_FROM && outstanding.is_power_of_two() && self.nthreads() > 0 {
            lock(&shared.results).queue.reserve(pri, outstanding);
        }
        self.maybe_start_thread();
        if taken_at_once && self.npending() == 0 {
            self.await_quick_result();
        }
        true
    }

    /// Waits up to `QUICK_RESULT` for the result of a request that a
    /// spinning worker took at once; backs off while requests take longer.
    fn await_quick_result(&self) {
        let skips = self.quick_skips.get();
        if skips > 0 {
            self.quick_skips.set(skips - 1);
            return;
        }
        if self.result_within(QUICK_RESULT, std::hint::spin_loop) {
            self.quick_misses.set(0);
        } else {
            let misses = (self.quick_misses.get() + 1).min(QUICK_MISSES_MAX);
            self.quick_misses.set(misses);
            self.quick_skips.set((1 << misses) - 1);
        }
    }

    /// Whether a result waits, or arrives within `limit` (calling `pause`
    /// between looks).
    fn result_within(&self, limit: Duration, pause: impl Fn()) -> bool {
        let start = Instant::now();
        while self.npending() == 0 {
            if start.elapsed() >= limit {
                return false;
            }
            pause();
        }
        true
    }

    /// Starts `grp` (made by `Request::new_group`); its own request
    /// completes without a worker.  False if it is no group or was
    /// submitted before.
    pub fn submit_group(&self, grp: &Arc<Request>) -> bool {
        if !grp.is_group() || !grp.mark_submitted() {
            return false;
        }
        self.count_new_request();
        self.shared
            .push_result(Completion { job: Job { req: Arc::clone(grp), op: Op::Nop }, outcome: Ok(Output::Int(0)) });
        true
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

    /// Starts a `poll_cb` round: the budget of `max_poll_reqs` and
    /// `max_poll_time` counts from here.
    pub fn poll_begin(&mut self) {
        self.budget_used = 0;
        if self.max_poll_time.is_some() {
            self.budget_start = Instant::now();
        }
        self.maybe_start_thread();
        while self.shared.run_inline_without_threads() {}
    }

    fn budget_left(&self) -> bool {
        if self.max_poll_reqs != 0 && self.budget_used >= self.max_poll_reqs {
            return false;
        }
        match self.max_poll_time {
            Some(limit) if self.budget_used > 0 => self.budget_start.elapsed() < limit,
            _ => true,
        }
    }

    /// The next thing for the caller to do, or why there is none.
    pub fn poll_next(&mut self) -> Result<Event, PollEnd> {
        self.current = None;
        loop {
            if let Some(step) = self.agenda.pop() {
                if let Some(event) = self.run_step(step) {
                    return Ok(event);
                }
                continue;
            }
            if !self.budget_left() {
                self.settle_if_drained();
                return Err(PollEnd::Budget);
            }
            let completion = self.next_completion().ok_or(PollEnd::Empty)?;
            self.taken += 1;
            let req = Arc::clone(&completion.job.req);
            // Counted as handed out, as IO::AIO counts it, even if a group
            // is delayed until its last member is done: the bookkeeping
            // that completes it runs right after that member's callback
            // (see `poll_followup`), so `nreqs` is not needed to get there.
            self.nreqs.set(self.nreqs.get() - 1);
            if group::is_group(&req) && !group::on_polled(&req) {
                continue;
            }
            self.budget_used += 1;
            self.current = Some(completion);
            return Ok(self.finish(req));
        }
    }

    /// After a callback died, ending the round early: the group
    /// bookkeeping of its request (feeding, completing the group), as
    /// events like `poll_next`'s but never a new result, then `None` with
    /// the descriptor readable exactly while results wait.
    pub fn poll_followup(&mut self) -> Option<Event> {
        self.current = None;
        while let Some(step) = self.agenda.pop() {
            if let Some(event) = self.run_step(step) {
                return Some(event);
            }
        }
        self.settle_if_drained();
        None
    }

    /// The round may have taken the last result: then nothing waits any
    /// more and the descriptor must not stay readable.
    fn settle_if_drained(&self) {
        if self.batch.is_empty() {
            let mut results = lock(&self.shared.results);
            if results.queue.is_empty() {
                self.shared.settle_empty(&mut results);
            }
        }
    }

    /// Hands out `req` as done and schedules its group bookkeeping.
    fn finish(&mut self, req: Arc<Request>) -> Event {
        let event = Event::Done { token: req.token(), cancelled: req.is_cancelled() };
        self.agenda.push(Step::Finished(req));
        event
    }

    fn run_step(&mut self, step: Step) -> Option<Event> {
        match step {
            Step::Finished(req) => {
                let grp = group::detach(&req)?;
                self.agenda.push(Step::Feed(grp));
                None
            }
            Step::Feed(grp) => {
                let wants_feed = group::feed_begin(&grp);
                let token = grp.token();
                self.agenda.push(Step::FinishIfDrained(grp));
                // feed_begin started a round; the caller runs the feeder
                // loop (feed_begin/feed_end) itself, so undo nothing here.
                wants_feed.then_some(Event::Feed { token })
            }
            Step::FinishIfDrained(grp) => group::finish_if_drained(&grp).then(|| self.finish(grp)),
        }
    }

    fn next_completion(&mut self) -> Option<Completion> {
        if let Some(completion) = self.batch.pop_front() {
            return Some(completion);
        }
        if self.npending() == 0 {
            self.linger();
        }
        let mut results = lock(&self.shared.results);
        if results.queue.is_empty() {
            self.shared.settle_empty(&mut results);
            drop(results);
            self.release_memory_after_burst();
            return None;
        }
        let take = match self.max_poll_reqs {
            0 => results.queue.len(),
            reqs => reqs.saturating_sub(self.budget_used).max(1),
        };
        self.batch.extend(std::iter::from_fn(|| results.queue.pop()).take(take));
        drop(results);
        self.batch.pop_front()
    }

    /// Waits up to `LINGER` (within the round's time budget) for a result,
    /// if workers are running requests and more are queued.
    fn linger(&self) {
        let queued = self.nready();
        let executing = self.nreqs().saturating_sub(self.npending() + queued);
        if executing == 0 || queued == 0 {
            return;
        }
        let mut limit = LINGER;
        if let Some(budget) = self.max_poll_time {
            limit = limit.min(budget.saturating_sub(self.budget_start.elapsed()));
        }
        // Yield, not pause: the worker may be waiting for this CPU.
        self.result_within(limit, std::thread::yield_now);
    }

    /// Once a burst of requests is over, gives the memory of its queues
    /// back to the system (a million queued requests must not keep their
    /// hundreds of MiB for the life of the process).
    fn release_memory_after_burst(&mut self) {
        if self.peak.get() < BURST || self.nreqs() > 0 {
            return;
        }
        self.peak.set(0);
        self.batch = VecDeque::new();
        self.agenda = Vec::new();
        lock(&self.shared.work).queue.shrink_if_empty();
        // Only here, not whenever it runs empty: a worker would grow it
        // again (see RESERVE_FROM).
        lock(&self.shared.results).queue.shrink_if_empty();
        sys::malloc_trim();
    }

    /// The outcome of the request of the last `Done` event (groups have
    /// none).
    pub fn current(&self) -> Option<&Outcome> {
        self.current.as_ref().map(|c| &c.outcome)
    }

    /// Takes ownership of the last result (e.g. a descriptor to wrap).
    pub fn take_current(&mut self) -> Option<Outcome> {
        self.current.take().map(|c| c.outcome)
    }

    /// Blocks until a result waits or no request is outstanding.
    pub fn wait(&self) {
        let deadline = Instant::now() + SPIN;
        while self.nreqs() > 0 && self.npending() == 0 && self.batch.is_empty() && self.agenda.is_empty() {
            if Instant::now() < deadline {
                // Let a worker on this CPU finish instead of spinning on it.
                std::thread::yield_now();
                continue;
            }
            self.maybe_start_thread();
            if self.shared.run_inline_without_threads() {
                continue;
            }
            let mut pollfd = libc::pollfd { fd: self.fileno(), events: libc::POLLIN, revents: 0 };
            sys::poll_one(&mut pollfd, 100);
        }
    }
}

impl Pool {
    fn count_new_request(&self) {
        let outstanding = self.nreqs.get() + 1;
        self.nreqs.set(outstanding);
        if outstanding >= BURST {
            self.peak.set(self.peak.get().max(outstanding));
        }
    }

    /// Starts a thread if fewer threads run than requests are unfinished
    /// and the limit allows (IO::AIO's on-demand rule).
    fn maybe_start_thread(&self) {
        let counters = &self.shared.counters;
        let threads = counters.nthreads.load(Relaxed);
        if threads >= counters.thread_limit.load(Relaxed) {
            return; // the common case in a flood: no counter of the workers read
        }
        let busy = self.nreqs().saturating_sub(self.npending());
        if threads < busy {
            if threads == 0 && busy >= RESERVE_FROM {
                // A pool restarting on a backlog (max_parallel was 0).
                let queued = lock(&self.shared.work).queue.lens();
                lock(&self.shared.results).queue.reserve_each(queued);
            }
            self.shared.start_thread(busy);
        }
    }
}

impl Shared {
    fn nready(&self) -> usize {
        self.counters.queued.load(Relaxed).wrapping_sub(self.counters.taken.load(Relaxed))
    }

    /// Counts requests taken from the queue; called under `work`.
    fn count_taken(&self, requests: usize) {
        let taken = &self.counters.taken;
        taken.store(taken.load(Relaxed) + requests, Relaxed);
    }

    /// The result queue is empty: make the descriptor unreadable.
    fn settle_empty(&self, results: &mut ResultState) {
        if results.signalled {
            self.notifier.drain();
            results.signalled = false;
        }
    }
}

impl Pool {
    /// The descriptors the pool owns (notifier, dead pipe), for a forked
    /// child to close when it abandons the pool.
    pub fn own_fds(&self) -> [RawFd; 3] {
        let [read, write] = self.shared.notifier.fds();
        [read, write, self.shared.dead_fd]
    }

    /// In a forked child: gives back the spare io_uring rings (descriptors
    /// and mappings), unless their lock was held at the fork.  Rings that
    /// belonged to workers are lost with the workers' stacks.
    pub fn drop_spare_rings_in_child(&self) {
        if let Ok(mut spares) = self.shared.rings.try_lock() {
            spares.clear();
        }
    }

    /// In a forked child: puts a fresh readiness object behind the same
    /// descriptor number (see `Notifier::renew`), as the old one is shared
    /// with the parent.
    pub fn renew_notifier_in_child(&self) -> Result<(), Errno> {
        self.shared.notifier.renew()
    }

    /// Makes this pool, which has started no thread yet, signal through
    /// `old`'s readiness descriptor instead of its own, so that `fileno`
    /// stays the same number; whatever `old` signalled is drained.  `old`
    /// must be abandoned, never dropped (it would close the descriptor),
    /// and its threads must be gone or stopped.  False, with nothing
    /// changed, if a thread started.
    pub fn take_over_notifier(&mut self, old: &Pool) -> bool {
        match Arc::get_mut(&mut self.shared) {
            Some(shared) => {
                shared.notifier = Notifier::adopt(old.shared.notifier.fds());
                shared.notifier.drain();
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
        sys::close(self.shared.dead_fd);
    }
}

#[cfg(test)]
mod tests;

/// Requests named by numbers, as tests write their expectations.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;
    use crate::request::Pri;

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

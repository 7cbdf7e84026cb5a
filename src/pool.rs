//! The worker pool: request queue, worker threads, result queue, the
//! readiness descriptor, and the polling side that hands results out.
//!
//! Locks: `work` guards the request queue and thread bookkeeping, `results`
//! the result queue.  No code holds both, and none holds one across a Perl
//! callback.  The readiness descriptor is signalled and drained under
//! `results`, so it is readable exactly while results wait (two short,
//! non-blocking syscalls, once per empty ↔ non-empty transition).

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::engine::{Engine, RegularCache, Routes};
use crate::group::{self, Links};
use crate::notify::Notifier;
use crate::ops;
use crate::queue::PriQueue;
use crate::request::{Completion, Errno, Job, Op, Outcome, Output, Pri, Request, Token};
use crate::sys;
use crate::uring::{self, Ring};

/// How long a worker that ran out of work keeps looking for more (yielding
/// the CPU in between) before it sleeps.  Waking a sleeping thread on
/// another CPU costs far more (about 100 µs on small VMs) than this, and
/// only one worker spins at a time.
const SPIN: Duration = Duration::from_micros(50);

/// How long a worker in a stream of requests waits for more to gather.
const STREAM_GATHER: Duration = Duration::from_micros(4);

/// A busy thread that completed a request this recently is expected back
/// for the next one before a sleeping thread could be woken.
const QUICK: Duration = Duration::from_micros(50);

/// How often a sleeping thread looks for requests left to busy threads.
const SENTRY: Duration = Duration::from_millis(1);

/// Requests outstanding at once from which memory is given back to the
/// system after they are done.
const BURST: usize = 16 * 1024;

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

/// Counters readable without a lock (updated under the lock they belong to).
#[derive(Default)]
struct Counters {
    nreqs: AtomicUsize,
    nready: AtomicUsize,
    npending: AtomicUsize,
    nthreads: AtomicUsize,
    /// Most requests outstanding at once since memory was last given back.
    peak: AtomicUsize,
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
    /// When a request last completed, in µs since `epoch`.
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
            counters: Counters::default(),
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

    /// Queues `op`; returns the request, which the caller may cancel.
    pub fn submit(&self, token: Token, pri: Pri, op: Op) -> Arc<Request> {
        let req = Request::new(token, pri, Links::default());
        let shared = &*self.shared;
        {
            let mut work = lock(&shared.work);
            work.queue.push(pri, Job { req: Arc::clone(&req), op });
            shared.count_new_request();
            shared.counters.nready.fetch_add(1, Relaxed);
            // Wake a sleeper only for requests that no thread already
            // awake (a spinning one, or one woken before) will take, and
            // not while busy threads are finishing requests quickly: they
            // come back for this one sooner than a sleeper would wake (if
            // they stall, a sleeper on sentry duty takes it).
            let coming = work.waking + usize::from(shared.spinning.load(Relaxed));
            let busy_and_quick = work.busy > 0 && shared.progressed_recently();
            if work.sleeping > work.waking && work.queue.len() > coming && !busy_and_quick {
                work.waking += 1;
                shared.work_ready.notify_one();
            }
        }
        self.shared.maybe_start_thread();
        req
    }

    /// Creates a group; its own request completes without a worker.
    pub fn submit_group(&self, token: Token, pri: Pri) -> Arc<Request> {
        let req = Request::new(token, pri, Links::for_group());
        self.shared.count_new_request();
        self.shared.push_result(Completion { req: Arc::clone(&req), outcome: Ok(Output::Int(0)) });
        req
    }

    pub fn nreqs(&self) -> usize {
        self.shared.counters.nreqs.load(Relaxed)
    }

    pub fn nready(&self) -> usize {
        self.shared.counters.nready.load(Relaxed)
    }

    pub fn npending(&self) -> usize {
        self.shared.counters.npending.load(Relaxed)
    }

    pub fn nthreads(&self) -> usize {
        self.shared.counters.nthreads.load(Relaxed)
    }

    /// Raises the thread limit to at least `threads` (threads still start
    /// on demand).
    pub fn set_min_parallel(&self, threads: usize) {
        let mut work = lock(&self.shared.work);
        work.limits.wanted = work.limits.wanted.max(threads);
    }

    /// Lowers the thread limit to at most `threads` and waits until the
    /// surplus threads have exited (each finishes its current request).
    pub fn set_max_parallel(&self, threads: usize) {
        let shared = &*self.shared;
        let mut work = lock(&shared.work);
        work.limits.wanted = work.limits.wanted.min(threads);
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
        self.shared.maybe_start_thread();
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
                // The round may have taken the last result: then nothing
                // waits any more and the descriptor must not stay readable.
                if self.batch.is_empty() {
                    let mut results = lock(&self.shared.results);
                    if results.queue.is_empty() {
                        self.shared.settle_empty(&mut results);
                    }
                }
                return Err(PollEnd::Budget);
            }
            let completion = self.next_completion().ok_or(PollEnd::Empty)?;
            let counters = &self.shared.counters;
            counters.npending.fetch_sub(1, Relaxed);
            let req = Arc::clone(&completion.req);
            if group::is_group(&req) && !group::on_polled(&req) {
                // Delayed until its last member is done, and outstanding
                // until then: `nreqs` keeps counting it, so that a loop on
                // nreqs (flush) also completes a group whose last member's
                // callback died before the group's bookkeeping ran.
                continue;
            }
            counters.nreqs.fetch_sub(1, Relaxed);
            self.budget_used += 1;
            self.current = Some(completion);
            return Ok(self.finish(req));
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
            Step::FinishIfDrained(grp) => group::finish_if_drained(&grp).then(|| {
                self.shared.counters.nreqs.fetch_sub(1, Relaxed);
                self.finish(grp)
            }),
        }
    }

    fn next_completion(&mut self) -> Option<Completion> {
        if let Some(completion) = self.batch.pop_front() {
            return Some(completion);
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

    /// Once a burst of requests is over, gives the memory of its queues
    /// back to the system (a million queued requests must not keep their
    /// hundreds of MiB for the life of the process).
    fn release_memory_after_burst(&mut self) {
        let counters = &self.shared.counters;
        if counters.peak.load(Relaxed) < BURST || counters.nreqs.load(Relaxed) > 0 {
            return;
        }
        counters.peak.store(0, Relaxed);
        self.batch = VecDeque::new();
        self.agenda = Vec::new();
        lock(&self.shared.work).queue.shrink_if_empty();
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
            self.shared.maybe_start_thread();
            if self.shared.run_inline_without_threads() {
                continue;
            }
            let mut pollfd = libc::pollfd { fd: self.fileno(), events: libc::POLLIN, revents: 0 };
            sys::poll_one(&mut pollfd, 100);
        }
    }
}

impl Shared {
    fn count_new_request(&self) {
        let outstanding = self.counters.nreqs.fetch_add(1, Relaxed) + 1;
        if outstanding >= BURST {
            self.counters.peak.fetch_max(outstanding, Relaxed);
        }
    }

    /// The result queue is empty: make the descriptor unreadable.
    fn settle_empty(&self, results: &mut ResultState) {
        if results.signalled {
            self.notifier.drain();
            results.signalled = false;
        }
        results.queue.shrink_if_empty();
    }

    /// Starts a thread if fewer threads run than requests are unfinished
    /// and the limit allows (IO::AIO's on-demand rule).
    fn maybe_start_thread(self: &Arc<Self>) {
        let counters = &self.counters;
        let busy = counters.nreqs.load(Relaxed).saturating_sub(counters.npending.load(Relaxed));
        if counters.nthreads.load(Relaxed) >= busy {
            return;
        }
        let mut work = lock(&self.work);
        if work.started >= work.limits.wanted || work.started >= busy {
            return;
        }
        let shared = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("aiors-worker".into()).spawn(move || shared.work_loop());
        // If the system refuses a thread, requests wait for a later try;
        // with no thread at all, the polling side runs them (see
        // `run_inline_without_threads`), so an event loop is woken for it.
        if spawned.is_ok() {
            work.started += 1;
            work.alive += 1;
            counters.nthreads.store(work.started, Relaxed);
        } else if work.alive == 0 {
            drop(work);
            let mut results = lock(&self.results);
            if !results.signalled {
                results.signalled = true;
                self.notifier.signal();
            }
        }
    }

    /// When the system refuses every worker thread (RLIMIT_NPROC, out of
    /// memory), the waiting thread executes one queued request itself, so
    /// that requests still complete.  Returns whether it did.  Not when
    /// `max_parallel` is 0: that asks for requests to stay queued.
    fn run_inline_without_threads(&self) -> bool {
        let mut work = lock(&self.work);
        if work.alive > 0 || work.limits.wanted == 0 {
            return false;
        }
        let Some(job) = work.queue.pop() else { return false };
        self.counters.nready.fetch_sub(1, Relaxed);
        drop(work);
        self.run(job);
        true
    }

    fn work_loop(self: Arc<Self>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        let mut ring = RingSlot::new(self.engine.routes());
        // Batches taken in a row without running out of work.
        let mut streak = 0u32;
        let mut work = lock(&self.work);
        loop {
            if work.quit_orders > 0 {
                work.quit_orders -= 1;
                break;
            }
            if !work.queue.is_empty() {
                // BUSY: take this thread's share of the queue, so that a
                // flood of small requests costs one lock per batch.
                let share = (work.queue.len() / work.started.max(1)).clamp(1, MAX_BATCH);
                batch.extend(std::iter::from_fn(|| work.queue.pop()).take(share));
                self.counters.nready.fetch_sub(batch.len(), Relaxed);
                work.busy += 1;
                drop(work);
                self.run_batch(&mut batch, &mut ring);
                streak = if self.spin_for_work(streak) { streak + 1 } else { 0 };
                work = lock(&self.work);
                work.busy -= 1;
                continue;
            }
            // IDLE: sleep.  While others are busy, wake up now and then to
            // take requests that submitters left to them; otherwise sleep
            // until woken, or (beyond max_idle sleepers) until idle_timeout.
            work.sleeping += 1;
            let sentry = work.busy > 0;
            let idle_exit = work.sleeping > work.limits.max_idle;
            let timeout = if sentry {
                Some(SENTRY)
            } else {
                idle_exit.then_some(work.limits.idle_timeout)
            };
            let timed_out = match timeout {
                None => {
                    work = self.work_ready.wait(work).unwrap_or_else(|e| e.into_inner());
                    false
                }
                Some(timeout) => {
                    let (guard, result) = self.work_ready.wait_timeout(work, timeout).unwrap_or_else(|e| e.into_inner());
                    work = guard;
                    result.timed_out()
                }
            };
            work.sleeping -= 1;
            work.waking = work.waking.saturating_sub(1);
            if timed_out && !sentry && idle_exit && work.queue.is_empty() && work.quit_orders == 0 {
                work.started -= 1;
                self.counters.nthreads.store(work.started, Relaxed);
                break;
            }
        }
        if let Some(spare) = ring.ring.take() {
            lock(&self.rings).push(spare);
        }
        work.alive -= 1;
        self.thread_exited.notify_all();
    }

    /// BUSY: executes one request (or skips it if cancelled).
    fn run(&self, job: Job) {
        let Job { req, op } = job;
        let outcome = if req.is_cancelled() {
            Err(Errno(libc::ECANCELED))
        } else {
            let ctx = ops::Context { req: &req, dead_fd: self.dead_fd };
            // A panic in an operation fails that request, not the process.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ops::execute(op, &ctx)))
                .unwrap_or(Err(Errno(libc::EIO)))
        };
        self.push_result(Completion { req, outcome });
    }

    /// BUSY: executes a batch in order; runs of consecutive requests the
    /// ring takes go through it as one chain.
    fn run_batch(&self, batch: &mut Vec<Job>, ring: &mut RingSlot) {
        if ring.routes.is_empty() {
            batch.drain(..).for_each(|job| self.run(job));
            return;
        }
        let routes = ring.routes;
        let mut regular = RegularCache::default();
        let mut routed = |job: &Job| !job.req.is_cancelled() && routes.takes(&job.op, |fd| regular.is_regular(fd));
        let mut chain = Vec::with_capacity(batch.len());
        let mut jobs = batch.drain(..).peekable();
        while let Some(job) = jobs.next() {
            if !routed(&job) {
                self.run(job);
                continue;
            }
            chain.push(job);
            while let Some(job) = jobs.next_if(&mut routed) {
                chain.push(job);
            }
            self.run_chain(&mut chain, ring);
        }
    }

    /// Runs `chain` through the worker's ring (made on first use), or on
    /// this thread if the ring cannot be had.
    fn run_chain(&self, chain: &mut Vec<Job>, slot: &mut RingSlot) {
        if let Some(ring) = slot.get(&self.rings) {
            let ops: Vec<&Op> = chain.iter().map(|job| &job.op).collect();
            // A panic would leave the kernel with our memory: none is
            // expected, so none is caught here.
            match ring.run(&ops) {
                Ok(outcomes) => {
                    drop(ops);
                    for (job, outcome) in chain.drain(..).zip(outcomes) {
                        match outcome {
                            // The request did not run: ECANCELED when
                            // another member of the chain failed before it
                            // was issued (a bad path or flags), which the
                            // ring reports for the whole chain; EAGAIN or
                            // EINTR where the thread path would block or
                            // retry.  The thread path runs it, in order.
                            Err(Errno(libc::ECANCELED | libc::EAGAIN | libc::EINTR)) => self.run(job),
                            outcome => self.push_result(Completion { req: job.req, outcome }),
                        }
                    }
                    return;
                }
                Err(uring::Refused::NotSubmitted) => slot.fail(),
            }
        }
        chain.drain(..).for_each(|job| self.run(job));
    }

    /// Whether a request completed within the last `QUICK` (workers are
    /// getting through the queue).
    fn progressed_recently(&self) -> bool {
        let now = self.epoch.elapsed().as_micros() as u64;
        now.saturating_sub(self.progress_us.load(Relaxed)) < QUICK.as_micros() as u64
    }

    fn push_result(&self, completion: Completion) {
        self.progress_us.store(self.epoch.elapsed().as_micros() as u64, Relaxed);
        let pri = completion.req.pri();
        let mut results = lock(&self.results);
        results.queue.push(pri, completion);
        self.counters.npending.fetch_add(1, Relaxed);
        if !results.signalled {
            results.signalled = true;
            self.notifier.signal();
        }
    }

    /// Looks for new work for a short while instead of sleeping at once;
    /// returns whether some arrived.  In a stream of requests (`streak`
    /// batches in a row) it lets a few more accumulate before taking them,
    /// so the submitting thread keeps the queue's cache lines to itself.
    fn spin_for_work(&self, streak: u32) -> bool {
        if self.spinning.swap(true, Relaxed) {
            return false; // another worker is already spinning
        }
        let start = Instant::now();
        let mut found = false;
        while start.elapsed() < SPIN {
            if self.counters.nready.load(Relaxed) > 0 {
                found = true;
                break;
            }
            // Yield rather than pause: on a busy machine the thread that
            // would submit the next request may be waiting for this CPU.
            std::thread::yield_now();
        }
        if found && streak >= 2 {
            let gather = Instant::now();
            while gather.elapsed() < STREAM_GATHER {
                std::thread::yield_now();
            }
        }
        self.spinning.store(false, Relaxed);
        found
    }
}

/// A worker's ring, taken from the pool's spares or made when first
/// needed, and given back when the worker exits; a thread whose ring cannot
/// be made (or broke) runs everything itself.
struct RingSlot {
    routes: Routes,
    ring: Option<Ring>,
    failed: bool,
}

impl RingSlot {
    fn new(routes: Routes) -> RingSlot {
        RingSlot { routes, ring: None, failed: false }
    }

    /// The worker's ring: a spare one, or a new one.
    fn get(&mut self, spares: &Mutex<Vec<Ring>>) -> Option<&mut Ring> {
        if self.ring.is_none() && !self.failed {
            self.ring = lock(spares).pop().or_else(|| Ring::new().ok());
            self.failed = self.ring.is_none();
        }
        self.ring.as_mut()
    }

    fn fail(&mut self) {
        self.ring = None;
        self.failed = true;
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
mod tests {
    use super::*;

    fn drain(pool: &mut Pool) -> Vec<Token> {
        let mut done = Vec::new();
        while pool.nreqs() > 0 {
            pool.wait();
            pool.poll_begin();
            while let Ok(event) = pool.poll_next() {
                if let Event::Done { token, cancelled: false } = event {
                    done.push(token);
                }
            }
        }
        done
    }

    fn busy(pool: &Pool, token: Token, secs: f64) -> Arc<Request> {
        pool.submit(token, Pri::default(), Op::Busy { secs })
    }

    #[test]
    fn completes_by_priority_when_queued_behind_a_busy_thread() {
        let mut pool = Pool::new().unwrap();
        pool.set_max_parallel(1);
        busy(&pool, 100, 0.05);
        for (token, pri) in [(1, -4), (2, 0), (3, 4), (4, 0), (5, 2)] {
            pool.submit(token, Pri::new(pri), Op::Nop);
        }
        // The busy request's result may wait beside the others, and results
        // are handed out by priority too, so only its presence is certain.
        let done = drain(&mut pool);
        assert!(done.contains(&100));
        let nops: Vec<_> = done.into_iter().filter(|&t| t != 100).collect();
        assert_eq!(nops, [3, 5, 2, 4, 1]);
        assert_eq!((pool.nreqs(), pool.nready(), pool.npending()), (0, 0, 0));
    }

    #[test]
    fn cancelled_requests_never_execute() {
        let mut pool = Pool::new().unwrap();
        pool.set_max_parallel(1);
        busy(&pool, 1, 0.05);
        let dir = std::env::temp_dir().join(format!("aiors-cancel-{}", std::process::id()));
        let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        let mkdir = Op::Mkdir { path: crate::request::At { dir: libc::AT_FDCWD, path }, mode: 0o700 };
        let req = pool.submit(2, Pri::default(), mkdir);
        group::cancel(&req);
        assert_eq!(drain(&mut pool), [1]);
        assert!(!dir.exists(), "a cancelled mkdir must not run");
    }

    #[test]
    fn max_parallel_zero_queues_without_executing() {
        let mut pool = Pool::new().unwrap();
        pool.set_max_parallel(0);
        pool.submit(1, Pri::default(), Op::Nop);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!((pool.nthreads(), pool.nready()), (0, 1));
        pool.set_min_parallel(2);
        assert_eq!(drain(&mut pool), [1]);
    }

    #[test]
    fn threads_start_on_demand_up_to_the_limit_and_shrink_on_request() {
        let mut pool = Pool::new().unwrap();
        pool.set_max_parallel(3);
        for token in 0..6 {
            busy(&pool, token, 0.05);
        }
        assert_eq!(pool.nthreads(), 3);
        drain(&mut pool);
        pool.set_max_parallel(1);
        assert_eq!(pool.nthreads(), 1);
        assert_eq!(lock(&pool.shared.work).alive, 1, "surplus threads have exited");
    }

    #[test]
    fn idle_threads_beyond_max_idle_time_out() {
        let mut pool = Pool::new().unwrap();
        pool.set_max_idle(0);
        pool.set_idle_timeout(Duration::from_millis(30));
        busy(&pool, 1, 0.0);
        drain(&mut pool);
        let deadline = Instant::now() + Duration::from_secs(5);
        while pool.nthreads() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(pool.nthreads(), 0);
    }

    #[test]
    fn fileno_is_readable_exactly_while_results_wait() {
        let mut pool = Pool::new().unwrap();
        let readable = |pool: &Pool| {
            let mut pollfd = libc::pollfd { fd: pool.fileno(), events: libc::POLLIN, revents: 0 };
            sys::poll_one(&mut pollfd, 0) > 0
        };
        assert!(!readable(&pool));
        pool.submit(1, Pri::default(), Op::Nop);
        pool.submit(2, Pri::default(), Op::Nop);
        while pool.npending() < 2 {
            std::thread::yield_now();
        }
        assert!(readable(&pool));
        pool.set_max_poll_reqs(1);
        pool.poll_begin();
        assert_eq!(pool.poll_next(), Ok(Event::Done { token: 1, cancelled: false }));
        assert_eq!(pool.poll_next(), Err(PollEnd::Budget));
        assert!(readable(&pool), "one result still waits");
        pool.poll_begin();
        assert!(pool.poll_next().is_ok());
        assert_eq!(pool.poll_next(), Err(PollEnd::Budget));
        assert!(!readable(&pool), "the round used up its budget on the last result");
        pool.poll_begin();
        assert_eq!(pool.poll_next(), Err(PollEnd::Empty));
        assert!(!readable(&pool));
    }

    #[test]
    fn group_completes_after_members_and_feeds() {
        let mut pool = Pool::new().unwrap();
        let grp = pool.submit_group(10, Pri::default());
        group::set_limit(&grp, 1);
        group::set_feeder(&grp, true);
        let first = pool.submit(1, Pri::default(), Op::Nop);
        group::add(&grp, &first).unwrap();
        let mut order = Vec::new();
        let mut fed = 0;
        while pool.nreqs() > 0 {
            pool.wait();
            pool.poll_begin();
            while let Ok(event) = pool.poll_next() {
                match event {
                    Event::Done { token, .. } => order.push(token),
                    Event::Feed { .. } => {
                        // The feeder adds one request twice, then nothing.
                        if fed < 2 {
                            fed += 1;
                            let req = pool.submit(1 + fed, Pri::default(), Op::Nop);
                            group::add(&grp, &req).unwrap();
                        }
                        if group::feed_end(&grp) {
                            assert!(!group::feed_begin(&grp), "at the limit");
                        }
                    }
                }
            }
        }
        assert_eq!(order, [1, 2, 3, 10]);
    }
}

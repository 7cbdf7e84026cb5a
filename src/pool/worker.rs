//! The worker side of the pool: starting threads, the BUSY/IDLE loop,
//! running requests (on the thread or through its io_uring ring) and
//! handing their results to the polling side.

use super::*;

impl Shared {
    /// Starts a thread unless the limit is reached or `busy` (unfinished
    /// requests) are no more than the threads.
    pub(super) fn start_thread(self: &Arc<Self>, busy: usize) {
        let counters = &self.counters;
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
    pub(super) fn run_inline_without_threads(&self) -> bool {
        let mut work = lock(&self.work);
        if work.alive > 0 || work.limits.wanted == 0 {
            return false;
        }
        let job = match work.queue.pop() {
            Some(job) => job,
            None => return false,
        };
        self.count_taken(1);
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
                self.count_taken(batch.len());
                work.busy += 1;
                drop(work);
                self.run_batch(&mut batch, &mut ring);
                self.note_progress();
                streak = self.look_for_work(streak);
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
            let timeout = if sentry { Some(SENTRY) } else { idle_exit.then_some(work.limits.idle_timeout) };
            let timed_out = match timeout {
                None => {
                    work = self.work_ready.wait(work).unwrap_or_else(|e| e.into_inner());
                    false
                }
                Some(timeout) => {
                    let (guard, result) =
                        self.work_ready.wait_timeout(work, timeout).unwrap_or_else(|e| e.into_inner());
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
    fn run(&self, mut job: Job) {
        let outcome = if job.req.is_cancelled() {
            Err(Errno(libc::ECANCELED))
        } else {
            let ctx = ops::Context { req: &job.req, dead_fd: self.dead_fd };
            // A panic in an operation fails that request, not the process.
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ops::execute(&mut job.op, &ctx)))
                .unwrap_or(Err(Errno(libc::EIO)))
        };
        self.push_result(Completion { job, outcome });
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
                            outcome => self.push_result(Completion { job, outcome }),
                        }
                    }
                    return;
                }
                Err(uring::Refused::NotSubmitted) => slot.fail(),
            }
        }
        chain.drain(..).for_each(|job| self.run(job));
    }

    /// Whether a worker finished a batch within the last `QUICK`
    /// (workers are getting through the queue).
    pub(super) fn progressed_recently(&self) -> bool {
        let now = self.epoch.elapsed().as_micros() as u64;
        now.saturating_sub(self.progress_us.load(Relaxed)) < QUICK.as_micros() as u64
    }

    /// Stamped once per batch, not per request: reading the clock costs
    /// as much as handing over a small request.
    fn note_progress(&self) {
        self.progress_us.store(self.epoch.elapsed().as_micros() as u64, Relaxed);
    }

    pub(super) fn push_result(&self, completion: Completion) {
        let pri = completion.job.req.pri();
        let mut results = lock(&self.results);
        results.queue.push(pri, completion);
        if !results.signalled {
            results.signalled = true;
            self.notifier.signal();
        }
        // Counted after the signal: a submitter that saw its result arrive
        // (`await_quick_result`) then finds the descriptor readable.
        self.counters.pushed.fetch_add(1, Relaxed);
    }

    /// After a batch: looks for new work for a short while instead of
    /// sleeping at once.  Returns the new `streak`, the number of batches
    /// in a row that found more work waiting as soon as they were done.
    /// In such a stream it lets a few more requests accumulate before
    /// taking them, so the submitting thread keeps the queue's cache lines
    /// to itself; a request it had to wait for is taken at once (a round
    /// trip must not pay for the gathering).
    fn look_for_work(&self, streak: u32) -> u32 {
        if self.nready() > 0 {
            if streak >= 2 {
                let gather = Instant::now();
                while gather.elapsed() < STREAM_GATHER {
                    std::thread::yield_now();
                }
            }
            return streak + 1;
        }
        if self.spinning.swap(true, Relaxed) {
            return 0; // another worker is already spinning
        }
        let start = Instant::now();
        while self.nready() == 0 && start.elapsed() < SPIN {
            if start.elapsed() < SPIN_PAUSING {
                std::hint::spin_loop();
            } else {
                // Yield rather than pause: on a busy machine the thread
                // that would submit the next request may be waiting for
                // this CPU.
                std::thread::yield_now();
            }
        }
        self.spinning.store(false, Relaxed);
        0
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

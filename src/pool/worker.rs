//! The worker side of the pool: starting threads, the BUSY/IDLE loop,
//! running requests and handing their results to the polling side.

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
        let spawned = sys::spawn_signal_free("aiors-worker", move || shared.work_loop());
        // If the system refuses a thread, requests wait for a later try;
        // with no thread at all, the polling side runs them (see
        // `run_inline_without_threads`), so an event loop is woken for it.
        if spawned.is_ok() {
            work.started += 1;
            Events::count(&counters.events.threads_started, 1);
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
        // Batches taken in a row without running out of work.
        let mut streak = 0u32;
        // This thread's watch as sentry found the queue empty (see IDLE).
        let mut sentry_expired = false;
        let mut work = lock(&self.work);
        loop {
            if work.quit_orders > 0 {
                work.quit_orders -= 1;
                break;
            }
            if !work.queue.is_empty() {
                // BUSY: take this thread's share of the queue, so that a
                // flood of quick requests costs one lock per batch.
                let share = (work.queue.len() / work.started.max(1)).clamp(1, MAX_BATCH);
                let slow = self.slow_kinds.load(Relaxed);
                take_batch(&mut work.queue, share, slow, &mut batch);
                self.count_taken(batch.len());
                // Requests that may block go to as many threads as there
                // are: wake the next sleeper for what is left.
                if !quick_kind(slow, &batch[0]) && !work.queue.is_empty() && work.sleeping > work.waking {
                    self.wake_one(&mut work);
                }
                work.busy += 1;
                drop(work);
                let quick = self.run_batch(&mut batch);
                sentry_expired = false;
                self.note_progress();
                // After slow requests, work comes back only at the pace of
                // the disk: sleep rather than spin for it.
                streak = if quick { self.look_for_work(streak) } else { 0 };
                work = lock(&self.work);
                work.busy -= 1;
                continue;
            }
            // IDLE: sleep until woken.  The first sleeper while others are
            // busy keeps watch for a while (see `SENTRY`) in case a
            // submitter left requests to a busy thread that then stalls;
            // if the queue stays empty, it sleeps like the rest.
            work.sleeping += 1;
            Events::count(&self.counters.events.sleeps, 1);
            let sentry = work.busy > 0 && !work.sentry && !sentry_expired;
            let idle_exit = work.sleeping > work.limits.max_idle;
            let timeout = if sentry { Some(SENTRY) } else { idle_exit.then_some(work.limits.idle_timeout) };
            if sentry {
                work.sentry = true;
                Events::count(&self.counters.events.watches, 1);
            }
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
            if sentry {
                work.sentry = false;
            }
            // A watch that found nothing is not renewed until this thread
            // has run a request again: an idle pool sleeps.
            sentry_expired = sentry && timed_out && work.queue.is_empty();
            if timed_out && !sentry && idle_exit && work.queue.is_empty() && work.quit_orders == 0 {
                work.started -= 1;
                self.counters.nthreads.store(work.started, Relaxed);
                break;
            }
        }
        work.alive -= 1;
        Events::count(&self.counters.events.threads_exited, 1);
        self.thread_exited.notify_all();
    }

    /// BUSY: executes one request (or skips it if cancelled).
    fn run(&self, mut job: Job) {
        let outcome = if job.req.is_cancelled() {
            Err(Errno(libc::ECANCELED))
        } else {
            let ctx = ops::Context { req: &job.req, dead_fd: self.dead_fd };
            match job.timing.as_mut() {
                None => execute(&mut job.op, &ctx),
                Some(timing) => timing.time(|| execute(&mut job.op, &ctx)),
            }
        };
        self.push_result(Completion { job, outcome });
    }

    /// BUSY: executes a batch in order, noting which kinds of request ran
    /// slowly.  If one turns out slow (it blocked on the disk, say), the
    /// rest of the batch goes back to the head of the queue for other
    /// threads, instead of waiting behind it.  Returns whether every
    /// request ran quickly.
    fn run_batch(&self, batch: &mut Vec<Job>) -> bool {
        let mut jobs = batch.drain(..);
        let mut started = Instant::now();
        while let Some(job) = jobs.next() {
            let kind = job.op.kind();
            // A pipe or socket may stay silent for good: what is behind a
            // read or write of one goes back before it runs.
            let may_wait_for_good = jobs.len() > 0 && waits_for_a_peer(&job.op);
            if may_wait_for_good {
                self.give_back(jobs.by_ref().rev());
            }
            self.run(job);
            let now = Instant::now();
            let slow = now - started >= SLOW_REQUEST;
            self.note_speed(kind, slow);
            if slow || may_wait_for_good {
                self.give_back(jobs.rev());
                return false;
            }
            started = now;
        }
        true
    }

    /// Records whether a request of `kind` ran slowly (one bit per kind,
    /// written only when it changes).
    fn note_speed(&self, kind: OpKind, slow: bool) {
        let bit = 1u64 << kind as u32;
        let kinds = self.slow_kinds.load(Relaxed);
        if (kinds & bit != 0) != slow {
            if slow {
                self.slow_kinds.fetch_or(bit, Relaxed);
            } else {
                self.slow_kinds.fetch_and(!bit, Relaxed);
            }
        }
    }

    /// Returns requests taken but not run to the head of the queue (last
    /// first, so their order is kept) and wakes sleepers for them.
    fn give_back(&self, jobs: impl ExactSizeIterator<Item = Job>) {
        if jobs.len() == 0 {
            return;
        }
        let mut work = lock(&self.work);
        let returned = jobs.len();
        for job in jobs {
            let pri = job.req.pri();
            work.queue.push_front(pri, job);
        }
        let taken = &self.counters.taken;
        taken.store(taken.load(Relaxed) - returned, Relaxed);
        Events::count(&self.counters.events.given_back, returned as u64);
        for _ in 0..returned.min(work.sleeping.saturating_sub(work.waking)) {
            self.wake_one(&mut work);
        }
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
        let ready = self.nready();
        if ready > 0 {
            // A batch's worth waiting needs no gathering.
            if streak >= 2 && ready < MAX_BATCH {
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
        Events::count(&self.counters.events.spins, 1);
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

/// Executes `op`; a panic in an operation fails that request, not the
/// process.
fn execute(op: &mut Op, ctx: &ops::Context) -> Outcome {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ops::execute(op, ctx))).unwrap_or(Err(Errno(libc::EIO)))
}

/// Takes up to `share` requests, but never one behind another unless both
/// are of kinds that ran quickly of late (`slow`: a bit per `OpKind`) and
/// not known to run long: eight `aio_busy` sleep side by side, not in
/// turn, quick requests never wait behind one, and reads from the disk go
/// to as many threads as there are.
fn take_batch(queue: &mut PriQueue<Job>, share: usize, slow: u64, batch: &mut Vec<Job>) {
    while batch.len() < share {
        let joins = |job: &Job| batch.last().map_or(true, |last| quick_kind(slow, last) && quick_kind(slow, job));
        match queue.pop_if(joins) {
            Some(job) => batch.push(job),
            None => break,
        }
    }
}

/// Whether `op` reads or writes something other than a regular file (an
/// fstat, paid only by a request with others batched behind it).
fn waits_for_a_peer(op: &Op) -> bool {
    match op {
        Op::Read { fd, .. } | Op::Write { fd, .. } => !engine::is_regular(*fd),
        _ => false,
    }
}

/// Whether `job` is expected to complete quickly: its kind ran quickly the
/// last time (`slow` has a bit per `OpKind`) and is not known to run long.
fn quick_kind(slow: u64, job: &Job) -> bool {
    slow & (1u64 << job.op.kind() as u32) == 0 && !job.op.runs_long()
}

//! The submitting side: a request goes to the threads' queue or to the
//! ring; threads are woken or started for it.

use super::*;

impl Pool {
    /// Queues `req` (made by `Request::new`) to run `op`, or hands it to
    /// the ring; false, with nothing queued, if it was submitted before.
    pub fn submit(&self, req: &Arc<Request>, mut op: Op) -> bool {
        if req.is_group() || !req.mark_submitted() {
            return false;
        }
        if let Op::Stat { buf, .. } = &mut op {
            let spare = self.spare_stat_bufs.borrow_mut().pop();
            *buf = Some(spare.unwrap_or_else(|| Box::new(sys::zeroed_stat())));
        }
        self.count_new_request();
        let timing = if self.stats.on() { Some(self.stats.submitted(op.kind())) } else { None };
        let job = Job { req: Arc::clone(req), op, timing };
        if self.ring_takes(&job) {
            if let Some(ring) = self.ring.borrow_mut().as_mut() {
                let kicked = ring.submit(job);
                let events = &self.shared.counters.events;
                Events::count(&events.ring_submitted, 1);
                Events::count(&events.ring_kicked, u64::from(kicked));
                self.ring_signalled.set(true);
                return true;
            }
        }
        let taken_at_once = self.enqueue(job);
        let outstanding = self.nreqs();
        if outstanding >= RESERVE_FROM && outstanding.is_power_of_two() && self.nthreads() > 0 {
            lock(&self.shared.results).queue.reserve(req.pri(), outstanding);
        }
        self.maybe_start_thread();
        if taken_at_once && self.npending() == 0 {
            self.await_quick_result();
        }
        true
    }

    /// Whether `job` goes to the ring: if its engine routes it, the ring
    /// has room, and requests are not held back (`max_parallel 0`).  While
    /// requests wait for a thread, only if none of them has a higher
    /// priority, and more than one thread is allowed: with one, requests
    /// start strictly in the order submitted, as in IO::AIO.  (With more,
    /// a read on the ring does not take a waiting request's thread, and
    /// is what keeps the disk busy while threads are held by slow work.)
    fn ring_takes(&self, job: &Job) -> bool {
        let thread_limit = self.shared.counters.thread_limit.load(Relaxed);
        self.ring.borrow().as_ref().map_or(false, Ring::has_room)
            && thread_limit > 0
            && self.engine.routes().takes(&job.op, engine::is_regular)
            && (self.nready() == 0 || thread_limit > 1 && !lock(&self.shared.work).queue.any_above(job.req.pri()))
    }

    /// Queues `job` for the threads and wakes one if needed; returns
    /// whether a spinning worker will take it at once.
    pub(super) fn enqueue(&self, job: Job) -> bool {
        let shared = &*self.shared;
        let mut work = lock(&shared.work);
        let spinning = shared.spinning.load(Relaxed);
        let taken_at_once = spinning && work.queue.is_empty();
        work.queue.push(job.req.pri(), job);
        let queued = &shared.counters.queued;
        queued.store(queued.load(Relaxed) + 1, Relaxed);
        // Wake a sleeper only for requests that no thread already awake (a
        // spinning one, or one woken before) will take, and not while busy
        // threads are finishing batches quickly and a sleeper keeps watch:
        // they come back for this one sooner than a sleeper would wake (if
        // they stall, the watching sleeper takes it).  That is asked for
        // the first request nobody takes, then again each time another
        // batch's worth piled up: in a flood, a clock read per request
        // would cost as much as the request.
        let coming = work.waking + usize::from(spinning);
        let uncovered = work.queue.len().saturating_sub(coming);
        if work.sleeping > work.waking
            && uncovered % MAX_BATCH == 1
            && !(work.sentry && work.busy > 0 && shared.progressed_recently())
        {
            shared.wake_one(&mut work);
        }
        taken_at_once
    }

    /// Waits up to `QUICK_RESULT` for the result of a request that a
    /// spinning worker took at once; backs off while requests take longer.
    pub(super) fn await_quick_result(&self) {
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
    pub(super) fn result_within(&self, limit: Duration, pause: impl Fn()) -> bool {
        let start = Instant::now();
        while self.npending() == 0 && self.reap_ring() == 0 {
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
        self.shared.push_result(Completion {
            job: Job { req: Arc::clone(grp), op: Op::Nop, timing: None },
            outcome: Ok(Output::Int(0)),
        });
        true
    }

    fn count_new_request(&self) {
        self.submitted.set(self.submitted.get().wrapping_add(1));
        let outstanding = self.nreqs.get() + 1;
        self.nreqs.set(outstanding);
        if outstanding >= BURST {
            self.peak.set(self.peak.get().max(outstanding));
        }
    }

    /// Starts a thread if fewer threads run than requests are unfinished
    /// (outside the ring, which needs no thread) and the limit allows
    /// (IO::AIO's on-demand rule).
    pub(super) fn maybe_start_thread(&self) {
        let counters = &self.shared.counters;
        let threads = counters.nthreads.load(Relaxed);
        if threads >= counters.thread_limit.load(Relaxed) {
            return; // the common case in a flood: no counter of the workers read
        }
        let busy = self.nreqs().saturating_sub(self.npending() + self.ring_in_flight());
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

//! The polling side: hands out results in priority order, one event at a
//! time, runs the groups' bookkeeping between them, keeps the descriptor's
//! readiness exact and `poll_cb`'s rounds within their budget.

use super::*;

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
pub(super) enum Step {
    /// The request's callback ran: settle its group membership.
    Finished(Arc<Request>),
    /// A member of this group finished: feed it if it wants.
    Feed(Arc<Request>),
    /// Complete this group if it has run empty.
    FinishIfDrained(Arc<Request>),
}

impl Pool {
    /// Starts a `poll_cb` round: the budget of `max_poll_reqs` and
    /// `max_poll_time` (or `ROUND_LIMIT`) counts from here.
    pub fn poll_begin(&mut self) {
        self.budget_used = 0;
        self.budget_start = Instant::now();
        self.reap_ring();
        self.round_waiting = self.shared.counters.pushed.load(Relaxed);
        self.round_submitted = self.submitted.get();
        self.maybe_start_thread();
        while self.shared.run_inline_without_threads() {}
    }

    fn budget_left(&self) -> bool {
        if self.max_poll_reqs != 0 && self.budget_used >= self.max_poll_reqs {
            return false;
        }
        match self.max_poll_time {
            Some(limit) if self.budget_used > 0 => self.budget_start.elapsed() < limit,
            Some(_) => true,
            // Results that arrived during the round wait for the next one
            // once it has lasted ROUND_LIMIT.
            None => {
                let arrived_since = self.taken.wrapping_sub(self.round_waiting) as isize >= 0;
                !arrived_since || self.budget_start.elapsed() < ROUND_LIMIT
            }
        }
    }

    /// The next thing for the caller to do, or why there is none.
    pub fn poll_next(&mut self) -> Result<Event, PollEnd> {
        self.hand_back_current();
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
            if completion.job.timing.is_some() {
                self.stats.handed_out(&completion, req.is_cancelled());
            }
            self.current = Some(completion);
            return Ok(self.finish(req));
        }
    }

    /// After a callback died, ending the round early: the group
    /// bookkeeping of its request (feeding, completing the group), as
    /// events like `poll_next`'s but never a new result, then `None` with
    /// the descriptor readable exactly while results wait.
    pub fn poll_followup(&mut self) -> Option<Event> {
        self.hand_back_current();
        while let Some(step) = self.agenda.pop() {
            if let Some(event) = self.run_step(step) {
                return Some(event);
            }
        }
        self.settle_if_drained();
        None
    }

    /// The round may have taken the last result: then nothing waits any
    /// more and the descriptor must not stay readable (but must, for
    /// completions still in the ring), and a burst's memory goes back.
    fn settle_if_drained(&mut self) {
        if self.batch.is_empty() && !self.results_wait() {
            self.release_memory_after_burst();
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
        self.reap_ring();
        if self.npending() == 0 {
            self.linger();
        }
        if !self.results_wait() {
            self.release_memory_after_burst();
            return None;
        }
        let mut results = lock(&self.shared.results);
        let take = match self.max_poll_reqs {
            0 => results.queue.len(),
            reqs => reqs.saturating_sub(self.budget_used).max(1),
        };
        self.batch.extend(std::iter::from_fn(|| results.queue.pop()).take(take));
        drop(results);
        self.batch.pop_front()
    }

    /// Whether results wait in the shared queue; if none do, makes the
    /// descriptor unreadable, unless a completion of the ring arrives
    /// meanwhile (which is then queued).
    fn results_wait(&self) -> bool {
        loop {
            let mut results = lock(&self.shared.results);
            if !results.queue.is_empty() {
                return true;
            }
            // Drained under the lock, so that no worker's signal is lost;
            // the kernel's are looked for afterwards.
            let kernel_signalled = self.ring_signalled.replace(self.ring_in_flight() > 0);
            if kernel_signalled && !results.signalled {
                self.shared.notifier.drain();
            }
            self.shared.settle_empty(&mut results);
            drop(results);
            if self.reap_ring() == 0 {
                return false;
            }
        }
    }

    /// Queues the results of the ring's completed requests; returns how
    /// many there were.
    pub(super) fn reap_ring(&self) -> usize {
        let mut ring = self.ring.borrow_mut();
        let reaped = match ring.as_mut() {
            Some(ring) if ring.in_flight() > 0 => ring.reap(|mut job, outcome| match outcome {
                // Where the thread path would block or retry, it runs the
                // request.
                Err(Errno(libc::EAGAIN | libc::EINTR)) => {
                    self.enqueue(job);
                }
                outcome => {
                    if let Some(timing) = job.timing.as_mut() {
                        timing.reaped();
                    }
                    self.shared.push_result(Completion { job, outcome })
                }
            }),
            _ => 0,
        };
        if reaped > 0 {
            self.ring_signalled.set(true);
        }
        reaped
    }

    pub(super) fn ring_in_flight(&self) -> usize {
        self.ring.borrow().as_ref().map_or(0, Ring::in_flight)
    }

    /// Waits up to `LINGER` (within the round's time budget) for a result,
    /// if workers are running requests and a stream goes on: more are
    /// queued, or the round's callbacks submitted more.
    fn linger(&self) {
        let queued = self.nready();
        let executing = self.nreqs().saturating_sub(self.npending() + queued);
        let streaming = queued > 0 || self.submitted.get() != self.round_submitted;
        if executing == 0 || !streaming {
            return;
        }
        let budget = self.max_poll_time.unwrap_or(ROUND_LIMIT);
        let limit = LINGER.min(budget.saturating_sub(self.budget_start.elapsed()));
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
        self.spare_stat_bufs = RefCell::default();
        self.agenda = Vec::new();
        lock(&self.shared.work).queue.shrink_if_empty();
        // Only here, not whenever it runs empty: a worker would grow it
        // again (see RESERVE_FROM).
        lock(&self.shared.results).queue.shrink_if_empty();
        sys::malloc_trim();
    }

    /// Done with the last event's result: a stat buffer, filled or not
    /// (the stat failed), is kept for the next `aio_stat`.
    fn hand_back_current(&mut self) {
        if let Some(
            Completion { outcome: Ok(Output::Stat(buf)), .. }
            | Completion { job: Job { op: Op::Stat { buf: Some(buf), .. }, .. }, .. },
        ) = self.current.take()
        {
            self.spare_stat_bufs.get_mut().push(buf);
        }
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
            if self.reap_ring() > 0 {
                continue;
            }
            if Instant::now() < deadline {
                // Let a worker on this CPU finish instead of spinning on it.
                std::thread::yield_now();
                continue;
            }
            self.maybe_start_thread();
            if self.shared.run_inline_without_threads() {
                continue;
            }
            if self.results_wait() {
                continue;
            }
            let mut pollfd = libc::pollfd { fd: self.fileno(), events: libc::POLLIN, revents: 0 };
            sys::poll_one(&mut pollfd, 100);
        }
    }
}

impl Shared {
    /// The result queue is empty: make the descriptor unreadable.
    fn settle_empty(&self, results: &mut ResultState) {
        if results.signalled {
            self.notifier.drain();
            results.signalled = false;
        }
    }
}

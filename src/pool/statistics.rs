//! The pool's side of the statistics (`stats`): it passes its engine
//! counters and the job of the last `Done` event to the collector.

use super::Pool;
use crate::stats::{DoneTimes, Stats};

impl Pool {
    /// Starts collecting statistics, unless already collecting.
    pub fn stats_enable(&self) {
        if !self.stats.on() {
            self.stats_reset();
        }
    }

    /// Zeroes the statistics and collects from now on.
    pub fn stats_reset(&self) {
        self.stats.reset(self.engine_counters());
    }

    /// The statistics so far; None while collection is off.
    pub fn stats(&self) -> Option<Stats> {
        self.stats.snapshot(self.engine_counters())
    }

    /// How long the request of the last `Done` event waited and executed,
    /// if its times were collected and it ran.
    pub fn done_times(&self) -> Option<DoneTimes<'_>> {
        DoneTimes::of(&self.current.as_ref()?.job)
    }
}

/// Statistics of requests run through a pool of each engine.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::ffi::CStr;
    use std::time::{Duration, Instant};

    use crate::engine::{Engine, Routes};
    use crate::pool::testing::{at, Named};
    use crate::pool::{Event, Pool};
    use crate::request::{Op, OpKind, Pri, Request, Target};
    use crate::stats::{OpStats, Stats, Subject};

    fn pools() -> Vec<Pool> {
        let mut pools = vec![Pool::with_engine(Engine::Threads).unwrap()];
        if crate::uring::probe().is_ok() {
            pools.push(Pool::with_engine(Engine::Uring(Routes::ALL)).unwrap());
        }
        pools
    }

    /// Drains the pool; returns each request's name with its times (if
    /// any) in the order they were handed out.
    fn drain(pool: &mut Pool, names: &Named) -> Vec<(usize, Option<(Duration, Duration)>)> {
        let mut done = Vec::new();
        while pool.nreqs() > 0 {
            pool.wait();
            pool.poll_begin();
            while let Ok(event) = pool.poll_next() {
                if let Event::Done { token, .. } = event {
                    done.push((names.of(token), pool.done_times().map(|t| (t.queued, t.executing))));
                }
            }
        }
        done
    }

    fn op(stats: &Stats, kind: OpKind) -> &OpStats {
        &stats.ops.iter().find(|(k, _)| *k == kind).unwrap().1
    }

    #[test]
    fn nothing_is_collected_until_asked() {
        let mut pool = Pool::new().unwrap();
        let mut names = Named::default();
        assert!(pool.stats().is_none());
        names.submit(&pool, 1, Pri::default(), Op::Nop);
        assert_eq!(drain(&mut pool, &names), [(1, None)]);
        pool.stats_enable();
        let stats = pool.stats().unwrap();
        assert_eq!(stats.total, OpStats::default(), "requests before collection are not counted");
    }

    #[test]
    fn counts_are_exact_and_name_the_engine() {
        for mut pool in pools() {
            let mut names = Named::default();
            pool.stats_enable();
            for name in 0..8 {
                let path = if name < 5 { "/" } else { "/nonexistent/aiors" };
                names.submit(&pool, name, Pri::default(), Op::stat(Target::Path(at(path)), true));
            }
            names.submit(&pool, 8, Pri::default(), Op::Nop);
            names.submit(&pool, 9, Pri::default(), Op::Nop);
            let done = drain(&mut pool, &names);
            assert_eq!(done.len(), 10);
            assert!(done.iter().all(|(_, times)| times.is_some()), "every request was timed");
            let stats = pool.stats().unwrap();
            let stat = op(&stats, OpKind::Stat);
            assert_eq!((stat.submitted, stat.completed, stat.failed, stat.cancelled), (8, 8, 3, 0));
            assert_eq!(stat.errors, [(libc::ENOENT, 3)].into_iter().collect::<BTreeMap<_, _>>());
            assert_eq!((stat.queued.count, stat.executing.count), (8, 8));
            let ring = pool.engine() != Engine::Threads;
            assert_eq!((stat.on_threads, stat.on_ring), if ring { (0, 8) } else { (8, 0) }, "{:?}", pool.engine());
            let nop = op(&stats, OpKind::Nop);
            assert_eq!((nop.submitted, nop.completed, nop.on_threads), (2, 2, 2));
            assert_eq!((stats.total.submitted, stats.total.completed, stats.total.failed), (10, 10, 3));
            assert_eq!(stats.total.on_threads + stats.total.on_ring, 10);
            if ring {
                assert_eq!(stats.engine.ring_submitted, 8);
            }
        }
    }

    #[test]
    fn cancelled_requests_are_counted_without_times() {
        let mut pool = Pool::new().unwrap();
        let mut names = Named::default();
        pool.stats_enable();
        pool.set_max_parallel(1);
        names.submit(&pool, 1, Pri::default(), Op::Busy { secs: 0.05 });
        let req = names.submit(&pool, 2, Pri::default(), Op::Nop);
        crate::group::cancel(&req);
        let done = drain(&mut pool, &names);
        assert!(done.contains(&(2, None)), "the cancelled nop never ran: {done:?}");
        let stats = pool.stats().unwrap();
        let nop = op(&stats, OpKind::Nop);
        assert_eq!((nop.submitted, nop.completed, nop.cancelled, nop.executing.count), (1, 0, 1, 0));
        assert_eq!((stats.total.submitted, stats.total.completed, stats.total.cancelled), (2, 1, 1));
    }

    #[test]
    fn times_are_bounded_by_known_sleeps() {
        let mut pool = Pool::new().unwrap();
        let mut names = Named::default();
        pool.stats_enable();
        pool.set_max_parallel(1);
        let before = Instant::now();
        names.submit(&pool, 1, Pri::default(), Op::Busy { secs: 0.05 });
        names.submit(&pool, 2, Pri::default(), Op::Busy { secs: 0.02 });
        // The second began once the first was done: it waited at least
        // the first's sleep, less the time between the submissions.
        let between = before.elapsed();
        let done = drain(&mut pool, &names);
        let times = |name| done.iter().find(|(n, _)| *n == name).unwrap().1.unwrap();
        let (_, first_exec) = times(1);
        let (second_queued, second_exec) = times(2);
        assert!(first_exec >= Duration::from_millis(50), "{first_exec:?}");
        assert!(second_exec >= Duration::from_millis(20), "{second_exec:?}");
        assert!(second_queued + between >= Duration::from_millis(50), "{second_queued:?}");
        let stats = pool.stats().unwrap();
        let busy = op(&stats, OpKind::Busy);
        assert_eq!(busy.executing.count, 2);
        assert_eq!(busy.executing.max, first_exec);
        assert_eq!(busy.executing.sum, first_exec + second_exec);
        assert!(busy.queued.max >= second_queued);
        assert!(stats.elapsed >= Duration::from_millis(70));
    }

    #[test]
    fn reset_zeroes_and_ignores_requests_submitted_before() {
        let mut pool = Pool::new().unwrap();
        let mut names = Named::default();
        pool.stats_enable();
        names.submit(&pool, 1, Pri::default(), Op::Nop);
        drain(&mut pool, &names);
        assert!(pool.stats().unwrap().engine.threads_started >= 1);
        names.submit(&pool, 2, Pri::default(), Op::Busy { secs: 0.02 });
        pool.stats_reset();
        let stats = pool.stats().unwrap();
        assert_eq!(stats.total, OpStats::default());
        assert_eq!(stats.engine.threads_started, 0, "engine counters count from the reset");
        names.submit(&pool, 3, Pri::default(), Op::Nop);
        let done = drain(&mut pool, &names);
        assert!(done.iter().all(|(_, times)| times.is_some()), "the hook still sees every time");
        let total = pool.stats().unwrap().total;
        assert_eq!((total.submitted, total.completed), (1, 1), "the busy request predates the reset");
    }

    #[test]
    fn done_times_name_what_the_request_worked_on() {
        let mut pool = Pool::new().unwrap();
        pool.stats_enable();
        let req = Request::new(Pri::default());
        assert!(pool.submit(&req, Op::stat(Target::Path(at("/nonexistent")), false)));
        pool.wait();
        pool.poll_begin();
        assert!(matches!(pool.poll_next(), Ok(Event::Done { .. })));
        let times = pool.done_times().unwrap();
        assert_eq!(times.kind, OpKind::Stat);
        assert_eq!(times.subject, Subject::Path(CStr::from_bytes_with_nul(b"/nonexistent\0").unwrap()));
    }
}

//! Unit tests of the pool: ordering, cancellation, thread limits,
//! readiness of the descriptor, groups.

use super::testing::{at, Named};
use super::*;
use crate::request::Pri;

fn drain(pool: &mut Pool, names: &Named) -> Vec<usize> {
    let mut done = Vec::new();
    while pool.nreqs() > 0 {
        pool.wait();
        pool.poll_begin();
        while let Ok(event) = pool.poll_next() {
            if let Event::Done { token, cancelled: false } = event {
                done.push(names.of(token));
            }
        }
    }
    done
}

/// Submits a `round` of requests and drains the pool until each of
/// `kinds` ran quickly the last time (on a busy machine, not every time).
fn until_quick(pool: &mut Pool, names: &mut Named, kinds: &[OpKind], mut round: impl FnMut(&Pool, &mut Named)) {
    let slow = |pool: &Pool| pool.shared.slow_kinds.load(Relaxed);
    for _ in 0..1000 {
        round(pool, names);
        drain(pool, names);
        if kinds.iter().all(|&kind| slow(pool) & (1 << kind as u32) == 0) {
            return;
        }
    }
    panic!("{kinds:?} never ran quickly");
}

fn busy(pool: &Pool, names: &mut Named, name: usize, secs: f64) -> Arc<Request> {
    names.submit(pool, name, Pri::default(), Op::Busy { secs })
}

#[test]
fn completes_by_priority_when_queued_behind_a_busy_thread() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    pool.set_max_parallel(1);
    busy(&pool, &mut names, 100, 0.05);
    for (token, pri) in [(1, -4), (2, 0), (3, 4), (4, 0), (5, 2)] {
        names.submit(&pool, token, Pri::new(pri), Op::Nop);
    }
    // The busy request's result may wait beside the others, and results
    // are handed out by priority too, so only its presence is certain.
    let done = drain(&mut pool, &names);
    assert!(done.contains(&100));
    let nops: Vec<_> = done.into_iter().filter(|&t| t != 100).collect();
    assert_eq!(nops, [3, 5, 2, 4, 1]);
    assert_eq!((pool.nreqs(), pool.nready(), pool.npending()), (0, 0, 0));
}

#[test]
fn cancelled_requests_never_execute() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    pool.set_max_parallel(1);
    busy(&pool, &mut names, 1, 0.05);
    let dir = std::env::temp_dir().join(format!("aiors-cancel-{}", std::process::id()));
    let mkdir = Op::Mkdir { path: at(dir.to_str().unwrap()), mode: 0o700 };
    let req = names.submit(&pool, 2, Pri::default(), mkdir);
    group::cancel(&req);
    assert_eq!(drain(&mut pool, &names), [1]);
    assert!(!dir.exists(), "a cancelled mkdir must not run");
}

#[test]
fn max_parallel_zero_queues_without_executing() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    pool.set_max_parallel(0);
    names.submit(&pool, 1, Pri::default(), Op::Nop);
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!((pool.nthreads(), pool.nready()), (0, 1));
    pool.set_min_parallel(2);
    assert_eq!(drain(&mut pool, &names), [1]);
}

#[test]
fn threads_start_on_demand_up_to_the_limit_and_shrink_on_request() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    pool.set_max_parallel(3);
    for token in 0..6 {
        busy(&pool, &mut names, token, 0.05);
    }
    assert_eq!(pool.nthreads(), 3);
    drain(&mut pool, &names);
    pool.set_max_parallel(1);
    assert_eq!(pool.nthreads(), 1);
    assert_eq!(lock(&pool.shared.work).alive, 1, "surplus threads have exited");
}

#[test]
fn idle_threads_beyond_max_idle_time_out() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    pool.set_max_idle(0);
    pool.set_idle_timeout(Duration::from_millis(30));
    busy(&pool, &mut names, 1, 0.0);
    drain(&mut pool, &names);
    let deadline = Instant::now() + Duration::from_secs(5);
    while pool.nthreads() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(pool.nthreads(), 0);
}

#[test]
fn fileno_is_readable_exactly_while_results_wait() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    // one thread: the results arrive in the order submitted
    pool.set_max_parallel(1);
    let readable = |pool: &Pool| {
        let mut pollfd = libc::pollfd { fd: pool.fileno(), events: libc::POLLIN, revents: 0 };
        sys::poll_one(&mut pollfd, 0) > 0
    };
    assert!(!readable(&pool));
    names.submit(&pool, 1, Pri::default(), Op::Nop);
    names.submit(&pool, 2, Pri::default(), Op::Nop);
    while pool.npending() < 2 {
        std::thread::yield_now();
    }
    assert!(readable(&pool));
    pool.set_max_poll_reqs(1);
    pool.poll_begin();
    let first = pool.poll_next().map(|event| match event {
        Event::Done { token, cancelled: false } => names.of(token),
        event => panic!("{event:?}"),
    });
    assert_eq!(first, Ok(1));
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
    let mut names = Named::default();
    let grp = names.group(&pool, 10);
    group::set_limit(&grp, 1);
    group::set_feeder(&grp, true);
    let first = names.submit(&pool, 1, Pri::default(), Op::Nop);
    group::add(&grp, &first).unwrap();
    let mut order = Vec::new();
    let mut fed = 0;
    while pool.nreqs() > 0 {
        pool.wait();
        pool.poll_begin();
        while let Ok(event) = pool.poll_next() {
            match event {
                Event::Done { token, .. } => order.push(names.of(token)),
                Event::Feed { .. } => {
                    // The feeder adds one request twice, then nothing.
                    if fed < 2 {
                        fed += 1;
                        let req = names.submit(&pool, 1 + fed, Pri::default(), Op::Nop);
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

/// Waiting for a quick result backs off while results do not come in
/// time: after the n-th miss in a row the next 2^n - 1 chances are skipped,
/// up to 2^QUICK_MISSES_MAX - 1; a result resets it.
#[test]
fn quick_result_wait_backs_off_after_misses() {
    let pool = Pool::new().unwrap();
    for misses in 1..=QUICK_MISSES_MAX + 1 {
        let start = Instant::now();
        pool.await_quick_result();
        assert!(start.elapsed() >= QUICK_RESULT, "miss {misses} waited");
        let skips = (1u32 << misses.min(QUICK_MISSES_MAX)) - 1;
        assert_eq!(pool.quick_skips.get(), skips);
        for left in (0..skips).rev() {
            pool.await_quick_result();
            assert_eq!(pool.quick_skips.get(), left);
        }
    }
    assert_eq!(pool.quick_misses.get(), QUICK_MISSES_MAX);
    let done = Completion {
        job: Job { req: Request::new(Pri::default()), op: Op::Nop, timing: None },
        outcome: Ok(Output::Int(0)),
    };
    pool.shared.push_result(done);
    pool.await_quick_result();
    assert_eq!((pool.quick_misses.get(), pool.quick_skips.get()), (0, 0), "a result resets the back-off");
}

/// A request of a kind that ran quickly, which then blocks, holds back the
/// requests batched behind it only until it is done: they go back to the
/// queue, and its kind is taken one at a time from then on.
#[test]
fn a_request_that_turns_out_slow_gives_its_batch_back() {
    let mut pool = Pool::with_engine(Engine::Threads).unwrap();
    let mut names = Named::default();
    pool.set_max_parallel(1);
    let dir = std::env::temp_dir().join(format!("aiors-fifo-{}", std::process::id()));
    std::fs::create_dir(&dir).unwrap();
    let fifo = dir.join("fifo").to_str().unwrap().to_owned();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(at(&fifo).path.as_ptr(), 0o600) }, 0);
    let open = |path: &str| Op::Open { path: at(path), flags: libc::O_RDONLY, mode: 0 };
    // Opens and nops run quickly...
    until_quick(&mut pool, &mut names, &[OpKind::Open, OpKind::Nop], |pool, names| {
        names.submit(pool, 100, Pri::default(), open("."));
        names.submit(pool, 200, Pri::default(), Op::Nop);
    });
    // ...then the open of a FIFO waits 100 ms for a writer, with nops
    // taken in the same batch: they go back once it turned out slow.
    let before = pool.engine_counters();
    pool.set_max_parallel(0);
    names.submit(&pool, 10, Pri::default(), open(&fifo));
    for name in 11..16 {
        names.submit(&pool, name, Pri::default(), Op::Nop);
    }
    pool.set_min_parallel(1);
    pool.maybe_start_thread();
    std::thread::sleep(Duration::from_millis(100));
    let writer = std::fs::OpenOptions::new().write(true).open(dir.join("fifo")).unwrap();
    assert_eq!(drain(&mut pool, &names).len(), 6);
    let after = pool.engine_counters();
    // (A slow machine, or a sanitizer, may make a nop slow too: more may
    // go back later, never fewer.)
    assert!(after.given_back - before.given_back >= 5, "the five nops went back to the queue");
    assert_ne!(pool.shared.slow_kinds.load(Relaxed) & (1 << OpKind::Open as u32), 0, "opens are now taken singly");
    drop(writer);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_batch_never_waits_behind_a_read_of_a_pipe() {
    let mut pool = Pool::with_engine(Engine::Threads).unwrap();
    let mut names = Named::default();
    pool.set_max_parallel(1);
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    let [read_end, write_end] = fds;
    let mut byte = [0u8; 1];
    let ptr = byte.as_mut_ptr();
    // SAFETY: `byte` outlives every request (all are polled below).
    let buf = || unsafe { crate::request::ForeignBuf::new(ptr, 1) };
    // Reads run quickly while the pipe has data (and so do nops)...
    until_quick(&mut pool, &mut names, &[OpKind::Read, OpKind::Nop], |pool, names| {
        sys::write_all(write_end, b"x").unwrap();
        names.submit(pool, 100, Pri::default(), Op::Read { fd: read_end, offset: None, buf: buf() });
        names.submit(pool, 200, Pri::default(), Op::Nop);
    });
    // ...then one blocks until a write 100 ms later, with quick requests
    // queued behind it, which the only thread takes as one batch (and
    // gives back at once, as a pipe may stay empty for good).
    let before = pool.engine_counters();
    pool.set_max_parallel(0);
    names.submit(&pool, 10, Pri::default(), Op::Read { fd: read_end, offset: None, buf: buf() });
    for name in 11..16 {
        names.submit(&pool, name, Pri::default(), Op::Nop);
    }
    pool.set_min_parallel(1);
    pool.maybe_start_thread();
    std::thread::sleep(Duration::from_millis(100));
    let blocked = pool.engine_counters();
    sys::write_all(write_end, b"y").unwrap();
    assert_eq!(blocked.given_back - before.given_back, 5, "the nops went back before the read of a pipe ran");
    assert_eq!(drain(&mut pool, &names).len(), 6);
    assert_ne!(pool.shared.slow_kinds.load(Relaxed) & (1 << OpKind::Read as u32), 0, "reads are now taken singly");
    // SAFETY: the test's own descriptor.
    unsafe { sys::close(read_end) };
    // SAFETY: the test's own descriptor.
    unsafe { sys::close(write_end) };
}

/// An idle pool sleeps: no thread wakes up while nothing is queued, even
/// while one thread runs a long request (the old engine's sentry woke a
/// sleeper every millisecond then).
#[test]
fn idle_threads_sleep_without_timers() {
    let mut pool = Pool::with_engine(Engine::Threads).unwrap();
    let mut names = Named::default();
    for name in 0..200 {
        names.submit(&pool, name, Pri::default(), Op::Nop);
    }
    drain(&mut pool, &names);
    busy(&pool, &mut names, 1000, 0.3);
    std::thread::sleep(Duration::from_millis(50));
    let before = pool.engine_counters();
    std::thread::sleep(Duration::from_millis(200));
    let after = pool.engine_counters();
    assert!(pool.nthreads() > 1, "threads are there to wake");
    assert_eq!(after.wakeups, before.wakeups, "no wake-ups");
    assert!(after.sleeps - before.sleeps <= 1, "at most one watch ends: {:?} -> {:?}", before, after);
    drain(&mut pool, &names);
}

/// A callback that dies ends the round after its `Done` event: the
/// follow-up still completes the group it belonged to and leaves the
/// descriptor unreadable once nothing waits; a delayed group no longer
/// counts in `nreqs` (as in IO::AIO).
#[test]
fn followup_after_an_interrupted_round_completes_the_group() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    let grp = names.group(&pool, 10);
    let member = names.submit(&pool, 1, Pri::default(), Op::Nop);
    group::add(&grp, &member).unwrap();
    while pool.npending() < 2 {
        std::thread::yield_now();
    }
    assert_eq!(pool.nreqs(), 2);
    pool.poll_begin();
    let done = |event: Result<Event, PollEnd>| match event {
        Ok(Event::Done { token, cancelled: false }) => names.of(token),
        event => panic!("{event:?}"),
    };
    // The group comes first (submitted first) and is delayed.
    assert_eq!(done(pool.poll_next()), 1);
    assert_eq!(pool.nreqs(), 0, "the delayed group counts as handed out");
    // The member's callback "died": no further poll_next in this round.
    assert_eq!(done(pool.poll_followup().ok_or(PollEnd::Empty)), 10);
    assert_eq!(pool.poll_followup(), None);
    let mut pollfd = libc::pollfd { fd: pool.fileno(), events: libc::POLLIN, revents: 0 };
    assert_eq!(sys::poll_one(&mut pollfd, 0), 0, "nothing waits: not readable");
    assert_eq!(pool.nreqs(), 0);
}

/// Holds `requests` nops back (`max_parallel 0`), lets them run, hands
/// every result out, and returns the room left in the result queue.
fn result_room_after_a_burst(requests: usize) -> usize {
    let mut pool = Pool::new().unwrap();
    pool.set_max_parallel(0);
    for _ in 0..requests {
        assert!(pool.submit(&Request::new(Pri::default()), Op::Nop));
    }
    pool.set_min_parallel(2);
    while pool.nreqs() > 0 {
        pool.wait();
        pool.poll_begin();
        while pool.poll_next().is_ok() {}
    }
    let room = lock(&pool.shared.results).queue.capacity();
    room
}

#[test]
fn a_burst_keeps_its_memory_for_the_next_unless_it_reached_burst() {
    // the polling thread made room for every result of the backlog
    assert!(result_room_after_a_burst(20_000) >= 20_000, "a 20,000-stat storm faults nothing in again");
    assert!(result_room_after_a_burst(BURST - 1) >= BURST - 1);
    assert!(result_room_after_a_burst(BURST) < 1024, "given back after BURST outstanding requests");
}

#[test]
fn a_stat_result_buffer_serves_the_next_stat() {
    let mut pool = Pool::new().unwrap();
    let mut names = Named::default();
    let stat = |path: &str| Op::stat(crate::request::Target::Path(at(path)), true);
    let spares = |pool: &Pool| pool.spare_stat_bufs.borrow().len();
    names.submit(&pool, 1, Pri::default(), stat("/"));
    // a failed stat gives its buffer back too
    names.submit(&pool, 2, Pri::default(), stat("/nonexistent/aiors"));
    assert_eq!(drain(&mut pool, &names).len(), 2);
    // drain's last poll_next handed both results back
    assert_eq!(spares(&pool), 2);
    names.submit(&pool, 3, Pri::default(), stat("/"));
    assert_eq!(spares(&pool), 1, "the new stat took a spare buffer");
    assert_eq!(drain(&mut pool, &names), [3]);
    assert_eq!(spares(&pool), 2);
}

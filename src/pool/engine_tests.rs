//! The engines end to end: the same requests through a pool of each
//! engine, and how the pool routes requests to the ring.

use std::os::unix::io::AsRawFd;

use super::testing::{at, Named};
use super::{Event, Pool};
use crate::engine::{Engine, Routes};
use crate::group;
use crate::request::{Errno, ForeignBuf, Op, Output, Pri, Target};
use crate::uring;

fn uring_pool() -> Option<Pool> {
    if let Err(why) = uring::probe() {
        eprintln!("io_uring unavailable ({why}): ring tests skipped");
        return None;
    }
    let pool = Pool::with_engine(Engine::Uring(Routes::ALL)).unwrap();
    assert_eq!(pool.engine().name(), "uring");
    Some(pool)
}

fn pools() -> Vec<Pool> {
    let mut pools = vec![Pool::with_engine(Engine::Threads).unwrap()];
    pools.extend(uring_pool());
    pools
}

/// What a callback would see of an outcome.
#[derive(Debug, PartialEq)]
enum Seen {
    Err(i32),
    Int(i64),
    Fd,
    Stat { dev: u64, ino: u64, mode: u32, nlink: u64, size: i64, mtime: (i64, i64), blocks: i64, rdev: u64 },
    Other,
}

/// Drains the pool, recording every done request's name and outcome.
fn drain(pool: &mut Pool, names: &Named) -> Vec<(usize, Seen)> {
    let mut done = Vec::new();
    while pool.nreqs() > 0 {
        pool.wait();
        pool.poll_begin();
        while let Ok(event) = pool.poll_next() {
            let (token, cancelled) = match event {
                Event::Done { token, cancelled } => (token, cancelled),
                _ => continue,
            };
            let seen = match pool.current() {
                _ if cancelled => Seen::Err(libc::ECANCELED),
                Some(Err(Errno(e))) => Seen::Err(*e),
                Some(Ok(Output::Int(n))) => Seen::Int(*n),
                Some(Ok(Output::Fd(_))) => Seen::Fd,
                Some(Ok(Output::Stat(st))) => Seen::Stat {
                    dev: st.st_dev,
                    ino: st.st_ino,
                    mode: st.st_mode,
                    nlink: st.st_nlink,
                    size: st.st_size,
                    mtime: (st.st_mtime, st.st_mtime_nsec),
                    blocks: st.st_blocks,
                    rdev: st.st_rdev,
                },
                _ => Seen::Other,
            };
            done.push((names.of(token), seen));
        }
    }
    done
}

/// # Safety
/// `bytes` must outlive the request the buffer goes into.
unsafe fn buf(bytes: &mut [u8]) -> ForeignBuf {
    // SAFETY: forwarded from the caller.
    unsafe { ForeignBuf::new(bytes.as_mut_ptr(), bytes.len()) }
}

/// Buffers of 64 bytes, each used by one request, that live as long
/// as the arena (a test drains its requests before dropping it).
#[derive(Default)]
struct Scratch(Vec<Vec<u8>>);

impl Scratch {
    fn buf(&mut self) -> ForeignBuf {
        self.0.push(vec![0; 64]);
        let bytes = self.0.last_mut().expect("just pushed");
        // SAFETY: on the heap, so it does not move when the arena grows, and
        // kept until the arena is dropped; used by this buffer alone.
        unsafe { ForeignBuf::new(bytes.as_mut_ptr(), bytes.len()) }
    }
}

fn tmp(name: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("aiors-engine-{}-{name}", std::process::id()));
    std::fs::write(&path, b"hello, ring").unwrap();
    path
}

#[test]
fn errors_and_results_are_the_same_through_the_ring() {
    let file = tmp("errors");
    let dir = std::env::temp_dir();
    let f = std::fs::File::open(&file).unwrap();
    let d = std::fs::File::open(&dir).unwrap();
    let (pipe_r, pipe_w) = crate::sys::pipe_nonblocking().unwrap();
    let mut seen = Vec::new();
    for mut pool in pools() {
        let mut names = Named::default();
        let mut scratch = Scratch::default();
        let ops = vec![
            Op::Open { path: at("/nonexistent/aiors"), flags: libc::O_RDONLY, mode: 0 },
            Op::Open { path: at(file.to_str().unwrap()), flags: libc::O_RDONLY, mode: 0 },
            Op::Open { path: at(&format!("{}/x", file.display())), flags: libc::O_RDONLY, mode: 0 },
            Op::Open { path: at(dir.to_str().unwrap()), flags: libc::O_WRONLY, mode: 0 },
            Op::stat(Target::Path(at("/nonexistent")), true),
            Op::stat(Target::Path(at(file.to_str().unwrap())), true),
            Op::stat(Target::Path(at("/proc/self/exe")), false),
            Op::stat(Target::Path(at("/dev/null")), true),
            Op::stat(Target::Path(at("")), true),
            Op::stat(Target::Fd(f.as_raw_fd()), true),
            Op::stat(Target::Fd(-1), true),
            Op::stat(Target::Fd(9999), true),
            Op::Read { fd: 9999, offset: None, buf: scratch.buf() },
            Op::Read { fd: -1, offset: Some(0), buf: scratch.buf() },
            Op::Read { fd: f.as_raw_fd(), offset: Some(7), buf: scratch.buf() },
            Op::Read { fd: f.as_raw_fd(), offset: Some(1 << 40), buf: scratch.buf() },
            Op::Read { fd: d.as_raw_fd(), offset: None, buf: scratch.buf() },
            Op::Read { fd: d.as_raw_fd(), offset: Some(0), buf: scratch.buf() },
            Op::Read { fd: pipe_r, offset: None, buf: scratch.buf() },
            Op::Read { fd: pipe_r, offset: Some(0), buf: scratch.buf() },
            Op::Write { fd: pipe_w, offset: Some(0), buf: scratch.buf() },
            Op::Write { fd: f.as_raw_fd(), offset: None, buf: scratch.buf() },
            Op::Fsync { fd: 9999 },
            Op::Fdatasync { fd: f.as_raw_fd() },
            Op::Fsync { fd: pipe_r },
        ];
        for (name, op) in ops.into_iter().enumerate() {
            names.submit(&pool, name, Pri::default(), op);
        }
        let mut done = drain(&mut pool, &names);
        done.sort_by_key(|(name, _)| *name);
        seen.push(done);
    }
    if let [threads, uring] = &seen[..] {
        for (t, u) in threads.iter().zip(uring) {
            assert_eq!(t, u, "request {} differs (threads, uring)", t.0);
        }
        assert_eq!(threads[0].1, Seen::Err(libc::ENOENT));
        assert_eq!(threads[12].1, Seen::Err(libc::EBADF));
        assert_eq!(threads[14].1, Seen::Int(4));
    }
    // SAFETY: the test's own descriptor.
    unsafe { crate::sys::close(pipe_r) };
    // SAFETY: the test's own descriptor.
    unsafe { crate::sys::close(pipe_w) };
    std::fs::remove_file(file).unwrap();
}

#[test]
fn ring_keeps_priority_order_and_sequence_and_never_runs_cancelled() {
    let mut pool = match uring_pool() {
        Some(pool) => pool,
        None => return,
    };
    let mut names = Named::default();
    let file = tmp("order");
    let f = std::fs::OpenOptions::new().read(true).write(true).open(&file).unwrap();
    let fd = f.as_raw_fd();
    pool.set_max_parallel(1);
    // One busy request runs, the other waits: what comes after waits
    // too, for the thread, in priority order (with one thread, the
    // ring takes requests only when none wait).
    names.submit(&pool, 100, Pri::default(), Op::Busy { secs: 0.05 });
    names.submit(&pool, 101, Pri::default(), Op::Busy { secs: 0.0 });
    // Queued behind the busy thread: a write, then a read of what it
    // wrote, at a lower priority; a cancelled write; a high-priority read.
    let mut data = *b"RING";
    let mut back = [0u8; 4];
    let mut early = [0u8; 4];
    let mut gone = *b"XXXX";
    // SAFETY: the arrays outlive the requests, all drained below.
    let bufs = unsafe { [buf(&mut data), buf(&mut back), buf(&mut gone), buf(&mut early)] };
    let [data_buf, back_buf, gone_buf, early_buf] = bufs;
    names.submit(&pool, 1, Pri::new(0), Op::Write { fd, offset: Some(0), buf: data_buf });
    names.submit(&pool, 2, Pri::new(-1), Op::Read { fd, offset: Some(0), buf: back_buf });
    let cancelled = names.submit(&pool, 3, Pri::new(0), Op::Write { fd, offset: Some(4), buf: gone_buf });
    group::cancel(&cancelled);
    names.submit(&pool, 4, Pri::new(4), Op::Read { fd, offset: Some(0), buf: early_buf });
    names.submit(&pool, 5, Pri::new(0), Op::stat(Target::Fd(fd), true));
    let done = drain(&mut pool, &names);
    let names: Vec<usize> = done.iter().map(|(t, _)| *t).filter(|&t| t < 100).collect();
    assert_eq!(names, [4, 1, 3, 5, 2], "results in priority order");
    assert_eq!(&early, b"hell", "the high-priority read ran first");
    assert_eq!(&back, b"RING", "the read ran after the write");
    assert!(done.contains(&(3, Seen::Err(libc::ECANCELED))));
    let size = match done.iter().find(|(t, _)| *t == 5) {
        Some((_, Seen::Stat { size, .. })) => size,
        _ => panic!("no stat"),
    };
    assert_eq!(*size, 11, "the cancelled write never ran");
    assert_eq!(std::fs::read(&file).unwrap(), b"RINGo, ring");
    assert_eq!((pool.nreqs(), pool.nready(), pool.npending()), (0, 0, 0));
    std::fs::remove_file(file).unwrap();
}

#[test]
fn a_read_passes_waiting_requests_of_no_higher_priority_when_threads_are_many() {
    let mut pool = match uring_pool() {
        Some(pool) => pool,
        None => return,
    };
    let mut names = Named::default();
    let file = tmp("passing");
    let f = std::fs::File::open(&file).unwrap();
    let mut scratch = Scratch::default();
    pool.set_max_parallel(2);
    names.submit(&pool, 100, Pri::default(), Op::Busy { secs: 0.2 });
    names.submit(&pool, 101, Pri::default(), Op::Busy { secs: 0.2 });
    while pool.nready() > 0 {
        std::thread::yield_now();
    }
    names.submit(&pool, 102, Pri::new(0), Op::Busy { secs: 0.0 });
    let on_ring = || pool.engine_counters().ring_submitted;
    let before = on_ring();
    names.submit(&pool, 1, Pri::new(0), Op::Read { fd: f.as_raw_fd(), offset: Some(0), buf: scratch.buf() });
    assert_eq!(on_ring(), before + 1, "the read went past a request of its own priority");
    names.submit(&pool, 2, Pri::new(-1), Op::Read { fd: f.as_raw_fd(), offset: Some(0), buf: scratch.buf() });
    assert_eq!(on_ring(), before + 1, "the read waits behind one of a higher priority");
    let done = drain(&mut pool, &names);
    assert!(done.contains(&(1, Seen::Int(11))) && done.contains(&(2, Seen::Int(11))));
    std::fs::remove_file(file).unwrap();
}

#[test]
fn the_ring_runs_requests_while_every_thread_is_busy() {
    let mut pool = match uring_pool() {
        Some(pool) => pool,
        None => return,
    };
    let mut names = Named::default();
    pool.set_max_parallel(1);
    names.submit(&pool, 100, Pri::default(), Op::Busy { secs: 0.5 });
    while pool.nready() > 0 {
        std::thread::yield_now();
    }
    // Independent entries: a bad one fails alone.
    let start = std::time::Instant::now();
    for name in 0..64 {
        let path = if name == 3 { "" } else { "/" };
        names.submit(&pool, name, Pri::default(), Op::stat(Target::Path(at(path)), true));
    }
    let mut seen = Vec::new();
    while seen.len() < 64 {
        pool.wait();
        pool.poll_begin();
        while let Ok(event) = pool.poll_next() {
            let token = match event {
                Event::Done { token, .. } => token,
                Event::Feed { .. } => continue,
            };
            let name = names.of(token);
            assert_ne!(name, 100, "the stats completed before the busy thread was done");
            seen.push((name, pool.current().map(|outcome| outcome.as_ref().err().copied())));
        }
    }
    assert!(start.elapsed() < std::time::Duration::from_millis(400));
    for (name, error) in seen {
        let expected = if name == 3 { Some(Errno(libc::ENOENT)) } else { None };
        assert_eq!(error, Some(expected), "stat {name}");
    }
    assert_eq!(drain(&mut pool, &names).len(), 1);
}

#[test]
fn requests_in_the_ring_start_no_thread() {
    let mut pool = match uring_pool() {
        Some(pool) => pool,
        None => return,
    };
    let mut names = Named::default();
    let file = tmp("threads");
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    for name in 0..8 {
        names.submit(&pool, name, Pri::default(), Op::Fsync { fd: f.as_raw_fd() });
    }
    assert_eq!(drain(&mut pool, &names).len(), 8);
    assert_eq!(pool.nthreads(), 0, "the ring needed no worker thread");
    std::fs::remove_file(file).unwrap();
}

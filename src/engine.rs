//! Which engine runs the requests: worker threads making every syscall
//! (`threads`), or the same threads plus one io_uring, to which the
//! submitting thread hands the routed operations directly (`uring`, see
//! `uring.rs`).
//!
//! Either way results come back through the one result queue, in priority
//! order, with the same outcomes; a routed request goes to the ring only
//! while no request waits in the threads' queue (see `Pool::submit`), so
//! priorities still order everything that waits.
//!
//! Selection happens once, when the pool is created:
//! - `IO_AIO_ENGINE=threads`: threads only.
//! - `IO_AIO_ENGINE=uring`: every operation the ring supports goes to it
//!   (read, write, open, stat/lstat, fsync, fdatasync);
//!   `IO_AIO_ENGINE=uring:read,open` routes only the ops listed.
//!   If io_uring is unavailable (kernel, seccomp, `io_uring_disabled`,
//!   missing opcodes), a warning goes to stderr and threads are used.
//! - unset or `auto`: the default routes (`DEFAULT_ROUTES`, chosen by
//!   measurement, see the POD's "THE RUST ENGINE") if io_uring is available,
//!   silently threads otherwise.

use std::os::unix::io::RawFd;

use crate::request::{Op, Target};
use crate::uring;

/// Operations the ring takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    pub read: bool,
    pub write: bool,
    pub open: bool,
    pub stat: bool,
    pub fsync: bool,
}

/// Reads and writes longer than this stay on the thread path.  The ring
/// completes a cached transfer inline, so the polling thread would make
/// the copy itself, where threads make it beside the Perl code; and
/// readahead serves cold sequential reads as fast on threads (1 MiB reads,
/// 8 in flight: 1239 MB/s on threads, 1144 through the ring).
const MAX_RW: usize = 128 << 10;

impl Routes {
    pub const NONE: Routes = Routes { read: false, write: false, open: false, stat: false, fsync: false };
    pub const ALL: Routes = Routes { read: true, write: true, open: true, stat: true, fsync: true };

    pub fn is_empty(self) -> bool {
        self == Routes::NONE
    }

    /// Parses a comma-separated list of `read`, `write`, `open`, `stat`,
    /// `fsync`; None on an unknown name.
    fn parse(list: &str) -> Option<Routes> {
        let mut routes = Routes::NONE;
        for name in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match name {
                "read" => routes.read = true,
                "write" => routes.write = true,
                "open" => routes.open = true,
                "stat" => routes.stat = true,
                "fsync" => routes.fsync = true,
                _ => return None,
            }
        }
        Some(routes)
    }

    /// Whether `op` goes to the ring.  Only cases whose result and errno
    /// are the same as the thread path's are routed.  Reads and writes go
    /// to the ring only on regular files (`regular` asks, usually with an
    /// fstat): on pipes and sockets the ring ignores an offset where
    /// pread/pwrite fail with ESPIPE, and waits for data even with
    /// O_NONBLOCK where read fails with EAGAIN.  An explicit negative offset
    /// (the ring's "current position") and oversized transfers stay with
    /// the threads too.
    pub(crate) fn takes(self, op: &Op, regular: impl FnOnce(RawFd) -> bool) -> bool {
        match op {
            Op::Read { fd, offset, buf } => self.read && takes_rw(*offset, buf.len()) && regular(*fd),
            Op::Write { fd, offset, buf } => self.write && takes_rw(*offset, buf.len()) && regular(*fd),
            Op::Open { .. } => self.open,
            Op::Stat { target: Target::Path(_) | Target::Fd(_), .. } => self.stat,
            Op::Fsync { .. } | Op::Fdatasync { .. } => self.fsync,
            _ => false,
        }
    }
}

fn takes_rw(offset: Option<i64>, len: usize) -> bool {
    len <= MAX_RW && offset.map_or(true, |offset| offset >= 0)
}

/// Whether `fd` is a regular file (an fstat per routed read or write: a
/// descriptor number may be closed and reused for a pipe at any time).
pub(crate) fn is_regular(fd: RawFd) -> bool {
    crate::sys::fstat(fd).map_or(false, |st| st.st_mode & libc::S_IFMT == libc::S_IFREG)
}

/// The ops routed to the ring when IO_AIO_ENGINE is unset (see the POD for
/// the measurements behind this choice).
pub const DEFAULT_ROUTES: Routes = Routes { read: true, ..Routes::NONE };

/// The engine a pool runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Threads,
    Uring(Routes),
}

impl Engine {
    /// The engine named by `IO_AIO_ENGINE` (see the module documentation).
    pub fn from_env() -> Engine {
        let value = std::env::var("IO_AIO_ENGINE").unwrap_or_default();
        let (engine, warning) = Engine::choose(&value, uring::probe);
        if let Some(warning) = warning {
            eprintln!("IO::AIO: {warning}");
        }
        engine
    }

    /// The engine for the setting `value`, given a prober that says why
    /// io_uring cannot be used (Err) or that it can; and a warning to show.
    pub fn choose(value: &str, probe: impl FnOnce() -> Result<(), String>) -> (Engine, Option<String>) {
        let value = value.trim();
        let (name, list) = value.split_once(':').unwrap_or((value, ""));
        match name {
            "threads" => (Engine::Threads, None),
            "" | "auto" => {
                if DEFAULT_ROUTES.is_empty() || probe().is_err() {
                    (Engine::Threads, None)
                } else {
                    (Engine::Uring(DEFAULT_ROUTES), None)
                }
            }
            "uring" => {
                let routes = if list.is_empty() { Some(Routes::ALL) } else { Routes::parse(list) };
                let routes = match routes {
                    Some(routes) => routes,
                    None => {
                        return (
                            Engine::Threads,
                            Some(format!("IO_AIO_ENGINE={value}: unknown operation, using threads")),
                        )
                    }
                };
                match probe() {
                    Ok(()) => (Engine::Uring(routes), None),
                    Err(why) => (
                        Engine::Threads,
                        Some(format!("IO_AIO_ENGINE={value}: io_uring unavailable ({why}), using threads")),
                    ),
                }
            }
            _ => (
                Engine::Threads,
                Some(format!("IO_AIO_ENGINE={value}: unknown engine (threads or uring), using threads")),
            ),
        }
    }

    pub fn routes(self) -> Routes {
        match self {
            Engine::Threads => Routes::NONE,
            Engine::Uring(routes) => routes,
        }
    }

    /// "threads" or "uring", for `IO::AIO::engine`.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Threads => "threads",
            Engine::Uring(_) => "uring",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> Result<(), String> {
        Ok(())
    }

    fn missing() -> Result<(), String> {
        Err("ENOSYS".into())
    }

    #[test]
    fn selection() {
        assert_eq!(Engine::choose("threads", ok), (Engine::Threads, None));
        assert_eq!(Engine::choose("uring", ok), (Engine::Uring(Routes::ALL), None));
        let (engine, warning) = Engine::choose("uring", missing);
        assert_eq!(engine, Engine::Threads);
        assert!(warning.unwrap().contains("io_uring unavailable (ENOSYS), using threads"));
        let read_open = Routes { read: true, open: true, ..Routes::NONE };
        assert_eq!(Engine::choose("uring:read,open", ok), (Engine::Uring(read_open), None));
        let (engine, warning) = Engine::choose("uring:mkdir", ok);
        assert_eq!(engine, Engine::Threads);
        assert!(warning.is_some());
        let (engine, warning) = Engine::choose("fibres", ok);
        assert_eq!(engine, Engine::Threads);
        assert!(warning.is_some());
        // The default never warns, whatever the kernel says.
        assert_eq!(Engine::choose("", missing), (Engine::Threads, None));
        let expected = if DEFAULT_ROUTES.is_empty() { Engine::Threads } else { Engine::Uring(DEFAULT_ROUTES) };
        assert_eq!(Engine::choose("auto", ok), (expected, None));
    }

    #[test]
    fn routing_keeps_the_thread_path_where_the_ring_would_differ() {
        // SAFETY: these requests are only routed, never run.
        let buf = || unsafe { crate::request::ForeignBuf::new(std::ptr::null_mut(), 10) };
        let all = Routes::ALL;
        let yes = |_| true;
        assert!(all.takes(&Op::Read { fd: 0, offset: None, buf: buf() }, yes));
        assert!(all.takes(&Op::Read { fd: 0, offset: Some(0), buf: buf() }, yes));
        assert!(!all.takes(&Op::Read { fd: 0, offset: Some(0), buf: buf() }, |_| false), "not a regular file");
        assert!(!all.takes(&Op::Read { fd: 0, offset: Some(-1), buf: buf() }, yes));
        assert!(!all.takes(&Op::Close { fd: 0 }, yes), "close keeps its dup2 semantics");
        assert!(!Routes::NONE.takes(&Op::Fsync { fd: 0 }, yes));
        // SAFETY: as above.
        let big = unsafe { crate::request::ForeignBuf::new(std::ptr::null_mut(), MAX_RW + 1) };
        assert!(!all.takes(&Op::Write { fd: 0, offset: None, buf: big }, yes));
        let (pipe_r, pipe_w) = crate::sys::pipe_nonblocking().unwrap();
        assert!(!is_regular(pipe_r));
        assert!(!is_regular(-1));
        let file = std::fs::File::open("/proc/self/exe").unwrap();
        assert!(is_regular(std::os::unix::io::AsRawFd::as_raw_fd(&file)));
        // SAFETY: the test's own descriptor.
        unsafe { crate::sys::close(pipe_r) };
        // SAFETY: the test's own descriptor.
        unsafe { crate::sys::close(pipe_w) };
    }
}

/// The engine end to end: the same requests through a pool of each engine.
#[cfg(test)]
mod pool_tests {
    use std::ffi::CString;
    use std::os::unix::io::AsRawFd;

    use super::*;
    use crate::group;
    use crate::pool::testing::Named;
    use crate::pool::{Event, Pool};
    use crate::request::{At, Errno, ForeignBuf, Output, Pri};

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

    fn at(path: &str) -> At {
        At { dir: libc::AT_FDCWD, path: CString::new(path).unwrap() }
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
}

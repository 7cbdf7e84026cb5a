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

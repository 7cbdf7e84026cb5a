//! The io_uring engine: the polling thread hands routed requests straight
//! to the kernel, each as an independent entry, and reaps their
//! completions as they arrive.  Many requests are in the kernel at once
//! (as many as are outstanding, up to `MAX_IN_FLIGHT`), not one per
//! thread, and no thread waits for them: the kernel signals the pool's
//! eventfd for each completion, which wakes the event loop like a worker's
//! result does.
//!
//! Memory rules (what makes the pushes below sound):
//! - An entry's memory belongs to its `InFlight` slot, which is freed only
//!   when the entry's completion has been reaped, and a `Ring` is not
//!   dropped while entries are in flight (`Drop` waits for them).
//! - Read/write buffers are `ForeignBuf`s that the glue pinned until the
//!   request is handed back, which happens only after its completion.
//! - Paths are the `CString`s inside the slot's `Op` (heap memory, which
//!   does not move with the slot); statx buffers are boxed in the slot.
//! - The ring's mappings are not inherited by a forked child
//!   (MADV_DONTFORK), so a child can never touch the parent's ring.
//!
//! Only the polling thread touches the submission and completion queues;
//! the kicker thread only enters the kernel.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Once, PoisonError};
use std::thread::JoinHandle;

use io_uring::{opcode, types, IoUring};

use crate::request::{Errno, Job, Op, Outcome, Output, Target};
use crate::sys;

/// Requests in the kernel at once, at most; more wait for the threads.
/// Every completion has a place in the completion queue, so none is
/// ever dropped or delayed by an overflow.
pub const MAX_IN_FLIGHT: usize = 1024;

/// Entries submitted with one `io_uring_enter`: requests are submitted as
/// they come, so the submission queue holds only a few at a time.
const SUBMISSION_ENTRIES: u32 = 64;

/// Requests the kernel must hold (submitted, not completed) before new
/// ones are left to the kicker thread instead of being entered by the
/// polling thread itself.  Below it, a request costs no thread hop (a
/// cached read completes inside the submitting call); from it on, the
/// device is the bottleneck and a few microseconds more per request are
/// lost in its latency, while the kernel's submission work moves off the
/// Perl thread, which otherwise limits cold reads (measurements in the
/// POD's engine section).
const KICK_FROM: usize = 2;

/// Counts the forks that led to this process (bumped in each child by a
/// `pthread_atfork` handler): a ring made in an earlier generation belongs
/// to an ancestor, and its queues are not mapped here (MADV_DONTFORK).
static FORK_GENERATION: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_fork() {
    FORK_GENERATION.fetch_add(1, Ordering::Relaxed);
}

fn fork_generation() -> usize {
    static REGISTER: Once = Once::new();
    // SAFETY: the handler only bumps an atomic, which is async-signal-safe.
    REGISTER.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(count_fork));
    });
    FORK_GENERATION.load(Ordering::Relaxed)
}

/// The opcodes the routed operations need.
const OPCODES: [(u8, &str); 5] = [
    (opcode::Read::CODE, "read"),
    (opcode::Write::CODE, "write"),
    (opcode::OpenAt::CODE, "openat"),
    (opcode::Statx::CODE, "statx"),
    (opcode::Fsync::CODE, "fsync"),
];

/// Whether this process can use io_uring with the opcodes we need: sets
/// up a small ring, probes it, and closes it.
pub fn probe() -> Result<(), String> {
    let ring = IoUring::new(2).map_err(|e| format!("io_uring_setup: {e}"))?;
    let mut probe = io_uring::Probe::new();
    ring.submitter().register_probe(&mut probe).map_err(|e| format!("probe: {e}"))?;
    match OPCODES.iter().find(|(code, _)| !probe.is_supported(*code)) {
        Some((_, name)) => Err(format!("no {name} opcode")),
        None => Ok(()),
    }
}

pub struct Ring {
    ring: Arc<IoUring>,
    /// The requests in the kernel, indexed by their entries' user_data.
    slots: Vec<Option<InFlight>>,
    /// Indices of empty slots.
    free: Vec<usize>,
    /// Requests submitted whose completion was not reaped yet.
    in_flight: usize,
    /// Started on the first request left to it; `None` also if the
    /// system refused the thread (the polling thread enters then).
    kicker: Option<Kicker>,
    /// The `fork_generation` the ring was made in.
    generation: usize,
}

/// One request while the kernel has it.
struct InFlight {
    job: Job,
    /// Where statx writes; owned here until the completion arrived.
    statx: Option<Box<MaybeUninit<libc::statx>>>,
}

impl Ring {
    /// A ring whose completions signal `eventfd`.
    pub fn new(eventfd: RawFd) -> Result<Ring, Errno> {
        let errno = |e: std::io::Error| Errno(e.raw_os_error().unwrap_or(libc::EIO));
        let ring = IoUring::builder()
            .dontfork()
            .setup_cqsize(MAX_IN_FLIGHT as u32)
            .build(SUBMISSION_ENTRIES)
            .map_err(errno)?;
        if !ring.params().is_feature_nodrop() {
            return Err(Errno(libc::ENOSYS));
        }
        ring.submitter().register_eventfd(eventfd).map_err(errno)?;
        let generation = fork_generation();
        Ok(Ring { ring: Arc::new(ring), slots: Vec::new(), free: Vec::new(), in_flight: 0, kicker: None, generation })
    }

    /// Makes completions signal `eventfd` instead.
    pub fn signal_to(&mut self, eventfd: RawFd) -> Result<(), Errno> {
        let submitter = self.ring.submitter();
        let errno = |e: std::io::Error| Errno(e.raw_os_error().unwrap_or(libc::EIO));
        submitter.unregister_eventfd().map_err(errno)?;
        submitter.register_eventfd(eventfd).map_err(errno)
    }

    /// The ring's own descriptor (a forked child closes it).
    pub fn fd(&self) -> RawFd {
        use std::os::unix::io::AsRawFd;
        self.ring.as_raw_fd()
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Whether `submit` may be called: never in a forked child, where the
    /// queues are not mapped (whatever the caller forgot).
    pub fn has_room(&self) -> bool {
        self.is_ours() && self.in_flight < MAX_IN_FLIGHT && self.unsubmitted() < SUBMISSION_ENTRIES as usize
    }

    fn is_ours(&self) -> bool {
        self.generation == FORK_GENERATION.load(Ordering::Relaxed)
    }

    /// Entries pushed that the kernel has not taken yet.
    fn unsubmitted(&self) -> usize {
        // SAFETY: only the polling thread uses the queues (module rules).
        unsafe { self.ring.submission_shared() }.len()
    }

    /// Requests the kernel still works on (or has not taken yet).
    fn in_kernel(&self) -> usize {
        // SAFETY: as in `unsubmitted`.
        let completed = unsafe { self.ring.completion_shared() }.len();
        self.in_flight.saturating_sub(completed)
    }

    /// Hands `job` (accepted by `Routes::takes`) to the kernel; true if
    /// the kicker enters it.  Call only when `has_room`.
    pub(crate) fn submit(&mut self, job: Job) -> bool {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let slot = self.slots[index].insert(InFlight { job, statx: None });
        let entry = prepare(slot).user_data(index as u64);
        // SAFETY: every pointer in `entry` stays valid until its
        // completion is reaped (see the module's memory rules); the queue
        // has room, as `has_room` allows no more unsubmitted entries than
        // it holds; only the polling thread pushes.
        unsafe { self.ring.submission_shared().push(&entry) }.expect("submission queue has room");
        self.in_flight += 1;
        self.enter()
    }

    /// Submits what was pushed: by the kicker while the kernel holds
    /// `KICK_FROM` requests or more, else at once.  An error leaves the
    /// entries for the next call (EAGAIN, EBUSY: the kernel is short of
    /// memory or has completions to post first).
    fn enter(&mut self) -> bool {
        if self.unsubmitted() == 0 {
            return false;
        }
        if self.in_kernel() >= KICK_FROM {
            if self.kicker.is_none() {
                self.kicker = Kicker::start(Arc::clone(&self.ring));
            }
            if let Some(kicker) = &self.kicker {
                kicker.kick();
                return true;
            }
        }
        let _ = self.ring.submit();
        false
    }

    /// Passes each completed request with its outcome to `done`.
    pub(crate) fn reap(&mut self, mut done: impl FnMut(Job, Outcome)) -> usize {
        if !self.is_ours() {
            return 0;
        }
        self.enter();
        let mut reaped = 0;
        // SAFETY: only the polling thread uses the queues (module rules).
        while let Some(cqe) = unsafe { self.ring.completion_shared() }.next() {
            let index = cqe.user_data() as usize;
            let slot = match self.slots.get_mut(index).and_then(Option::take) {
                Some(slot) => slot,
                None => continue,
            };
            self.free.push(index);
            self.in_flight -= 1;
            reaped += 1;
            let InFlight { job, statx } = slot;
            let outcome = outcome(&job.op, cqe.result(), statx);
            done(job, outcome);
        }
        if self.in_flight == 0 && self.slots.len() > 64 {
            self.slots = Vec::new();
            self.free = Vec::new();
        }
        reaped
    }
}

impl Drop for Ring {
    /// Waits until the kernel is done with every entry's memory (the
    /// kicker lives on until then: a request's completion work runs on
    /// the thread that submitted it).
    fn drop(&mut self) {
        if !self.is_ours() {
            // In a forked child the entries, the queues' memory and the
            // kicker thread are the parent's: touch, free and join nothing.
            std::mem::forget(std::mem::take(&mut self.slots));
            std::mem::forget(self.kicker.take());
            std::mem::forget(Arc::clone(&self.ring));
            return;
        }
        while self.in_flight > 0 {
            // SAFETY: only the polling thread uses the queues.
            if self.ring.submit_and_wait(1).is_err() && unsafe { self.ring.completion_shared() }.is_empty() {
                // Nothing can be waited for: keep the memory rather than
                // let the kernel write into freed memory.
                std::mem::forget(std::mem::take(&mut self.slots));
                return;
            }
            self.reap(|_, _| {});
        }
    }
}

/// A thread that enters the ring for the polling thread.  The kernel's
/// work of submitting a read (page-cache lookup, block request, the
/// device's doorbell) and of completing it (copying the data out) runs
/// on the thread that entered it: here, beside the Perl thread rather
/// than on it.  Entries pushed while it is in the kernel go in together
/// on its next entry, with one doorbell.  It sleeps while nothing is
/// pushed.
struct Kicker {
    state: Arc<KickState>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct KickState {
    /// Entries were pushed since the kicker last entered.
    pushed: AtomicBool,
    sleep: Mutex<Sleep>,
    wake: Condvar,
}

#[derive(Default)]
struct Sleep {
    asleep: bool,
    quit: bool,
}

impl Kicker {
    fn start(ring: Arc<IoUring>) -> Option<Kicker> {
        let state = Arc::new(KickState::default());
        let kicker_state = Arc::clone(&state);
        let thread = sys::spawn_signal_free("aiors-ring", move || kicker_state.run(&ring)).ok()?;
        Some(Kicker { state, thread: Some(thread) })
    }

    /// Has the pushed entries submitted soon.
    fn kick(&self) {
        if !self.state.pushed.swap(true, Ordering::AcqRel) && self.state.sleep().asleep {
            self.state.wake.notify_one();
        }
    }
}

impl KickState {
    fn sleep(&self) -> MutexGuard<'_, Sleep> {
        self.sleep.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(&self, ring: &IoUring) {
        loop {
            if self.pushed.swap(false, Ordering::AcqRel) {
                // An error leaves the entries to the polling thread's
                // next look (`Ring::reap`).
                let _ = ring.submit();
                continue;
            }
            // `pushed` is looked at again under the lock that `kick`
            // takes to see `asleep`: no kick goes unnoticed.
            let mut sleep = self.sleep();
            sleep.asleep = true;
            while !self.pushed.load(Ordering::Acquire) && !sleep.quit {
                sleep = self.wake.wait(sleep).unwrap_or_else(PoisonError::into_inner);
            }
            sleep.asleep = false;
            if sleep.quit {
                return;
            }
        }
    }
}

impl Drop for Kicker {
    fn drop(&mut self) {
        self.state.sleep().quit = true;
        self.state.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The submission entry of one routed operation.
fn prepare(slot: &mut InFlight) -> io_uring::squeue::Entry {
    let empty: &CStr = CStr::from_bytes_with_nul(b"\0").expect("a C string");
    match &slot.job.op {
        Op::Read { fd, offset, buf } => {
            opcode::Read::new(types::Fd(*fd), buf.ptr(), buf.len() as u32).offset(position(*offset)).build()
        }
        Op::Write { fd, offset, buf } => {
            opcode::Write::new(types::Fd(*fd), buf.ptr(), buf.len() as u32).offset(position(*offset)).build()
        }
        Op::Open { path, flags, mode } => opcode::OpenAt::new(types::Fd(path.dir), path.path.as_ptr())
            .flags(flags | libc::O_CLOEXEC)
            .mode(*mode)
            .build(),
        Op::Stat { target, follow, .. } => {
            let statx = slot.statx.insert(Box::new(MaybeUninit::uninit()));
            let buf = statx.as_mut_ptr().cast::<types::statx>();
            let (dir, path, flags) = match target {
                Target::Path(at) => (at.dir, at.path.as_c_str(), if *follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW }),
                Target::Fd(fd) => (*fd, empty, libc::AT_EMPTY_PATH),
            };
            opcode::Statx::new(types::Fd(dir), path.as_ptr(), buf).flags(flags).mask(libc::STATX_BASIC_STATS).build()
        }
        Op::Fsync { fd } => opcode::Fsync::new(types::Fd(*fd)).build(),
        Op::Fdatasync { fd } => opcode::Fsync::new(types::Fd(*fd)).flags(types::FsyncFlags::DATASYNC).build(),
        // Routes::takes lets nothing else through; a no-op fails such a
        // request (see `outcome`) should that ever change.
        _ => opcode::Nop::new().build(),
    }
}

/// The ring's offset: -1 (as u64) means "the file position".
fn position(offset: Option<i64>) -> u64 {
    offset.map_or(u64::MAX, |offset| offset as u64)
}

/// The outcome of a completion, as the thread path would report it.
fn outcome(op: &Op, res: i32, statx: Option<Box<MaybeUninit<libc::statx>>>) -> Outcome {
    if res < 0 {
        return Err(Errno(-res));
    }
    match op {
        Op::Read { .. } | Op::Write { .. } | Op::Fsync { .. } | Op::Fdatasync { .. } => Ok(Output::Int(res.into())),
        // SAFETY: a descriptor the ring just opened for us.
        Op::Open { .. } => Ok(Output::Fd(unsafe { sys::own_fd(res) })),
        Op::Stat { .. } => {
            let statx = statx.ok_or(Errno(libc::EIO))?;
            // SAFETY: the statx completed successfully, so the kernel
            // filled in the whole struct before posting its completion.
            let statx = unsafe { statx.assume_init_ref() };
            Ok(Output::Stat(Box::new(stat_of(statx))))
        }
        _ => Err(Errno(libc::EIO)),
    }
}

/// A `struct stat` from a `struct statx`, field for field as glibc's
/// fstatat does it on architectures where it is built on statx.
fn stat_of(stx: &libc::statx) -> libc::stat {
    // The padding fields stay zero, as the kernel leaves them.
    let mut st = sys::zeroed_stat();
    st.st_dev = libc::makedev(stx.stx_dev_major, stx.stx_dev_minor);
    st.st_ino = stx.stx_ino;
    st.st_nlink = stx.stx_nlink.into();
    st.st_mode = stx.stx_mode.into();
    st.st_uid = stx.stx_uid;
    st.st_gid = stx.stx_gid;
    st.st_rdev = libc::makedev(stx.stx_rdev_major, stx.stx_rdev_minor);
    st.st_size = stx.stx_size as i64;
    st.st_blksize = stx.stx_blksize.into();
    st.st_blocks = stx.stx_blocks as i64;
    st.st_atime = stx.stx_atime.tv_sec;
    st.st_atime_nsec = stx.stx_atime.tv_nsec.into();
    st.st_mtime = stx.stx_mtime.tv_sec;
    st.st_mtime_nsec = stx.stx_mtime.tv_nsec.into();
    st.st_ctime = stx.stx_ctime.tv_sec;
    st.st_ctime_nsec = stx.stx_ctime.tv_nsec.into();
    st
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::request::{ForeignBuf, Pri, Request};

    fn blocking_pipe() -> (RawFd, RawFd) {
        let mut fds = [0; 2];
        // SAFETY: pipe writes two descriptors into `fds`.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    }

    #[test]
    fn a_forked_child_never_touches_the_parents_ring() {
        if probe().is_err() {
            return;
        }
        let eventfd = sys::eventfd_nonblocking().unwrap();
        let mut ring = Ring::new(eventfd).unwrap();
        assert!(ring.has_room());
        // SAFETY: the child only calls the ring's checks (atomics and
        // plain fields) and _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let refused = !ring.has_room() && ring.reap(|_, _| {}) == 0;
            std::mem::forget(ring);
            // SAFETY: ends the child without running the test harness's exit.
            unsafe { libc::_exit(if refused { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waits for the child forked above.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert_eq!(status, 0, "the child used the ring (status {status})");
        assert!(ring.has_room(), "the parent keeps its ring");
        ring.reap(|_, _| {});
        drop(ring);
        // SAFETY: the test's own descriptor.
        unsafe { sys::close(eventfd) };
    }

    #[test]
    fn requests_the_kernel_holds_are_entered_by_the_kicker() {
        if let Err(why) = probe() {
            eprintln!("io_uring unavailable ({why}): test skipped");
            return;
        }
        let eventfd = sys::eventfd_nonblocking().unwrap();
        let mut ring = Ring::new(eventfd).unwrap();
        let pipes: Vec<_> = (0..4).map(|_| blocking_pipe()).collect();
        let mut bufs = vec![[0u8; 8]; pipes.len()];
        for (i, ((read_end, _), bytes)) in pipes.iter().zip(bufs.iter_mut()).enumerate() {
            // SAFETY: `bufs` outlives the requests, which are reaped below.
            let buf = unsafe { ForeignBuf::new(bytes.as_mut_ptr(), bytes.len()) };
            let job = Job {
                req: Request::new(Pri::default()),
                op: Op::Read { fd: *read_end, offset: None, buf },
                timing: None,
            };
            // Reads of empty pipes wait in the kernel: from the second
            // one on, the kicker enters them.
            assert_eq!(ring.submit(job), i + 1 >= KICK_FROM, "request {}", i + 1);
            assert_eq!(ring.kicker.is_some(), i + 1 >= KICK_FROM, "after request {}", i + 1);
        }
        for (i, (_, write_end)) in pipes.iter().enumerate() {
            let text = format!("pipe {i}");
            assert_eq!(sys::write_all(*write_end, text.as_bytes()), Ok(6));
        }
        // The completions of the kicker's requests run on the kicker,
        // which sleeps meanwhile: they must arrive all the same.
        let mut results = Vec::new();
        let start = Instant::now();
        while results.len() < pipes.len() {
            assert!(start.elapsed() < Duration::from_secs(10), "only {} completions", results.len());
            ring.reap(|job, outcome| results.push((job.op, outcome)));
            std::thread::sleep(Duration::from_millis(1));
        }
        for (op, outcome) in results {
            match (op, outcome) {
                (Op::Read { .. }, Ok(Output::Int(6))) => {}
                (_, other) => panic!("unexpected outcome {other:?}"),
            }
        }
        for (i, bytes) in bufs.iter().enumerate() {
            assert_eq!(&bytes[..6], format!("pipe {i}").as_bytes());
        }
        drop(ring);
        for fd in pipes.iter().flat_map(|(r, w)| [*r, *w]).chain([eventfd]) {
            // SAFETY: the test's own descriptors, no longer used.
            unsafe { sys::close(fd) };
        }
    }
}

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

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::unix::io::RawFd;

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
    ring: IoUring,
    /// The requests in the kernel, indexed by their entries' user_data.
    slots: Vec<Option<InFlight>>,
    /// Indices of empty slots.
    free: Vec<usize>,
    in_flight: usize,
    /// Entries pushed that the kernel has not taken yet (it refused them
    /// for the moment: out of memory, or busy).
    unsubmitted: usize,
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
        Ok(Ring { ring, slots: Vec::new(), free: Vec::new(), in_flight: 0, unsubmitted: 0 })
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

    pub fn has_room(&self) -> bool {
        self.in_flight < MAX_IN_FLIGHT && self.unsubmitted < SUBMISSION_ENTRIES as usize
    }

    /// Hands `job` (accepted by `Routes::takes`) to the kernel.  Call only
    /// when `has_room`.
    pub(crate) fn submit(&mut self, job: Job) {
        let index = self.free.pop().unwrap_or_else(|| {
            self.slots.push(None);
            self.slots.len() - 1
        });
        let slot = self.slots[index].insert(InFlight { job, statx: None });
        let entry = prepare(slot).user_data(index as u64);
        // SAFETY: every pointer in `entry` stays valid until its
        // completion is reaped (see the module's memory rules); the queue
        // has room, as `has_room` allows no more unsubmitted entries than
        // it holds.
        unsafe { self.ring.submission().push(&entry) }.expect("submission queue has room");
        self.in_flight += 1;
        self.unsubmitted += 1;
        self.enter();
    }

    /// Submits what was pushed.  An error leaves the entries for the next
    /// call (EAGAIN, EBUSY: the kernel is short of memory or has
    /// completions to post first).
    fn enter(&mut self) {
        if self.unsubmitted > 0 {
            if let Ok(taken) = self.ring.submit() {
                self.unsubmitted -= taken.min(self.unsubmitted);
            }
        }
    }

    /// Passes each completed request with its outcome to `done`.
    pub(crate) fn reap(&mut self, mut done: impl FnMut(Job, Outcome)) -> usize {
        self.enter();
        let mut reaped = 0;
        while let Some(cqe) = self.ring.completion().next() {
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
    /// Waits until the kernel is done with every entry's memory.
    fn drop(&mut self) {
        while self.in_flight > 0 {
            if self.ring.submit_and_wait(1).is_err() && self.ring.completion().is_empty() {
                // Nothing can be waited for: keep the memory rather than
                // let the kernel write into freed memory.
                std::mem::forget(std::mem::take(&mut self.slots));
                return;
            }
            self.reap(|_, _| {});
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

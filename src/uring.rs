//! A worker's io_uring: runs a chain of routed operations with one
//! `io_uring_enter`.  Besides `sys` and `ffi`, the only module with
//! `unsafe`, all of it about the memory the kernel reads and writes while
//! an operation is in flight.
//!
//! Memory rules (what makes the pushes below sound):
//! - `Ring::run` does not return while an entry it pushed may still be in
//!   flight: it waits for every completion, and if the ring breaks after
//!   the kernel took entries, it keeps waiting (never hands back memory
//!   the kernel may still write).
//! - Read/write buffers are `ForeignBuf`s that the glue pinned until the
//!   request is handed back, which happens only after `run` returned.
//! - Paths are the `CString`s inside the borrowed `Op`s, alive across `run`.
//! - statx buffers belong to the request's slot in `run`, boxed so they do
//!   not move, and are read only after the request's completion arrived.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::time::Duration;

use io_uring::{opcode, squeue, types, IoUring};

use crate::request::{Errno, Op, Outcome, Output, Target};
use crate::sys;

/// Requests per chain, at most (a worker's batch is no bigger).
pub const ENTRIES: u32 = 16;

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
}

/// One routed request while it is in flight.
struct Slot<'a> {
    op: &'a Op,
    /// Where statx writes; owned here until the completion arrived.
    statx: Option<Box<MaybeUninit<libc::statx>>>,
    result: Option<i32>,
}

/// Why a chain did not run.
pub enum Refused {
    /// The kernel took none of it: the caller may run the ops itself, and
    /// should drop the ring.
    NotSubmitted,
}

impl Ring {
    /// A ring for one worker at a time.  It is not single-issuer: a ring
    /// outlives the worker that made it (the pool keeps it for the next
    /// one, so that its descriptor does not come and go with the threads).
    /// Its mappings are not inherited by a forked child.
    pub fn new() -> Result<Ring, Errno> {
        let ring =
            IoUring::builder().dontfork().build(ENTRIES).map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))?;
        Ok(Ring { ring })
    }

    /// Runs `ops` (at most `ENTRIES`, each accepted by `Routes::takes`) in
    /// order as one hard-linked chain and returns their outcomes, in order.
    pub fn run(&mut self, ops: &[&Op]) -> Result<Vec<Outcome>, Refused> {
        assert!(ops.len() <= ENTRIES as usize);
        let mut slots: Vec<Slot> = ops.iter().map(|op| Slot { op, statx: None, result: None }).collect();
        let last = slots.len().saturating_sub(1);
        {
            let mut sq = self.ring.submission();
            for (index, slot) in slots.iter_mut().enumerate() {
                let mut entry = prepare(slot).user_data(index as u64);
                if index < last {
                    entry = entry.flags(squeue::Flags::IO_HARDLINK);
                }
                // SAFETY: every pointer in `entry` stays valid until its
                // completion is reaped below (see the module's memory
                // rules); the queue has room, as it is empty and `ENTRIES`
                // long.
                unsafe { sq.push(&entry) }.expect("submission queue has room");
            }
        }
        let mut waiting = slots.len();
        let mut taken = false;
        while waiting > 0 {
            match self.ring.submit_and_wait(waiting) {
                Ok(_) => taken = true,
                Err(e) => match e.raw_os_error() {
                    Some(libc::EINTR) => {}
                    Some(libc::EAGAIN | libc::EBUSY | libc::ENOMEM) => std::thread::sleep(Duration::from_micros(50)),
                    _ if !taken && self.ring.submission().len() == slots.len() => return Err(Refused::NotSubmitted),
                    // Entries are in flight: their memory must outlive
                    // them, so wait on (this does not happen with a
                    // healthy ring).
                    _ => std::thread::sleep(Duration::from_millis(1)),
                },
            }
            for cqe in self.ring.completion() {
                if let Some(slot) = slots.get_mut(cqe.user_data() as usize) {
                    if slot.result.is_none() {
                        slot.result = Some(cqe.result());
                        waiting -= 1;
                    }
                }
            }
        }
        Ok(slots.into_iter().map(finish).collect())
    }
}

/// The submission entry of one routed operation.
fn prepare(slot: &mut Slot) -> squeue::Entry {
    match slot.op {
        Op::Read { fd, offset, buf } => {
            opcode::Read::new(types::Fd(*fd), buf.ptr, buf.len as u32).offset(position(*offset)).build()
        }
        Op::Write { fd, offset, buf } => {
            opcode::Write::new(types::Fd(*fd), buf.ptr, buf.len as u32).offset(position(*offset)).build()
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
                Target::Fd(fd) => (*fd, <&CStr>::default(), libc::AT_EMPTY_PATH),
            };
            opcode::Statx::new(types::Fd(dir), path.as_ptr(), buf).flags(flags).mask(libc::STATX_BASIC_STATS).build()
        }
        Op::Fsync { fd } => opcode::Fsync::new(types::Fd(*fd)).build(),
        Op::Fdatasync { fd } => opcode::Fsync::new(types::Fd(*fd)).flags(types::FsyncFlags::DATASYNC).build(),
        // Routes::takes lets nothing else through; a no-op keeps the
        // chain intact should that ever change, and fails the request.
        _ => opcode::Nop::new().build(),
    }
}

/// The ring's offset: -1 (as u64) means "the file position".
fn position(offset: Option<i64>) -> u64 {
    offset.map_or(u64::MAX, |offset| offset as u64)
}

/// The outcome of a completed slot, as the thread path would report it.
fn finish(slot: Slot) -> Outcome {
    let res = slot.result.unwrap_or(-libc::EIO);
    if res < 0 {
        return Err(Errno(-res));
    }
    match slot.op {
        Op::Read { .. } | Op::Write { .. } | Op::Fsync { .. } | Op::Fdatasync { .. } => Ok(Output::Int(res.into())),
        Op::Open { .. } => Ok(Output::Fd(sys::own_fd(res))),
        Op::Stat { .. } => {
            let statx = slot.statx.ok_or(Errno(libc::EIO))?;
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

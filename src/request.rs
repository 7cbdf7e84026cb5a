//! What a request is: its operation, priority, result and lifecycle flags.
//!
//! A request moves through IO::AIO's states: `Ready` (queued), `Executing`
//! (a worker runs it), `Pending` (result queued for `poll_cb`) and `Done`
//! (handed back to the caller).  The state is implied by which queue holds
//! the request, so it is not stored.

use std::ffi::CString;
use std::os::unix::io::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use once_cell::race::OnceBox;

use crate::timing::Timing;
pub use crate::types::{Errno, ForeignBuf, Listing};

/// How a request's caller recognises it in events: the address of its
/// `UserArea`.
pub type Token = usize;

/// Words of room in every request for the caller's own record of it (the
/// XS glue keeps its per-request struct there), so that a request is one
/// allocation, not one of ours and one of the caller's.
pub const USER_WORDS: usize = 5;

/// The caller's record, untouched by the engine.  Atomics only because
/// they may be written through a shared reference: the caller reads and
/// writes the area from the polling thread alone (through `as_ptr`).
#[derive(Debug, Default)]
pub struct UserArea([AtomicUsize; USER_WORDS]);

impl UserArea {
    pub fn as_ptr(&self) -> *mut usize {
        self.0.as_ptr() as *mut usize
    }

    /// One word, for callers in Rust (the tests name requests this way).
    pub fn word(&self, index: usize) -> &AtomicUsize {
        &self.0[index]
    }
}

/// A request priority, always within IO::AIO's range -4..=4.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pri(i8);

impl Pri {
    pub const MIN: i32 = -4;
    pub const MAX: i32 = 4;
    /// Number of distinct priorities, i.e. queues per priority queue.
    pub const LEVELS: usize = (Self::MAX - Self::MIN + 1) as usize;

    /// Clamps any integer into the valid range, as IO::AIO does.
    pub fn new(pri: i32) -> Pri {
        Pri(pri.clamp(Self::MIN, Self::MAX) as i8)
    }

    pub fn get(self) -> i32 {
        i32::from(self.0)
    }

    /// 0 for the highest priority, `LEVELS - 1` for the lowest.
    pub(crate) fn rank(self) -> usize {
        (Self::MAX - self.get()) as usize
    }
}

/// A path, optionally relative to a working-directory descriptor
/// (`[$wd, $path]` or an `IO::AIO::WD`); `dir` is `AT_FDCWD` otherwise.
#[derive(Debug)]
pub struct At {
    pub dir: RawFd,
    pub path: CString,
}

/// Requests such as `aio_stat` accept a path or an open descriptor.
#[derive(Debug)]
pub enum Target {
    Path(At),
    Fd(RawFd),
}

/// What `Op::Slurp` reads: `len` bytes at `offset` (negative: from the
/// end) into `buf`, or into a new buffer of the file's (remaining) size
/// when `buf` is None.
#[derive(Debug)]
pub struct SlurpRead {
    pub offset: i64,
    pub len: usize,
    pub buf: Option<ForeignBuf>,
}

/// Every operation IO::AIO can run.  An exhaustive `match` in `ops` keeps
/// each one executable.
#[derive(Debug)]
pub enum Op {
    Nop,
    /// Fails with `errno` without a syscall (e.g. a path with a NUL byte).
    Fail {
        errno: Errno,
    },
    Busy {
        secs: f64,
    },
    Sync,
    Open {
        path: At,
        flags: i32,
        mode: u32,
    },
    /// Replaces `fd` by a descriptor of a dead pipe, so the number stays
    /// taken until Perl closes its handle (IO::AIO's close semantics).
    Close {
        fd: RawFd,
    },
    Seek {
        fd: RawFd,
        offset: i64,
        whence: i32,
    },
    Read {
        fd: RawFd,
        offset: Option<i64>,
        buf: ForeignBuf,
    },
    Write {
        fd: RawFd,
        offset: Option<i64>,
        buf: ForeignBuf,
    },
    Stat {
        target: Target,
        follow: bool,
        /// Room for the result, which the pool gives a request when it is
        /// submitted (`Pool::submit`) and takes back once the result was
        /// handed out: the worker allocates nothing.
        buf: Option<Box<libc::stat>>,
    },
    Unlink {
        path: At,
    },
    Mkdir {
        path: At,
        mode: u32,
    },
    Rmdir {
        path: At,
    },
    Readdir {
        path: At,
        flags: u32,
    },
    /// `aio_scandir`: directories first, see `ops::dir::scan`.
    Scandir {
        path: At,
    },
    // ---- descriptor, sync and memory requests (ops/files.rs) ----
    /// Copies `len` bytes from `in_fd` at `offset` to `out_fd`'s position.
    Sendfile {
        out_fd: RawFd,
        in_fd: RawFd,
        offset: i64,
        len: usize,
    },
    Readahead {
        fd: RawFd,
        offset: i64,
        len: usize,
    },
    Fallocate {
        fd: RawFd,
        mode: i32,
        offset: i64,
        len: usize,
    },
    /// `count` None: all extents of the range; Some(0): only their number.
    Fiemap {
        fd: RawFd,
        start: u64,
        len: u64,
        flags: u32,
        count: Option<u32>,
    },
    Fcntl {
        fd: RawFd,
        cmd: i32,
        arg: CtlArg,
    },
    Ioctl {
        fd: RawFd,
        request: u64,
        arg: CtlArg,
    },
    Fsync {
        fd: RawFd,
    },
    Fdatasync {
        fd: RawFd,
    },
    Syncfs {
        fd: RawFd,
    },
    SyncFileRange {
        fd: RawFd,
        offset: i64,
        nbytes: usize,
        flags: u32,
    },
    /// Reads a file into `buf`, or into a new buffer of the file's
    /// (remaining) size when `buf` is None; a negative `offset` counts
    /// from the end.
    Slurp {
        path: At,
        read: Box<SlurpRead>,
    },
    Msync {
        mem: ForeignBuf,
        flags: i32,
    },
    /// Reads (or, with `modify`, rewrites) one byte of every page.
    Mtouch {
        mem: ForeignBuf,
        modify: bool,
    },
    Mlock {
        mem: ForeignBuf,
    },
    Mlockall {
        flags: i32,
    },
    // ---- path and stat family (ops::paths) ----
    Statvfs {
        target: Target,
    },
    /// `None` sets both times to now.  (Large or rare parts of operations
    /// are boxed, so that every queued request stays small.)
    Utime {
        target: Target,
        times: Option<Box<[libc::timespec; 2]>>,
    },
    /// `u32::MAX` (i.e. -1) leaves an id unchanged.
    Chown {
        target: Target,
        uid: u32,
        gid: u32,
    },
    Chmod {
        target: Target,
        mode: u32,
    },
    Truncate {
        target: Target,
        length: i64,
    },
    Mknod {
        path: At,
        mode: u32,
        dev: u64,
    },
    Link {
        from: At,
        to: Box<At>,
    },
    /// `target` is stored in the link verbatim.
    Symlink {
        target: CString,
        link: Box<At>,
    },
    Rename {
        from: At,
        to: Box<At>,
        flags: u32,
    },
    Readlink {
        path: At,
    },
    /// A relative `path` is resolved against `base` (the canonical path of
    /// its working directory), or the process's cwd if `None`.
    Realpath {
        path: Box<At>,
        base: Option<CString>,
    },
    /// `aio_wd`: canonicalises the path like `Realpath`, then opens the
    /// directory (`O_PATH`).
    WdOpen {
        path: Box<At>,
        base: Option<CString>,
    },
    /// Closes a working directory's descriptor (if any) when its object dies.
    WdClose {
        fd: Option<OwnedFd>,
    },
}

/// What kind of operation a request runs, without its arguments: for
/// per-kind bookkeeping (which kinds ran slowly of late, statistics).
macro_rules! op_kinds {
    ($($kind:ident => $name:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum OpKind {
            $($kind,)*
        }

        impl OpKind {
            pub const ALL: &'static [OpKind] = &[$(OpKind::$kind,)*];

            /// The kind's name, as in the request's function (`aio_<name>`).
            pub fn name(self) -> &'static str {
                match self {
                    $(OpKind::$kind => $name,)*
                }
            }
        }

        impl Op {
            pub fn kind(&self) -> OpKind {
                match self {
                    $(Op::$kind { .. } => OpKind::$kind,)*
                }
            }
        }
    };
}

// The pool keeps a bit per kind in a u64.
const _: () = assert!(OpKind::ALL.len() <= 64);

op_kinds! {
    Nop => "nop",
    Fail => "fail",
    Busy => "busy",
    Sync => "sync",
    Open => "open",
    Close => "close",
    Seek => "seek",
    Read => "read",
    Write => "write",
    Stat => "stat",
    Unlink => "unlink",
    Mkdir => "mkdir",
    Rmdir => "rmdir",
    Readdir => "readdir",
    Scandir => "scandir",
    Sendfile => "sendfile",
    Readahead => "readahead",
    Fallocate => "fallocate",
    Fiemap => "fiemap",
    Fcntl => "fcntl",
    Ioctl => "ioctl",
    Fsync => "fsync",
    Fdatasync => "fdatasync",
    Syncfs => "syncfs",
    SyncFileRange => "sync_file_range",
    Slurp => "slurp",
    Msync => "msync",
    Mtouch => "mtouch",
    Mlock => "mlock",
    Mlockall => "mlockall",
    Statvfs => "statvfs",
    Utime => "utime",
    Chown => "chown",
    Chmod => "chmod",
    Truncate => "truncate",
    Mknod => "mknod",
    Link => "link",
    Symlink => "symlink",
    Rename => "rename",
    Readlink => "readlink",
    Realpath => "realpath",
    WdOpen => "wd_open",
    WdClose => "wd_close",
}

impl Op {
    /// Whether the op is known to take long (a sleep, a flush to the
    /// disk): a worker never holds other requests back behind one.
    pub(crate) fn runs_long(&self) -> bool {
        matches!(
            self,
            Op::Busy { .. }
                | Op::Sync
                | Op::Syncfs { .. }
                | Op::Fsync { .. }
                | Op::Fdatasync { .. }
                | Op::SyncFileRange { .. }
                | Op::Msync { .. }
        )
    }

    pub fn stat(target: Target, follow: bool) -> Op {
        Op::Stat { target, follow, buf: None }
    }
}

/// The third argument of `aio_fcntl` / `aio_ioctl`: a plain integer, or
/// a pinned scalar buffer the kernel may read and write.
#[derive(Debug)]
pub enum CtlArg {
    Int(isize),
    Buf(ForeignBuf),
}

/// One `struct fiemap_extent`: logical, physical, length, flags.
pub type Extent = [u64; 4];

/// A successful request's result.
#[derive(Debug)]
pub enum Output {
    /// The syscall's integer result (0 for most, a count for read/write).
    Int(i64),
    /// A newly opened descriptor; closed unless the receiver takes it.
    Fd(OwnedFd),
    Stat(Box<libc::stat>),
    /// Boxed, as the largest variant: every waiting result pays for the
    /// size of `Output`.
    Dir(Box<Listing>),
    /// `aio_fiemap`'s extents.
    Extents(Vec<Extent>),
    /// Bytes read into a buffer of the engine's own (`aio_slurp`).
    Data(Vec<u8>),
    Statvfs(Box<libc::statvfs>),
    /// A path (readlink, realpath).
    Bytes(Vec<u8>),
    /// A working directory: its descriptor and canonical path.
    Wd {
        fd: OwnedFd,
        path: Vec<u8>,
    },
}

impl Output {
    /// The integer a callback sees as the request's result.
    pub fn value(&self) -> i64 {
        match self {
            Output::Int(value) => *value,
            Output::Data(data) => data.len() as i64,
            _ => 0,
        }
    }
}

pub type Outcome = Result<Output, Errno>;

/// Membership of a request, and the group state if it is a group.  Made
/// only for groups and their members (see `Request::links`); `group`
/// keeps the rules that change it.
#[derive(Debug, Default)]
pub(crate) struct Links {
    /// The group this request belongs to and its slot in that group.
    pub(crate) parent: Option<(Arc<Request>, usize)>,
    pub(crate) group: Option<Box<GroupState>>,
}

impl Links {
    pub fn for_group() -> Links {
        Links { parent: None, group: Some(Box::default()) }
    }
}

/// A group's members and feeding state (see `group`).
#[derive(Debug, Default)]
pub(crate) struct GroupState {
    /// Outstanding members by slot; a finished member leaves a free slot.
    pub(crate) members: Vec<Option<Arc<Request>>>,
    pub(crate) free_slots: Vec<usize>,
    /// Number of outstanding members.
    pub(crate) size: usize,
    pub(crate) limit: i32,
    /// The group's own request was polled while members were outstanding.
    pub(crate) delayed: bool,
    /// The group's completion was handed out; it takes no more members.
    pub(crate) finished: bool,
    pub(crate) has_feeder: bool,
    /// A member was added since the feeder was last called.
    pub(crate) added: bool,
}

/// The part of a request shared between the caller's handle, the queues and
/// (for groups and their members) the group bookkeeping.
#[derive(Debug)]
pub struct Request {
    pri: Pri,
    cancelled: AtomicBool,
    /// Set by the first submission: a request is queued once.
    submitted: AtomicBool,
    is_group: bool,
    /// Whether `links` names a parent group: lets the common case (no
    /// group at all) skip the lock.
    pub(crate) in_group: AtomicBool,
    /// Group membership and group state; touched only by the polling
    /// thread, and made only for groups and their members: a plain request
    /// pays one pointer for it (a million queued requests must fit in a
    /// small allocation each).
    pub(crate) links: OnceBox<Mutex<Links>>,
    pub user: UserArea,
}

impl Request {
    /// A request to submit with `Pool::submit`.
    pub fn new(pri: Pri) -> Arc<Request> {
        Request::with_links(pri, OnceBox::new())
    }

    /// A group to submit with `Pool::submit_group`.
    pub fn new_group(pri: Pri) -> Arc<Request> {
        let links = OnceBox::new();
        // a fresh OnceBox is empty, so this set succeeds
        let _ = links.set(Box::new(Mutex::new(Links::for_group())));
        Request::with_links(pri, links)
    }

    fn with_links(pri: Pri, links: OnceBox<Mutex<Links>>) -> Arc<Request> {
        let is_group = links.get().is_some();
        Arc::new(Request {
            pri,
            cancelled: AtomicBool::new(false),
            submitted: AtomicBool::new(false),
            is_group,
            in_group: AtomicBool::new(false),
            links,
            user: UserArea::default(),
        })
    }

    pub fn token(&self) -> Token {
        self.user.as_ptr() as Token
    }

    /// Marks the request submitted; false if it already was.
    pub(crate) fn mark_submitted(&self) -> bool {
        !self.submitted.swap(true, Ordering::Relaxed)
    }

    pub fn pri(&self) -> Pri {
        self.pri
    }

    pub fn is_group(&self) -> bool {
        self.is_group
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_cancelled(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// A queued request with its operation, as the workers see it.
pub(crate) struct Job {
    pub req: Arc<Request>,
    pub op: Op,
    /// Only while statistics are collected.
    pub timing: Option<Box<Timing>>,
}

/// An executed (or skipped) request waiting for `poll_cb`.  The job comes
/// back with its outcome, so that what the submitting thread allocated
/// for it (a path, say) is freed there too: a free from another thread
/// takes the allocator's arena lock, which the submitting thread contends.
pub(crate) struct Completion {
    pub job: Job,
    pub outcome: Outcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pri_is_clamped_and_ranked() {
        assert_eq!(Pri::new(-100).get(), -4);
        assert_eq!(Pri::new(100).get(), 4);
        assert_eq!(Pri::new(4).rank(), 0);
        assert_eq!(Pri::new(-4).rank(), Pri::LEVELS - 1);
    }

    /// A queued request costs its `Arc<Request>` allocation (which holds
    /// the caller's record too) plus a `Job` slot in the queue: keep both
    /// within the memory budget (with the Arc's two counts and malloc's
    /// header, 56 bytes fit an 80-byte chunk).
    #[test]
    fn queued_request_stays_small() {
        assert!(std::mem::size_of::<Request>() <= 56, "Request: {}", std::mem::size_of::<Request>());
        // A job is its request, its op and the statistics' timing word.
        let op = std::mem::size_of::<Op>();
        assert!(std::mem::size_of::<Job>() <= op + 16, "Job: {}", std::mem::size_of::<Job>());
        // Rare operations box their larger parts: no variant may make
        // every queued request pay for it.  (40 bytes with rustc 1.65 and
        // later; Debian 12's 1.63 packs the tag less tightly: 48.)
        assert!(op <= 48, "Op: {op}");
        // A waiting result: its job (see `Completion`) and its outcome.
        // rustc 1.65 and later keep `Err` in spare tag values of `Output`;
        // older ones (Debian 12's 1.63) add a word for it.
        let err_word = std::mem::size_of::<Outcome>() - std::mem::size_of::<Output>();
        assert!(std::mem::size_of::<Output>() <= 32, "Output: {}", std::mem::size_of::<Output>());
        assert!(err_word <= 8, "Outcome: {}", std::mem::size_of::<Outcome>());
        assert!(
            std::mem::size_of::<Completion>() <= std::mem::size_of::<Job>() + 32 + err_word,
            "Completion: {}",
            std::mem::size_of::<Completion>()
        );
    }
}

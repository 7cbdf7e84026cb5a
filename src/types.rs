//! Plain types shared by the engine's layers: errno values, caller-owned
//! buffers and directory listings.  They depend on nothing in the crate,
//! so that `sys`, `request` and `ops` can all use them and the imports
//! point one way.

/// An `errno` value reported by a failed request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Errno(pub i32);

impl Errno {
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO))
    }
}

/// Memory owned by the caller (a Perl scalar's string buffer, pinned by the
/// glue until the request is done) that a worker reads or writes.
///
/// Invariant, promised by whoever calls `ForeignBuf::new`: `ptr` is valid
/// for `len` bytes (readable, and writable where the operation writes into
/// it), and nothing else touches them, until the request holding the
/// buffer is handed back.  Workers rely on it in safe code, so the fields
/// are private.
#[derive(Debug)]
pub struct ForeignBuf {
    ptr: *mut u8,
    len: usize,
}

impl ForeignBuf {
    /// # Safety
    /// The type's invariant: `ptr` valid for `len` bytes as the operation
    /// accesses them, touched by nobody else, until the request the buffer
    /// goes into is handed back.
    pub unsafe fn new(ptr: *mut u8, len: usize) -> ForeignBuf {
        ForeignBuf { ptr, len }
    }

    pub fn ptr(&self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first `len` bytes (all of them if there are fewer).
    pub fn prefix(&self, len: usize) -> ForeignBuf {
        ForeignBuf { ptr: self.ptr, len: len.min(self.len) }
    }
}

// SAFETY: the glue guarantees that the memory stays allocated, unmoved and
// untouched by Perl from submission until the request is handed back, and
// only the one worker executing the request accesses it meanwhile.
unsafe impl Send for ForeignBuf {}

/// One directory entry (`ops::dir` fills them in); `#[repr(C)]` because the glue reads the entries
/// in place (`aiors_dirent` in `xs/aiors.h`).
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct Entry {
    /// Where the name starts in `Listing::names`.
    pub name_offset: u32,
    pub name_len: u32,
    pub inode: u64,
    /// A `DT_*` value.
    pub kind: u8,
    /// Lower sorts first: 0 for known directories, 1..6 for unknown types by
    /// how likely the name is a directory, 7 otherwise.
    pub(crate) score: u8,
}

#[derive(Debug, Default)]
pub struct Listing {
    /// All names, concatenated without separators.
    pub names: Vec<u8>,
    pub entries: Vec<Entry>,
    /// The request's flags plus FOUND_UNKNOWN if any type was unknown.
    pub flags: u32,
}

//! Directory listing for `aio_readdir` / `aio_readdirx`, including the
//! orderings that make a following stat() pass fast.

use std::cell::RefCell;
use std::ffi::CString;

use crate::request::{At, Request};
use crate::sys;
use crate::types::Errno;
pub use crate::types::{Entry, Listing};

/// `aio_readdirx` flags; the values are part of IO::AIO's API.
pub const DENTS: u32 = 0x01;
pub const DIRS_FIRST: u32 = 0x02;
pub const STAT_ORDER: u32 = 0x04;
pub const FOUND_UNKNOWN: u32 = 0x80;

/// `DT_*` values of IO::AIO (equal to Linux's `d_type`).
pub const DT_UNKNOWN: u8 = 0;
pub const DT_DIR: u8 = 4;

impl Listing {
    pub fn name(&self, entry: &Entry) -> &[u8] {
        let start = entry.name_offset as usize;
        &self.names[start..start + entry.name_len as usize]
    }
}

/// How likely a name of unknown type is a directory (IO::AIO's heuristic:
/// leading dots, or no dot at all and a short name).
fn unknown_score(name: &[u8]) -> u8 {
    let len = name.len() + 1; // counted with its terminator, as IO::AIO does
    if name.first() == Some(&b'.') {
        1
    } else if !name.contains(&b'.') {
        match len {
            0..=2 => (4 - len) as u8,
            3..=4 => 4,
            5..=7 => 5,
            _ => 6,
        }
    } else {
        7
    }
}

pub(crate) fn read(path: &At, mut flags: u32, req: &Request) -> Result<Listing, Errno> {
    if flags & DENTS == 0 {
        flags &= !(DIRS_FIRST | STAT_ORDER);
    }
    let fd = sys::open_at(path.dir, &path.path, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK, 0)?;
    let result = collect(fd, flags, req);
    // SAFETY: opened above, used by nobody else.
    unsafe { sys::close(fd) };
    let mut listing = result?;
    sort(&mut listing);
    Ok(listing)
}

/// `aio_scandir`: the entries of a directory, directories first.  Entries
/// whose type the directory does not report are lstat()ed, until the
/// directory's link count says that all subdirectories were found (the
/// heuristic of IO::AIO, trusted only if the directory did not change
/// during the scan and was not modified in the current second).  Entries
/// not found to be directories keep a type other than `DT_DIR`.
pub(crate) fn scan(path: &At, req: &Request) -> Result<Listing, Errno> {
    let fd = sys::open_at(path.dir, &path.path, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK, 0)?;
    let result = scan_open(fd, req);
    // SAFETY: opened above, used by nobody else.
    unsafe { sys::close(fd) };
    let mut listing = result?;
    listing.entries.sort_by_key(|e| e.kind != DT_DIR);
    Ok(listing)
}

fn scan_open(fd: i32, req: &Request) -> Result<Listing, Errno> {
    let listing = collect(fd, DENTS, req)?;
    if listing.flags & FOUND_UNKNOWN == 0 {
        return Ok(listing);
    }
    // Some types are unknown (rare: most file systems report them).  The
    // link-count heuristic needs the directory's state from before the
    // read, so read it again, between two fstat()s.
    let before = sys::fstat(fd)?;
    let started = sys::now_secs();
    sys::lseek(fd, 0, libc::SEEK_SET)?;
    let mut listing = collect(fd, DENTS, req)?;
    classify_unknown(fd, &mut listing, &before, started, req)?;
    Ok(listing)
}

fn classify_unknown(
    fd: i32,
    listing: &mut Listing,
    before: &libc::stat,
    started: i64,
    req: &Request,
) -> Result<(), Errno> {
    if listing.flags & FOUND_UNKNOWN == 0 {
        return Ok(());
    }
    let known_dirs = listing.entries.iter().filter(|e| e.kind == DT_DIR).count() as i64;
    let after = sys::fstat(fd)?;
    let unchanged = (before.st_dev, before.st_ino, before.st_nlink, before.st_size, before.st_mtime)
        == (after.st_dev, after.st_ino, after.st_nlink, after.st_size, after.st_mtime);
    // Subdirectories still to be found, or -1 if the count is unknown.
    let mut left = if unchanged && after.st_mtime != started && after.st_nlink >= 2 {
        (after.st_nlink as i64 - 2 - known_dirs).max(-1)
    } else {
        -1
    };
    for index in 0..listing.entries.len() {
        if left == 0 {
            break; // every subdirectory is known: the rest are not
        }
        if listing.entries[index].kind != DT_UNKNOWN {
            continue;
        }
        if req.is_cancelled() {
            return Err(Errno(libc::ECANCELED));
        }
        let name = CString::new(listing.name(&listing.entries[index])).map_err(|_| Errno(libc::EINVAL))?;
        // An entry that vanished counts as a non-directory.
        if let Ok(st) = sys::fstatat(fd, &name, false) {
            if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
                listing.entries[index].kind = DT_DIR;
                left -= 1;
            }
        }
    }
    Ok(())
}

thread_local! {
    /// The getdents buffer of this thread, kept between requests: a walk
    /// reads thousands of directories, and a fresh 32 KiB buffer each time
    /// costs its zeroing and a trip through malloc's slow path.
    static DENTS_BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; 32 * 1024]);
}

fn collect(fd: i32, flags: u32, req: &Request) -> Result<Listing, Errno> {
    DENTS_BUF.with(|buf| collect_into(fd, flags, req, &mut buf.borrow_mut()))
}

fn collect_into(fd: i32, flags: u32, req: &Request, buf: &mut [u8]) -> Result<Listing, Errno> {
    let mut listing = Listing { flags, ..Listing::default() };
    loop {
        let len = sys::getdents64(fd, buf)?;
        if len == 0 {
            return Ok(listing);
        }
        // About one entry per 24 bytes of records (more for long names).
        listing.entries.reserve(len / 24);
        listing.names.reserve(len / 2);
        let mut pos = 0;
        // linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name\0
        while pos + 19 < len {
            let record = &buf[pos..];
            let inode = u64::from_ne_bytes(record[0..8].try_into().unwrap_or_default());
            let reclen = u16::from_ne_bytes([record[16], record[17]]) as usize;
            let kind = record[18];
            let raw_name = &record[19..reclen.min(record.len())];
            let name = &raw_name[..raw_name.iter().position(|&b| b == 0).unwrap_or(raw_name.len())];
            pos += reclen.max(1);
            if name == b"." || name == b".." {
                continue;
            }
            listing.push(name, inode, kind);
        }
        if req.is_cancelled() {
            return Err(Errno(libc::ECANCELED));
        }
    }
}

impl Listing {
    fn push(&mut self, name: &[u8], inode: u64, kind: u8) {
        let kind = if kind > 14 { DT_UNKNOWN } else { kind };
        if kind == DT_UNKNOWN {
            self.flags |= FOUND_UNKNOWN;
        }
        let score = match kind {
            _ if self.flags & DIRS_FIRST == 0 => 7,
            DT_DIR => 0,
            DT_UNKNOWN => unknown_score(name),
            _ => 7,
        };
        self.entries.push(Entry {
            name_offset: self.names.len() as u32,
            name_len: name.len() as u32,
            inode,
            kind,
            score,
        });
        self.names.extend_from_slice(name);
    }
}

/// Orders entries as READDIR_STAT_ORDER / READDIR_DIRS_FIRST ask.
fn sort(listing: &mut Listing) {
    let flags = listing.flags;
    let entries = &mut listing.entries;
    if flags & STAT_ORDER != 0 {
        entries.sort_by_key(|e| (e.score, e.inode));
    } else if flags & DIRS_FIRST != 0 {
        if flags & FOUND_UNKNOWN != 0 {
            entries.sort_by_key(|e| (e.score, e.inode));
        } else {
            // All types known: move directories to the front by swapping
            // from both ends, then order only the directories by inode.
            let (mut dirs_end, mut others_start) = (0, entries.len());
            while others_start > dirs_end {
                if entries[dirs_end].kind == DT_DIR {
                    dirs_end += 1;
                } else {
                    others_start -= 1;
                    if entries[others_start].kind == DT_DIR {
                        entries.swap(dirs_end, others_start);
                        dirs_end += 1;
                    }
                }
            }
            entries[..dirs_end].sort_by_key(|e| e.inode);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(listing: &mut Listing, name: &str, inode: u64, kind: u8) {
        listing.push(name.as_bytes(), inode, kind);
    }

    /// The glue reads entries in place as `aiors_dirent` (xs/aiors.h).
    #[test]
    fn entry_layout_matches_the_c_header() {
        let e = Entry { name_offset: 0, name_len: 0, inode: 0, kind: 0, score: 0 };
        // field addresses relative to the struct's (offset_of! needs Rust 1.77)
        let at = |field: *const u8| field as usize - &e as *const Entry as usize;
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        assert_eq!(
            [
                at((&e.name_offset as *const u32).cast()),
                at((&e.name_len as *const u32).cast()),
                at((&e.inode as *const u64).cast()),
                at(&e.kind)
            ],
            [0, 4, 8, 16]
        );
    }

    #[test]
    fn dirs_first_with_known_types() {
        let mut listing = Listing { flags: DENTS | DIRS_FIRST, ..Default::default() };
        entry(&mut listing, "f1", 5, 8);
        entry(&mut listing, "d1", 9, DT_DIR);
        entry(&mut listing, "f2", 1, 8);
        entry(&mut listing, "d2", 2, DT_DIR);
        sort(&mut listing);
        let names: Vec<_> = listing.entries.iter().map(|e| listing.name(e).to_vec()).collect();
        assert_eq!(&names[..2], [b"d2".to_vec(), b"d1".to_vec()]);
        assert_eq!(listing.flags & FOUND_UNKNOWN, 0);
    }

    /// A directory `a`, `b` (dirs) and `f` (file) in a fresh temp dir.
    fn tree() -> (std::path::PathBuf, At) {
        let dir =
            std::env::temp_dir().join(format!("aiors-scan-{}-{:?}", std::process::id(), std::thread::current().id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a")).unwrap();
        std::fs::create_dir_all(dir.join("b")).unwrap();
        std::fs::write(dir.join("f"), b"x").unwrap();
        let path = CString::new(dir.to_str().unwrap()).unwrap();
        (dir, At { dir: libc::AT_FDCWD, path })
    }

    fn request() -> std::sync::Arc<Request> {
        Request::new(crate::request::Pri::default())
    }

    #[test]
    fn scan_puts_directories_first() {
        let (dir, at) = tree();
        let listing = scan(&at, &request()).unwrap();
        let kinds: Vec<_> = listing.entries.iter().map(|e| (listing.name(e).to_vec(), e.kind == DT_DIR)).collect();
        assert!(kinds[..2].iter().all(|(_, is_dir)| *is_dir));
        assert_eq!(kinds[2], (b"f".to_vec(), false));
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Entries reported without a type are lstat()ed until the link count
    /// says every subdirectory is known; the rest count as non-directories.
    #[test]
    fn unknown_types_are_classified_up_to_the_link_count() {
        let (dir, at) = tree();
        let fd = sys::open_at(at.dir, &at.path, libc::O_RDONLY | libc::O_DIRECTORY, 0).unwrap();
        let before = sys::fstat(fd).unwrap();
        for (names, expect_dirs) in [(["a", "b", "f"], 2), (["f", "a", "b"], 2)] {
            let mut listing = Listing { flags: DENTS, ..Default::default() };
            for name in names {
                listing.push(name.as_bytes(), 0, DT_UNKNOWN);
            }
            classify_unknown(fd, &mut listing, &before, 0, &request()).unwrap();
            let dirs = listing.entries.iter().filter(|e| e.kind == DT_DIR).count();
            assert_eq!(dirs, expect_dirs);
            for entry in &listing.entries {
                assert_eq!(entry.kind == DT_DIR, listing.name(entry) != b"f");
            }
        }
        let mut one_known = Listing { flags: DENTS, ..Default::default() };
        one_known.push(b"a", 0, DT_DIR);
        one_known.push(b"b", 0, DT_UNKNOWN);
        one_known.push(b"f", 0, DT_UNKNOWN);
        classify_unknown(fd, &mut one_known, &before, 0, &request()).unwrap();
        assert_eq!(one_known.entries[1].kind, DT_DIR);
        // SAFETY: the test's own descriptor.
        unsafe { sys::close(fd) };
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unknown_types_are_scored_by_name() {
        assert_eq!(unknown_score(b".git"), 1);
        assert_eq!(unknown_score(b"a"), 2);
        assert_eq!(unknown_score(b"src"), 4);
        assert_eq!(unknown_score(b"include"), 6);
        assert_eq!(unknown_score(b"x.c"), 7);
        let mut listing = Listing { flags: DENTS | STAT_ORDER | DIRS_FIRST, ..Default::default() };
        entry(&mut listing, "file.txt", 1, DT_UNKNOWN);
        entry(&mut listing, "lib", 7, DT_UNKNOWN);
        sort(&mut listing);
        assert_eq!(listing.name(&listing.entries[0]), b"lib");
        assert_ne!(listing.flags & FOUND_UNKNOWN, 0);
    }
}

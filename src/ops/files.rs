//! Descriptor, sync and memory requests: sendfile (with its read/write
//! emulation), readahead, fallocate, fiemap, fcntl/ioctl, the fsync
//! family, slurp and the msync/mtouch/mlock family.

use std::os::unix::io::RawFd;

use crate::request::{At, CtlArg, Errno, Extent, ForeignBuf, Output, Request};
use crate::sys;

/// Chunk size of the sendfile emulation.
const COPY_CHUNK: usize = 64 * 1024;

/// Smallest count for which copy_file_range is tried: where it is refused
/// (a socket or pipe, sendfile's usual output) the attempt costs a syscall,
/// about 0.25 µs, under 1% of copying this much.
const COPY_RANGE_MIN: usize = 64 * 1024;

/// Copies `count` bytes from `in_fd` at `offset` to `out_fd`'s position as
/// IO::AIO's sendfile does, in the kernel where it can: copy_file_range(2)
/// first for `COPY_RANGE_MIN` bytes or more (between regular files; it
/// shares extents where the filesystem can reflink, and copies server-side
/// on NFS), else sendfile(2), else pread/write.  Returns the bytes
/// written, which may be fewer than `count`; an error only if nothing was
/// written.
pub fn sendfile(out_fd: RawFd, in_fd: RawFd, mut offset: i64, count: usize) -> Result<i64, Errno> {
    if count == 0 {
        return Ok(0);
    }
    let mut written: i64 = 0;
    let mut left = count;
    while count >= COPY_RANGE_MIN && left > 0 {
        match sys::copy_file_range(in_fd, &mut offset, out_fd, left) {
            Ok(n) if n > 0 => {
                written += n;
                left -= n as usize;
            }
            // The end of the input, or an error after copying some.
            _ if written > 0 => return Ok(written),
            // Nothing copied: an error, or 0, which some kernels also
            // return for files they cannot copy (procfs, sysfs): sendfile
            // decides, with the errors IO::AIO reports.
            _ => break,
        }
    }
    while left > 0 {
        match sys::sendfile(out_fd, in_fd, &mut offset, left) {
            Ok(0) => break,
            Ok(n) => {
                written += n;
                left -= n as usize;
            }
            Err(_) if written > 0 => break,
            Err(Errno(e)) if needs_emulation(e) => return copy(out_fd, in_fd, offset, left),
            Err(errno) => return Err(errno),
        }
    }
    Ok(written)
}

/// The errors after which IO::AIO emulates sendfile.
fn needs_emulation(errno: i32) -> bool {
    matches!(
        errno,
        libc::ENOSYS | libc::EINVAL | libc::ENOTSOCK | libc::EOPNOTSUPP | libc::EAFNOSUPPORT | libc::EPROTOTYPE
    )
}

/// The sendfile emulation: pread from `in_fd`, write to `out_fd`.
fn copy(out_fd: RawFd, in_fd: RawFd, mut offset: i64, mut left: usize) -> Result<i64, Errno> {
    let mut buf = vec![0u8; COPY_CHUNK.min(left)];
    let mut done: i64 = 0;
    while left > 0 {
        let want = left.min(buf.len());
        let got = match sys::pread_into(in_fd, &mut buf[..want], offset) {
            Ok(0) => break,
            Ok(n) => n as usize,
            Err(errno) if done == 0 => return Err(errno),
            Err(_) => break,
        };
        let mut put = 0;
        while put < got {
            match sys::write_all(out_fd, &buf[put..got]) {
                Ok(0) => break,
                Ok(n) => put += n as usize,
                Err(errno) if done == 0 && put == 0 => return Err(errno),
                Err(_) => break,
            }
        }
        done += put as i64;
        offset += put as i64;
        left -= put;
        if put < got {
            break;
        }
    }
    Ok(done)
}

/// FIEMAP, in IO::AIO's manner: `count` None asks in steps until the last
/// extent (or the end of the range) is seen, which also works around
/// kernels that silently return fewer extents than asked for.
pub fn fiemap(fd: RawFd, start: u64, len: u64, flags: u32, count: Option<u32>) -> Result<Output, Errno> {
    const FIEMAP_EXTENT_LAST: u64 = 0x1;
    const FIEMAP_MAX_OFFSET: u64 = u64::MAX;
    const STEP: u32 = 54;

    let (first, mut all) = fiemap_call(fd, start, len, flags, count.unwrap_or(8))?;
    if count == Some(0) {
        return Ok(Output::Int(first.into()));
    }
    let ends = |list: &[Extent]| list.last().map_or(true, |e| e[3] & FIEMAP_EXTENT_LAST != 0);
    if count.is_some() || ends(&all) {
        return Ok(Output::Extents(all));
    }
    let end = if len == FIEMAP_MAX_OFFSET { len } else { start.saturating_add(len) };
    loop {
        let last = all[all.len() - 1];
        let next = last[0].saturating_add(last[2]);
        if next >= end {
            break;
        }
        let (_, more) = fiemap_call(fd, next, end - next, flags, STEP)?;
        if more.is_empty() {
            break;
        }
        for extent in more {
            all.push(extent);
            if extent[0] >= end || extent[3] & FIEMAP_EXTENT_LAST != 0 {
                return Ok(Output::Extents(all));
            }
        }
    }
    Ok(Output::Extents(all))
}

/// One FIEMAP ioctl: the number of mapped extents and the extents returned.
fn fiemap_call(fd: RawFd, start: u64, len: u64, flags: u32, count: u32) -> Result<(u32, Vec<Extent>), Errno> {
    // struct fiemap: fm_start, fm_length, then fm_flags | fm_mapped_extents,
    // fm_extent_count | fm_reserved; each struct fiemap_extent is 7 words:
    // fe_logical, fe_physical, fe_length, 2 reserved, fe_flags | reserved.
    const HEADER: usize = 4;
    const EXTENT: usize = 7;
    // a count too large to allocate fails the request, as IO::AIO's malloc does
    let words = (count as usize).checked_mul(EXTENT).and_then(|n| n.checked_add(HEADER)).ok_or(Errno(libc::ENOMEM))?;
    let mut buf = sys::zeroed_words(words)?;
    buf[0] = start;
    buf[1] = len;
    buf[2] = u64::from(flags);
    buf[3] = u64::from(count);
    if cfg!(target_endian = "big") {
        buf[2] <<= 32;
        buf[3] <<= 32;
    }
    sys::ioctl_fiemap(fd, &mut buf)?;
    let low = |word: u64| if cfg!(target_endian = "big") { word >> 32 } else { word & 0xffff_ffff } as u32;
    let high = |word: u64| if cfg!(target_endian = "big") { word & 0xffff_ffff } else { word >> 32 } as u32;
    let mapped = high(buf[2]);
    let extents = buf[HEADER..]
        .chunks_exact(EXTENT)
        .take(mapped.min(count) as usize)
        .map(|e| [e[0], e[1], e[2], u64::from(low(e[5]))])
        .collect();
    Ok((mapped, extents))
}

pub fn fcntl(fd: RawFd, cmd: i32, arg: &CtlArg) -> Result<i64, Errno> {
    // SAFETY: a buffer argument is a `ForeignBuf` (sized by the glue as
    // Perl's own fcntl does); what the command does is the Perl caller's
    // choice and risk, as with perl's fcntl and IO::AIO's aio_fcntl.
    unsafe { sys::fcntl(fd, cmd, ctl_arg(arg)) }
}

pub fn ioctl(fd: RawFd, request: u64, arg: &CtlArg) -> Result<i64, Errno> {
    // SAFETY: as for `fcntl`.
    unsafe { sys::ioctl(fd, request, ctl_arg(arg)) }
}

fn ctl_arg(arg: &CtlArg) -> usize {
    match arg {
        CtlArg::Int(value) => *value as usize,
        CtlArg::Buf(buf) => buf.ptr() as usize,
    }
}

/// syncfs, or sync() plus ENOSYS where the kernel lacks it (IO::AIO's rule).
pub fn syncfs(fd: RawFd) -> Result<i64, Errno> {
    let result = sys::syncfs(fd);
    if result == Err(Errno(libc::ENOSYS)) && fd >= 0 {
        sys::sync();
    }
    result
}

/// sync_file_range, falling back to fdatasync where the kernel lacks it.
pub fn sync_file_range(fd: RawFd, offset: i64, nbytes: usize, flags: u32) -> Result<i64, Errno> {
    match sys::sync_file_range(fd, offset, nbytes, flags) {
        Err(Errno(libc::ENOSYS)) => sys::fdatasync(fd),
        other => other,
    }
}

/// Opens `path`, reads `len` bytes at `offset` (negative: from the end;
/// `len` 0: up to the end) into `buf` or a new buffer, and closes it.
pub fn slurp(path: &At, offset: i64, len: usize, buf: Option<&ForeignBuf>) -> Result<Output, Errno> {
    let fd = sys::open_at(path.dir, &path.path, libc::O_RDONLY, 0)?;
    let result = slurp_fd(fd, offset, len, buf);
    // SAFETY: opened above, used by nobody else.
    unsafe { sys::close(fd) };
    result
}

fn slurp_fd(fd: RawFd, mut offset: i64, mut len: usize, buf: Option<&ForeignBuf>) -> Result<Output, Errno> {
    if offset < 0 || len == 0 {
        let size = sys::lseek(fd, 0, libc::SEEK_END)?;
        if offset < 0 {
            offset += size;
        }
        if offset < 0 {
            return Err(Errno(libc::EINVAL));
        }
        if len == 0 {
            // Past the end of the file IO::AIO's size_t wraps and its
            // allocation fails: the same error here.
            len = usize::try_from(size - offset).map_err(|_| Errno(libc::ENOMEM))?;
        }
    }
    match buf {
        Some(buf) => {
            let buf = buf.prefix(len);
            let mut done = 0;
            while done < buf.len() {
                match sys::pread_buf(fd, &buf, done, offset + done as i64)? {
                    0 => break,
                    n => done += n as usize,
                }
            }
            Ok(Output::Int(done as i64))
        }
        None => {
            let mut data = Vec::new();
            data.try_reserve_exact(len).map_err(|_| Errno(libc::ENOMEM))?;
            data.resize(len, 0);
            let mut done = 0;
            while done < len {
                match sys::pread_into(fd, &mut data[done..], offset + done as i64)? {
                    0 => break,
                    n => done += n as usize,
                }
            }
            data.truncate(done);
            Ok(Output::Data(data))
        }
    }
}

/// Widens `mem` to whole pages, as the memory syscalls want them.
fn page_aligned(mem: &ForeignBuf) -> ForeignBuf {
    let mask = sys::page_size() - 1;
    let addr = mem.ptr() as usize;
    let start = addr & !mask;
    let len = (mem.len() + (addr - start) + mask) & !mask;
    // SAFETY: whole pages around the caller's pinned memory, mapped as a
    // whole for as long as it is; the memory syscalls and `touch_pages`
    // only fault them in or write back what they read.
    unsafe { ForeignBuf::new(start as *mut u8, len) }
}

pub fn msync(mem: &ForeignBuf, flags: i32) -> Result<i64, Errno> {
    sys::msync(&page_aligned(mem), flags)
}

pub fn mlock(mem: &ForeignBuf) -> Result<i64, Errno> {
    sys::mlock(&page_aligned(mem))
}

pub fn mtouch(mem: &ForeignBuf, modify: bool, req: &Request) -> Result<i64, Errno> {
    if !mem.is_empty() {
        sys::touch_pages(&page_aligned(mem), sys::page_size(), modify, || req.is_cancelled())?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn temp_file(contents: &[u8]) -> (std::fs::File, std::path::PathBuf) {
        let path = std::env::temp_dir().join(format!("aiors-files-{}-{}", std::process::id(), contents.len()));
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(contents).unwrap();
        (std::fs::File::open(&path).unwrap(), path)
    }

    #[test]
    fn page_alignment_covers_the_buffer() {
        let page = sys::page_size();
        // SAFETY: only the addresses are computed; nothing accesses them.
        let mem = unsafe { ForeignBuf::new((page * 10 + 5) as *mut u8, page) };
        let aligned = page_aligned(&mem);
        assert_eq!(aligned.ptr() as usize, page * 10);
        assert_eq!(aligned.len(), 2 * page);
        // SAFETY: as above.
        let empty = page_aligned(&unsafe { ForeignBuf::new((page * 3) as *mut u8, 0) });
        assert_eq!(empty.len(), 0);
    }

    #[test]
    fn sendfile_emulates_into_a_pipe_and_copies_into_a_file() {
        use std::os::unix::io::AsRawFd;
        let data: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let (input, path) = temp_file(&data);
        let out_path = path.with_extension("out");
        // O_APPEND makes Linux sendfile fail with EINVAL: the emulation runs
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&out_path).unwrap();
        assert_eq!(sendfile(out.as_raw_fd(), input.as_raw_fd(), 10, 150_000), Ok(150_000));
        assert_eq!(std::fs::read(&out_path).unwrap(), &data[10..150_010]);
        assert_eq!(sendfile(out.as_raw_fd(), input.as_raw_fd(), 0, 0), Ok(0));
        assert_eq!(sendfile(-1, input.as_raw_fd(), 0, 10), Err(Errno(libc::EBADF)));
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(&out_path).unwrap();
    }

    #[test]
    fn sendfile_between_files_copies_from_the_offset_to_the_file_position() {
        use std::io::{Seek, SeekFrom};
        use std::os::unix::io::AsRawFd;
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (mut input, path) = temp_file(&data);
        let out_path = path.with_extension("copy");
        let mut out = std::fs::File::create(&out_path).unwrap();
        out.seek(SeekFrom::Start(5)).unwrap();
        assert_eq!(sendfile(out.as_raw_fd(), input.as_raw_fd(), 7, 200_000), Ok(200_000));
        assert_eq!(out.stream_position().unwrap(), 200_005, "the output position moved");
        assert_eq!(input.stream_position().unwrap(), 0, "the input position did not");
        // asking beyond the end copies what there is
        assert_eq!(sendfile(out.as_raw_fd(), input.as_raw_fd(), 299_990, 100), Ok(10));
        let copied = std::fs::read(&out_path).unwrap();
        assert_eq!(&copied[..5], &[0; 5]);
        assert_eq!(&copied[5..200_005], &data[7..200_007]);
        assert_eq!(&copied[200_005..], &data[299_990..]);
        // from procfs, where some kernels' copy_file_range copies nothing
        let proc = std::fs::File::open("/proc/self/stat").unwrap();
        out.set_len(0).unwrap();
        out.seek(SeekFrom::Start(0)).unwrap();
        assert!(sendfile(out.as_raw_fd(), proc.as_raw_fd(), 0, COPY_RANGE_MIN).unwrap() > 0);
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(&out_path).unwrap();
    }

    #[test]
    fn slurp_reads_ranges() {
        let (_file, path) = temp_file(b"0123456789");
        let at = At { dir: libc::AT_FDCWD, path: std::ffi::CString::new(path.to_str().unwrap()).unwrap() };
        let data = |r: Result<Output, Errno>| match r {
            Ok(Output::Data(d)) => d,
            other => panic!("{other:?}"),
        };
        assert_eq!(data(slurp(&at, 0, 0, None)), b"0123456789");
        assert_eq!(data(slurp(&at, -3, 0, None)), b"789");
        assert_eq!(data(slurp(&at, 2, 3, None)), b"234");
        assert!(matches!(slurp(&at, 20, 0, None), Err(Errno(libc::ENOMEM))));
        assert_eq!(data(slurp(&at, 10, 0, None)), b"");
        assert_eq!(data(slurp(&at, 20, 5, None)), b"");
        assert!(matches!(slurp(&at, -20, 0, None), Err(Errno(libc::EINVAL))));
        let mut buf = [0u8; 4];
        // SAFETY: `buf` outlives the synchronous slurp.
        let fb = unsafe { ForeignBuf::new(buf.as_mut_ptr(), 4) };
        assert!(matches!(slurp(&at, 5, 4, Some(&fb)), Ok(Output::Int(4))));
        assert_eq!(&buf, b"5678");
        std::fs::remove_file(&path).unwrap();
        let gone = At { dir: libc::AT_FDCWD, path: std::ffi::CString::new("/nonexistent/aiors").unwrap() };
        assert!(matches!(slurp(&gone, 0, 0, None), Err(Errno(libc::ENOENT))));
    }
}

//! The path and stat family: statvfs, utime, chown, chmod, truncate,
//! mknod, link, symlink, rename, readlink, realpath and working
//! directories (`aio_wd`).

use std::ffi::CStr;

use crate::request::{At, Errno, Output, Target};
use crate::sys;

/// IO::AIO's buffer size for paths and link contents (libeio's
/// EIO_PATH_MAX: PATH_MAX, but at least 8160).
pub const PATH_MAX: usize = if (libc::PATH_MAX as usize) < 8160 { 8160 } else { libc::PATH_MAX as usize };

/// IO::AIO follows at most this many symlinks (minus one) in `realpath`.
const MAX_SYMLINKS: u32 = 32;

pub fn statvfs(target: &Target) -> Result<Output, Errno> {
    let st = match target {
        Target::Fd(fd) => sys::fstatvfs(*fd)?,
        Target::Path(path) => {
            let fd = sys::open_path_at(path.dir, &path.path, 0)?;
            sys::fstatvfs(std::os::unix::io::AsRawFd::as_raw_fd(&fd))?
        }
    };
    Ok(Output::Statvfs(st))
}

/// Converts IO::AIO's (possibly fractional) seconds into a timespec the way
/// IO::AIO does: whole seconds truncated towards zero, the rest in ns (so
/// negative fractions give a negative, invalid tv_nsec).
pub fn timespec(secs: f64) -> libc::timespec {
    if secs.is_nan() {
        // No time at all: an invalid timespec, refused with EINVAL as
        // IO::AIO's conversion of NaN is.
        return libc::timespec { tv_sec: 0, tv_nsec: -1 };
    }
    let whole = secs as libc::time_t;
    libc::timespec { tv_sec: whole, tv_nsec: ((secs - whole as f64) * 1e9) as libc::c_long }
}

/// `aio_utime`'s times: both -1 (undef) means "now" for both.
pub fn utime_times(atime: f64, mtime: f64) -> Option<[libc::timespec; 2]> {
    (atime != -1.0 || mtime != -1.0).then(|| [timespec(atime), timespec(mtime)])
}

pub fn utime(target: &Target, times: Option<&[libc::timespec; 2]>) -> Result<i64, Errno> {
    match target {
        Target::Fd(fd) => sys::utimens(-1, None, *fd, times),
        Target::Path(path) => sys::utimens(path.dir, Some(&path.path), -1, times),
    }
}

pub fn chown(target: &Target, uid: u32, gid: u32) -> Result<i64, Errno> {
    match target {
        Target::Fd(fd) => sys::fchown(*fd, uid, gid),
        Target::Path(path) => sys::fchownat(path.dir, &path.path, uid, gid),
    }
}

pub fn chmod(target: &Target, mode: u32) -> Result<i64, Errno> {
    match target {
        Target::Fd(fd) => sys::fchmod(*fd, mode),
        Target::Path(path) => sys::fchmodat(path.dir, &path.path, mode),
    }
}

/// A path is truncated through a descriptor opened for writing, as IO::AIO
/// does (so a directory fails with EISDIR, a FIFO without reader ENXIO).
pub fn truncate(target: &Target, length: i64) -> Result<i64, Errno> {
    match target {
        Target::Fd(fd) => sys::ftruncate(*fd, length),
        Target::Path(path) => {
            let fd = sys::open_owned(path.dir, &path.path, libc::O_WRONLY | libc::O_NONBLOCK, 0)?;
            sys::ftruncate(std::os::unix::io::AsRawFd::as_raw_fd(&fd), length)
        }
    }
}

pub fn readlink(path: &At) -> Result<Output, Errno> {
    let mut buf = vec![0u8; PATH_MAX];
    let len = sys::readlinkat(path.dir, &path.path, &mut buf)?;
    if len >= PATH_MAX {
        return Err(Errno(libc::ENAMETOOLONG));
    }
    buf.truncate(len);
    Ok(Output::Bytes(buf))
}

/// The canonical absolute form of `path`: symlinks, `.`, `..` and repeated
/// slashes resolved component by component (as IO::AIO does, `..` never
/// climbs above `/`, and every component must exist).  A relative path
/// starts at `base`, or at the process's cwd if there is none.
pub fn realpath(path: &CStr, base: Option<&CStr>) -> Result<Vec<u8>, Errno> {
    realpath_with(path.to_bytes(), base.map(CStr::to_bytes), &mut |p: &CStr, buf: &mut [u8]| {
        sys::readlinkat(libc::AT_FDCWD, p, buf)
    })
}

/// readlink(2): the link's contents into the buffer, returning their length.
type ReadlinkFn<'a> = dyn FnMut(&CStr, &mut [u8]) -> Result<usize, Errno> + 'a;

/// `realpath` with the readlink(2) call supplied, for testing.
fn realpath_with(path: &[u8], base: Option<&[u8]>, readlink: &mut ReadlinkFn) -> Result<Vec<u8>, Errno> {
    if path.is_empty() {
        return Err(Errno(libc::ENOENT));
    }

    // `res` is the resolved prefix, without a trailing slash ("" for "/").
    let mut res: Vec<u8> = Vec::with_capacity(PATH_MAX);
    if path[0] != b'/' {
        let start = match base {
            Some(base) => base.to_vec(),
            None => sys::getcwd(PATH_MAX)?,
        };
        if start != b"/" {
            res = start;
        }
    }

    // what is left to resolve
    let mut rest: Vec<u8> = path.to_vec();
    let mut pos = 0;
    let mut symlinks_left = MAX_SYMLINKS;
    let mut link = vec![0u8; PATH_MAX];

    while pos < rest.len() {
        let end = rest[pos..].iter().position(|&b| b == b'/').map_or(rest.len(), |i| pos + i);
        let component = &rest[pos..end];
        pos = end;

        match component {
            b"" => {
                pos += 1; // a slash
                continue;
            }
            b"." => continue,
            b".." => {
                let cut = res.iter().rposition(|&b| b == b'/').unwrap_or(0);
                res.truncate(cut);
                continue;
            }
            _ => {}
        }

        if res.len() + 1 + component.len() + 1 >= PATH_MAX {
            return Err(Errno(libc::ENAMETOOLONG));
        }

        let before = res.len();
        res.push(b'/');
        res.extend_from_slice(component);

        // a NUL byte cannot occur: `path` and `base` came from C strings,
        // and the kernel's link contents never hold one
        let candidate = std::ffi::CString::new(res.clone()).map_err(|_| Errno(libc::ENOENT))?;
        match readlink(&candidate, &mut link) {
            Err(Errno(libc::EINVAL)) => {} // not a symlink: keep it
            Err(errno) => return Err(errno),
            Ok(len) => {
                let remaining = rest.len() - pos;
                if len + 1 + remaining >= PATH_MAX {
                    return Err(Errno(libc::ENAMETOOLONG));
                }
                symlinks_left -= 1;
                if symlinks_left == 0 {
                    return Err(Errno(libc::ELOOP));
                }

                // continue with the link's contents, then what followed it
                let target = &link[..len];
                res.truncate(if target.first() == Some(&b'/') { 0 } else { before });
                let mut next = Vec::with_capacity(len + 1 + remaining);
                next.extend_from_slice(target);
                next.push(b'/');
                next.extend_from_slice(&rest[pos..]);
                rest = next;
                pos = 0;
            }
        }
    }

    if res.is_empty() {
        res.push(b'/');
    }
    Ok(res)
}

/// `aio_wd`: canonicalise first (so the object knows its absolute path),
/// then open the directory itself.
pub fn wd_open(path: &At, base: Option<&CStr>) -> Result<Output, Errno> {
    let canonical = realpath(&path.path, base)?;
    let fd = sys::open_path_at(path.dir, &path.path, libc::O_DIRECTORY)?;
    Ok(Output::Wd { fd, path: canonical })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Resolves against a fake file system: `links` maps paths to link
    /// contents, `dirs` lists what exists besides the links.
    fn resolve(path: &str, base: Option<&str>, links: &[(&str, &str)], exists: &[&str]) -> Result<String, i32> {
        let links: HashMap<&str, &str> = links.iter().copied().collect();
        let mut readlink = |p: &CStr, buf: &mut [u8]| {
            let p = p.to_str().unwrap();
            if let Some(target) = links.get(p) {
                buf[..target.len()].copy_from_slice(target.as_bytes());
                Ok(target.len())
            } else if exists.contains(&p) {
                Err(Errno(libc::EINVAL))
            } else {
                Err(Errno(libc::ENOENT))
            }
        };
        realpath_with(path.as_bytes(), base.map(str::as_bytes), &mut readlink)
            .map(|v| String::from_utf8(v).unwrap())
            .map_err(|Errno(e)| e)
    }

    #[test]
    fn plain_paths() {
        let dirs = ["/a", "/a/b", "/a/b/c"];
        assert_eq!(resolve("/a//b/./c/", None, &[], &dirs), Ok("/a/b/c".into()));
        assert_eq!(resolve("/a/b/../b/c/..", None, &[], &dirs), Ok("/a/b".into()));
        assert_eq!(resolve("/../../a", None, &[], &dirs), Ok("/a".into()));
        assert_eq!(resolve("/", None, &[], &dirs), Ok("/".into()));
        assert_eq!(resolve("/a/..", None, &[], &dirs), Ok("/".into()));
        assert_eq!(resolve("/a/x/..", None, &[], &dirs), Err(libc::ENOENT));
        assert_eq!(resolve("", None, &[], &dirs), Err(libc::ENOENT));
    }

    #[test]
    fn relative_to_base() {
        let dirs = ["/a", "/a/b", "/c"];
        assert_eq!(resolve("b", Some("/a"), &[], &dirs), Ok("/a/b".into()));
        assert_eq!(resolve(".", Some("/a"), &[], &dirs), Ok("/a".into()));
        assert_eq!(resolve("c", Some("/"), &[], &dirs), Ok("/c".into()));
        assert_eq!(resolve("/c", Some("/a"), &[], &dirs), Ok("/c".into()));
    }

    #[test]
    fn symlinks() {
        let dirs = ["/a", "/a/b", "/t", "/t/x"];
        let links = [("/a/rel", "b"), ("/a/abs", "/t"), ("/a/up", "../t/x"), ("/l1", "/l2"), ("/l2", "/l1")];
        assert_eq!(resolve("/a/rel", None, &links, &dirs), Ok("/a/b".into()));
        assert_eq!(resolve("/a/abs/x", None, &links, &dirs), Ok("/t/x".into()));
        assert_eq!(resolve("/a/up/..", None, &links, &dirs), Ok("/t".into()));
        assert_eq!(resolve("/l1", None, &links, &dirs), Err(libc::ELOOP));
    }

    #[test]
    fn symlink_limit() {
        // a chain of 31 links resolves, 32 do not
        let names: Vec<String> = (0..=32).map(|i| format!("/s{i}")).collect();
        let links: Vec<(&str, &str)> = names.windows(2).map(|w| (w[0].as_str(), w[1].as_str())).collect();
        let end31 = names[31].clone();
        let end32 = names[32].clone();
        assert_eq!(resolve("/s0", None, &links[..31], &[&end31]), Ok(end31.clone()));
        assert_eq!(resolve("/s0", None, &links[..32], &[&end32]), Err(libc::ELOOP));
    }

    #[test]
    fn too_long() {
        let long = format!("/{}", "x".repeat(PATH_MAX));
        assert_eq!(resolve(&long, None, &[], &[]), Err(libc::ENAMETOOLONG));
    }

    #[test]
    fn utime_conversion() {
        assert!(utime_times(-1.0, -1.0).is_none());
        let [a, m] = utime_times(1000.5, -1.0).unwrap();
        assert_eq!((a.tv_sec, a.tv_nsec), (1000, 500_000_000));
        assert_eq!((m.tv_sec, m.tv_nsec), (-1, 0));
        let t = timespec(-1.5);
        assert_eq!((t.tv_sec, t.tv_nsec), (-1, -500_000_000));
    }
}

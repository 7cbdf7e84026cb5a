//! The descriptor that event loops watch: readable exactly while results
//! wait for `poll_cb`.  An eventfd, or a pipe where eventfd is unavailable.

use std::os::unix::io::RawFd;

use crate::sys;
use crate::types::Errno;

#[derive(Debug)]
pub(crate) struct Notifier {
    read_fd: RawFd,
    /// Equal to `read_fd` for an eventfd.
    write_fd: RawFd,
}

impl Notifier {
    pub fn new() -> Result<Notifier, Errno> {
        Self::with_eventfd().or_else(|_| Self::with_pipe())
    }

    fn with_eventfd() -> Result<Notifier, Errno> {
        let fd = sys::eventfd_nonblocking()?;
        Ok(Notifier { read_fd: fd, write_fd: fd })
    }

    pub fn with_pipe() -> Result<Notifier, Errno> {
        let (read_fd, write_fd) = sys::pipe_nonblocking()?;
        Ok(Notifier { read_fd, write_fd })
    }

    /// Takes over `fds` (as `fds` returns them) from a notifier that is
    /// never dropped: its pool was abandoned.
    pub fn adopt(fds: [RawFd; 2]) -> Notifier {
        Notifier { read_fd: fds[0], write_fd: fds[1] }
    }

    /// Puts a fresh, unsignalled eventfd (or pipe, like the old one) behind
    /// the same descriptor numbers, close-on-exec: a watcher registered on
    /// the number keeps watching, and nothing signalled before shows.  Only
    /// syscalls, so a forked child may call it before anything else runs.
    pub fn renew(&self) -> Result<(), Errno> {
        let fresh = if self.write_fd == self.read_fd { Self::with_eventfd()? } else { Self::with_pipe()? };
        // SAFETY: the notifier owns its descriptors; they keep their numbers.
        unsafe { sys::dup3(fresh.read_fd, self.read_fd) }?;
        if fresh.write_fd != fresh.read_fd {
            // SAFETY: as above.
            unsafe { sys::dup3(fresh.write_fd, self.write_fd) }?;
        }
        Ok(()) // dropping `fresh` closes its own numbers
    }

    pub fn fd(&self) -> RawFd {
        self.read_fd
    }

    /// Whether this is an eventfd (which an io_uring can signal).
    pub fn is_eventfd(&self) -> bool {
        self.read_fd == self.write_fd
    }

    /// Every descriptor of the notifier (one for an eventfd, two for a pipe).
    pub fn fds(&self) -> [RawFd; 2] {
        [self.read_fd, self.write_fd]
    }

    /// Makes the descriptor readable.  Called on the empty → non-empty
    /// transition of the result queue only.
    pub fn signal(&self) {
        // An eventfd takes an 8-byte counter increment; a pipe any byte.
        // A full pipe or a saturated counter is already readable: ignore.
        let _ = sys::write_all(self.write_fd, &1u64.to_ne_bytes());
    }

    /// Makes the descriptor unreadable again.  Called when the result queue
    /// has become empty.
    pub fn drain(&self) {
        let mut buf = [0u8; 64];
        while let Ok(n) = sys::read_into(self.read_fd, &mut buf) {
            if n < buf.len() as i64 {
                break;
            }
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        // SAFETY: the notifier owns its descriptors.
        unsafe { sys::close(self.read_fd) };
        if self.write_fd != self.read_fd {
            // SAFETY: as above.
            unsafe { sys::close(self.write_fd) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readable(fd: RawFd) -> bool {
        let mut buf = [0u8; 8];
        // A non-blocking read that succeeds means it was readable.
        sys::read_into(fd, &mut buf).is_ok()
    }

    #[test]
    fn eventfd_and_pipe_follow_signal_and_drain() {
        for notifier in [Notifier::new().unwrap(), Notifier::with_pipe().unwrap()] {
            assert!(!readable(notifier.fd()));
            notifier.signal();
            notifier.signal();
            notifier.drain();
            assert!(!readable(notifier.fd()));
            notifier.signal();
            assert!(readable(notifier.fd()));
        }
    }

    #[test]
    fn renew_keeps_the_numbers_and_leaves_the_old_object_alone() {
        for notifier in [Notifier::new().unwrap(), Notifier::with_pipe().unwrap()] {
            let fds = notifier.fds();
            // Copies of the old descriptors, as a forked parent holds them.
            // SAFETY: F_DUPFD_CLOEXEC takes no pointer and closes nothing.
            let parent = fds.map(|fd| unsafe { sys::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) }.unwrap() as RawFd);
            notifier.signal();
            notifier.renew().unwrap();
            assert_eq!(notifier.fds(), fds);
            assert!(!readable(notifier.fd()), "the old signal does not show");
            assert!(readable(parent[0]), "the old object keeps its signal");
            notifier.signal();
            assert!(!readable(parent[0]), "the new signal does not reach the old object");
            assert!(readable(notifier.fd()));
            // SAFETY: the test's own duplicates.
            parent.into_iter().for_each(|fd| unsafe { sys::close(fd) });
        }
    }
}

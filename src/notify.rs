//! The descriptor that event loops watch: readable exactly while results
//! wait for `poll_cb`.  An eventfd, or a pipe where eventfd is unavailable.

use std::os::unix::io::RawFd;

use crate::request::Errno;
use crate::sys;

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
        sys::close(self.read_fd);
        if self.write_fd != self.read_fd {
            sys::close(self.write_fd);
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
}

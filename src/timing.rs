//! When a request was submitted, began to execute and was done: what a
//! queued request carries for the statistics (`stats`) while they are
//! collected.  Below `request` and `stats`, so that both can name it.

use std::time::{Duration, Instant};

/// Boxed in its `Job`, so that without collection a request pays a null
/// word.
#[derive(Debug)]
pub(crate) struct Timing {
    /// The collection (see `stats::Collector`) that counted its
    /// submission.
    generation: u32,
    submitted: Instant,
    /// When a worker began to execute it; None if the ring took it as it
    /// was submitted (or it never ran).
    started: Option<Instant>,
    done: Option<Instant>,
}

impl Timing {
    /// A request of collection `generation`, submitted now.
    pub(crate) fn submitted_now(generation: u32) -> Timing {
        Timing { generation, submitted: Instant::now(), started: None, done: None }
    }

    pub(crate) fn generation(&self) -> u32 {
        self.generation
    }

    /// Runs `execute` on a worker thread, stamping its start and end.
    pub(crate) fn time<T>(&mut self, execute: impl FnOnce() -> T) -> T {
        self.started = Some(Instant::now());
        let result = execute();
        self.done = Some(Instant::now());
        result
    }

    /// The ring's completion of the request was reaped.
    pub(crate) fn reaped(&mut self) {
        self.done = Some(Instant::now());
    }

    /// Time queued and time executing, if the request ran; for the ring,
    /// which takes a request as it is submitted, nothing is queued.
    pub(crate) fn times(&self) -> Option<(Duration, Duration)> {
        let done = self.done?;
        let started = self.started.unwrap_or(self.submitted);
        Some((started.saturating_duration_since(self.submitted), done.saturating_duration_since(started)))
    }

    pub(crate) fn on_ring(&self) -> bool {
        self.started.is_none()
    }
}

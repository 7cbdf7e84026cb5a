//! The engine of a drop-in IO::AIO: requests run on a pool of worker
//! threads, results wait in a priority queue until the caller polls them.
//! Nothing here knows about Perl; `ffi` is the C ABI the XS glue uses.

// Crate attributes rather than a [lints] table: cargo before 1.74 ignores that table.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub mod engine;
pub mod ffi;
pub mod group;
mod notify;
pub mod ops;
pub mod pool;
mod queue;
pub mod request;
pub mod stats;
mod sys;
mod timing;
pub mod types;
mod uring;

pub use engine::{Engine, Routes};
pub use pool::{Event, PollEnd, Pool};
pub use request::{At, Errno, Op, Outcome, Output, Pri, Request, Target, Token};

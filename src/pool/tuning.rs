//! Every time and size the pool's heuristics use, in one place, each with
//! the reason (and where there is one, the measurement) behind it.

use std::time::Duration;

/// How long a worker that ran out of work keeps looking for more (yielding
/// the CPU in between) before it sleeps.  Waking a sleeping thread on
/// another CPU costs far more (about 100 µs on small VMs) than this, and
/// only one worker spins at a time.
pub(super) const SPIN: Duration = Duration::from_micros(50);

/// How long of `SPIN` a worker only pauses between looks: a yield is a
/// syscall (about 1 µs on a VM), and a request submitted right after a
/// result (a round trip) should be taken before its submitter sleeps.
pub(super) const SPIN_PAUSING: Duration = Duration::from_micros(5);

/// How long a worker in a stream of requests waits for more to gather.
pub(super) const STREAM_GATHER: Duration = Duration::from_micros(4);

/// A busy thread that finished a batch this recently is expected back for
/// the next one before a sleeping thread could be woken.
pub(super) const QUICK: Duration = Duration::from_micros(50);

/// How long a `poll_cb` round that handed out every waiting result keeps
/// looking for more while workers are running requests and more are
/// queued or were submitted by the round's callbacks (a stream; not for a
/// lone request beside long-running ones).  A result that arrives meanwhile is handed out in the same round: far cheaper than
/// returning to the event loop for it (reset the descriptor, sleep in
/// select, be woken by the worker's write: 10-20 µs on small VMs), and it
/// lets the callbacks overlap with the workers' syscalls.
pub(super) const LINGER: Duration = Duration::from_micros(20);

/// Without `max_poll_time`, a `poll_cb` round hands out every result that
/// waited when it began, and those that arrive meanwhile only until it has
/// lasted this long: a stream of results (a feeder keeping workers busy)
/// must not keep the event loop from its timers and other descriptors.
/// The descriptor stays readable for the results left.
pub(super) const ROUND_LIMIT: Duration = Duration::from_millis(1);

/// How long a submission waits for its result when a worker spinning for
/// work takes it at once and no other result waits: a request as quick as
/// a cached `stat` is then done before the caller reaches its event loop,
/// which finds the descriptor readable instead of sleeping until the
/// worker's write wakes it (a sleep and a cross-CPU wakeup: 5-10 µs here).
pub(super) const QUICK_RESULT: Duration = Duration::from_micros(3);

/// After this many misses in a row (requests slower than `QUICK_RESULT`),
/// waiting is tried only once per `2^QUICK_MISSES_MAX` chances, so slow
/// requests cost the submitter almost nothing.
pub(super) const QUICK_MISSES_MAX: u32 = 6;

/// How often a sleeper on watch looks for requests that submitters left to
/// busy threads (which may have stalled since).  One sleeper keeps watch,
/// and only while others are busy; a watch that finds nothing ends, so an
/// idle pool sleeps without timers.
pub(super) const SENTRY: Duration = Duration::from_millis(1);

/// A request that ran this long is slow (it blocked, on the disk say): the
/// rest of its worker's batch goes back to the queue, and the worker takes
/// one request at a time until a batch runs quickly again.  Cached
/// requests take 1-20 µs; a read from the disk, 100 µs and more.
pub(super) const SLOW_REQUEST: Duration = Duration::from_micros(50);

/// Requests outstanding at once from which memory is given back to the
/// system after they are done.  Smaller bursts keep theirs for the next
/// (some 7 MiB more than IO::AIO keeps after 60,000 stats; it keeps every
/// burst's): a program that stats 20,000 files at a time would otherwise
/// fault it in again every time, which cost the polling thread about 20%
/// of its time in such storms.
pub(super) const BURST: usize = 64 * 1024;

/// Outstanding requests from which the polling thread makes room in the
/// result queue for all of their results, so that workers never grow it:
/// memory a worker allocates lands in its thread's malloc arena, whose top
/// `malloc_trim` does not give back (megabytes after a million requests).
/// Room that is never used costs no resident memory.
pub(super) const RESERVE_FROM: usize = 1024;

/// Most requests a worker takes from the queue at once.
pub(super) const MAX_BATCH: usize = 16;

//! Drives the C ABI the way the XS glue does: make requests, keep a record
//! in their user area (here: a number naming them), submit, poll events,
//! read results, free handles.

// the same lints as src/lib.rs (a crate of its own)
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

use std::os::raw::c_int;
use std::ptr;

use aiors::ffi::*;
use aiors::Pool;

fn new_pool() -> *mut Pool {
    let mut err = 0;
    // SAFETY: `err` is writable.
    let pool = unsafe { aiors_pool_new(&mut err) };
    assert!(!pool.is_null(), "pool: errno {err}");
    pool
}

/// A new request named `name` (kept in its user area, whose address the
/// events' tokens are).
fn named(name: usize, group: bool) -> *mut AiorsReq {
    let req = aiors_req_new(0, c_int::from(group));
    assert!(!req.is_null());
    // SAFETY: a live handle; its user area holds AIORS_REQ_USER_SIZE bytes, zeroed.
    unsafe {
        let user = aiors_req_user(req).cast::<usize>();
        assert_eq!(*user, 0, "zeroed");
        *user = name;
    }
    req
}

/// The name of the request whose token this is.
///
/// # Safety
/// `token` must come from an event of the last `aiors_poll_next`.
unsafe fn name_of(token: usize) -> usize {
    // SAFETY: the request stays alive until the next poll at least.
    unsafe { *(token as *const usize) }
}

fn empty_event() -> AiorsEvent {
    AiorsEvent { kind: 0, cancelled: 0, token: 0, result: 0, errno: 0 }
}

/// Polls until nothing is outstanding; returns (kind, name, cancelled,
/// result, errno) of each event, and gives `on_event` the name too.
fn drain(pool: *mut Pool, mut on_event: impl FnMut(usize, &AiorsEvent)) -> Vec<(c_int, usize, c_int, i64, c_int)> {
    let mut seen = Vec::new();
    // SAFETY: `pool` is live and used by this thread only.
    unsafe {
        while aiors_nreqs(pool) > 0 {
            aiors_wait(pool);
            aiors_poll_begin(pool);
            let mut event = empty_event();
            while aiors_poll_next(pool, &mut event) == 1 {
                let name = name_of(event.token);
                on_event(name, &event);
                seen.push((event.kind, name, event.cancelled, event.result, event.errno));
            }
        }
    }
    seen
}

#[test]
fn tokens_come_back_once_with_results() {
    let pool = new_pool();
    let path = b"/";
    let missing = b"/nonexistent-aiors";
    let handles = [1, 2, 3, 4].map(|name| named(name, false));
    // SAFETY: live pool and handles, valid byte ranges.
    unsafe {
        assert_eq!(aiors_submit_nop(pool, handles[0]), 1);
        assert_eq!(aiors_submit_stat_path(pool, handles[1], libc::AT_FDCWD, path.as_ptr().cast(), path.len(), 1), 1);
        let stat_missing =
            aiors_submit_stat_path(pool, handles[2], libc::AT_FDCWD, missing.as_ptr().cast(), missing.len(), 1);
        assert_eq!(stat_missing, 1);
        assert_eq!(aiors_submit_stat_path(pool, handles[3], libc::AT_FDCWD, b"a\0b".as_ptr().cast(), 3, 1), 1);
        assert_eq!(aiors_submit_nop(pool, handles[0]), 0, "a request is submitted once");
        assert_eq!(aiors_submit_group(pool, handles[1]), 0, "only a group starts as one");
    }
    let mut stat_was_dir = false;
    let mut events = drain(pool, |name, _| {
        if name == 2 {
            // SAFETY: the stat result is valid until the next poll.
            let st = unsafe { aiors_result_stat(pool).as_ref() }.expect("a stat result");
            stat_was_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
        }
    });
    events.sort_by_key(|e| e.1);
    assert_eq!(
        events,
        [
            (AIORS_EVENT_DONE, 1, 0, 0, 0),
            (AIORS_EVENT_DONE, 2, 0, 0, 0),
            (AIORS_EVENT_DONE, 3, 0, -1, libc::ENOENT),
            (AIORS_EVENT_DONE, 4, 0, -1, libc::ENOENT),
        ]
    );
    assert!(stat_was_dir);
    // SAFETY: each handle is freed once; the pool last.
    unsafe {
        handles.into_iter().for_each(|h| aiors_req_free(h));
        aiors_pool_free(pool);
    }
}

#[test]
fn groups_feed_and_finish_after_members_and_cancel_reaches_members() {
    let pool = new_pool();
    // SAFETY: live pool and handles; freed at the end.
    unsafe {
        aiors_set_max_parallel(pool, 1);
        let grp = named(100, true);
        assert_eq!(aiors_submit_nop(pool, grp), 0, "a group runs no operation");
        assert_eq!(aiors_submit_group(pool, grp), 1);
        aiors_grp_set_limit(grp, 2);
        aiors_grp_set_feeder(grp, 1);
        let mut members = Vec::new();
        let mut fed = 0;
        // The glue's feeder loop: call the feeder while the engine wants.
        let mut feed = |members: &mut Vec<_>| loop {
            if fed < 3 {
                fed += 1;
                let member = named(fed, false);
                assert_eq!(aiors_submit_nop(pool, member), 1);
                assert_eq!(aiors_grp_add(grp, member), AIORS_ADD_OK);
                members.push(member);
            }
            if aiors_grp_feed_end(grp) == 0 || aiors_grp_feed_begin(grp) == 0 {
                break;
            }
        };
        // Setting a feeder feeds at once, as `$grp->feed` does.
        if aiors_grp_feed_begin(grp) != 0 {
            feed(&mut members);
        }
        assert_eq!(members.len(), 2, "fed up to the limit");
        let events = drain(pool, |_, event| {
            if event.kind == AIORS_EVENT_FEED {
                feed(&mut members);
            }
        });
        let done: Vec<_> = events.iter().filter(|e| e.0 == AIORS_EVENT_DONE).map(|e| e.1).collect();
        assert_eq!(done.last(), Some(&100), "the group finishes last: {done:?}");
        assert_eq!(done.len(), 4);
        let late = named(7, false);
        assert_eq!(aiors_submit_nop(pool, late), 1);
        assert_eq!(aiors_grp_add(grp, late), AIORS_ADD_GROUP_FINISHED);

        let (outer, busy, queued) = (named(200, true), named(201, false), named(202, false));
        assert_eq!(aiors_submit_group(pool, outer), 1);
        assert_eq!(aiors_submit_busy(pool, busy, 0.05), 1);
        assert_eq!(aiors_submit_nop(pool, queued), 1);
        assert_eq!(aiors_grp_add(outer, queued), AIORS_ADD_OK);
        assert_eq!(aiors_grp_add(queued, outer), AIORS_ADD_NOT_A_GROUP);
        aiors_req_cancel(outer);
        let events = drain(pool, |_, _| {});
        let cancelled: Vec<_> = events.iter().filter(|e| e.2 == 1).map(|e| e.1).collect();
        assert!(cancelled.contains(&200) && cancelled.contains(&202), "{events:?}");

        for handle in members.into_iter().chain([grp, late, outer, busy, queued]) {
            aiors_req_free(handle);
        }
        aiors_pool_free(pool);
    }
}

#[test]
fn null_pointers_are_refused_not_dereferenced() {
    // SAFETY: null handles are documented as accepted.
    unsafe {
        assert_eq!(aiors_nreqs(ptr::null_mut()), 0);
        let req = named(1, false);
        assert_eq!(aiors_submit_nop(ptr::null_mut(), req), 0);
        let pool = new_pool();
        assert_eq!(aiors_submit_nop(pool, ptr::null()), 0);
        aiors_pool_free(pool);
        assert!(aiors_req_user(ptr::null()).is_null());
        aiors_req_free(req);
        aiors_req_cancel(ptr::null());
        aiors_req_free(ptr::null_mut());
        assert_eq!(aiors_poll_next(ptr::null_mut(), ptr::null_mut()), 0);
    }
}

#[test]
fn a_panic_while_handing_out_results_is_reported_not_taken_for_no_result() {
    let pool = new_pool();
    let req = named(1, false);
    let mut event = empty_event();
    let mut message = [0 as std::os::raw::c_char; 64];
    // SAFETY: live pool and handle; `message` is writable for its length.
    unsafe {
        assert_eq!(aiors_submit_nop(pool, req), 1);
        aiors_wait(pool);
        aiors_test_panic_next_poll();
        assert_eq!(aiors_poll_next(pool, &mut event), AIORS_POLL_PANIC);
        assert_eq!(aiors_poll_next(pool, &mut event), AIORS_POLL_PANIC, "until the panic is taken");
        assert_eq!(aiors_poll_followup(pool, &mut event), AIORS_POLL_PANIC);
        let len = aiors_take_panic(message.as_mut_ptr(), message.len());
        let text = std::ffi::CStr::from_ptr(message.as_ptr()).to_str().unwrap();
        assert!(text.starts_with("a panic for a test"), "{text}");
        assert!(len >= text.len());
        assert_eq!(aiors_take_panic(message.as_mut_ptr(), message.len()), 0, "taken");
        assert_eq!(drain(pool, |_, _| {}).len(), 1, "then the result comes");
        aiors_req_free(req);
        aiors_pool_free(pool);
    }
}

/// The statistics as the glue reads them: a snapshot record by record,
/// and the times of each done request.
#[test]
fn statistics_through_the_abi() {
    let pool = new_pool();
    let missing = b"/nonexistent-aiors-stats";
    // SAFETY: a live pool.
    assert!(unsafe { aiors_stats_new(pool) }.is_null(), "off until enabled");
    // SAFETY: a live pool.
    unsafe { aiors_stats_enable(pool) };
    let handles = [1, 2].map(|name| named(name, false));
    // SAFETY: live pool and handles, valid byte ranges.
    unsafe {
        assert_eq!(aiors_submit_nop(pool, handles[0]), 1);
        assert_eq!(
            aiors_submit_stat_path(pool, handles[1], libc::AT_FDCWD, missing.as_ptr().cast(), missing.len(), 1),
            1
        );
    }
    let mut times = Vec::new();
    drain(pool, |name, _| {
        let mut done = AiorsDoneTimes {
            op: ptr::null(),
            op_len: 0,
            queued: -1.0,
            executing: -1.0,
            path: ptr::null(),
            path_len: 0,
            fd: 0,
        };
        // SAFETY: a live pool; the strings are valid until the next poll.
        unsafe {
            assert_eq!(aiors_result_times(pool, &mut done), 1);
            let op = std::slice::from_raw_parts(done.op.cast::<u8>(), done.op_len);
            let path =
                (!done.path.is_null()).then(|| std::slice::from_raw_parts(done.path.cast::<u8>(), done.path_len));
            times.push((
                name,
                op.to_vec(),
                path.map(<[u8]>::to_vec),
                done.fd,
                done.queued >= 0.0 && done.executing >= 0.0,
            ));
        }
    });
    times.sort();
    assert_eq!(times, [(1, b"nop".to_vec(), None, -1, true), (2, b"stat".to_vec(), Some(missing.to_vec()), -1, true)]);
    // SAFETY: a live pool, then a live snapshot with writable records.
    unsafe {
        let stats = aiors_stats_new(pool);
        assert!(!stats.is_null());
        let mut kinds = Vec::new();
        let mut index = 0;
        let mut op = std::mem::zeroed::<AiorsOpStats>();
        while aiors_stats_op(stats, index, &mut op) == 1 {
            let name = std::slice::from_raw_parts(op.name.cast::<u8>(), op.name_len).to_vec();
            if op.submitted > 0 {
                kinds.push((index, name, op.submitted, op.completed, op.failed, op.executing.count));
            }
            index += 1;
        }
        assert_eq!(index, aiors::request::OpKind::ALL.len() + 1, "the total, then every kind");
        let stat_index = kinds.iter().find(|k| k.1 == b"stat").unwrap().0;
        assert_eq!(kinds[0], (0, Vec::new(), 2, 2, 1, 2), "the total comes first");
        assert_eq!(kinds.len(), 3);
        let (mut errno, mut count) = (0, 0);
        assert_eq!(aiors_stats_error(stats, stat_index, 0, &mut errno, &mut count), 1);
        assert_eq!((errno, count), (libc::ENOENT, 1));
        assert_eq!(aiors_stats_error(stats, stat_index, 1, &mut errno, &mut count), 0);
        let mut engine = std::mem::zeroed::<AiorsEngineCounters>();
        aiors_stats_engine(stats, &mut engine);
        assert!(engine.threads_started >= 1, "a worker ran the requests");
        assert!(aiors_stats_elapsed(stats) > 0.0);
        aiors_stats_free(stats);
        aiors_stats_reset(pool);
        let stats = aiors_stats_new(pool);
        assert_eq!(aiors_stats_op(stats, 0, &mut op), 1);
        assert_eq!(op.submitted, 0, "reset");
        aiors_stats_free(stats);
        for req in handles {
            aiors_req_free(req);
        }
        aiors_pool_free(pool);
    }
}

//! Group bookkeeping (`aio_group`, `IO::AIO::GRP`): membership, the feed
//! limit, delayed completion and cancellation.
//!
//! All of it runs on the polling thread; workers never look at groups.  The
//! rules, as IO::AIO defines them:
//! - a group's own request completes at once, but while members are still
//!   outstanding its completion is *delayed* until the last one is done;
//! - a member is done after its callback ran; then the group is fed while it
//!   has fewer members than its limit, and a feeding that adds nothing stops
//!   the feeder for good;
//! - a group that completed (or is delayed with no members) takes no more.
//!
//! Lock order: at most one request's `links` lock is held at a time.

use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};

use crate::request::{GroupState, Links, Request};

/// Why a request cannot join a group.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    NotAGroup,
    GroupFinished,
    InAnotherGroup,
    /// The request is the group itself or one of its enclosing groups.
    Cycle,
}

/// The request's links, made on first use.
fn lock_links(req: &Request) -> MutexGuard<'_, Links> {
    req.links.get_or_init(Box::default).lock().unwrap_or_else(|e| e.into_inner())
}

fn with_group<R>(req: &Request, f: impl FnOnce(&mut GroupState) -> R) -> Option<R> {
    let mut links = lock_links(req);
    links.group.as_deref_mut().map(f)
}

fn parent_of(req: &Request) -> Option<Arc<Request>> {
    let links = lock_links(req);
    links.parent.as_ref().map(|parent| Arc::clone(&parent.0))
}

pub fn is_group(req: &Request) -> bool {
    req.is_group()
}

pub fn add(group: &Arc<Request>, member: &Arc<Request>) -> Result<(), AddError> {
    match with_group(group, |state| state.finished) {
        None => return Err(AddError::NotAGroup),
        Some(true) => return Err(AddError::GroupFinished),
        Some(false) => {}
    }
    // Refuse cycles: the member must not enclose the group.
    let mut ancestor = Some(Arc::clone(group));
    while let Some(current) = ancestor {
        if Arc::ptr_eq(&current, member) {
            return Err(AddError::Cycle);
        }
        ancestor = parent_of(&current);
    }
    {
        let links = lock_links(member);
        if let Some(parent) = &links.parent {
            let current = &parent.0;
            if !Arc::ptr_eq(current, group) {
                return Err(AddError::InAnotherGroup);
            }
            drop(links);
            // Adding a member twice counts as progress for the feeder only.
            with_group(group, |state| state.added = true);
            return Ok(());
        }
    }
    let slot = with_group(group, |state| {
        state.added = true;
        state.size += 1;
        match state.free_slots.pop() {
            Some(slot) => {
                state.members[slot] = Some(Arc::clone(member));
                slot
            }
            None => {
                state.members.push(Some(Arc::clone(member)));
                state.members.len() - 1
            }
        }
    })
    .ok_or(AddError::NotAGroup)?;
    lock_links(member).parent = Some((Arc::clone(group), slot));
    member.in_group.store(true, Ordering::Relaxed);
    Ok(())
}

/// Removes a finished request from its group; returns the group.
pub(crate) fn detach(member: &Request) -> Option<Arc<Request>> {
    if !member.in_group.swap(false, Ordering::Relaxed) {
        return None;
    }
    let (group, slot) = lock_links(member).parent.take()?;
    with_group(&group, |state| {
        state.members[slot] = None;
        state.free_slots.push(slot);
        state.size -= 1;
        if state.size == 0 {
            // A drained group gives its member table back.
            state.members = Vec::new();
            state.free_slots = Vec::new();
        }
    });
    Some(group)
}

fn members(group: &Request) -> Vec<Arc<Request>> {
    with_group(group, |state| state.members.iter().flatten().cloned().collect()).unwrap_or_default()
}

/// Cancels `req` and, if it is a group, everything inside it.
pub fn cancel(req: &Request) {
    req.mark_cancelled();
    cancel_members(req);
}

/// Cancels every member (recursively) but not the group; stops feeding.
pub fn cancel_members(group: &Request) {
    with_group(group, |state| state.has_feeder = false);
    let mut todo = members(group);
    while let Some(req) = todo.pop() {
        req.mark_cancelled();
        todo.extend(members(&req));
    }
}

/// Whether the group's completion was handed out: it takes no more
/// members.
pub fn is_finished(group: &Request) -> bool {
    with_group(group, |state| state.finished).unwrap_or(false)
}

pub fn set_limit(group: &Request, limit: i32) {
    with_group(group, |state| state.limit = limit);
}

pub fn limit(group: &Request) -> i32 {
    with_group(group, |state| state.limit).unwrap_or(0)
}

pub fn set_feeder(group: &Request, present: bool) {
    with_group(group, |state| state.has_feeder = present);
}

/// Whether the feeder should be called now; if so, starts a feeding round.
pub fn feed_begin(group: &Request) -> bool {
    let cancelled = group.is_cancelled();
    with_group(group, |state| {
        let wanted = state.has_feeder && !cancelled && (state.size as i64) < i64::from(state.limit);
        if wanted {
            state.added = false;
        }
        wanted
    })
    .unwrap_or(false)
}

/// Ends a feeding round.  Returns false, and drops the feeder, if the round
/// added nothing.
pub fn feed_end(group: &Request) -> bool {
    with_group(group, |state| {
        if !state.added {
            state.has_feeder = false;
        }
        state.added
    })
    .unwrap_or(false)
}

/// The group's own request came out of the result queue.  Returns true if
/// it completes now, false if it waits for its members (delayed).
pub(crate) fn on_polled(group: &Request) -> bool {
    with_group(group, |state| {
        if state.size > 0 {
            state.delayed = true;
            false
        } else {
            state.finished = true;
            true
        }
    })
    .unwrap_or(true)
}

/// After a member finished: completes a delayed group that has run empty.
/// Returns true if the group completes now.
pub(crate) fn finish_if_drained(group: &Request) -> bool {
    with_group(group, |state| {
        let done = state.delayed && state.size == 0 && !state.finished;
        if done {
            state.finished = true;
        }
        done
    })
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Pri;

    fn group() -> Arc<Request> {
        Request::new_group(Pri::default())
    }

    fn plain() -> Arc<Request> {
        Request::new(Pri::default())
    }

    #[test]
    fn add_detach_and_delayed_completion() {
        let grp = group();
        let (a, b) = (plain(), plain());
        add(&grp, &a).unwrap();
        add(&grp, &b).unwrap();
        add(&grp, &b).unwrap(); // twice: still one member
        assert!(!on_polled(&grp), "members outstanding: delayed");
        assert!(!is_finished(&grp));
        assert!(Arc::ptr_eq(&detach(&a).unwrap(), &grp));
        assert!(!finish_if_drained(&grp));
        detach(&b);
        assert!(finish_if_drained(&grp));
        assert!(is_finished(&grp));
        assert_eq!(add(&grp, &plain()), Err(AddError::GroupFinished));
    }

    #[test]
    fn refuses_cycles_foreign_members_and_non_groups() {
        let (outer, inner) = (group(), group());
        add(&outer, &inner).unwrap();
        assert_eq!(add(&inner, &outer), Err(AddError::Cycle));
        assert_eq!(add(&inner, &inner), Err(AddError::Cycle));
        let member = plain();
        add(&outer, &member).unwrap();
        assert_eq!(add(&inner, &member), Err(AddError::InAnotherGroup));
        assert_eq!(add(&member, &plain()), Err(AddError::NotAGroup));
        // Members hold their group and groups their members until the
        // members are done: finish them, as polling would.
        detach(&member);
        detach(&inner);
    }

    #[test]
    fn feeding_stops_without_progress_and_when_cancelled() {
        let grp = group();
        set_limit(&grp, 2);
        assert!(!feed_begin(&grp), "no feeder yet");
        set_feeder(&grp, true);
        assert!(feed_begin(&grp));
        let member = plain();
        add(&grp, &member).unwrap();
        assert!(feed_end(&grp));
        assert!(feed_begin(&grp));
        assert!(!feed_end(&grp), "nothing added: feeder dropped");
        assert!(!feed_begin(&grp));
        set_feeder(&grp, true);
        cancel(&grp);
        assert!(!feed_begin(&grp));
        detach(&member);
    }

    #[test]
    fn cancel_reaches_nested_members() {
        let (outer, inner, leaf) = (group(), group(), plain());
        add(&outer, &inner).unwrap();
        add(&inner, &leaf).unwrap();
        cancel_members(&outer);
        assert!(!outer.is_cancelled());
        assert!(inner.is_cancelled() && leaf.is_cancelled());
        detach(&leaf);
        detach(&inner);
    }
}

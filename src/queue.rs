//! A FIFO per priority, highest priority first (IO::AIO's ordering for both
//! the request queue and the result queue).

use std::collections::VecDeque;

use crate::request::Pri;

pub(crate) struct PriQueue<T> {
    levels: [VecDeque<T>; Pri::LEVELS],
    len: usize,
}

impl<T> Default for PriQueue<T> {
    fn default() -> Self {
        PriQueue { levels: std::array::from_fn(|_| VecDeque::new()), len: 0 }
    }
}

impl<T> PriQueue<T> {
    /// Appends `item`; returns true if the queue was empty before.
    pub fn push(&mut self, pri: Pri, item: T) -> bool {
        self.levels[pri.rank()].push_back(item);
        self.len += 1;
        self.len == 1
    }

    /// Removes the oldest item of the highest non-empty priority.
    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        let item = self.levels.iter_mut().find_map(|level| level.pop_front());
        self.len -= 1;
        item
    }

    /// Removes the item `pop` would, if `wanted` accepts it.
    pub fn pop_if(&mut self, wanted: impl FnOnce(&T) -> bool) -> Option<T> {
        let level = self.levels.iter_mut().find(|level| !level.is_empty())?;
        if !wanted(level.front()?) {
            return None;
        }
        self.len -= 1;
        level.pop_front()
    }

    /// Puts `item` back at the head of its priority's FIFO (a worker
    /// returning requests it took but will not run soon).
    pub fn push_front(&mut self, pri: Pri, item: T) {
        self.levels[pri.rank()].push_front(item);
        self.len += 1;
    }

    /// Makes room for `additional` more items of priority `pri`.
    pub fn reserve(&mut self, pri: Pri, additional: usize) {
        self.levels[pri.rank()].reserve(additional);
    }

    /// The number of items per priority level, highest first.
    pub fn lens(&self) -> [usize; Pri::LEVELS] {
        std::array::from_fn(|rank| self.levels[rank].len())
    }

    /// Makes room for `additional[level]` more items per level (as `lens`).
    pub fn reserve_each(&mut self, additional: [usize; Pri::LEVELS]) {
        for (level, more) in self.levels.iter_mut().zip(additional) {
            level.reserve(more);
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether an item of a priority higher than `pri` waits.
    pub fn any_above(&self, pri: Pri) -> bool {
        self.levels[..pri.rank()].iter().any(|level| !level.is_empty())
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Items the levels have room for without growing.
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.levels.iter().map(VecDeque::capacity).sum()
    }

    /// Gives back the memory of drained levels (a burst of a million
    /// requests must not pin their queue's capacity forever).
    pub fn shrink_if_empty(&mut self) {
        if self.len == 0 {
            for level in &mut self.levels {
                if level.capacity() > 64 {
                    *level = VecDeque::new();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highest_priority_first_fifo_within() {
        let mut q = PriQueue::default();
        assert!(q.push(Pri::new(0), "a"));
        assert!(!q.push(Pri::new(-4), "low"));
        q.push(Pri::new(4), "high1");
        q.push(Pri::new(0), "b");
        q.push(Pri::new(4), "high2");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(order, ["high1", "high2", "a", "b", "low"]);
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn room_is_made_per_level() {
        let mut q = PriQueue::default();
        q.push(Pri::new(4), 1);
        q.push(Pri::new(0), 2);
        q.push(Pri::new(0), 3);
        let lens = q.lens();
        assert_eq!((lens[Pri::new(4).rank()], lens[Pri::new(0).rank()], lens.iter().sum::<usize>()), (1, 2, 3));
        q.reserve_each(lens.map(|n| n * 1000));
        q.reserve(Pri::new(-4), 500);
        assert!(q.levels[Pri::new(0).rank()].capacity() >= 2002);
        assert!(q.levels[Pri::new(-4).rank()].capacity() >= 500);
        q.shrink_if_empty();
        assert!(q.levels[Pri::new(0).rank()].capacity() >= 2002, "not empty: kept");
        while q.pop().is_some() {}
        q.shrink_if_empty();
        assert!(q.levels.iter().all(|level| level.capacity() <= 64), "drained: given back");
    }
}

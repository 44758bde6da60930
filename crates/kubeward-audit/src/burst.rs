//! KW1009: bursts of 401/403 answers per user and per source address within a time window.
//!
//! Runs in input order on one thread over the failures the workers found. Memory is bounded:
//! each key keeps at most `threshold` timestamps, and keys quiet for a window are dropped.

use std::collections::{HashMap, VecDeque};

/// What a burst is.
#[derive(Clone, Copy, Debug)]
pub struct BurstRule {
    pub threshold: u32,
    /// Microseconds.
    pub window: i64,
}

impl Default for BurstRule {
    fn default() -> Self {
        BurstRule {
            threshold: 10,
            window: 60_000_000,
        }
    }
}

#[derive(Default)]
struct Window {
    times: VecDeque<i64>,
    /// While in a reported burst: the time of its last failure.
    in_burst: Option<i64>,
    last: i64,
}

/// Per-key windows for one kind of key (user, or source address).
#[derive(Default)]
pub struct Bursts {
    keys: HashMap<String, Window>,
    seen: u64,
}

/// A burst reached its threshold at this failure.
#[derive(Debug, PartialEq, Eq)]
pub struct Burst {
    pub count: u32,
    /// Microseconds between the first and the last failure counted.
    pub span: i64,
}

impl Bursts {
    /// Count one failure of `key` at `time` (microseconds); `Some` when it completes a burst.
    pub fn failure(&mut self, rule: BurstRule, key: &str, time: i64) -> Option<Burst> {
        self.seen += 1;
        if self.seen.is_multiple_of(65_536) {
            // Forget keys quiet for a whole window: they cannot be part of a burst any more.
            self.keys
                .retain(|_, w| time.saturating_sub(w.last) <= rule.window);
        }
        let w = match self.keys.get_mut(key) {
            Some(w) => w,
            None => self.keys.entry(key.to_string()).or_default(),
        };
        w.last = time;
        if let Some(prev) = w.in_burst {
            if time.saturating_sub(prev) <= rule.window {
                w.in_burst = Some(time);
                return None;
            }
            w.in_burst = None;
        }
        while w
            .times
            .front()
            .is_some_and(|first| time.saturating_sub(*first) > rule.window)
        {
            w.times.pop_front();
        }
        w.times.push_back(time);
        while w.times.len() > rule.threshold as usize {
            w.times.pop_front();
        }
        if w.times.len() >= rule.threshold as usize {
            let span = time.saturating_sub(*w.times.front().unwrap_or(&time));
            w.times.clear();
            w.in_burst = Some(time);
            return Some(Burst {
                count: rule.threshold,
                span,
            });
        }
        None
    }

    pub fn keys(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    #[test]
    fn threshold_within_window_reports_once_per_burst() {
        let rule = BurstRule {
            threshold: 3,
            window: 10 * S,
        };
        let mut b = Bursts::default();
        assert_eq!(b.failure(rule, "u", 0), None);
        assert_eq!(b.failure(rule, "u", 4 * S), None);
        assert_eq!(
            b.failure(rule, "u", 8 * S),
            Some(Burst {
                count: 3,
                span: 8 * S
            })
        );
        // Still the same burst: failures keep coming within a window of each other.
        for t in [9, 15, 24, 33] {
            assert_eq!(b.failure(rule, "u", t * S), None);
        }
        // A quiet window ends it; a new burst is reported again.
        assert_eq!(b.failure(rule, "u", 50 * S), None);
        assert_eq!(b.failure(rule, "u", 51 * S), None);
        assert!(b.failure(rule, "u", 52 * S).is_some());
    }

    #[test]
    fn slow_failures_and_other_keys_do_not_add_up() {
        let rule = BurstRule {
            threshold: 3,
            window: 10 * S,
        };
        let mut b = Bursts::default();
        for i in 0..20 {
            assert_eq!(b.failure(rule, "slow", i * 6 * S), None, "{i}");
        }
        assert_eq!(b.failure(rule, "a", 0), None);
        assert_eq!(b.failure(rule, "b", S), None);
        assert_eq!(b.failure(rule, "c", 2 * S), None);
    }

    #[test]
    fn quiet_keys_are_forgotten() {
        let rule = BurstRule {
            threshold: 5,
            window: S,
        };
        let mut b = Bursts::default();
        for i in 0..70_000i64 {
            b.failure(rule, &format!("ip-{i}"), i * S);
        }
        assert!(b.keys() < 70_000 / 2, "{}", b.keys());
    }
}

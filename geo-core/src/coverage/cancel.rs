//! Stopping a computation nobody waits for any more.
//!
//! A server that gives up on a request (its client left, or its time budget ran out) must
//! also stop the CPU work behind it: otherwise abandoned whole-city searches pile up on
//! the worker threads and every later request waits behind them (Valhalla #3823 is that
//! failure). Rust cannot kill a thread, so the long loops of this module poll a
//! [`Cancel`] token and return [`CoverageError::Cancelled`] when it is set.
//!
//! The token is a shared flag plus an optional deadline: no IO, no async, nothing that
//! would tie geo-core to a runtime. Loops poll it through a [`CancelCheck`], which looks at
//! the flag and the clock only once every [`CHECK_EVERY`] steps, so a Dijkstra pays one
//! counter decrement per heap pop (see the coverage bench for the measured cost).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::CoverageError;

/// The one way a cancellable loop fails: its token was cancelled (or its deadline
/// passed). Public entry points turn it into [`CoverageError::Cancelled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the computation was cancelled")]
pub struct Cancelled;

impl From<Cancelled> for CoverageError {
    fn from(_: Cancelled) -> Self {
        CoverageError::Cancelled
    }
}

/// The value of a computation run with [`Cancel::never`], which cannot be cancelled.
pub(crate) fn uncancelled<T>(r: Result<T, Cancelled>) -> T {
    match r {
        Ok(v) => v,
        Err(Cancelled) => unreachable!("a computation under Cancel::never() was cancelled"),
    }
}

/// Steps (heap pops, candidates, cells, …) between two looks at the flag and the clock.
///
/// A heap pop of the walking Dijkstra costs ~50–100 ns, so 1,024 of them are ~0.1 ms
/// between looks: a cancelled search stops well within a millisecond, while the look
/// itself (an atomic load and, with a deadline, a monotonic clock read of ~25 ns) is
/// spread over a thousand pops.
pub const CHECK_EVERY: u32 = 1024;

/// A cancellation token: cloned into a computation, set from anywhere (another thread, a
/// drop guard), and optionally expiring by itself at a deadline.
///
/// [`Cancel::never`] is the token of callers that do not cancel; the plain functions
/// (`coverage`, `suggest_sites`, …) use it, so their results are the same as before.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Option<Arc<AtomicBool>>,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A token that is never cancelled (the checks cost a branch on `None`).
    pub fn never() -> Self {
        Self::default()
    }

    /// A token that is cancelled when [`Self::cancel`] is called on it or a clone.
    pub fn new() -> Self {
        Self {
            flag: Some(Arc::new(AtomicBool::new(false))),
            deadline: None,
        }
    }

    /// The same token (clones share the flag) that also counts as cancelled from
    /// `deadline` on.
    pub fn with_deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(match self.deadline {
            Some(d) => d.min(deadline),
            None => deadline,
        });
        self
    }

    /// Cancels the token and every clone of it. A token made by [`Self::never`] has no
    /// flag and stays uncancelled.
    pub fn cancel(&self) {
        if let Some(flag) = &self.flag {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the token was cancelled or its deadline has passed.
    pub fn is_cancelled(&self) -> bool {
        self.flag
            .as_ref()
            .is_some_and(|f| f.load(Ordering::Relaxed))
            || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err(Cancelled)` when [`Self::is_cancelled`].
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    /// An amortised checker for one loop.
    pub fn checker(&self) -> CancelCheck<'_> {
        CancelCheck {
            cancel: self,
            left: CHECK_EVERY,
        }
    }

    /// A guard that cancels this token when dropped: hold it in the future (or scope)
    /// that waits for the computation, and the computation stops when that is abandoned.
    pub fn drop_guard(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Cancels its token when dropped (see [`Cancel::drop_guard`]).
#[derive(Debug)]
#[must_use = "the token is cancelled as soon as the guard is dropped"]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Polls a [`Cancel`] once every [`CHECK_EVERY`] calls of [`Self::tick`].
#[derive(Debug)]
pub struct CancelCheck<'a> {
    cancel: &'a Cancel,
    left: u32,
}

impl CancelCheck<'_> {
    /// Counts one step; every [`CHECK_EVERY`]th step looks at the token.
    #[inline]
    pub fn tick(&mut self) -> Result<(), Cancelled> {
        self.left -= 1;
        if self.left == 0 {
            self.left = CHECK_EVERY;
            self.cancel.check()
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn clones_share_the_flag_and_never_stays_uncancelled() {
        let a = Cancel::new();
        let b = a.clone();
        assert!(a.check().is_ok());
        b.cancel();
        assert_eq!(a.check(), Err(Cancelled));
        assert_eq!(CoverageError::from(Cancelled), CoverageError::Cancelled);
        let never = Cancel::never();
        never.cancel();
        assert!(!never.is_cancelled());
    }

    #[test]
    fn a_passed_deadline_cancels_and_the_earlier_deadline_wins() {
        let now = Instant::now();
        let past = Cancel::never().with_deadline(now);
        assert!(past.is_cancelled());
        let later = Cancel::new()
            .with_deadline(now)
            .with_deadline(now + Duration::from_secs(3600));
        assert!(later.is_cancelled(), "the earlier deadline is kept");
        assert!(!Cancel::new()
            .with_deadline(now + Duration::from_secs(3600))
            .is_cancelled());
    }

    #[test]
    fn the_checker_looks_once_every_check_every_steps_and_the_guard_cancels_on_drop() {
        let token = Cancel::new();
        {
            let _guard = token.drop_guard();
            assert!(!token.is_cancelled());
        }
        assert!(token.is_cancelled());
        let mut check = token.checker();
        for _ in 1..CHECK_EVERY {
            assert!(check.tick().is_ok());
        }
        assert_eq!(check.tick(), Err(Cancelled));
    }
}

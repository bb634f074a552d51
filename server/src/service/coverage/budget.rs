//! Time budgets: how long a CPU-heavy answer may compute before the server gives up on it,
//! and the guarantee that giving up stops the CPU work too.
//!
//! Every heavy answer runs under a [`Cancel`] token made for it. The token is cancelled
//! when the answer's future is dropped — the client disconnected, or the budget's timer
//! fired and [`CoverageService::within`] abandoned it — and it carries the budget as a
//! deadline, so the work on a blocking thread also stops by itself when the budget runs
//! out. The geo-core loops poll the token every ~1,000 steps and return
//! `CoverageError::Cancelled`, which ends the blocking task within a millisecond or so
//! (the server test measures < 100 ms). Caches are only written after a computation has
//! returned a whole result to a future that is still waiting, so a cancelled or partial
//! result is never stored.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use civmap_geo_core::coverage::Cancel;

use super::{CoverageService, RETRY_AFTER_S};
use crate::service::ServiceError;

/// Budget of a coverage, service-area, gaps or indicators answer and of creating a
/// scenario. A cold whole-city answer at scale 1 takes 0.05–3 s (gaps and areas at 120
/// minutes the longest), plus up to [`super::ENGINE_WAIT`] waiting for the engine; 60 s
/// is well above any of them on a loaded machine, yet bounds what an abandoned or absurd
/// request can hold.
pub const COVERAGE_BUDGET: Duration = Duration::from_secs(60);

/// Budget of a siting answer: one bounded search per candidate (up to 2,000) before the
/// greedy choice, about 0.1 s at 15 minutes but minutes of CPU at 120 minutes, where each
/// search reaches most of the city. Twice the coverage budget, since siting is the one
/// answer planners expect to wait for.
pub const SITING_BUDGET: Duration = Duration::from_secs(120);

/// The time budgets of one coverage service (see [`COVERAGE_BUDGET`], [`SITING_BUDGET`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budgets {
    /// Coverage, service areas, gaps, indicators, scenario creation.
    pub coverage: Duration,
    /// Siting.
    pub siting: Duration,
}

impl Budgets {
    /// No budget at all: for the CLI, whose user waits as long as it takes (or presses
    /// Ctrl-C).
    pub fn unlimited() -> Self {
        Self {
            coverage: Duration::MAX,
            siting: Duration::MAX,
        }
    }
}

impl Default for Budgets {
    fn default() -> Self {
        Self {
            coverage: COVERAGE_BUDGET,
            siting: SITING_BUDGET,
        }
    }
}

/// Counts a running blocking computation while alive.
struct Running<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl CoverageService {
    /// The budgets this service runs under.
    pub fn budgets(&self) -> Budgets {
        self.budgets
    }

    /// Blocking computations running now (each on a blocking thread). A cancelled one
    /// counts until it has actually returned, so this shows whether abandoned work stops.
    pub fn computations_running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// A token for one answer: cancelled at `budget` from now (never, for a budget beyond
    /// what `Instant` can hold), or earlier by whoever holds its drop guard.
    pub(crate) fn token(budget: Duration) -> Cancel {
        match Instant::now().checked_add(budget) {
            Some(deadline) => Cancel::new().with_deadline(deadline),
            None => Cancel::new(),
        }
    }

    /// Runs `work` to completion within `budget`, cancelling `cancel` when the budget runs
    /// out and when this future is dropped (its guard lives in the future). A budget
    /// overrun, noticed by the timer or by the work itself, is [`ServiceError::TimedOut`].
    pub(crate) async fn within<T>(
        &self,
        cancel: &Cancel,
        budget: Duration,
        work: impl Future<Output = Result<T, ServiceError>>,
    ) -> Result<T, ServiceError> {
        let _guard = cancel.drop_guard();
        let timed_out = || {
            tracing::warn!(
                "a coverage computation ran past its budget of {} s and was stopped",
                budget.as_secs_f64()
            );
            ServiceError::TimedOut {
                budget,
                retry_after_s: RETRY_AFTER_S,
            }
        };
        match tokio::time::timeout(budget, work).await {
            Ok(Err(ServiceError::Cancelled)) | Err(_) => Err(timed_out()),
            Ok(done) => done,
        }
    }

    /// Runs `f` on a blocking thread with the token, counted in
    /// [`Self::computations_running`] until it returns. Work whose token is already
    /// cancelled is not started.
    pub(crate) async fn blocking_cancellable<T: Send + 'static>(
        &self,
        cancel: &Cancel,
        f: impl FnOnce(&Cancel) -> Result<T, ServiceError> + Send + 'static,
    ) -> Result<T, ServiceError> {
        cancel.check()?;
        let cancel = cancel.clone();
        let running = self.running.clone();
        running.fetch_add(1, Ordering::SeqCst);
        tokio::task::spawn_blocking(move || {
            let _running = Running(&running);
            f(&cancel)
        })
        .await
        .map_err(ServiceError::internal)?
    }
}

//! The naming and renaming workflow of the 2022 地名管理条例, as a state machine: an
//! application is checked automatically when it is made (its findings are kept), reviewed
//! by experts (every comment is kept), put out for public consultation with a deadline, and
//! then approved — which files it and announces it — or rejected.
//!
//! ```text
//!   checked ──review──► reviewed ──notice (≥ 30 days)──► notice ──approve (deadline passed)──► approved
//!      │                   │  ▲ review                     │ ▲ review
//!      └──────── reject ───┴──┴────────────────────────────┴─┴──► rejected
//! ```
//!
//! ```
//! use civmap_geo_core::history::Date;
//! use civmap_geo_core::names::{Application, ApplicationStatus, PlaceKey, Review, Verdict};
//! let day = |s: &str| Date::parse(s).unwrap();
//! let mut a = Application::new(1, PlaceKey::parse("unit/330105014000").unwrap(),
//!     Some("长庆街道".into()), "长庆新街道".into(), "li".into(), day("2026-01-05"));
//! a.review(Review { who: "wang".into(), verdict: Verdict::Support,
//!     comment: "meets the rules".into(), on: day("2026-01-06") }).unwrap();
//! a.start_notice(day("2026-01-07"), 30, day("2026-01-07")).unwrap();
//! assert!(a.approve("admin", day("2026-01-20")).is_err()); // the notice still runs
//! a.approve("admin", day("2026-02-06")).unwrap();
//! assert_eq!(a.status, ApplicationStatus::Approved);
//! ```

use serde::Serialize;
use thiserror::Error;

use super::{date_of_day_number, day_number, Finding, PlaceKey};
use crate::history::Date;

/// The shortest public consultation: the regulation's "一般不少于30日".
pub const MIN_NOTICE_DAYS: u32 = 30;

/// The longest public consultation accepted (a year).
pub const MAX_NOTICE_DAYS: u32 = 366;

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    /// Made; the automatic checks ran and their findings are kept.
    Checked,
    /// At least one expert review is recorded.
    Reviewed,
    /// Out for public consultation until `notice_until`.
    Notice,
    /// Approved, filed and announced (final).
    Approved,
    /// Rejected (final).
    Rejected,
}

impl ApplicationStatus {
    /// Every status.
    pub const ALL: [ApplicationStatus; 5] = [
        Self::Checked,
        Self::Reviewed,
        Self::Notice,
        Self::Approved,
        Self::Rejected,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checked => "checked",
            Self::Reviewed => "reviewed",
            Self::Notice => "notice",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Approved or rejected.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected)
    }
}

/// An expert's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// For the name.
    Support,
    /// Against it: the notice cannot start (nor approval follow) until a later review supports.
    Object,
    /// A remark only.
    Comment,
}

impl Verdict {
    /// `support`, `object` or `comment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Support => "support",
            Self::Object => "object",
            Self::Comment => "comment",
        }
    }

    /// Parses `support`, `object` or `comment`.
    pub fn parse(s: &str) -> Result<Self, WorkflowError> {
        [Self::Support, Self::Object, Self::Comment]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| WorkflowError::BadField {
                field: "verdict",
                message: format!("`{s}`: expected support, object or comment"),
            })
    }
}

/// One kept review comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    /// The reviewer.
    pub who: String,
    /// For, against or a remark.
    pub verdict: Verdict,
    /// The comment (kept as written).
    pub comment: String,
    /// The day it was made.
    pub on: Date,
}

/// Why a workflow step was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkflowError {
    /// The step does not apply in the application's status.
    #[error("application {id} is {status}: cannot {step}", status = .status.as_str())]
    WrongStatus {
        /// The application.
        id: u64,
        /// Its status.
        status: ApplicationStatus,
        /// The step refused, e.g. `approve`.
        step: &'static str,
    },
    /// Approval before the end of the public consultation.
    #[error("application {id}: the public notice runs until {until}; approval is possible from that day")]
    NoticeRunning {
        /// The application.
        id: u64,
        /// The deadline.
        until: Date,
    },
    /// The experts' latest verdict is not support.
    #[error("application {id}: the latest expert verdict is {latest}; a supporting review is needed first")]
    NotSupported {
        /// The application.
        id: u64,
        /// `object`, or `none` when no expert gave a verdict.
        latest: &'static str,
    },
    /// A field is malformed.
    #[error("parameter `{field}`: {message}")]
    BadField {
        /// The field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// A naming or renaming application.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Application {
    /// Its number.
    pub id: u64,
    /// The place named (for a new place: the key it will have).
    pub place: PlaceKey,
    /// Its standard name when applied for (`None`: a new name).
    pub current_name: Option<String>,
    /// The name applied for.
    pub proposed_name: String,
    /// Why (kept for the announcement).
    pub reason: String,
    /// Who applied.
    pub applicant: String,
    /// The day it was made.
    pub submitted: Date,
    /// Where it stands.
    pub status: ApplicationStatus,
    /// What the automatic checks found when it was made.
    pub findings: Vec<Finding>,
    /// The reviews, oldest first.
    pub reviews: Vec<Review>,
    /// First day of the public notice.
    pub notice_from: Option<Date>,
    /// Last day of the public notice: approval is possible from the next day.
    pub notice_until: Option<Date>,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    /// The day of the decision.
    pub decided_on: Option<Date>,
    /// The reason of a rejection.
    pub decision_note: Option<String>,
    /// The place's name was on the heritage list and an admin overrode the lock.
    pub heritage_override: bool,
}

impl Application {
    /// A new application, just checked.
    pub fn new(
        id: u64,
        place: PlaceKey,
        current_name: Option<String>,
        proposed_name: String,
        applicant: String,
        submitted: Date,
    ) -> Self {
        Self {
            id,
            place,
            current_name,
            proposed_name,
            reason: String::new(),
            applicant,
            submitted,
            status: ApplicationStatus::Checked,
            findings: Vec::new(),
            reviews: Vec::new(),
            notice_from: None,
            notice_until: None,
            decided_by: None,
            decided_on: None,
            decision_note: None,
            heritage_override: false,
        }
    }

    fn require(
        &self,
        step: &'static str,
        allowed: &[ApplicationStatus],
    ) -> Result<(), WorkflowError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(WorkflowError::WrongStatus {
                id: self.id,
                status: self.status,
                step,
            })
        }
    }

    fn require_support(&self) -> Result<(), WorkflowError> {
        let latest = self
            .reviews
            .iter()
            .rev()
            .map(|r| r.verdict)
            .find(|v| *v != Verdict::Comment);
        match latest {
            Some(Verdict::Support) => Ok(()),
            other => Err(WorkflowError::NotSupported {
                id: self.id,
                latest: other.map_or("none", Verdict::as_str),
            }),
        }
    }

    /// Records a review (kept whatever its verdict) while the application is open.
    pub fn review(&mut self, r: Review) -> Result<(), WorkflowError> {
        use ApplicationStatus::*;
        self.require("review", &[Checked, Reviewed, Notice])?;
        if r.comment.trim().is_empty() {
            return Err(WorkflowError::BadField {
                field: "comment",
                message: "is empty: a review keeps its comment".into(),
            });
        }
        if r.comment.chars().count() > 2000 {
            return Err(WorkflowError::BadField {
                field: "comment",
                message: "is longer than 2000 characters".into(),
            });
        }
        if self.status == Checked {
            self.status = Reviewed;
        }
        self.reviews.push(r);
        Ok(())
    }

    /// Starts the public notice on `from` for `days` days (at least [`MIN_NOTICE_DAYS`]);
    /// needs the experts' support. `from` may not be after `today`.
    pub fn start_notice(
        &mut self,
        from: Date,
        days: u32,
        today: Date,
    ) -> Result<(), WorkflowError> {
        self.require("start the public notice", &[ApplicationStatus::Reviewed])?;
        self.require_support()?;
        if !(MIN_NOTICE_DAYS..=MAX_NOTICE_DAYS).contains(&days) {
            return Err(WorkflowError::BadField {
                field: "days",
                message: format!(
                    "{days}: the public consultation lasts {MIN_NOTICE_DAYS}–{MAX_NOTICE_DAYS} days"
                ),
            });
        }
        if from > today {
            return Err(WorkflowError::BadField {
                field: "from",
                message: format!("{from} is after today ({today}): record a notice once it is out"),
            });
        }
        if from < self.submitted {
            return Err(WorkflowError::BadField {
                field: "from",
                message: format!("{from} is before the application ({})", self.submitted),
            });
        }
        let until = date_of_day_number(day_number(from) + i64::from(days) - 1).ok_or(
            WorkflowError::BadField {
                field: "days",
                message: format!("{days} days from {from} leave the calendar"),
            },
        )?;
        self.notice_from = Some(from);
        self.notice_until = Some(until);
        self.status = ApplicationStatus::Notice;
        Ok(())
    }

    /// Approves on `today`: the notice must be over (`today` after `notice_until`) and the
    /// experts' latest verdict must still be support.
    pub fn approve(&mut self, who: &str, today: Date) -> Result<(), WorkflowError> {
        self.require("approve", &[ApplicationStatus::Notice])?;
        if let Some(until) = self.notice_until.filter(|u| today <= *u) {
            return Err(WorkflowError::NoticeRunning { id: self.id, until });
        }
        self.require_support()?;
        self.status = ApplicationStatus::Approved;
        self.decided_by = Some(who.to_owned());
        self.decided_on = Some(today);
        Ok(())
    }

    /// Rejects an open application, with the reason.
    pub fn reject(&mut self, who: &str, today: Date, note: &str) -> Result<(), WorkflowError> {
        use ApplicationStatus::*;
        self.require("reject", &[Checked, Reviewed, Notice])?;
        if note.trim().is_empty() {
            return Err(WorkflowError::BadField {
                field: "reason",
                message: "is empty: a rejection gives its reason".into(),
            });
        }
        self.status = Rejected;
        self.decided_by = Some(who.to_owned());
        self.decided_on = Some(today);
        self.decision_note = Some(note.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn app() -> Application {
        Application::new(
            7,
            PlaceKey::parse("unit/330105014000").unwrap(),
            Some("长庆街道".into()),
            "长庆新街道".into(),
            "li".into(),
            day("2026-01-05"),
        )
    }

    fn review(v: Verdict) -> Review {
        Review {
            who: "wang".into(),
            verdict: v,
            comment: "c".into(),
            on: day("2026-01-06"),
        }
    }

    #[test]
    fn the_order_of_steps_is_enforced() {
        let mut a = app();
        let e = a
            .start_notice(day("2026-01-06"), 30, day("2026-01-06"))
            .unwrap_err();
        assert!(matches!(e, WorkflowError::WrongStatus { .. }), "{e}");
        assert!(a.approve("x", day("2027-01-01")).is_err());
        a.review(review(Verdict::Object)).unwrap();
        let e = a
            .start_notice(day("2026-01-06"), 30, day("2026-01-06"))
            .unwrap_err();
        assert!(
            e.to_string().contains("latest expert verdict is object"),
            "{e}"
        );
        a.review(review(Verdict::Support)).unwrap();
        a.review(review(Verdict::Comment)).unwrap();
        let e = a
            .start_notice(day("2026-01-06"), 29, day("2026-01-06"))
            .unwrap_err();
        assert!(e.to_string().contains("`days`"), "{e}");
        let e = a
            .start_notice(day("2026-01-08"), 30, day("2026-01-06"))
            .unwrap_err();
        assert!(e.to_string().contains("after today"), "{e}");
        a.start_notice(day("2026-01-06"), 30, day("2026-01-06"))
            .unwrap();
        // 30 days from 01-06 inclusive end on 02-04
        assert_eq!(a.notice_until, Some(day("2026-02-04")));
        let e = a.approve("x", day("2026-02-04")).unwrap_err();
        assert!(matches!(e, WorkflowError::NoticeRunning { .. }), "{e}");
        a.approve("x", day("2026-02-05")).unwrap();
        assert!(a.reject("x", day("2026-02-06"), "late").is_err());
        assert_eq!(a.reviews.len(), 3, "every comment is kept");
    }

    #[test]
    fn an_objection_during_the_notice_blocks_approval() {
        let mut a = app();
        a.review(review(Verdict::Support)).unwrap();
        a.start_notice(day("2026-01-06"), 30, day("2026-01-06"))
            .unwrap();
        a.review(review(Verdict::Object)).unwrap();
        let e = a.approve("x", day("2026-03-01")).unwrap_err();
        assert!(matches!(e, WorkflowError::NotSupported { .. }), "{e}");
        a.reject("x", day("2026-03-01"), "objections upheld")
            .unwrap();
        assert_eq!(a.status, ApplicationStatus::Rejected);
    }
}

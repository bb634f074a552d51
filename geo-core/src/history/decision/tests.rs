//! Each kind of decision on small hand-made editions: what the history records with it,
//! against the same editions built without it.

use super::*;
use crate::history::{Date, DivisionRow, EventKind, UnitId};
use crate::AdminLevel;

fn row(code: &str, level: AdminLevel, name: &str, parent: &str) -> DivisionRow {
    DivisionRow {
        code: AdminCode::parse(code).unwrap(),
        level,
        name: name.into(),
        parent: AdminCode::parse(parent).unwrap(),
        kind: String::new(),
    }
}

/// 杭州市 with 上城区 and 西湖区, plus `rest`.
fn edition(id: &str, day: &str, rest: &[DivisionRow]) -> Edition {
    let mut rows = vec![
        row("330100000000", AdminLevel::City, "杭州市", "330000000000"),
        row(
            "330102000000",
            AdminLevel::District,
            "上城区",
            "330100000000",
        ),
        row(
            "330106000000",
            AdminLevel::District,
            "西湖区",
            "330100000000",
        ),
    ];
    rows.extend_from_slice(rest);
    Edition {
        id: id.into(),
        date: Date::parse(day).unwrap(),
        rows,
    }
}

fn town(code: &str, name: &str, parent: &str) -> DivisionRow {
    row(code, AdminLevel::Township, name, parent)
}

fn village(code: &str, name: &str) -> DivisionRow {
    row(code, AdminLevel::Community, name, "330102001000")
}

fn code(c: &str) -> AdminCode {
    AdminCode::parse(c).unwrap()
}

fn pick(a: &Ambiguity, choice: &str) -> Decisions {
    [(CaseKey::of(a), Choice::Candidate(code(choice)))]
        .into_iter()
        .collect()
}

fn unit_of(h: &History, edition: &str, c: &str) -> UnitId {
    h.edition(edition).unwrap().by_code(c).unwrap().unit
}

fn kinds_of(h: &History, u: UnitId) -> Vec<EventKind> {
    h.events_of(u).map(|e| e.kind).collect()
}

/// Two villages named 新村 under 湖滨街道 vanish; one new 新村 appears under it.
fn two_vanished_one_new() -> Vec<Edition> {
    let t = town("330102001000", "湖滨街道", "330102000000");
    vec![
        edition(
            "A",
            "2020-06-30",
            &[
                t.clone(),
                village("330102001001", "新村"),
                village("330102001002", "新村"),
            ],
        ),
        edition("B", "2021-10-31", &[t, village("330102001003", "新村")]),
    ]
}

#[test]
fn several_candidates_the_chosen_one_continues_recoded_and_the_other_stays_abolished() {
    let (plain, cases) = History::build(two_vanished_one_new()).unwrap();
    let case = cases
        .iter()
        .find(|a| a.kind == AmbiguityKind::SeveralCandidates)
        .unwrap();
    assert_eq!(
        case.candidates,
        [code("330102001001"), code("330102001002")]
    );
    let new_plain = unit_of(&plain, "B", "330102001003");
    assert_eq!(kinds_of(&plain, new_plain), [EventKind::Created]);

    let decisions = pick(case, "330102001002");
    let (h, after) = History::build_with_decisions(two_vanished_one_new(), &decisions).unwrap();
    let chosen = unit_of(&h, "A", "330102001002");
    assert_eq!(
        unit_of(&h, "B", "330102001003"),
        chosen,
        "identity continues"
    );
    assert_eq!(kinds_of(&h, chosen), [EventKind::Recoded]);
    let other = unit_of(&h, "A", "330102001001");
    assert_eq!(kinds_of(&h, other), [EventKind::Abolished]);
    assert_eq!(h.units().len(), plain.units().len() - 1, "no unit created");
    // the case stays listed (decided); the chosen unit no longer ended, so its own case went
    assert!(after.iter().any(|a| decisions.decides(a)));
    let ended: Vec<&str> = after
        .iter()
        .filter(|a| a.kind == AmbiguityKind::EndedWithoutSuccessor)
        .map(|a| a.code.as_str())
        .collect();
    assert_eq!(ended, ["330102001001"]);
    assert!(h.check().is_empty(), "{:?}", h.check());
}

/// 湖滨街道 leaves 上城区; a 湖滨街道 appears under 西湖区 (both districts last).
fn moved_elsewhere() -> Vec<Edition> {
    vec![
        edition(
            "A",
            "2020-06-30",
            &[town("330102001000", "湖滨街道", "330102000000")],
        ),
        edition(
            "B",
            "2021-10-31",
            &[town("330106020000", "湖滨街道", "330106000000")],
        ),
    ]
}

#[test]
fn same_name_elsewhere_the_chosen_one_moved_keeping_its_identity() {
    let (plain, cases) = History::build(moved_elsewhere()).unwrap();
    let case = &cases[0];
    assert_eq!(case.kind, AmbiguityKind::SameNameElsewhere);
    let old = unit_of(&plain, "A", "330102001000");
    assert_eq!(kinds_of(&plain, old), [EventKind::Abolished]);

    let (h, after) =
        History::build_with_decisions(moved_elsewhere(), &pick(case, "330102001000")).unwrap();
    let unit = unit_of(&h, "A", "330102001000");
    assert_eq!(unit_of(&h, "B", "330106020000"), unit);
    assert_eq!(kinds_of(&h, unit), [EventKind::Moved]);
    let moved = h.events_of(unit).next().unwrap();
    assert_eq!(
        moved
            .from
            .as_ref()
            .unwrap()
            .parent_code
            .as_ref()
            .map(AdminCode::as_str),
        Some("330102000000")
    );
    assert_eq!(
        moved
            .to
            .as_ref()
            .unwrap()
            .parent_code
            .as_ref()
            .map(AdminCode::as_str),
        Some("330106000000")
    );
    assert_eq!(after.len(), 1, "only the decided case: {after:?}");
    assert!(h.check().is_empty(), "{:?}", h.check());
}

/// 湖滨街道 ends with no child; 新湖街道 is created beside it under 上城区.
fn ended_beside_new() -> Vec<Edition> {
    vec![
        edition(
            "A",
            "2020-06-30",
            &[town("330102001000", "湖滨街道", "330102000000")],
        ),
        edition(
            "B",
            "2021-10-31",
            &[town("330102005000", "新湖街道", "330102000000")],
        ),
    ]
}

#[test]
fn ended_without_successor_the_chosen_unit_is_its_successor_both_ways() {
    let (plain, cases) = History::build(ended_beside_new()).unwrap();
    let case = &cases[0];
    assert_eq!(case.kind, AmbiguityKind::EndedWithoutSuccessor);
    assert_eq!(case.candidates, [code("330102005000")]);
    let old = unit_of(&plain, "A", "330102001000");
    assert!(plain.unit(old).unwrap().superseded_by.is_empty());

    let (h, after) =
        History::build_with_decisions(ended_beside_new(), &pick(case, "330102005000")).unwrap();
    let (old, new) = (
        unit_of(&h, "A", "330102001000"),
        unit_of(&h, "B", "330102005000"),
    );
    assert_eq!(kinds_of(&h, old), [EventKind::Merged]);
    assert_eq!(h.events_of(old).next().unwrap().related, [new]);
    assert_eq!(h.unit(old).unwrap().superseded_by, [new]);
    assert_eq!(h.unit(new).unwrap().supersedes, [old]);
    assert_eq!(
        h.successor_of("湖滨街道", h.latest().date())[0].now[0].name,
        "新湖街道"
    );
    assert_eq!(after, cases, "the case stays listed, decided");
    assert!(h.check().is_empty(), "{:?}", h.check());
}

#[test]
fn as_recorded_changes_nothing_but_decides_the_case() {
    let (plain, cases) = History::build(ended_beside_new()).unwrap();
    let decisions: Decisions = [(CaseKey::of(&cases[0]), Choice::AsRecorded)]
        .into_iter()
        .collect();
    let (h, after) = History::build_with_decisions(ended_beside_new(), &decisions).unwrap();
    assert_eq!(h.units(), plain.units());
    assert_eq!(h.events(), plain.events());
    assert_eq!(after, cases);
    assert!(decisions.decides(&after[0]));
}

#[test]
fn a_decision_on_a_case_no_longer_listed_is_refused_naming_it() {
    let (_, cases) = History::build(ended_beside_new()).unwrap();
    let mut stale = CaseKey::of(&cases[0]);
    stale.code = code("330102009000");
    let decisions: Decisions = [(stale.clone(), Choice::AsRecorded)].into_iter().collect();
    let err = History::build_with_decisions(ended_beside_new(), &decisions).unwrap_err();
    assert_eq!(
        err,
        HistoryError::StaleDecision {
            case: stale,
            choice: Choice::AsRecorded
        }
    );
    assert!(
        err.to_string()
            .contains("B ended_without_successor 330102009000"),
        "{err}"
    );
}

#[test]
fn a_choice_outside_the_candidates_is_refused_naming_them() {
    let (_, cases) = History::build(ended_beside_new()).unwrap();
    let err = History::build_with_decisions(ended_beside_new(), &pick(&cases[0], "330106020000"))
        .unwrap_err();
    assert!(
        matches!(&err, HistoryError::ChoiceNotCandidate { candidates, .. } if candidates == "330102005000"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("330106020000 is not one of its candidates"),
        "{err}"
    );
}

#[test]
fn two_decisions_giving_one_vanished_unit_to_two_new_codes_are_refused() {
    let t = town("330102001000", "湖滨街道", "330102000000");
    let editions = || {
        vec![
            edition(
                "A",
                "2020-06-30",
                &[
                    t.clone(),
                    village("330102001001", "新村"),
                    village("330102001002", "新村"),
                ],
            ),
            edition(
                "B",
                "2021-10-31",
                &[
                    t.clone(),
                    village("330102001003", "新村"),
                    village("330102001004", "新村"),
                ],
            ),
        ]
    };
    let (_, cases) = History::build(editions()).unwrap();
    let several: Vec<&Ambiguity> = cases
        .iter()
        .filter(|a| a.kind == AmbiguityKind::SeveralCandidates)
        .collect();
    assert_eq!(several.len(), 2);
    let same = Choice::Candidate(code("330102001001"));
    let decisions: Decisions = several
        .iter()
        .map(|a| (CaseKey::of(a), same.clone()))
        .collect();
    let err = History::build_with_decisions(editions(), &decisions).unwrap_err();
    assert!(
        matches!(&err, HistoryError::DecisionConflict { case, other, .. }
            if case.code.as_str() == "330102001004" && other.code.as_str() == "330102001003"),
        "{err:?}"
    );
    // one each is fine: both continue, nothing is abolished
    let apart: Decisions = [
        (CaseKey::of(several[0]), same),
        (
            CaseKey::of(several[1]),
            Choice::Candidate(code("330102001002")),
        ),
    ]
    .into_iter()
    .collect();
    let (h, _) = History::build_with_decisions(editions(), &apart).unwrap();
    assert!(h.events().iter().all(|e| e.kind == EventKind::Recoded));
    assert!(h.check().is_empty());
}

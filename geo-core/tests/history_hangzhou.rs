//! The history of Hangzhou's divisions built from the five real NBS editions (2019–2023),
//! checked against a plain comparison of the CSV files read independently here.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use civmap_data::hangzhou;
use civmap_geo_core::history::{
    Ambiguity, AmbiguityKind, CaseKey, Choice, Date, Decisions, EventKind, History, HistoryError,
    IntegrityError, UnitId,
};
use civmap_geo_core::AdminLevel;

const FILES: [(&str, &str); 5] = [
    ("NBS2019", "history/hangzhou_divisions_nbs2019.csv"),
    ("NBS2020", "history/hangzhou_divisions_nbs2020.csv"),
    ("NBS2021", "history/hangzhou_divisions_nbs2021.csv"),
    ("NBS2022", "history/hangzhou_divisions_nbs2022.csv"),
    ("NBS2023", "hangzhou_divisions_nbs2023.csv"),
];

/// One CSV row: (level as written, name, parent code).
type PlainRow = (String, String, String);

/// The CSV as code → row, by splitting lines (no CSV crate, no civmap code).
fn plain(file: &str) -> HashMap<String, PlainRow> {
    let path = format!(
        "{}/../data/hangzhou/divisions/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("code12,level,name,parent_code12,district_adcode,kind")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].into(), (f[1].into(), f[2].into(), f[3].into()))
        })
        .collect()
}

fn built() -> &'static (History, Vec<Ambiguity>) {
    static H: OnceLock<(History, Vec<Ambiguity>)> = OnceLock::new();
    H.get_or_init(|| History::build(hangzhou::editions().expect("editions read")).expect("builds"))
}

fn history() -> &'static History {
    &built().0
}

fn day(s: &str) -> Date {
    Date::parse(s).unwrap()
}

fn unit_of(h: &History, edition: &str, code: &str) -> UnitId {
    h.edition(edition).unwrap().by_code(code).unwrap().unit
}

/// The CSV's level word as the model's level.
fn level_of(word: &str) -> AdminLevel {
    AdminLevel::parse(word).unwrap()
}

#[test]
fn code_counts_between_every_pair_of_editions_equal_a_plain_comparison_of_the_csvs() {
    let h = history();
    assert_code_counts_equal_the_csvs(h);
    // the figures of data/hangzhou/SOURCES.md
    let c = h.changes("NBS2020", "NBS2021", None).unwrap().counts;
    assert_eq!((c.codes_added, c.codes_removed, c.renamed), (623, 554, 18));
}

/// Codes added and removed between every pair of editions, by level, are those of a plain
/// comparison of the CSV files; units added, moved and recoded account for every code added.
fn assert_code_counts_equal_the_csvs(h: &History) {
    let plains: Vec<_> = FILES.iter().map(|(_, f)| plain(f)).collect();
    for i in 0..FILES.len() {
        for j in i + 1..FILES.len() {
            let (a, b) = (&plains[i], &plains[j]);
            let changes = h.changes(FILES[i].0, FILES[j].0, None).unwrap();
            for level in AdminLevel::ALL {
                let added = b
                    .iter()
                    .filter(|(c, r)| level_of(&r.0) == level && !a.contains_key(*c))
                    .count();
                let removed = a
                    .iter()
                    .filter(|(c, r)| level_of(&r.0) == level && !b.contains_key(*c))
                    .count();
                let got = changes.by_level.get(&level).copied().unwrap_or_default();
                assert_eq!(
                    (got.codes_added, got.codes_removed),
                    (added, removed),
                    "{} → {} at {level}",
                    FILES[i].0,
                    FILES[j].0
                );
                let by_level = h.changes(FILES[i].0, FILES[j].0, Some(level)).unwrap();
                assert_eq!(by_level.counts, got, "level filter at {level}");
            }
            let added = b.keys().filter(|c| !a.contains_key(*c)).count();
            let removed = a.keys().filter(|c| !b.contains_key(*c)).count();
            assert_eq!(
                (changes.counts.codes_added, changes.counts.codes_removed),
                (added, removed)
            );
            // a unit that kept its code and changed its name is renamed, nothing else is
            let renamed = a
                .iter()
                .filter(|(c, r)| b.get(*c).is_some_and(|rb| rb.1 != r.1))
                .count();
            assert_eq!(changes.renamed.len(), renamed);
            // units added + moved/recoded (new code, same unit) = codes added
            assert_eq!(
                changes.added.len() + changes.moved.len() + changes.recoded.len(),
                added,
                "{} → {}",
                FILES[i].0,
                FILES[j].0
            );
        }
    }
}

#[test]
fn the_31_recoded_townships_of_2020_to_2021_are_moved_with_their_old_and_new_parents() {
    let h = history();
    let (p2020, p2021) = (plain(FILES[1].1), plain(FILES[2].1));
    let changes = h
        .changes("NBS2020", "NBS2021", Some(AdminLevel::Township))
        .unwrap();
    // plainly: townships whose code vanished and whose name reappears under a new code
    let vanished: BTreeSet<(&str, &str)> = p2020
        .iter()
        .filter(|(c, r)| r.0 == "township" && !p2021.contains_key(*c))
        .map(|(c, r)| (r.1.as_str(), c.as_str()))
        .collect();
    assert_eq!(vanished.len(), 31);
    assert_eq!(changes.moved.len(), 31);
    assert!(changes.added.is_empty() && changes.removed.is_empty() && changes.recoded.is_empty());
    for m in &changes.moved {
        let old = &p2020[m.from_code.as_str()];
        let new = &p2021[m.to_code.as_str()];
        assert!(!p2021.contains_key(m.from_code.as_str()), "{m:?}");
        assert!(!p2020.contains_key(m.to_code.as_str()), "{m:?}");
        assert_eq!(
            (old.1.as_str(), new.1.as_str()),
            (m.name.as_str(), m.name.as_str())
        );
        assert_eq!(m.from_parent.as_ref().unwrap().as_str(), old.2);
        assert_eq!(m.to_parent.as_ref().unwrap().as_str(), new.2);
        assert!(vanished.contains(&(m.name.as_str(), m.from_code.as_str())));
    }
    let changqing = changes
        .moved
        .iter()
        .find(|m| m.name == "长庆街道")
        .expect("长庆街道 moved");
    assert_eq!(
        (
            changqing.from_code.as_str(),
            changqing.to_code.as_str(),
            changqing.from_parent.as_ref().unwrap().as_str(),
            changqing.to_parent.as_ref().unwrap().as_str()
        ),
        (
            "330103001000",
            "330105014000",
            "330103000000",
            "330105000000"
        )
    );
    // one unit with two codes, and a dated `moved` event
    let u = unit_of(h, "NBS2020", "330103001000");
    assert_eq!(unit_of(h, "NBS2021", "330105014000"), u);
    let ev: Vec<_> = h.events_of(u).collect();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].kind, EventKind::Moved);
    assert_eq!(
        (ev[0].after, ev[0].date),
        (day("2020-06-30"), day("2021-10-31"))
    );
    // its villages followed it: same parent unit, new codes
    let villages = h
        .changes("NBS2020", "NBS2021", Some(AdminLevel::Community))
        .unwrap();
    assert!(villages
        .recoded
        .iter()
        .any(
            |r| r.from_parent.as_ref().unwrap().as_str() == "330103001000"
                && r.to_parent.as_ref().unwrap().as_str() == "330105014000"
        ));
}

#[test]
fn as_of_2020_12_31_has_xiacheng_with_its_townships() {
    let h = history();
    let p2020 = plain(FILES[1].1);
    let s = h.as_of(day("2020-12-31")).unwrap();
    assert_eq!(s.edition_id(), "NBS2020");
    let xc = s.by_code("330103000000").expect("下城区 in 2020");
    assert_eq!(xc.name, "下城区");
    assert_eq!(s.by_name("下城区").len(), 1);
    let got: BTreeSet<(String, String)> = s
        .children(xc.unit)
        .iter()
        .map(|c| (c.code.to_string(), c.name.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = p2020
        .iter()
        .filter(|(_, r)| r.2 == "330103000000")
        .map(|(c, r)| (c.clone(), r.1.clone()))
        .collect();
    assert_eq!(got, want);
    assert!(got.contains(&(String::from("330103001000"), String::from("长庆街道"))));
    // and it is gone today, and before the first edition nothing is known
    assert!(h
        .as_of(day("2026-01-01"))
        .unwrap()
        .by_code("330103000000")
        .is_none());
    assert!(h.as_of(day("2019-01-01")).is_err());
    // the day of the cut-off belongs to its edition
    assert_eq!(h.as_of(day("2021-10-31")).unwrap().edition_id(), "NBS2021");
    assert_eq!(h.as_of(day("2021-10-30")).unwrap().edition_id(), "NBS2020");
}

#[test]
fn xiacheng_today_resolves_to_gongshu_with_the_event_and_its_date() {
    let h = history();
    let found = h.former_names("下城区");
    assert_eq!(found.len(), 1, "{found:?}");
    let r = &found[0];
    assert_eq!(r.matched.code.as_str(), "330103000000");
    assert_eq!(r.matched.valid_to, Some(day("2021-10-31")));
    let now: Vec<(&str, &str)> = r
        .now
        .iter()
        .map(|n| (n.code.as_str(), n.name.as_str()))
        .collect();
    assert_eq!(now, [("330105000000", "拱墅区")]);
    let merged = r
        .events
        .iter()
        .find(|e| e.kind == EventKind::Merged)
        .expect("a merger");
    assert_eq!(
        (merged.after, merged.date),
        (day("2020-06-30"), day("2021-10-31"))
    );
    assert_eq!(merged.edition, "NBS2021");
    assert_eq!(merged.related, vec![r.now[0].unit]);
    // 江干区 was split between 上城区 and 钱塘区
    let jg = &h.former_names("江干区")[0];
    let mut names: Vec<&str> = jg.now.iter().map(|n| n.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["上城区", "钱塘区"]);
    assert!(jg.events.iter().any(|e| e.kind == EventKind::Split));
    // an old code resolves to the same township under its new code
    let cq = h.successor_of("330103001000", h.latest().date());
    assert_eq!(cq.len(), 1);
    assert_eq!(cq[0].now[0].code.as_str(), "330105014000");
    assert_eq!(cq[0].events[0].kind, EventKind::Moved);
    // a current name is not a former one
    assert!(h.former_names("拱墅区").is_empty());
    // the new districts were carved from the old ones
    let created: Vec<_> = h
        .events()
        .iter()
        .filter(|e| {
            e.kind == EventKind::Created && e.to.as_ref().unwrap().code.as_str() == "330114000000"
        })
        .collect();
    assert_eq!(created.len(), 1);
    let from: BTreeSet<&str> = created[0]
        .related
        .iter()
        .map(|u| h.unit(*u).unwrap().versions[0].name.as_str())
        .collect();
    assert_eq!(from, BTreeSet::from(["江干区", "萧山区"]));
}

#[test]
fn the_real_history_passes_its_integrity_checks_and_lists_what_it_would_not_decide() {
    let (h, ambiguities) = built();
    assert_eq!(h.check(), Vec::<IntegrityError>::new());
    let mut tally: std::collections::BTreeMap<String, usize> = Default::default();
    for e in h.events() {
        *tally
            .entry(format!("{} {:?}", e.edition, e.kind))
            .or_default() += 1;
    }
    for a in ambiguities {
        *tally
            .entry(format!("{} ambiguity {:?}", a.edition, a.kind))
            .or_default() += 1;
    }
    eprintln!("{tally:#?}");
    assert_eq!(h.editions().len(), 5);
    // nothing above the communities is left to a person: the 2021 reform is fully inferred
    assert!(
        ambiguities.iter().all(|a| a.level == AdminLevel::Community),
        "{:?}",
        ambiguities
            .iter()
            .filter(|a| a.level != AdminLevel::Community)
            .collect::<Vec<_>>()
    );
    // every abolished unit is listed; every listed candidate exists in its edition
    let abolished = h
        .events()
        .iter()
        .filter(|e| e.kind == EventKind::Abolished)
        .count();
    let listed = ambiguities
        .iter()
        .filter(|a| a.kind == AmbiguityKind::EndedWithoutSuccessor)
        .count();
    assert_eq!(abolished, listed);
    for a in ambiguities {
        let s = h.edition(&a.edition).unwrap();
        for c in &a.candidates {
            let in_next = s.by_code(c.as_str()).is_some();
            let in_prev = h
                .editions()
                .iter()
                .position(|e| e.id == a.edition)
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| h.edition(&h.editions()[i].id))
                .is_some_and(|p| p.by_code(c.as_str()).is_some());
            assert!(in_next || in_prev, "{a:?}");
        }
    }
    // ids are stable: the same editions give the same units
    let (again, _) = History::build(hangzhou::editions().unwrap()).unwrap();
    assert_eq!(again.units(), h.units());
}

/// The real history with `damage` done to its units, rebuilt from the parts.
fn damaged(damage: impl FnOnce(&History, &mut Vec<civmap_geo_core::history::Unit>)) -> History {
    let h = history().clone();
    let (editions, mut units, events) = h.clone().into_parts();
    damage(&h, &mut units);
    History::from_parts(editions, units, events)
}

#[test]
fn integrity_check_finds_a_circular_succession() {
    let broken = damaged(|h, units| {
        let xc = unit_of(h, "NBS2020", "330103000000");
        let gs = unit_of(h, "NBS2020", "330105000000");
        // 拱墅区 "superseded by" 下城区, recorded on both sides: a circle, not a one-sided link
        units[gs.0 as usize].superseded_by.push(xc);
        units[xc.0 as usize].supersedes.push(gs);
    });
    let errors = broken.check();
    assert!(
        errors
            .iter()
            .any(|e| matches!(e, IntegrityError::CircularSuccession { cycle } if cycle.len() == 3)),
        "{errors:?}"
    );
    assert!(!errors
        .iter()
        .any(|e| matches!(e, IntegrityError::OneSidedLink { .. })));
}

#[test]
fn integrity_check_finds_a_one_sided_succession_link() {
    let broken = damaged(|h, units| {
        let xc = unit_of(h, "NBS2020", "330103000000");
        let gs = unit_of(h, "NBS2020", "330105000000");
        units[gs.0 as usize].supersedes.retain(|u| *u != xc);
    });
    let errors = broken.check();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(matches!(
        &errors[0],
        IntegrityError::OneSidedLink { field, .. } if field == "superseded_by"
    ));
}

#[test]
fn integrity_check_finds_a_current_child_of_an_ended_parent() {
    let broken = damaged(|h, units| {
        let xc = unit_of(h, "NBS2020", "330103000000");
        let cq = unit_of(h, "NBS2020", "330103001000");
        // 长庆街道 today, still under 下城区, which ended on 2021-10-31
        units[cq.0 as usize].versions.last_mut().unwrap().parent = Some(xc);
    });
    let errors = broken.check();
    assert!(
        errors.iter().any(|e| matches!(
            e,
            IntegrityError::ChildOutlivesParent { code, on, .. }
                if code.as_str() == "330105014000" && *on == Date::parse("2021-10-31").unwrap()
        )),
        "{errors:?}"
    );
}

#[test]
fn integrity_check_finds_overlapping_versions_gaps_and_a_code_held_twice() {
    let cq_unit = unit_of(history(), "NBS2020", "330103001000");
    let overlap = damaged(|_, units| {
        units[cq_unit.0 as usize].versions[0].valid_to = Some(Date::parse("2022-01-01").unwrap());
    });
    assert!(overlap.check().iter().any(
        |e| matches!(e, IntegrityError::OverlappingVersions { unit, .. } if *unit == cq_unit)
    ));
    let gap = damaged(|_, units| {
        units[cq_unit.0 as usize].versions[0].valid_to = Some(Date::parse("2020-12-01").unwrap());
    });
    assert!(gap
        .check()
        .iter()
        .any(|e| matches!(e, IntegrityError::Gap { unit, .. } if *unit == cq_unit)));
    let twice = damaged(|h, units| {
        let wl = unit_of(h, "NBS2020", "330103002000"); // 武林街道
        units[wl.0 as usize].versions.last_mut().unwrap().code =
            civmap_geo_core::AdminCode::parse("330105014000").unwrap();
    });
    assert!(twice
        .check()
        .iter()
        .any(|e| matches!(e, IntegrityError::CodeHeldTwice { code, .. } if code.as_str() == "330105014000")));
}

/// The real history built with `decisions`.
fn decided(decisions: &Decisions) -> (History, Vec<Ambiguity>) {
    History::build_with_decisions(hangzhou::editions().unwrap(), decisions).expect("applies")
}

/// The open cases (not decided) of a build, as (edition, kind, code).
fn open_cases(list: &[Ambiguity], decisions: &Decisions) -> BTreeSet<CaseKey> {
    list.iter()
        .filter(|a| !decisions.decides(a))
        .map(CaseKey::of)
        .collect()
}

/// The first real case of `kind` that has a candidate, with its first candidate chosen.
fn first_real_case(kind: AmbiguityKind) -> (Ambiguity, Decisions) {
    let (_, cases) = built();
    let case = cases
        .iter()
        .find(|a| a.kind == kind && !a.candidates.is_empty())
        .unwrap_or_else(|| panic!("the real editions have a {kind:?} case with a candidate"))
        .clone();
    let decisions = [(
        CaseKey::of(&case),
        Choice::Candidate(case.candidates[0].clone()),
    )]
    .into_iter()
    .collect();
    (case, decisions)
}

/// The edition before `edition`.
fn edition_before(h: &History, edition: &str) -> String {
    let i = h.editions().iter().position(|e| e.id == edition).unwrap();
    h.editions()[i - 1].id.clone()
}

/// Confirming a new code's vanished candidate: one unit continues (`expected` event in
/// that edition), the chosen unit's own ended-without-successor case goes with the decided
/// one, nothing else changes in the open list; integrity and the CSV counts hold.
fn assert_candidate_continues(kind: AmbiguityKind, expected: EventKind) {
    let (case, decisions) = first_real_case(kind);
    let (h, cases) = decided(&decisions);
    let chosen = case.candidates[0].as_str();
    let before = edition_before(&h, &case.edition);
    let unit = unit_of(&h, &before, chosen);
    assert_eq!(
        unit_of(&h, &case.edition, case.code.as_str()),
        unit,
        "{case:?}"
    );
    let events: Vec<EventKind> = h
        .events_of(unit)
        .filter(|e| e.edition == case.edition)
        .map(|e| e.kind)
        .collect();
    assert!(events.contains(&expected), "{case:?}: {events:?}");
    assert!(!events.contains(&EventKind::Abolished), "{events:?}");
    assert_eq!(
        h.units().len(),
        history().units().len() - 1,
        "no unit created"
    );

    let was = open_cases(&built().1, &Decisions::default());
    let now = open_cases(&cases, &decisions);
    let chosen_ended = CaseKey {
        edition: case.edition.clone(),
        kind: AmbiguityKind::EndedWithoutSuccessor,
        code: case.candidates[0].clone(),
    };
    let gone: Vec<&CaseKey> = was.difference(&now).collect();
    assert!(gone.contains(&&CaseKey::of(&case)), "{gone:?}");
    let expected_gone = 1 + usize::from(was.contains(&chosen_ended));
    assert_eq!(gone.len(), expected_gone, "{gone:?}");
    assert!(now.is_subset(&was), "no new case appears");
    assert_eq!(h.check(), Vec::<IntegrityError>::new());
    assert_code_counts_equal_the_csvs(&h);
}

/// The five real editions have no case of several candidates (each new code has at most one
/// vanished namesake at the closest position); the hand-made editions of the decision unit
/// tests cover that kind. Should a new edition bring one, the real test below runs on it.
#[test]
fn a_confirmed_several_candidates_case_continues_the_chosen_unit() {
    let several = built()
        .1
        .iter()
        .filter(|a| a.kind == AmbiguityKind::SeveralCandidates)
        .count();
    if several == 0 {
        assert_eq!(built().0.editions().len(), 5, "the five real editions");
        return;
    }
    assert_candidate_continues(AmbiguityKind::SeveralCandidates, EventKind::Recoded);
}

#[test]
fn a_confirmed_same_name_elsewhere_case_is_one_unit_that_moved() {
    assert_candidate_continues(AmbiguityKind::SameNameElsewhere, EventKind::Moved);
}

#[test]
fn a_confirmed_ended_without_successor_case_merged_into_the_chosen_unit() {
    let (case, decisions) = first_real_case(AmbiguityKind::EndedWithoutSuccessor);
    let (h, cases) = decided(&decisions);
    let before = edition_before(&h, &case.edition);
    let ended = unit_of(&h, &before, case.code.as_str());
    let successor = unit_of(&h, &case.edition, case.candidates[0].as_str());
    let merged: Vec<_> = h
        .events_of(ended)
        .filter(|e| e.edition == case.edition)
        .collect();
    assert_eq!(merged.len(), 1);
    assert_eq!(
        (merged[0].kind, &merged[0].related[..]),
        (EventKind::Merged, &[successor][..])
    );
    assert_eq!(h.unit(ended).unwrap().superseded_by, [successor]);
    assert!(h.unit(successor).unwrap().supersedes.contains(&ended));
    assert!(history().unit(ended).unwrap().superseded_by.is_empty());

    let was = open_cases(&built().1, &Decisions::default());
    let now = open_cases(&cases, &decisions);
    assert_eq!(now.len(), was.len() - 1);
    assert_eq!(
        was.difference(&now).collect::<Vec<_>>(),
        [&CaseKey::of(&case)]
    );
    assert_eq!(h.check(), Vec::<IntegrityError>::new());
    assert_code_counts_equal_the_csvs(&h);
    assert_eq!(
        h.units(),
        &{
            // the same units as without the decision, but for the new link
            let mut units = history().units().to_vec();
            units[ended.0 as usize].superseded_by.push(successor);
            units[successor.0 as usize].supersedes.push(ended);
            units
        }[..]
    );
}

#[test]
fn every_real_case_decided_as_recorded_changes_nothing_and_leaves_none_open() {
    let (plain, cases) = built();
    let decisions: Decisions = cases
        .iter()
        .map(|a| (CaseKey::of(a), Choice::AsRecorded))
        .collect();
    let (h, again) = decided(&decisions);
    assert_eq!((h.units(), h.events()), (plain.units(), plain.events()));
    assert!(open_cases(&again, &decisions).is_empty());
}

#[test]
fn a_real_decision_on_a_case_that_is_not_listed_is_refused() {
    let (case, _) = first_real_case(AmbiguityKind::EndedWithoutSuccessor);
    let moved = CaseKey {
        edition: "NBS2019".into(), // the first edition lists nothing
        ..CaseKey::of(&case)
    };
    let decisions: Decisions = [(moved.clone(), Choice::AsRecorded)].into_iter().collect();
    let err = History::build_with_decisions(hangzhou::editions().unwrap(), &decisions).unwrap_err();
    assert_eq!(
        err,
        HistoryError::StaleDecision {
            case: moved,
            choice: Choice::AsRecorded
        }
    );
}

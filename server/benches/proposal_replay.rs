//! The start-up cost of approved change proposals without PostGIS (issue 15): 20 proposals
//! approved on the default city and kept in a state directory's `accounts.sqlite` (10
//! transfers of a community to a neighbouring township, each recoding its doorplates and
//! facilities, then 10 renames of townships), replayed onto a fresh copy of the loaded
//! city as `civmap serve` does before indexing (`replay_approved`: read the 20 stored
//! changes, check each fits, apply it), and the former names read for the gazetteer
//! (`former_name_aliases`). The copy of the city is made outside the timing.
//!
//! `cargo bench -p civmap --bench proposal_replay -- --warm-up-time 1 --measurement-time 4`
//!
//! Recorded 2026-12-06 (2 shared cores, `--profile dev`: workspace crates at opt-level 1):
//! see the module's report in the issue 15 notes (docs/API.md, "What survives a restart").

use civmap_data::accounts::{AccountStore, AuditRecord};
use civmap_data::proposals::{DataEdit, Decision, NewProposal, ProposalStore};
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::proposal::{Branch, ProposalKind};
use civmap_geo_core::{AdminCode, AdminLevel, Dataset};
use civmap_server::service::proposal_replay::{former_name_aliases, replay_approved};
use civmap_server::service::proposals::branch_now;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

/// A former name as a decision stores it: (code, former code, name).
type Former = (AdminCode, Option<AdminCode>, String);

fn former(branch: &Branch) -> Vec<Former> {
    branch
        .former_names
        .iter()
        .map(|f| (f.code.clone(), f.former_code.clone(), f.name.clone()))
        .collect()
}

/// Up to 10 transfers (each community tried under the townships of its district) and 10
/// renames, each applied to `ds` as it goes.
fn twenty_kinds(ds: &mut Dataset) -> Vec<(ProposalKind, DataEdit, Vec<Former>)> {
    let mut out = Vec::new();
    let communities: Vec<_> = ds
        .admin
        .iter()
        .filter(|u| u.level == AdminLevel::Community)
        .step_by(97)
        .map(|u| (u.code.clone(), u.parent.clone()))
        .collect();
    'communities: for (community, township) in communities {
        let Some(district) = ds
            .admin
            .iter()
            .find(|u| Some(&u.code) == township.as_ref())
            .and_then(|t| t.parent.clone())
        else {
            continue;
        };
        let siblings: Vec<_> = ds
            .admin
            .iter()
            .filter(|u| u.parent.as_ref() == Some(&district) && Some(&u.code) != township.as_ref())
            .map(|u| u.code.clone())
            .collect();
        for to_township in siblings {
            let kind = ProposalKind::Transfer {
                community: community.clone(),
                to_township,
            };
            if let Ok((branch, edit)) = branch_now(ds, &kind) {
                edit.apply_to(ds)
                    .expect("an edit fits the data it was made on");
                out.push((kind, edit, former(&branch)));
                if out.len() == 10 {
                    break 'communities;
                }
                continue 'communities;
            }
        }
    }
    let townships: Vec<_> = ds
        .admin
        .iter()
        .filter(|u| u.level == AdminLevel::Township)
        .take(10)
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    for (unit, name) in townships {
        let kind = ProposalKind::Rename {
            unit,
            name: format!("新{name}"),
        };
        let (branch, edit) = branch_now(ds, &kind).expect("a rename applies");
        edit.apply_to(ds)
            .expect("an edit fits the data it was made on");
        out.push((kind, edit, former(&branch)));
    }
    out
}

/// Stores the proposals as approved, with their changes and former names.
async fn approve(store: &ProposalStore, ds: &Dataset) {
    let mut working = ds.clone();
    for (kind, edit, former) in twenty_kinds(&mut working) {
        let p = NewProposal {
            kind: kind.as_str().into(),
            request: serde_json::to_value(&kind).unwrap(),
            impact: serde_json::json!({}),
            valid: true,
        };
        let audit = || AuditRecord::new("bench", "proposal", "proposal");
        let id = store.create(p, audit()).await.unwrap().id;
        let decision = Decision::Approve {
            effective: "2099-01-01".into(),
            former_names: former,
            edit: Box::new(edit),
        };
        store.decide(id, decision, audit()).await.unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = AccountStore::open_dir(dir.path()).unwrap().proposals();
    rt.block_on(approve(&store, &ds));
    let edits = rt.block_on(store.approved_edits()).unwrap();
    let plates: usize = edits
        .iter()
        .map(|e| e.edit.as_ref().map_or(0, |e| e.doorplates.len()))
        .sum();
    let report = rt
        .block_on(replay_approved(&store, &mut ds.clone()))
        .unwrap();
    assert_eq!(report.replayed.len(), edits.len(), "{report:?}");
    eprintln!(
        "{} approvals ({} transfers) recoding {plates} doorplates, over {} units and {} doorplates",
        edits.len(),
        edits.len() - 10,
        ds.admin.len(),
        ds.doorplates.len()
    );

    let mut g = c.benchmark_group("proposal_replay");
    g.bench_function("replay_approved", |b| {
        b.iter_batched(
            || ds.clone(),
            |mut d| rt.block_on(replay_approved(&store, &mut d)).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("former_name_aliases", |b| {
        b.iter(|| rt.block_on(former_name_aliases(&store, &[])).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! The division history from the five real NBS editions (2019–2023, 17,263 rows):
//!
//! - `build`: [`History::build`] over the five editions at once (the "< 2 s");
//! - `build with decisions`: [`History::build_with_decisions`] with every real case decided
//!   (each ended unit with a candidate merged into its first candidate, the rest
//!   `as-recorded`), the integrity check of the decided history included;
//! - `rebuild each import`: what five imports in order compute — a build over the first
//!   1, 2, … 5 editions, each checked with [`History::check`];
//! - `sqlite import ×5`: the five `HistoryStore::import`s into a fresh in-memory
//!   `accounts.sqlite` (read stored editions, build, check, write, audit; one transaction
//!   each);
//! - `sqlite confirm`: one `HistoryStore::confirm` of a merger into a store holding the five
//!   editions (record, rebuild with the decisions, rewrite, audit; one transaction);
//! - `postgis import ×5`: the same into PostGIS (a throwaway cluster from
//!   `scripts/pg-cluster.sh`, the tables emptied between runs), the deferred constraint
//!   triggers running at each commit.
//!
//! Prints the median of `--runs N` (default 5) for each.
//!
//! `cargo run -p civmap-bench --bin history_import_harness -- --runs 5`

use std::time::Instant;

use anyhow::Context;
use civmap_bench::{median, Cluster};
use civmap_data::accounts::{AccountStore, AuditRecord};
use civmap_data::history::store::EditionFile;
use civmap_geo_core::history::{
    Ambiguity, AmbiguityKind, CaseKey, Choice, Decisions, Edition, History,
};

fn files(editions: &[Edition]) -> Vec<EditionFile> {
    editions
        .iter()
        .map(|e| EditionFile {
            lines: (0..e.rows.len()).map(|i| i as u32 + 2).collect(),
            source: format!("<embedded>/{}", e.id),
            edition: e.clone(),
        })
        .collect()
}

async fn import_all(store: &AccountStore, files: &[EditionFile]) -> anyhow::Result<()> {
    for f in files {
        let audit = AuditRecord::new(
            "bench",
            "history.import",
            format!("edition:{}", f.edition.id),
        );
        store.history().import(f.clone(), audit).await?;
    }
    Ok(())
}

/// Every case decided: an ended unit with a candidate merged into its first one, the rest
/// as recorded (a merger changes no other case, so the set stays valid).
fn every_case_decided(cases: &[Ambiguity]) -> Decisions {
    cases
        .iter()
        .map(|a| {
            let choice = match a.candidates.first() {
                Some(c) if a.kind == AmbiguityKind::EndedWithoutSuccessor => {
                    Choice::Candidate(c.clone())
                }
                _ => Choice::AsRecorded,
            };
            (CaseKey::of(a), choice)
        })
        .collect()
}

fn report(what: &str, ms: &mut [f64]) {
    println!(
        "{what:<28} median {:>9.1} ms  (runs: {})",
        median(ms),
        ms.len()
    );
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse::<usize>())
        .transpose()
        .context("--runs N")?
        .unwrap_or(5);
    let editions = civmap_data::hangzhou::editions()?;
    let rows: usize = editions.iter().map(|e| e.rows.len()).sum();
    println!("five NBS editions, {rows} rows");

    let mut ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let (h, amb) = History::build(editions.clone())?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box((h, amb));
    }
    report("build", &mut ms);

    let (_, cases) = History::build(editions.clone())?;
    let decisions = every_case_decided(&cases);
    let merged = decisions
        .iter()
        .filter(|(_, c)| **c != Choice::AsRecorded)
        .count();
    let mut ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let (h, amb) = History::build_with_decisions(editions.clone(), &decisions)?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        anyhow::ensure!(h.check().is_empty(), "the decided history fails its checks");
        std::hint::black_box((h, amb));
    }
    report(
        &format!("build with {} decisions ({merged} merged)", decisions.len()),
        &mut ms,
    );

    let mut ms = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        for k in 1..=editions.len() {
            let (h, _) = History::build(editions[..k].to_vec())?;
            anyhow::ensure!(h.check().is_empty(), "the history fails its checks");
        }
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("rebuild each import", &mut ms);

    let files = files(&editions);
    let rt = tokio::runtime::Runtime::new()?;
    let mut ms = Vec::new();
    for _ in 0..runs {
        let store = AccountStore::in_memory()?;
        let t = Instant::now();
        rt.block_on(import_all(&store, &files))?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("sqlite import x5", &mut ms);

    let mut ms = Vec::new();
    for _ in 0..runs {
        let store = AccountStore::in_memory()?;
        rt.block_on(import_all(&store, &files))?;
        let open = rt.block_on(store.history().ambiguities(true))?;
        let case = open
            .iter()
            .filter(|a| a.ambiguity.kind == AmbiguityKind::EndedWithoutSuccessor)
            .find_map(|a| {
                a.ambiguity
                    .candidates
                    .first()
                    .map(|c| (a.id, c.to_string()))
            })
            .context("an ended case with a candidate")?;
        let audit = AuditRecord::new("bench", "history.confirm", format!("ambiguity:{}", case.0));
        let t = Instant::now();
        rt.block_on(store.history().confirm(case.0, &case.1, None, audit))?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("sqlite confirm", &mut ms);

    let cluster = Cluster::start()?;
    let store = rt.block_on(AccountStore::connect_pg(&cluster.url))?;
    let (client, conn) =
        rt.block_on(tokio_postgres::connect(&cluster.url, tokio_postgres::NoTls))?;
    rt.spawn(conn);
    let mut ms = Vec::new();
    for _ in 0..runs {
        rt.block_on(
            client.batch_execute("TRUNCATE civmap.history_editions, civmap.history_units CASCADE"),
        )?;
        let t = Instant::now();
        rt.block_on(import_all(&store, &files))?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    report("postgis import x5", &mut ms);
    let c = rt.block_on(store.history().counts())?;
    println!("stored: {c:?}");
    Ok(())
}

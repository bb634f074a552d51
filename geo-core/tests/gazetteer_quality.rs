//! The gazetteer quality set: ≥ 300 queries in every style with expected top-1 answers
//! (tests/gazetteer/quality.tsv, written by make_quality.py from the real names), run against
//! the real Hangzhou division table. Prints top-1 and top-5 accuracy per style.

#[path = "gazetteer/dataset.rs"]
mod dataset;

use std::collections::BTreeMap;

use civmap_geo_core::gazetteer::{
    hangzhou_aliases, Gazetteer, PlaceKind, SearchHit, SearchOptions,
};

const QUALITY_TSV: &str = include_str!("gazetteer/quality.tsv");

fn is_expected(hit: &SearchHit, kind: &str, expected: &str) -> bool {
    hit.kind.as_str() == kind
        && if hit.kind == PlaceKind::Admin {
            hit.code.as_deref() == Some(expected)
        } else {
            hit.name == expected
        }
}

#[test]
fn gazetteer_quality_set_top1_at_least_95_percent_and_90_per_style() {
    let ds = dataset::quality_dataset();
    let gz = Gazetteer::build(&ds, &hangzhou_aliases());
    let opts = SearchOptions {
        limit: 5,
        ..SearchOptions::default()
    };
    // style → (queries, top-1, top-5)
    let mut per_style: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for line in QUALITY_TSV
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "bad quality line: {line}");
        let (style, q, kind, expected) = (f[0], f[1], f[2], f[3]);
        let hits = gz.search(q, &opts).unwrap_or_else(|e| panic!("{q}: {e}"));
        let s = per_style.entry(style).or_default();
        s.0 += 1;
        let top1 = hits.first().is_some_and(|h| is_expected(h, kind, expected));
        if top1 {
            s.1 += 1;
        } else {
            failures.push(format!(
                "  [{style}] {q} → expected {kind} {expected}, got {:?}",
                hits.iter()
                    .take(3)
                    .map(|h| format!("{} {} {:?} {:.3}", h.kind.as_str(), h.name, h.code, h.score))
                    .collect::<Vec<_>>()
            ));
        }
        if hits.iter().any(|h| is_expected(h, kind, expected)) {
            s.2 += 1;
        }
    }
    let (mut n, mut t1, mut t5) = (0, 0, 0);
    println!("{:<24} {:>5} {:>7} {:>7}", "style", "n", "top-1", "top-5");
    for (style, (q, a, b)) in &per_style {
        println!(
            "{style:<24} {q:>5} {:>6.1}% {:>6.1}%",
            100.0 * *a as f64 / *q as f64,
            100.0 * *b as f64 / *q as f64
        );
        n += q;
        t1 += a;
        t5 += b;
    }
    let overall = t1 as f64 / n as f64;
    println!(
        "{:<24} {n:>5} {:>6.1}% {:>6.1}%",
        "overall",
        100.0 * overall,
        100.0 * t5 as f64 / n as f64
    );
    if !failures.is_empty() {
        println!("top-1 misses:\n{}", failures.join("\n"));
    }
    assert!(n >= 300, "the quality set has {n} queries, want ≥ 300");
    assert!(per_style.len() >= 12, "styles: {:?}", per_style.keys());
    assert!(
        overall >= 0.95,
        "top-1 accuracy {:.1}% < 95%",
        100.0 * overall
    );
    for (style, (q, a, _)) in &per_style {
        let acc = *a as f64 / *q as f64;
        assert!(
            acc >= 0.90,
            "style {style}: top-1 {:.1}% < 90%",
            100.0 * acc
        );
    }
}

//! The numbering validator over every doorplate of the default city, checked against what
//! the generator guarantees: it numbers each road name's plates per side 1, 3, 5, … and
//! 2, 4, 6, … with none missing or repeated. So the validator may find no duplicate at
//! all, and a gap only on a name whose edges fall into two or more stretches (each stretch
//! holds part of the name's numbers) — stretches counted here by a breadth-first search of
//! its own. Prints the figures (`--nocapture`).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_geo_core::numbering::{check_numbering, NumberingRule};
use civmap_geo_core::WalkNetwork;

/// Connected stretches of each road name, by breadth-first search over its edges.
fn stretches_per_name(net: &WalkNetwork) -> HashMap<String, usize> {
    let mut adj: HashMap<&str, HashMap<u32, Vec<u32>>> = HashMap::new();
    for e in &net.edges {
        let Some(name) = e.road.map(|r| net.road_names[r as usize].as_str()) else {
            continue;
        };
        let g = adj.entry(name).or_default();
        g.entry(e.from).or_default().push(e.to);
        g.entry(e.to).or_default().push(e.from);
    }
    adj.into_iter()
        .map(|(name, g)| {
            let mut seen: HashSet<u32> = HashSet::new();
            let mut parts = 0;
            for &start in g.keys() {
                if !seen.insert(start) {
                    continue;
                }
                parts += 1;
                let mut queue = VecDeque::from([start]);
                while let Some(n) = queue.pop_front() {
                    for &m in &g[&n] {
                        if seen.insert(m) {
                            queue.push_back(m);
                        }
                    }
                }
            }
            (name.to_owned(), parts)
        })
        .collect()
}

#[test]
fn the_default_city_has_no_duplicates_and_gaps_only_between_stretches() {
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the generator runs");
    // the generator's promise, checked directly: per name and parity, 1..=max all present once
    let mut numbers: BTreeMap<(&str, u32), Vec<u32>> = BTreeMap::new();
    for p in &ds.doorplates {
        numbers
            .entry((&p.road, p.number % 2))
            .or_default()
            .push(p.number);
    }
    for ((road, parity), mut ns) in numbers {
        ns.sort_unstable();
        let expected: Vec<u32> = (0..ns.len() as u32).map(|k| 2 * k + 2 - parity).collect();
        assert_eq!(ns, expected, "{road} parity {parity}");
    }
    let r = check_numbering(&ds.doorplates, &ds.network);
    eprintln!(
        "numbering check of the default city: {} plates, {} roads, {} segments, {} unplaced, {} on the centreline; {:?}",
        r.plates, r.roads, r.segments, r.unplaced, r.on_centreline, r.counts
    );
    for rule in [
        NumberingRule::WrongSide,
        NumberingRule::OutOfSequence,
        NumberingRule::Gap,
    ] {
        for f in r.findings.iter().filter(|f| f.rule == rule).take(3) {
            eprintln!("  e.g. {f:?}");
        }
    }
    assert_eq!(r.plates, ds.doorplates.len());
    assert_eq!(r.counts.duplicate_numbers, 0);
    assert_eq!(r.counts.duplicate_plates, 0);
    let parts = stretches_per_name(&ds.network);
    for f in r.findings.iter().filter(|f| f.rule == NumberingRule::Gap) {
        let n = parts.get(&f.road).copied().unwrap_or(0);
        assert!(n >= 2, "a gap on {} with {n} stretch(es): {f:?}", f.road);
    }
    // segments counted by the validator never exceed the stretches that exist
    let with_plates: HashSet<&str> = ds.doorplates.iter().map(|p| p.road.as_str()).collect();
    let most: usize = with_plates
        .iter()
        .map(|name| parts.get(*name).copied().unwrap_or(0))
        .sum();
    assert!(
        r.segments <= most,
        "{} segments > {most} stretches",
        r.segments
    );
}

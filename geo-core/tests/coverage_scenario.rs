//! What-if edits against from-scratch recomputes, and greedy siting against the optimum.

/// Named `coverage::…` so that `cargo test -p civmap-geo-core coverage` selects them.
mod coverage {

    use civmap_geo_core::coverage::{
        CoverageEngine, CoverageMode, Scenario, ScenarioCoverage, SitingProblem, WalkProfile,
    };
    use civmap_geo_core::{Dataset, Doorplate, WalkNetwork};
    use geo::{coord, Point};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A jittered grid of `n × n` nodes ~100 m apart with some links missing.
    fn random_city(seed: u64, n: usize, doorplates: u64) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut net = WalkNetwork::default();
        for j in 0..n {
            for i in 0..n {
                net.add_node(coord! {
                    x: 120.10 + 0.001 * i as f64 + rng.gen_range(-0.0002..0.0002),
                    y: 30.20 + 0.0009 * j as f64 + rng.gen_range(-0.0002..0.0002),
                });
            }
        }
        let id = |i: usize, j: usize| (j * n + i) as u32;
        for j in 0..n {
            for i in 0..n {
                if i + 1 < n && rng.gen_bool(0.9) {
                    net.add_edge(id(i, j), id(i + 1, j), None);
                }
                if j + 1 < n && rng.gen_bool(0.9) {
                    net.add_edge(id(i, j), id(i, j + 1), None);
                }
            }
        }
        let doorplates = (0..doorplates)
            .map(|k| Doorplate {
                id: k,
                road: "路".into(),
                number: k as u32,
                location: Point::new(
                    120.10 + rng.gen_range(0.0..0.001 * n as f64),
                    30.20 + rng.gen_range(0.0..0.0009 * n as f64),
                ),
                residents: rng.gen_range(1..6),
                elderly: rng.gen_range(0..3),
                community: None,
                synthetic: true,
            })
            .collect();
        Dataset {
            network: net,
            doorplates,
            ..Dataset::default()
        }
    }

    fn point(rng: &mut ChaCha8Rng, n: usize) -> (f64, f64) {
        (
            120.10 + rng.gen_range(0.0..0.001 * n as f64),
            30.20 + rng.gen_range(0.0..0.0009 * n as f64),
        )
    }

    #[test]
    fn incremental_edits_equal_a_from_scratch_recompute_on_random_edits() {
        let n = 30;
        let dataset = random_city(3, n, 5000);
        let engine = CoverageEngine::new(&dataset);
        let profile = WalkProfile::standard();
        for seed in 0..6 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut open: Vec<(u32, f64, f64)> = (0..12)
                .map(|r| {
                    let (lon, lat) = point(&mut rng, n);
                    (r, lon, lat)
                })
                .collect();
            let minutes = rng.gen_range(3.0..8.0);
            let mut scenario = ScenarioCoverage::new(&engine, &open, minutes, &profile).unwrap();
            for step in 0..25 {
                match rng.gen_range(0..3) {
                    0 => {
                        let (lon, lat) = point(&mut rng, n);
                        scenario.add(&format!("new-{step}"), lon, lat).unwrap();
                        open.push((1000 + step, lon, lat));
                    }
                    1 if open.iter().any(|o| o.0 < 1000) => {
                        let base: Vec<usize> =
                            (0..open.len()).filter(|&k| open[k].0 < 1000).collect();
                        let k = base[rng.gen_range(0..base.len())];
                        let (r, _, _) = open.remove(k);
                        scenario.close(r).unwrap();
                    }
                    _ => {
                        let base: Vec<usize> =
                            (0..open.len()).filter(|&k| open[k].0 < 1000).collect();
                        if let Some(&k) = base.get(rng.gen_range(0..base.len().max(1))) {
                            let (lon, lat) = point(&mut rng, n);
                            scenario.relocate(open[k].0, lon, lat).unwrap();
                            open[k] = (open[k].0, lon, lat);
                        }
                    }
                }
                let incremental = scenario.result();
                let (labels, scratch) = scenario.from_scratch();
                assert_eq!(
                    scenario.labels(),
                    &labels,
                    "seed {seed} step {step}: labels"
                );
                assert_eq!(incremental, scratch, "seed {seed} step {step}: result");
                assert_eq!(&scenario.evaluate_all(), scenario.current());
                // And the same distances as a plain coverage of the edited source list.
                let plain = engine
                    .coverage(&open, minutes, &profile, CoverageMode::Walk)
                    .unwrap();
                assert_eq!(incremental.per_doorplate, plain.per_doorplate);
                assert_eq!(incremental.covered, plain.covered);
            }
        }
    }

    #[test]
    fn scenario_apply_closes_moves_and_adds() {
        let dataset = random_city(4, 20, 2000);
        let engine = CoverageEngine::new(&dataset);
        let profile = WalkProfile::elderly();
        let sources = [
            (0, 120.105, 30.205),
            (1, 120.115, 30.215),
            (2, 120.11, 30.21),
        ];
        let mut s = ScenarioCoverage::new(&engine, &sources, 5.0, &profile).unwrap();
        let before = s.result().covered_count();
        s.apply(&Scenario {
            add: vec![("x".into(), 120.102, 30.215)],
            close: vec![2],
            moves: vec![(0, 120.118, 30.203)],
        })
        .unwrap();
        let expected = engine
            .coverage(
                &[
                    (0, 120.118, 30.203),
                    (1, 120.115, 30.215),
                    (9, 120.102, 30.215),
                ],
                5.0,
                &profile,
                CoverageMode::Walk,
            )
            .unwrap();
        assert_eq!(s.result().per_doorplate, expected.per_doorplate);
        assert_ne!(before, 0);
        assert!(
            s.close(2).is_err(),
            "a closed record cannot be closed again"
        );
    }

    #[test]
    fn greedy_siting_reaches_at_least_1_minus_1_over_e_of_the_optimum() {
        let dataset = random_city(8, 25, 6000);
        let engine = CoverageEngine::new(&dataset);
        let profile = WalkProfile::standard();
        let sources = [(0, 120.105, 30.205)];
        let base = engine
            .coverage(&sources, 4.0, &profile, CoverageMode::Walk)
            .unwrap();
        let mut worst: f64 = 1.0;
        let mut ratios = Vec::new();
        for seed in 0..5 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let candidates: Vec<(f64, f64)> = (0..16).map(|_| point(&mut rng, 25)).collect();
            let problem = SitingProblem::new(&engine, &base, &candidates, 4.0, &profile).unwrap();
            for k in [2, 3, 4] {
                let greedy = problem.greedy(k);
                let greedy_value: u64 = greedy.iter().map(|g| g.1).sum();
                let picks: Vec<usize> = greedy.iter().map(|g| g.0).collect();
                assert_eq!(problem.value(&picks), greedy_value);
                let (_, optimum) = problem.exact(k);
                assert!(optimum >= greedy_value);
                let ratio = greedy_value as f64 / optimum.max(1) as f64;
                assert!(ratio >= 1.0 - 1.0 / std::f64::consts::E, "ratio {ratio}");
                worst = worst.min(ratio);
                ratios.push(ratio);
            }
        }
        let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
        println!(
            "greedy/optimum over {} instances: worst {worst:.4}, mean {mean:.4} (bound 0.6321)",
            ratios.len()
        );
    }

    #[test]
    fn suggested_sites_newly_cover_what_they_claim() {
        let dataset = random_city(10, 20, 3000);
        let engine = CoverageEngine::new(&dataset);
        let profile = WalkProfile::standard();
        let sources = [(0, 120.105, 30.205)];
        let sites =
            civmap_geo_core::coverage::suggest_sites(&engine, &sources, 3.0, &profile, 3, None)
                .unwrap();
        assert_eq!(sites.len(), 3);
        assert!(sites
            .windows(2)
            .all(|w| w[0].newly_covered_elderly >= w[1].newly_covered_elderly));
        let elderly_covered = |srcs: &[(u32, f64, f64)]| -> u64 {
            let r = engine
                .coverage(srcs, 3.0, &profile, CoverageMode::Walk)
                .unwrap();
            engine.report(&r, None).total.covered_elderly
        };
        let mut all = sources.to_vec();
        all.extend(
            sites
                .iter()
                .enumerate()
                .map(|(i, s)| (1 + i as u32, s.lon, s.lat)),
        );
        let gained: u64 = sites.iter().map(|s| s.newly_covered_elderly).sum();
        assert_eq!(elderly_covered(&all), elderly_covered(&sources) + gained);
    }
}

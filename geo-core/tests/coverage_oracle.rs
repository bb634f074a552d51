//! Oracles for the coverage engine: naive Dijkstra, Floyd–Warshall, brute-force snapping
//! and brute-force geodesics on random small cities.

/// Named `coverage::…` so that `cargo test -p civmap-geo-core coverage` selects them.
mod coverage {

    use civmap_geo_core::coverage::{
        metres_per_degree, multi_source, CoverageEngine, CoverageMode, Snap, WalkGraph,
        WalkProfile, NO_SOURCE,
    };
    use civmap_geo_core::{AdminCode, AdminLevel, AdminUnit, Dataset, Doorplate, WalkNetwork};
    use geo::{coord, Area, Contains, Distance, Geodesic, Intersects, MultiPolygon, Point};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A jittered grid of `n × n` nodes ~100 m apart, some links missing, some diagonals.
    fn random_network(rng: &mut ChaCha8Rng, n: usize) -> WalkNetwork {
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
                if i + 1 < n && rng.gen_bool(0.85) {
                    net.add_edge(id(i, j), id(i + 1, j), None);
                }
                if j + 1 < n && rng.gen_bool(0.85) {
                    net.add_edge(id(i, j), id(i, j + 1), None);
                }
                if i + 1 < n && j + 1 < n && rng.gen_bool(0.1) {
                    net.add_edge(id(i, j), id(i + 1, j + 1), None);
                }
            }
        }
        net
    }

    fn random_point(rng: &mut ChaCha8Rng, n: usize) -> (f64, f64) {
        (
            120.10 + rng.gen_range(-0.0005..0.001 * n as f64),
            30.20 + rng.gen_range(-0.0005..0.0009 * n as f64),
        )
    }

    fn doorplate(id: u64, (lon, lat): (f64, f64), community: Option<&str>) -> Doorplate {
        Doorplate {
            id,
            road: "路".into(),
            number: id as u32,
            location: Point::new(lon, lat),
            residents: 1 + (id % 5) as u32,
            elderly: (id % 3) as u32,
            community: community.map(|c| AdminCode::parse(c).unwrap()),
            synthetic: true,
        }
    }

    fn random_city(seed: u64, n: usize, doorplates: usize) -> Dataset {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let network = random_network(&mut rng, n);
        let doorplates = (0..doorplates as u64)
            .map(|i| doorplate(i, random_point(&mut rng, n), None))
            .collect();
        Dataset {
            network,
            doorplates,
            ..Dataset::default()
        }
    }

    /// Plain O(n²) Dijkstra over an adjacency matrix, in f64.
    fn naive_dijkstra(net: &WalkNetwork, seeds: &[(u32, f64)]) -> Vec<f64> {
        let n = net.nodes.len();
        let mut w = vec![vec![f64::INFINITY; n]; n];
        for e in &net.edges {
            let (a, b) = (e.from as usize, e.to as usize);
            w[a][b] = w[a][b].min(e.length_m);
            w[b][a] = w[b][a].min(e.length_m);
        }
        let mut dist = vec![f64::INFINITY; n];
        for &(v, d) in seeds {
            dist[v as usize] = dist[v as usize].min(d);
        }
        let mut done = vec![false; n];
        for _ in 0..n {
            let Some(u) = (0..n)
                .filter(|&v| !done[v] && dist[v].is_finite())
                .min_by(|&a, &b| dist[a].total_cmp(&dist[b]))
            else {
                break;
            };
            done[u] = true;
            for v in 0..n {
                if dist[u] + w[u][v] < dist[v] {
                    dist[v] = dist[u] + w[u][v];
                }
            }
        }
        dist
    }

    fn floyd(net: &WalkNetwork) -> Vec<Vec<f64>> {
        let n = net.nodes.len();
        let mut d = vec![vec![f64::INFINITY; n]; n];
        for (i, row) in d.iter_mut().enumerate() {
            row[i] = 0.0;
        }
        for e in &net.edges {
            let (a, b) = (e.from as usize, e.to as usize);
            d[a][b] = d[a][b].min(e.length_m);
            d[b][a] = d[b][a].min(e.length_m);
        }
        for k in 0..n {
            for i in 0..n {
                for j in 0..n {
                    let via = d[i][k] + d[k][j];
                    if via < d[i][j] {
                        d[i][j] = via;
                    }
                }
            }
        }
        d
    }

    #[test]
    fn multi_source_dijkstra_matches_naive_dijkstra_on_random_graphs() {
        for seed in 0..60 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let n = rng.gen_range(3..12);
            let net = random_network(&mut rng, n);
            let graph = WalkGraph::build(&net);
            let snapper = civmap_geo_core::coverage::Snapper::build(&net);
            let snaps: Vec<Option<Snap>> = (0..rng.gen_range(1..5))
                .map(|_| {
                    let (lon, lat) = random_point(&mut rng, n);
                    snapper.snap(lon, lat)
                })
                .collect();
            let mut seeds = Vec::new();
            for s in snaps.iter().flatten() {
                let e = net.edges[s.edge as usize];
                seeds.push((e.from, s.offset_m + s.node_a_m));
                seeds.push((e.to, s.offset_m + s.node_b_m));
            }
            let expected = naive_dijkstra(&net, &seeds);
            for limit_m in [f64::INFINITY, 250.0] {
                let limit_nm = civmap_geo_core::coverage::dijkstra::to_nm(limit_m);
                let labels = multi_source(&graph, &snaps, limit_nm);
                // split in random groups, searched on their own threads and merged: the same
                let groups_n = rng.gen_range(1..4);
                let mut groups = vec![Vec::new(); groups_n];
                for slot in 0..snaps.len() as u32 {
                    groups[rng.gen_range(0..groups_n)].push(slot);
                }
                assert_eq!(
                    civmap_geo_core::coverage::dijkstra::multi_source_grouped(
                        &graph, &snaps, &groups, limit_nm
                    ),
                    labels,
                    "seed {seed}: grouped search"
                );
                for (v, &exp) in expected.iter().enumerate() {
                    let want = if exp <= limit_m { exp } else { f64::INFINITY };
                    let got = labels.dist_m(v as u32);
                    if want.is_finite() {
                        assert!(
                            (got - want).abs() < 1e-6,
                            "seed {seed} node {v}: {got} vs {want}"
                        );
                        assert_ne!(labels.source[v], NO_SOURCE);
                    } else {
                        // Right at the limit rounding may go either way; elsewhere unreached.
                        assert!(
                            got.is_infinite() || (exp - limit_m).abs() < 1e-6,
                            "seed {seed} node {v}: {got} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// Local metric frame distance from a point to a segment, written independently.
    fn brute_local(net: &WalkNetwork, edge: usize, lon: f64, lat: f64) -> (f64, f64) {
        let (kx, ky) = metres_per_degree(lat);
        let e = net.edges[edge];
        let a = net.nodes[e.from as usize];
        let b = net.nodes[e.to as usize];
        let (ax, ay) = ((a.x - lon) * kx, (a.y - lat) * ky);
        let (bx, by) = ((b.x - lon) * kx, (b.y - lat) * ky);
        let (dx, dy) = (bx - ax, by - ay);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 {
            (-(ax * dx + ay * dy) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        ((ax + t * dx).hypot(ay + t * dy), t)
    }

    #[test]
    fn snapping_matches_a_brute_force_scan_of_every_edge() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let net = random_network(&mut rng, 25);
        let snapper = civmap_geo_core::coverage::Snapper::build(&net);
        for _ in 0..2000 {
            let (lon, lat) = random_point(&mut rng, 25);
            let got = snapper.snap(lon, lat).unwrap();
            let (best_edge, (best_d, best_t)) = (0..net.edges.len())
                .map(|e| (e, brute_local(&net, e, lon, lat)))
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0).then(a.0.cmp(&b.0)))
                .unwrap();
            let (got_d, got_t) = brute_local(&net, got.edge as usize, lon, lat);
            // Equal up to rounding: a tie at a shared node may go to either edge.
            assert!((got_d - best_d).abs() < 1e-9, "point ({lon}, {lat})");
            if got.edge as usize != best_edge {
                continue;
            }
            assert!((got.t - best_t).abs() < 1e-12 && (got_t - best_t).abs() < 1e-12);
            let e = net.edges[best_edge];
            let (a, b) = (net.nodes[e.from as usize], net.nodes[e.to as usize]);
            let foot = Point::new(a.x + best_t * (b.x - a.x), a.y + best_t * (b.y - a.y));
            let leg = Geodesic.distance(Point::new(lon, lat), foot);
            assert!((got.offset_m - leg).abs() < 1e-9);
            // The local frame agrees with the geodesic leg to ~1e-4 relative within 1 km.
            assert!(
                (best_d - leg).abs() <= 1e-3 * leg.max(1.0),
                "{best_d} vs {leg}"
            );
            assert!((got.node_a_m + got.node_b_m - e.length_m).abs() < 1e-9);
        }
    }

    #[test]
    fn walk_coverage_matches_floyd_warshall_over_snapped_points() {
        for seed in 0..8 {
            let mut rng = ChaCha8Rng::seed_from_u64(100 + seed);
            let n = rng.gen_range(4..14);
            let dataset = random_city(100 + seed, n, 200);
            let engine = CoverageEngine::new(&dataset);
            let sources: Vec<(u32, f64, f64)> = (0..rng.gen_range(1..6))
                .map(|r| {
                    let (lon, lat) = random_point(&mut rng, n);
                    (r, lon, lat)
                })
                .collect();
            // Put one source right on a doorplate's edge, to exercise the same-edge walk.
            let (lon, lat) = (
                dataset.doorplates[0].location.x() + 0.00003,
                dataset.doorplates[0].location.y(),
            );
            let mut sources = sources;
            sources.push((99, lon, lat));
            let d = floyd(&dataset.network);
            let snaps: Vec<Snap> = sources
                .iter()
                .map(|&(_, lon, lat)| engine.snapper().snap(lon, lat).unwrap())
                .collect();
            let profile = WalkProfile::new("test", 1.2);
            let minutes = rng.gen_range(2.0..10.0);
            let limit_m = profile.distance_m(minutes);
            let result = engine
                .coverage(&sources, minutes, &profile, CoverageMode::Walk)
                .unwrap();
            for (i, &walk_s) in result.per_doorplate.iter().enumerate() {
                let p = engine.doorplate_snap(i).unwrap();
                let pe = dataset.network.edges[p.edge as usize];
                let mut best = f64::INFINITY;
                for s in &snaps {
                    let se = dataset.network.edges[s.edge as usize];
                    for (x, sx) in [(se.from, s.node_a_m), (se.to, s.node_b_m)] {
                        for (y, py) in [(pe.from, p.node_a_m), (pe.to, p.node_b_m)] {
                            let v = s.offset_m + sx + d[x as usize][y as usize] + py + p.offset_m;
                            best = best.min(v);
                        }
                    }
                    if s.edge == p.edge {
                        best = best.min(s.offset_m + (s.t - p.t).abs() * pe.length_m + p.offset_m);
                    }
                }
                if best <= limit_m - 1e-6 {
                    assert!(result.covered[i]);
                    let want = (best / 1.2) as f32;
                    assert!(
                        (walk_s - want).abs() <= 1e-5 * want.max(1.0),
                        "seed {seed} doorplate {i}: {walk_s} vs {want}"
                    );
                } else if best > limit_m + 1e-6 {
                    assert!(!result.covered[i] && walk_s.is_infinite());
                }
            }
        }
    }

    #[test]
    fn straight_mode_matches_brute_force_geodesic_within() {
        let dataset = random_city(5, 12, 3000);
        let engine = CoverageEngine::new(&dataset);
        let mut rng = ChaCha8Rng::seed_from_u64(55);
        let sources: Vec<(u32, f64, f64)> = (0..6)
            .map(|r| {
                let (lon, lat) = random_point(&mut rng, 12);
                (r, lon, lat)
            })
            .collect();
        let profile = WalkProfile::standard();
        let result = engine
            .coverage(&sources, 4.0, &profile, CoverageMode::Straight)
            .unwrap();
        let r = 240.0;
        for (i, d) in dataset.doorplates.iter().enumerate() {
            let best = sources
                .iter()
                .map(|&(_, lon, lat)| Geodesic.distance(d.location, Point::new(lon, lat)))
                .fold(f64::INFINITY, f64::min);
            assert_eq!(result.covered[i], best <= r, "doorplate {i} at {best} m");
            if best <= r {
                assert!((result.per_doorplate[i] as f64 - best).abs() < 1e-3);
            }
        }
        assert!(result.covered_count() > 0 && result.covered_count() < dataset.doorplates.len());
    }

    #[test]
    fn report_counts_each_doorplate_in_its_community_and_every_ancestor() {
        let mut dataset = random_city(9, 10, 0);
        let unit = |code: &str, level, parent: Option<&str>| AdminUnit {
            code: AdminCode::parse(code).unwrap(),
            name: code.into(),
            level,
            parent: parent.map(|p| AdminCode::parse(p).unwrap()),
            kind: String::new(),
            geometry: MultiPolygon(vec![]),
            population: 0,
            elderly: 0,
            synthetic: true,
        };
        dataset.admin = vec![
            unit("330100000000", AdminLevel::City, None),
            unit("330106000000", AdminLevel::District, Some("330100000000")),
            unit("330106001000", AdminLevel::Township, Some("330106000000")),
            unit("330106001001", AdminLevel::Community, Some("330106001000")),
            unit("330106001002", AdminLevel::Community, Some("330106001000")),
        ];
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let codes = [Some("330106001001"), Some("330106001002"), None];
        dataset.doorplates = (0..600)
            .map(|i| doorplate(i, random_point(&mut rng, 10), codes[i as usize % 3]))
            .collect();
        let engine = CoverageEngine::new(&dataset);
        let result = engine
            .coverage(
                &[(0, 120.103, 30.203)],
                5.0,
                &WalkProfile::standard(),
                CoverageMode::Walk,
            )
            .unwrap();
        let all = engine.report(&result, None);
        let by = |code: &str| all.units.iter().find(|u| u.code.as_str() == code).unwrap();
        let (c1, c2, t) = (by("330106001001"), by("330106001002"), by("330106001000"));
        assert_eq!(t.population, c1.population + c2.population);
        assert_eq!(t.covered_elderly, c1.covered_elderly + c2.covered_elderly);
        assert_eq!(by("330100000000").elderly, t.elderly);
        assert!(all.total.population > t.population); // uncoded doorplates count in the total
        let want: u64 = dataset
            .doorplates
            .iter()
            .zip(&result.covered)
            .filter(|(_, &c)| c)
            .map(|(d, _)| d.elderly as u64)
            .sum();
        assert_eq!(all.total.covered_elderly, want);
        assert!(want > 0 && all.total.share_elderly < 1.0);
        let townships = engine.report(&result, Some(AdminLevel::Township));
        assert_eq!(townships.units.len(), 1);
    }

    #[test]
    fn gaps_partition_uncovered_doorplates_ranked_by_elderly() {
        let dataset = random_city(11, 20, 4000);
        let engine = CoverageEngine::new(&dataset);
        let result = engine
            .coverage(
                &[(0, 120.11, 30.209), (1, 120.102, 30.202)],
                3.0,
                &WalkProfile::standard(),
                CoverageMode::Walk,
            )
            .unwrap();
        let gaps = engine.gaps(&result, 200.0).unwrap();
        let uncovered = result.covered.iter().filter(|&&c| !c).count();
        assert_eq!(
            gaps.iter().map(|g| g.doorplates.len()).sum::<usize>(),
            uncovered
        );
        assert!(gaps.windows(2).all(|w| w[0].elderly >= w[1].elderly));
        for g in &gaps {
            for &i in &g.doorplates {
                assert!(!result.covered[i as usize]);
                assert!(g
                    .outline
                    .intersects(&dataset.doorplates[i as usize].location));
            }
        }
    }

    #[test]
    fn gaps_by_township_never_cross_a_township_border() {
        let mut dataset = random_city(11, 20, 4000);
        let unit = |code: &str, level, parent: Option<&str>| AdminUnit {
            code: AdminCode::parse(code).unwrap(),
            name: code.into(),
            level,
            parent: parent.map(|p| AdminCode::parse(p).unwrap()),
            kind: String::new(),
            geometry: MultiPolygon(vec![]),
            population: 0,
            elderly: 0,
            synthetic: true,
        };
        dataset.admin = vec![
            unit("330100000000", AdminLevel::City, None),
            unit("330106000000", AdminLevel::District, Some("330100000000")),
            unit("330106001000", AdminLevel::Township, Some("330106000000")),
            unit("330106002000", AdminLevel::Township, Some("330106000000")),
            unit("330106001001", AdminLevel::Community, Some("330106001000")),
            unit("330106002001", AdminLevel::Community, Some("330106002000")),
        ];
        // a border down the middle of the city, through its uncovered blocks
        let mid = {
            let mut xs: Vec<f64> = dataset.doorplates.iter().map(|d| d.location.x()).collect();
            xs.sort_by(f64::total_cmp);
            xs[xs.len() / 2]
        };
        for d in &mut dataset.doorplates {
            let code = if d.location.x() < mid {
                "330106001001"
            } else {
                "330106002001"
            };
            d.community = Some(AdminCode::parse(code).unwrap());
        }
        let engine = CoverageEngine::new(&dataset);
        let result = engine
            .coverage(
                &[(0, 120.11, 30.209)],
                3.0,
                &WalkProfile::standard(),
                CoverageMode::Walk,
            )
            .unwrap();
        let uncovered = result.covered.iter().filter(|&&c| !c).count();
        let across = engine.gaps(&result, 200.0).unwrap();
        let within = engine
            .gaps_by_unit(&result, 200.0, Some(AdminLevel::Township))
            .unwrap();
        let total = |gaps: &[civmap_geo_core::coverage::Gap]| {
            gaps.iter().map(|g| g.doorplates.len()).sum::<usize>()
        };
        assert_eq!(total(&across), uncovered);
        assert_eq!(total(&within), uncovered);
        // the border splits at least one area that touched across it
        assert!(
            within.len() > across.len(),
            "{} vs {}",
            within.len(),
            across.len()
        );
        for g in &within {
            let township = &dataset.admin[g.unit.expect("every doorplate has a township") as usize];
            assert_eq!(township.level, AdminLevel::Township);
            for &i in &g.doorplates {
                let community = dataset.doorplates[i as usize].community.as_ref().unwrap();
                assert_eq!(&community.as_str()[..9], &township.code.as_str()[..9]);
                assert!(g
                    .outline
                    .intersects(&dataset.doorplates[i as usize].location));
            }
        }
        // groups of units (a past edition's units made of today's): each township its own
        // group is gaps_by_unit at township level; both townships one group (a unit made of
        // both) is the gaps that cross their border, all in that group
        let never = civmap_geo_core::coverage::Cancel::never();
        let own: Vec<u32> = (0..dataset.admin.len() as u32)
            .map(|u| match dataset.admin[u as usize].level {
                AdminLevel::Township => u,
                _ => u32::MAX,
            })
            .collect();
        assert_eq!(engine.admin_unit_count(), dataset.admin.len());
        let by_own = engine
            .gaps_by_group_cancellable(&result, 200.0, &own, &never)
            .unwrap();
        assert_eq!(by_own, within);
        let one: Vec<u32> = own
            .iter()
            .map(|&g| if g == u32::MAX { u32::MAX } else { 7 })
            .collect();
        let merged = engine
            .gaps_by_group_cancellable(&result, 200.0, &one, &never)
            .unwrap();
        assert_eq!(merged.len(), across.len());
        for (m, a) in merged.iter().zip(&across) {
            assert_eq!(m.unit, Some(7));
            assert_eq!((&m.doorplates, m.cells), (&a.doorplates, a.cells));
        }
    }

    #[test]
    fn service_area_holds_covered_doorplates_near_streets_and_no_far_point() {
        let dataset = random_city(12, 20, 3000);
        let engine = CoverageEngine::new(&dataset);
        let sources = [(0, 120.11, 30.209)];
        let profile = WalkProfile::standard();
        let area = engine.service_area(&sources, 5.0, &profile, 20.0).unwrap();
        assert!(!area.0.is_empty());
        let result = engine
            .coverage(&sources, 5.0, &profile, CoverageMode::Walk)
            .unwrap();
        for (i, d) in dataset.doorplates.iter().enumerate() {
            let snap = engine.doorplate_snap(i).unwrap();
            if result.covered[i] && snap.offset_m < 15.0 {
                assert!(
                    area.contains(&d.location),
                    "covered doorplate {i} outside the area"
                );
            }
            // Beyond the limit in a straight line, nothing can be in the area.
            if Geodesic.distance(d.location, Point::new(120.11, 30.209)) > 300.0 + 60.0 {
                assert!(
                    !area.contains(&d.location),
                    "far doorplate {i} inside the area"
                );
            }
        }
        // Area is well below the straight-line circle's (the network detours).
        let (kx, ky) = metres_per_degree(30.21);
        let area_m2 = area.unsigned_area() * kx * ky;
        assert!(area_m2 < std::f64::consts::PI * 360.0 * 360.0, "{area_m2}");
    }
}

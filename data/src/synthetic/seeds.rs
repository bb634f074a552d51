//! Placing seed points inside a polygon with Mitchell's best-candidate algorithm: each new
//! seed is the candidate farthest from the seeds already placed, with distance scaled by a
//! density preference, giving an irregular but even spread (no grid artefacts, no clumps).

use geo::{BoundingRect, Contains, Coord, MultiPolygon, Point};
use rand::Rng;

/// Draws a uniform random point inside `mp` (plane metres) by rejection from its bounding box.
pub fn random_point_in<R: Rng>(mp: &MultiPolygon<f64>, rng: &mut R) -> Option<Coord<f64>> {
    let r = mp.bounding_rect()?;
    for _ in 0..10_000 {
        let c = Coord {
            x: rng.gen_range(r.min().x..=r.max().x),
            y: rng.gen_range(r.min().y..=r.max().y),
        };
        if mp.contains(&Point(c)) {
            return Some(c);
        }
    }
    None
}

/// Adds `n` seeds inside `mp` to `placed`, each chosen among `candidates` uniform points as
/// the one maximising `min distance to placed seeds × preference(point)`. Candidates must
/// satisfy `land` (seeds stay out of water, so every unit has dry ground around its seed);
/// only if none of many draws does is a wet point accepted, so that every row still gets
/// its seed.
pub fn best_candidate_seeds<R: Rng>(
    mp: &MultiPolygon<f64>,
    n: usize,
    placed: &mut Vec<Coord<f64>>,
    candidates: usize,
    preference: &dyn Fn(Coord<f64>) -> f64,
    land: &dyn Fn(Coord<f64>) -> bool,
    rng: &mut R,
) {
    for _ in 0..n {
        let mut best: Option<(f64, Coord<f64>)> = None;
        let mut fallback = None;
        for _ in 0..candidates {
            let mut drawn = None;
            for _ in 0..20 {
                let Some(c) = random_point_in(mp, rng) else {
                    break;
                };
                if land(c) {
                    drawn = Some(c);
                    break;
                }
                fallback.get_or_insert(c);
            }
            let Some(c) = drawn else {
                continue;
            };
            let d = placed
                .iter()
                .map(|p| (p.x - c.x).powi(2) + (p.y - c.y).powi(2))
                .fold(f64::INFINITY, f64::min);
            let score = if d.is_finite() {
                d.sqrt() * preference(c)
            } else {
                preference(c)
            };
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, c));
            }
        }
        if let Some(c) = best.map(|(_, c)| c).or(fallback) {
            placed.push(c);
        }
    }
}

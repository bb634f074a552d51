//! The synthetic Hangzhou: a deterministic generator that builds, on the real frame of
//! [`crate::hangzhou`] (district polygons, NBS codes and names, census totals), everything
//! no open source publishes: township and community polygons, population and elderly per
//! community, a walking network, doorplates and facilities. Every generated record has
//! `synthetic: true`. Same seed and scale → byte-identical dataset. The real water
//! ([`crate::hangzhou::water_bodies`]) is respected: no seed, street node, doorplate or
//! facility in it, no street across it except on a (synthetic) bridge.
//!
//! ```no_run
//! use civmap_data::synthetic::{generate, GeneratorConfig};
//! let city = generate(&GeneratorConfig { seed: 1, scale: 1 }, &mut |_| {}).unwrap();
//! assert_eq!(city.admin.iter().filter(|u| u.level == civmap_geo_core::AdminLevel::Community).count(), 3320);
//! ```

mod admin;
mod allocate;
mod doorplates;
mod facilities;
mod names;
mod plane;
mod seeds;
mod streets;
mod urban_field;
mod voronoi;
mod water;

pub use allocate::{allocate_capped, allocate_exact};
pub use plane::LocalPlane;
pub use urban_field::UrbanField;
pub use voronoi::partition;
pub use water::{PlaneBody, Water};

use civmap_geo_core::{Dataset, DatasetMeta};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{hangzhou, DataError};

/// Generator settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Seed of every random choice.
    pub seed: u64,
    /// Density multiplier: `scale` times the streets (spacing / √scale), doorplates and
    /// facilities over the same land and the same people. 1 is the default city.
    pub scale: u32,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            seed: DEFAULT_SEED,
            scale: 1,
        }
    }
}

/// The seed of the embedded default city.
pub const DEFAULT_SEED: u64 = 2021_2025;

/// Bumped whenever the generator's output changes, so cached snapshots are rebuilt (the
/// cache file name carries it, see [`crate::store::default_city`]). 2: the city keeps out
/// of the real water and crosses it on bridges.
pub const GENERATOR_VERSION: u32 = 2;

/// Doorplates in the default (scale 1) city.
pub const DOORPLATES_AT_SCALE_1: u64 = 500_000;

/// A deterministic random stream for one named step and index, independent of the others,
/// so that changing one step does not reshuffle the rest.
pub(crate) fn rng_for(seed: u64, step: &str, index: u64) -> ChaCha8Rng {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in step
        .bytes()
        .chain(index.to_le_bytes())
        .chain(seed.to_le_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// Builds the synthetic city. `progress` receives a short line per step.
pub fn generate(
    cfg: &GeneratorConfig,
    progress: &mut dyn FnMut(&str),
) -> Result<Dataset, DataError> {
    if cfg.scale == 0 || cfg.scale > 64 {
        return Err(DataError::invalid(
            "generator",
            "config",
            Some("scale"),
            "scale must be 1..=64",
        ));
    }
    let frame = hangzhou::frame()?;
    let plane = LocalPlane::hangzhou();
    let field = UrbanField::hangzhou(&plane);
    let water = Water::new(&hangzhou::water_bodies(&frame)?, &plane);
    progress("partitioning districts into townships and communities");
    let plan = admin::plan_city(&frame, &plane, &field, &water, cfg.seed)?;
    progress("laying the walking network");
    let streets = streets::build(&plan, &plane, &water, cfg)?;
    progress(&format!(
        "{} bridges over the rivers and lakes (synthetic positions)",
        streets.bridges.len()
    ));
    progress("numbering doorplates");
    let doorplates = doorplates::place(&plan, &streets, &plane, &water, cfg);
    progress("siting facilities");
    let facilities = facilities::site(&plan, &doorplates, &plane, &water, cfg);
    let mut meta = DatasetMeta {
        name: format!(
            "Hangzhou (synthetic city on real boundaries, seed {}, scale {})",
            cfg.seed, cfg.scale
        ),
        seed: Some(cfg.seed),
        scale: Some(cfg.scale),
        attribution: hangzhou::ATTRIBUTION
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
    };
    meta.attribution.push(
        "Townships below district level, communities' polygons and figures, streets, doorplates and facilities: synthetic (civmap generator)".into(),
    );
    Ok(Dataset {
        meta,
        admin: plan.admin_units(&plane),
        facilities,
        doorplates: doorplates.records,
        landmarks: Vec::new(),
        network: streets.network,
    })
}

//! Which dataset a command works on: a data directory, or the default city (generated
//! once and cached).

use std::path::Path;
use std::time::Instant;

use civmap_data::store::{default_cache_dir, default_city, DataDir};
use civmap_data::synthetic::GeneratorConfig;
use civmap_geo_core::Dataset;

use super::CityArgs;

/// The default city (cached) or a data directory.
pub fn load(data: Option<&Path>, city: &CityArgs) -> anyhow::Result<Dataset> {
    if let Some(dir) = data {
        return Ok(DataDir::new(dir).load()?);
    }
    let t = Instant::now();
    let cache = (!city.no_cache).then(|| city.cache_dir.clone().unwrap_or_else(default_cache_dir));
    let (ds, source) = default_city(cache.as_deref(), &city.generator(), &mut |s| {
        tracing::info!("{s}")
    })?;
    tracing::info!(
        "default city {:?} in {:.2} s",
        source,
        t.elapsed().as_secs_f64()
    );
    Ok(ds)
}

impl CityArgs {
    /// The generator settings of these arguments.
    pub fn generator(&self) -> GeneratorConfig {
        GeneratorConfig {
            seed: self.seed,
            scale: self.scale,
        }
    }
}

/// A multi-threaded tokio runtime for commands that talk to PostGIS or serve.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

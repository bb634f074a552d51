//! Walking coverage: who lives within *N* minutes' walk of a category's facilities, where
//! the gaps are, what an edit would change and where new facilities help most.
//!
//! # Why it looks like this
//! - **One pass per category.** A multi-source Dijkstra from all facilities of a category
//!   at once gives every network node the distance to its *nearest* facility; doorplates,
//!   snapped to their nearest edge once when the [`CoverageEngine`] is built, then read
//!   two node labels each. The search stops at the time limit's distance, so a category
//!   costs what lies within reach of its facilities, not the whole city.
//! - **Points sit on edges, not nodes.** A facility enters the graph at both ends of its
//!   snapped edge with the partial edge length plus its off-network leg; a doorplate takes
//!   the better of its edge's ends (node distance + partial + its leg), or the direct walk
//!   along the edge when a facility shares it. Legs are geodesic metres and walked at the
//!   same speed ([`Snapper`] documents the local metric frame and its error).
//! - **Exact integer distances.** Node labels are `u64` nanometres with ties broken by
//!   source slot, so incremental what-if repairs ([`ScenarioCoverage`]) reproduce a
//!   from-scratch run exactly (see [`dijkstra`]).
//! - **CSR graph** ([`WalkGraph`]): three flat arrays, cache-friendly on 250k nodes.
//! - **Cancellable.** The long loops (Dijkstra, the doorplate pass, siting, gaps, service
//!   areas) poll a [`Cancel`] token every [`CHECK_EVERY`] steps; the `_cancellable`
//!   variants return [`CoverageError::Cancelled`] instead of a result, so a server can stop
//!   the CPU work of a request it gave up on. The plain functions never cancel.
//!
//! # Walking speed
//! GB 50180-2018 《城市居住区规划设计标准》 (Standard for urban residential area planning
//! and design), §2.0.2 and Table 3.0.4, defines the 15-minute life circle as the area whose
//! residents reach daily services within 15 minutes' walk, with a walking distance of
//! 800–1,000 m; the 10- and 5-minute circles are 500 m and 300 m. That is 0.9–1.1 m/s as
//! a *network-average* speed — slower than a free-walking adult (~1.3 m/s) because it
//! includes crossings, waits and detours. We take the middle, **1.0 m/s** (900 m in 15
//! minutes, 1,200 m in 20) as [`WalkProfile::standard`]. For the elderly,
//! [`WalkProfile::elderly`] uses **0.8 m/s** (720 m in 15 minutes): comfortable gait speed
//! of people aged 60–80 is about 1.1–1.3 m/s in clinical studies (Bohannon 1997,
//! *Age and Ageing* 26:15–19) and crossing designs assume 0.9–1.0 m/s for slow
//! pedestrians; the same 0.77–0.8 ratio of network to free speed gives ~0.8 m/s.
//!
//! # Modes
//! [`CoverageMode::Walk`] is the network distance; [`CoverageMode::Straight`] the
//! geodesic service circle of radius speed × time, decided exactly as PostGIS
//! `ST_DWithin(geography, geography, r)` (WGS84 spheroid, Karney's algorithm).
//!
//! ```
//! use civmap_geo_core::coverage::{CoverageEngine, CoverageMode, WalkProfile};
//! use civmap_geo_core::{Dataset, Doorplate, WalkNetwork};
//! use geo::{coord, Point};
//!
//! // A straight street of 10 segments along a parallel, ~96 m each.
//! let mut network = WalkNetwork::default();
//! let nodes: Vec<u32> = (0..=10)
//!     .map(|i| network.add_node(coord! { x: 120.15 + 0.001 * i as f64, y: 30.27 }))
//!     .collect();
//! for w in nodes.windows(2) {
//!     network.add_edge(w[0], w[1], None);
//! }
//! let doorplate = |id, lon| Doorplate {
//!     id, road: "文三路".into(), number: id as u32, location: Point::new(lon, 30.2701),
//!     residents: 3, elderly: 1, community: None, synthetic: true,
//! };
//! let dataset = Dataset {
//!     network,
//!     doorplates: vec![doorplate(1, 120.1505), doorplate(2, 120.158)],
//!     ..Dataset::default()
//! };
//! let engine = CoverageEngine::new(&dataset);
//! // One canteen at the west end; 5 minutes at 1 m/s = 300 m.
//! let result = engine
//!     .coverage(&[(0, 120.15, 30.27)], 5.0, &WalkProfile::standard(), CoverageMode::Walk)
//!     .unwrap();
//! assert_eq!(result.covered, [true, false]);
//! assert!((result.per_doorplate[0] - 59.2).abs() < 1.0); // ~48 m along + ~11 m leg
//! assert_eq!(engine.report(&result, None).total.covered_elderly, 1);
//! ```

mod cancel;
pub mod dijkstra;
mod engine;
mod error;
mod gaps;
mod graph;
mod indicators;
mod nearest;
mod partition;
mod profile;
mod report;
mod scenario;
mod service_area;
mod siting;
mod snap;

pub use cancel::{Cancel, CancelCheck, CancelOnDrop, Cancelled, CHECK_EVERY};
pub use dijkstra::{
    multi_source, multi_source_cancellable, Dijkstra, NodeLabels, NO_SOURCE, UNREACHED_NM,
};
pub use engine::{CoverageEngine, CoverageMode, CoverageResult};
pub use error::CoverageError;
pub use gaps::Gap;
pub use graph::WalkGraph;
pub use indicators::{
    plan_indicators, Indicator, IndicatorId, UnitIndicators, NEIGHBOURHOOD_CENTRES_2025,
    NURSING_BED_SHARE_2025,
};
pub use partition::{partition, partition_districts, units_in_district};
pub use profile::WalkProfile;
pub use report::{CoverageReport, CoverageTotals, UnitCoverage};
pub use scenario::{Scenario, ScenarioCoverage};
pub use siting::{
    candidate_sites, candidate_sites_cancellable, suggest_sites, suggest_sites_cancellable,
    suggest_sites_exact, suggest_sites_exact_cancellable, suggest_sites_in_area,
    suggest_sites_in_area_cancellable, Site, SitingArea, SitingProblem,
};
pub use snap::{metres_per_degree, Snap, Snapper};

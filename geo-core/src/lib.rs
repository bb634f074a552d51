//! # civmap-geo-core
//!
//! The spatial core of civmap:
//! - the data model shared by every other crate ([`AdminUnit`], [`Facility`],
//!   [`Doorplate`], [`WalkNetwork`], [`Dataset`]) and its layer registry ([`Layer`]);
//! - the coordinate-reference maths ([`crs`]) that turn Chinese map offsets and projected
//!   coordinates into WGS84 and metres;
//! - R-tree indexes with exact geodesic queries ([`index`]) and their live edits ([`live`]);
//! - the place-name index ([`gazetteer`]): Chinese, pinyin, initials, English, addresses;
//! - place-name checks, the GB/T 16159 romaniser and the clean-up batch ([`names`]);
//! - the walking-network coverage engine, what-if scenarios, siting and the plan's
//!   indicators ([`coverage`]);
//! - the doorplate numbering validator ([`numbering`]).
//!
//! This crate does no IO and knows nothing of files, databases or async runtimes: the
//! `civmap-data` crate reads and writes, the `civmap` server serves. Keeping the core
//! pure keeps it testable against brute-force and PostGIS oracles.
//!
//! ```
//! use civmap_geo_core::{AdminCode, AdminLevel};
//! let code = AdminCode::parse("330106000000").unwrap();
//! assert_eq!(code.level_hint(), AdminLevel::District);
//! assert_eq!(code.district_prefix(), "330106");
//! ```

pub mod coverage;
pub mod crs;
pub mod gazetteer;
pub mod history;
pub mod index;
pub mod live;
pub mod model;
pub mod names;
pub mod numbering;
pub mod proposal;
pub mod survey;

pub use model::*;

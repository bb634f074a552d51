//! Boundary surveying (行政区域界线): what a surveyor needs from the administrative frame.
//!
//! - [`measure`]: area, perimeter and length on the CGCS2000 ellipsoid, with the 3°
//!   Gauss–Krüger planar values beside them;
//! - [`lines`]: boundary lines as objects — one line per pair of neighbouring units per
//!   level, ending at three-unit junctions, plus the outer border — with ids that survive
//!   geometry edits;
//! - [`hausdorff`]: the true (not vertex-only) Hausdorff distance between lines, metres;
//! - [`markers`]: the boundary-marker (界桩) register's model and its rule checks;
//! - [`validate`]: the topology validator (validity, overlaps, gaps, slivers, nesting);
//! - [`diff`]: an uploaded survey compared with the register;
//! - [`snap`]: merging the ~1e-9° disagreements between the two sides of a shared border;
//! - [`report`]: the findings every check produces, and exceptions (an accepted gap, an
//!   enclave) stored as data and re-applied on every run.
//!
//! Like the rest of geo-core this module does no IO: stores and routes live elsewhere.

pub mod diff;
pub mod hausdorff;
pub mod lines;
pub mod markers;
pub mod measure;
pub mod report;
pub mod snap;
pub mod validate;
pub mod width;

pub use report::{Exception, Finding, Rule, ValidationReport};

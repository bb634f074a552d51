//! The route handlers, one module per part of the API. Each handler parses its
//! parameters, calls one service and renders the answer.

pub mod coverage;
pub mod doorplates;
pub mod gazetteer;
pub mod history;
pub mod identity;
pub mod markers;
pub mod name_workflow;
pub mod names;
pub mod ogc;
pub mod proposals;
pub mod scenarios;
pub mod service;
pub mod spatial;
pub mod survey;
pub mod tiles;

//! Route tests on the real default city, through the whole router (no server socket).

mod as_of_coverage_routes;
mod as_of_routes;
mod auth_helpers;
mod contract;
mod coverage_routes;
mod deadlines;
mod doorplate_routes;
mod history_routes;
mod identity_routes;
mod layout;
mod marker_routes;
mod name_workflow_routes;
mod names_routes;
mod proposal_restart;
mod proposal_routes;
mod routes;
mod survey_routes;

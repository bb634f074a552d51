//! Route tests on the real default city, through the whole router (no server socket).

mod auth_helpers;
mod contract;
mod coverage_routes;
mod identity_routes;
mod layout;
mod routes;

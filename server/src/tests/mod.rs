//! Route tests on the real default city, through the whole router (no server socket).

mod contract;
mod coverage_routes;
mod deadlines;
mod layout;
mod routes;

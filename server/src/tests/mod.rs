//! Route tests on the real default city, through the whole router (no server socket).

mod coverage_routes;
mod routes;

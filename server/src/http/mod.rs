//! The HTTP layer: the axum router of the API contract (`docs/API.md`), the OpenAPI
//! document generated from the handlers' annotations and the services' answer types, and
//! the manners every route shares (JSON errors, CORS on public reads, compression).
//!
//! Routes are registered through `utoipa_axum`'s `routes!`, which takes each handler's
//! path from its `#[utoipa::path]` annotation: a route cannot be served without being
//! documented, nor documented at a path it is not served on.

pub mod auth;
pub mod doorplate_page;
pub mod error;
pub mod limits;
pub mod params;
pub mod render;
pub mod routes;
pub mod schema;

use std::sync::{Arc, LazyLock};

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::error::{ApiError, ErrorBody};
use crate::http::routes::{
    coverage, doorplates, gazetteer, history, identity, markers, name_workflow, names, ogc,
    proposals, scenarios, service, spatial, survey, tiles,
};
use crate::service::SharedState;

/// The document's fixed parts; paths and schemas are added by the routers.
#[derive(OpenApi)]
#[openapi(
    modifiers(&BearerScheme),
    info(
        title = "civmap",
        description = "Hangzhou civil-affairs planning and place names: spatial core, coverage, gazetteer and vector tiles. Errors: `{\"error\": {\"code\", \"message\", \"param\"?}}`.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(
        ErrorBody,
        schema::CategoryId,
        schema::LevelName,
        schema::AsOfDay,
        schema::ModeName,
        schema::ProfileName,
        schema::PlaceKindName,
        schema::NameKindName,
        schema::NamedLayerName,
        schema::TileSetName,
        schema::CrsName,
        schema::FormatName,
        schema::ChangeFormatName
    )),
    tags(
        (name = "service", description = "Health, layers, categories"),
        (name = "spatial", description = "Admin units and facilities"),
        (name = "gazetteer", description = "Search, addresses, reverse geocoding"),
        (name = "history", description = "The division history: dated editions of the division list (stored with civmap history import, else the bundled NBS 2019–2023) and the changes between them, as JSON, CSV or a GeoJSON change layer"),
        (name = "names", description = "Place-name checks (grand, foreign, odd, duplicate, homophone …), GB/T 16159 romanisation, duplicates by scope and the clean-up list"),
        (name = "coverage", description = "Planners: coverage, gaps, indicators, what-if, siting"),
        (name = "tiles", description = "Vector tiles and TileJSON"),
        (name = "ogc", description = "OGC API - Features (Part 1 Core, Part 2 CRS): admin units for QGIS and GDAL"),
        (name = "identity", description = "Sign-in, users (admins) and the audit log (admins)"),
        (name = "doorplates", description = "Digital doorplates (数字门牌): the page /d/{id}, its JSON and QR code, the numbering check, renumbering"),
        (name = "surveyors", description = "Boundary surveyors: units with CGCS2000 measures, boundary lines, the validator, the survey diff, GIS exports, the marker (界桩) register and validation exceptions"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` security scheme (tokens from `POST /api/v1/auth/token`) that the
/// operations needing a role name in their `security`.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token from POST /api/v1/auth/token (or the web map's session cookie)",
                    ))
                    .build(),
            ),
        );
    }
}

/// Routes anyone may read, from any origin (CORS `*`).
fn public_routes() -> OpenApiRouter<SharedState> {
    OpenApiRouter::new()
        .routes(routes!(service::livez))
        .routes(routes!(service::readyz))
        .routes(routes!(service::health))
        .routes(routes!(service::layers))
        .routes(routes!(service::categories))
        .routes(routes!(spatial::admin))
        .routes(routes!(spatial::admin_at))
        .routes(routes!(spatial::facilities))
        .routes(routes!(spatial::nearest))
        .routes(routes!(spatial::within))
        .routes(routes!(gazetteer::search))
        .routes(routes!(gazetteer::autocomplete))
        .routes(routes!(gazetteer::parse_address))
        .routes(routes!(gazetteer::reverse))
        .routes(routes!(history::editions))
        .routes(routes!(history::changes))
        .routes(routes!(names::check))
        .routes(routes!(names::duplicates))
        .routes(routes!(name_workflow::registry))
        .routes(routes!(name_workflow::announcements))
        .routes(routes!(name_workflow::candidates))
        .routes(routes!(tiles::tilejson))
        .routes(routes!(markers::list))
        .routes(routes!(markers::get))
        .routes(routes!(markers::history))
        .routes(routes!(ogc::landing))
        .routes(routes!(ogc::conformance))
        .routes(routes!(ogc::collections))
        .routes(routes!(ogc::collection))
        .routes(routes!(ogc::items))
        .routes(routes!(ogc::item))
        .routes(routes!(doorplates::page))
        .routes(routes!(doorplates::get))
        .routes(routes!(doorplates::qr))
        .route("/ogc/", axum::routing::get(ogc::landing_slash))
}

/// The vector tiles: the hottest route, kept free of per-request wrapping (see [`router_with`]).
fn tile_routes() -> OpenApiRouter<SharedState> {
    OpenApiRouter::new().routes(routes!(tiles::tile))
}

/// Public reads that run the coverage engine: seconds of CPU each when not cached.
fn heavy_public_routes() -> OpenApiRouter<SharedState> {
    OpenApiRouter::new()
        .routes(routes!(coverage::coverage))
        .routes(routes!(coverage::area))
        .routes(routes!(coverage::gaps))
        .routes(routes!(coverage::indicators))
        // the clean-up list checks every name of the city (under a second)
        .routes(routes!(names::cleanup))
        // the survey products (lines, validation) take a second or more to build on
        // first use and after admin edits: no 10 s read budget, shed under load instead
        .routes(routes!(survey::admin_detail))
        .routes(routes!(survey::boundaries))
        .routes(routes!(survey::validation))
        // the numbering check reads every doorplate once per data version (about a second)
        .routes(routes!(doorplates::check))
}

/// Routes that create, read or delete a user's work, sign-in and administration: same
/// origin only.
fn private_routes() -> OpenApiRouter<SharedState> {
    OpenApiRouter::new()
        .routes(routes!(identity::token))
        .routes(routes!(identity::sign_in, identity::sign_out))
        .routes(routes!(identity::me))
        .routes(routes!(identity::audit))
        .routes(routes!(identity::users, identity::add_user))
        .routes(routes!(identity::remove_user))
        .routes(routes!(scenarios::create))
        .routes(routes!(scenarios::get, scenarios::delete))
        .routes(routes!(markers::create))
        .routes(routes!(markers::update, markers::retire))
        .routes(routes!(markers::inspect))
        .routes(routes!(markers::restore))
        .routes(routes!(survey::survey_diff))
        .routes(routes!(survey::export))
        .routes(routes!(markers::exceptions, markers::add_exception))
        .routes(routes!(markers::withdraw_exception))
        .routes(routes!(doorplates::renumber))
        .routes(routes!(name_workflow::list, name_workflow::create))
        .routes(routes!(name_workflow::get))
        .routes(routes!(name_workflow::review))
        .routes(routes!(name_workflow::notice))
        .routes(routes!(name_workflow::approve))
        .routes(routes!(name_workflow::reject))
        .routes(routes!(
            name_workflow::heritage,
            name_workflow::add_heritage
        ))
        .routes(routes!(name_workflow::remove_heritage))
        .routes(routes!(proposals::get))
        .routes(routes!(proposals::shapes))
        .routes(routes!(proposals::approve))
        .routes(routes!(proposals::reject))
}

/// Private routes that run the coverage engine.
fn heavy_private_routes() -> OpenApiRouter<SharedState> {
    OpenApiRouter::new()
        .routes(routes!(coverage::siting))
        // a proposal waits for the coverage engine and measures its branch
        .routes(routes!(proposals::list, proposals::create))
}

/// The OpenAPI document of every route, generated once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(|| {
        let mut doc = ApiDoc::openapi();
        for part in [
            public_routes(),
            tile_routes(),
            heavy_public_routes(),
            private_routes(),
            heavy_private_routes(),
        ] {
            doc.merge(part.split_for_parts().1);
        }
        doc.paths.paths.insert(
            "/api/v1/openapi.json".to_owned(),
            utoipa::openapi::PathItem::new(
                utoipa::openapi::HttpMethod::Get,
                utoipa::openapi::path::OperationBuilder::new()
                    .summary(Some("This document"))
                    .response(
                        "200",
                        utoipa::openapi::ResponseBuilder::new()
                            .description("OpenAPI 3.1")
                            .content(
                                "application/json",
                                utoipa::openapi::ContentBuilder::new()
                                    .schema(Some(utoipa::openapi::ObjectBuilder::new()))
                                    .build(),
                            ),
                    ),
            ),
        );
        doc
    });
    &DOC
}

async fn openapi_json() -> axum::response::Response {
    static BODY: LazyLock<Vec<u8>> =
        LazyLock::new(|| serde_json::to_vec_pretty(openapi()).unwrap_or_default());
    render::bytes(render::JSON, BODY.as_slice())
}

/// CORS for public reads: `Access-Control-Allow-Origin: *` on every answer. Public reads
/// are simple GETs (no credentials, no custom headers), which browsers send without a
/// preflight, so the one header is the whole of it — and setting it costs next to nothing,
/// where tower-http's full `CorsLayer` cost a fifth of the tile throughput
/// (`tiles_harness`: facilities 30.8k → 37.2k req/s without it).
fn cors() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    )
}

/// The API routes, the web map, and JSON errors for everything else, with the default
/// limit on CPU-heavy requests ([`default_heavy_limit`]).
pub fn router(state: SharedState) -> Router {
    router_with(state, default_heavy_limit())
}

/// CPU-heavy requests (coverage, areas, gaps, indicators, siting) served at once: four per
/// core, and at least 16 — the planner page alone asks for about eight at once, most of
/// them answered from the caches in milliseconds. Beyond it they are shed with 503 and
/// `Retry-After`, never queued.
pub fn default_heavy_limit() -> usize {
    (4 * std::thread::available_parallelism().map_or(2, |n| n.get())).max(16)
}

/// [`router`] with `heavy_limit` CPU-heavy requests at once (one semaphore across them).
pub fn router_with(state: SharedState, heavy_limit: usize) -> Router {
    let heavy = Arc::new(tokio::sync::Semaphore::new(heavy_limit.max(1)));
    let public: Router<SharedState> =
        limits::read_budget(Router::from(public_routes()), limits::READ_BUDGET)
            .merge(limits::shed(heavy_public_routes().into(), &heavy))
            .layer(cors());
    let private: Router<SharedState> =
        Router::from(private_routes()).merge(limits::shed(heavy_private_routes().into(), &heavy));
    // A panicking handler answers a JSON 500 (the process lives either way: each connection
    // is its own task). The tile route is left out of the catching layer, which costs 15% of
    // its throughput (`tiles_harness`, facilities: 31.4k vs 37.2k req/s); a panic there drops
    // that one connection. Tile rendering is pure and every z0–z14 tile of the sample areas
    // is decoded and validated in the tests.
    let tiles: Router<SharedState> = Router::from(tile_routes()).layer(cors());
    public
        .merge(private)
        .route("/api/v1/openapi.json", axum::routing::get(openapi_json))
        .merge(crate::web_assets::router())
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            limits::panic_response,
        ))
        .merge(tiles)
        .fallback(|uri: axum::http::Uri| async move { ApiError::NoRoute(uri.path().to_owned()) })
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(tower_http::compression::CompressionLayer::new())
}

/// The JSON 405 for a path served with other methods (with `Allow`, from the document).
async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        allowed: allowed_methods(uri.path()),
    }
}

/// The methods the document lists for a concrete path (`{x}` matches one segment).
fn allowed_methods(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').collect();
    let mut methods: Vec<String> = Vec::new();
    for (template, item) in &openapi().paths.paths {
        let ts: Vec<&str> = template.split('/').collect();
        let fits = ts.len() == segs.len()
            && ts
                .iter()
                .zip(&segs)
                .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
        if fits {
            let ops = [
                ("GET", &item.get),
                ("POST", &item.post),
                ("PUT", &item.put),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ];
            methods.extend(
                ops.iter()
                    .filter(|(_, o)| o.is_some())
                    .map(|(m, _)| (*m).to_owned()),
            );
        }
    }
    if methods.contains(&"GET".to_owned()) {
        methods.push("HEAD".to_owned());
    }
    methods.sort();
    methods.dedup();
    methods.join(", ")
}

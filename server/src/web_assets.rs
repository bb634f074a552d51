//! The MapLibre web map, embedded in the binary.
//!
//! Why embedded: as Martin embeds its UI, `cargo run` (or a copied `civmap` binary) serves the
//! page with no other step, no static directory to find at run time and no Node.js on the
//! server. `build.rs` builds `web-map/` with npm and copies its `dist/` into `OUT_DIR/web/`;
//! this module includes those bytes and serves them with an `ETag` (computed once per file) so
//! browsers revalidate cheaply. The page asks only its own origin for data (`/api/v1/...`).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

/// One embedded file of the web map.
#[derive(Debug)]
struct WebAsset {
    /// The name under `/assets/` (the page itself is served at `/`).
    name: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
    bytes: &'static [u8],
    /// A strong validator: the bytes' length and FNV-1a hash (`civmap_tiles::hash`), quoted.
    etag: HeaderValue,
}

impl WebAsset {
    fn new(
        name: &'static str,
        content_type: &'static str,
        cache_control: &'static str,
        bytes: &'static [u8],
    ) -> Self {
        let etag = format!(
            "\"{:x}-{:016x}\"",
            bytes.len(),
            civmap_tiles::hash::fnv1a_64(bytes)
        );
        Self {
            name,
            content_type,
            cache_control,
            bytes,
            etag: HeaderValue::from_str(&etag)
                .expect("an ETag of hex digits is a valid header value"),
        }
    }

    /// 200 with the bytes, or 304 when the request already holds this version.
    fn respond(&self, request_headers: &HeaderMap) -> Response {
        let headers = [
            (ETAG, self.etag.clone()),
            (CACHE_CONTROL, HeaderValue::from_static(self.cache_control)),
        ];
        if if_none_match_matches(request_headers, &self.etag) {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        (
            StatusCode::OK,
            headers,
            [
                (CONTENT_TYPE, HeaderValue::from_static(self.content_type)),
                (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            self.bytes,
        )
            .into_response()
    }
}

/// The page is revalidated on every load, so a new binary's page is seen at once.
const INDEX_CACHE: &str = "no-cache";
/// Scripts and styles may be reused for an hour; the ETag makes revalidation after that cheap.
const ASSET_CACHE: &str = "public, max-age=3600";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// Every file of `web-map/dist` as `(name, bytes)`, written by `build.rs`.
const EMBEDDED: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The content type for a file name, by its extension.
fn content_type_of(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => JS,
        Some("css") => CSS,
        Some("html") => HTML,
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

static INDEX: LazyLock<WebAsset> = LazyLock::new(|| {
    let (name, bytes) = EMBEDDED
        .iter()
        .find(|(name, _)| *name == "index.html")
        .expect("build.rs requires index.html in the embedded web map");
    WebAsset::new(name, HTML, INDEX_CACHE, bytes)
});

static ASSETS: LazyLock<Vec<WebAsset>> = LazyLock::new(|| {
    EMBEDDED
        .iter()
        .filter(|(name, _)| *name != "index.html")
        .map(|(name, bytes)| WebAsset::new(name, content_type_of(name), ASSET_CACHE, bytes))
        .collect()
});

/// `GET /` (the map page) and `GET /assets/{file}` (its scripts and styles); HEAD too.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{file}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    INDEX.respond(&headers)
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match ASSETS.iter().find(|asset| asset.name == file) {
        Some(asset) => asset.respond(&headers),
        None => not_found(&file),
    }
}

/// The API's error body (`docs/API.md`), so clients see one error shape across the server.
fn not_found(file: &str) -> Response {
    let body = serde_json::json!({
        "error": { "code": "not_found", "message": format!("no asset named {file:?}") }
    });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

/// Whether `If-None-Match` lists `etag` or `*` (RFC 9110 §13.1.2: weak comparison, so a
/// `W/`-prefixed copy of our tag also matches).
pub(crate) fn if_none_match_matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = etag.as_bytes();
    headers.get_all(IF_NONE_MATCH).iter().any(|value| {
        value.to_str().is_ok_and(|list| {
            list.split(',').map(str::trim).any(|candidate| {
                candidate == "*"
                    || candidate.strip_prefix("W/").unwrap_or(candidate).as_bytes() == ours
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn send(request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        let response = router::<()>()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("an in-memory body")
            .to_bytes();
        (status, headers, body.to_vec())
    }

    async fn get(uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
        send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    #[tokio::test]
    async fn index_is_the_map_page_with_the_maplibre_script_tag() {
        let (status, headers, body) = get("/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(headers[CACHE_CONTROL], "no-cache");
        assert!(headers.contains_key(ETAG));
        let html = String::from_utf8(body).expect("the page is UTF-8");
        assert!(
            html.contains(r#"<script src="/assets/maplibre-gl.js"></script>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<script type="module" src="/assets/app.js"></script>"#),
            "{html}"
        );
        assert!(html.contains("<title>civmap · 杭州</title>"), "{html}");
    }

    #[tokio::test]
    async fn every_asset_the_page_links_is_served_with_its_content_type() {
        for (name, content_type, marker) in [
            ("app.js", JS, "civmapState"),
            ("search.js", JS, "role"),
            ("layers.js", JS, "localIdeographFontFamily"),
            ("app.css", CSS, "#map"),
            ("maplibre-gl.js", JS, "MapLibre GL JS"),
            ("maplibre-gl.css", CSS, ".maplibregl-map"),
        ] {
            let (status, headers, body) = get(&format!("/assets/{name}")).await;
            assert_eq!(status, StatusCode::OK, "{name}");
            assert_eq!(headers[CONTENT_TYPE], content_type, "{name}");
            assert_eq!(headers[CACHE_CONTROL], "public, max-age=3600", "{name}");
            let text = String::from_utf8_lossy(&body);
            assert!(text.contains(marker), "{name} lacks {marker:?}");
        }
    }

    #[test]
    fn every_module_the_page_imports_is_embedded() {
        let page_scripts = ASSETS
            .iter()
            .filter(|a| a.name.ends_with(".js") && !a.name.starts_with("maplibre-gl"));
        let mut imports = 0;
        for script in page_scripts {
            let text = std::str::from_utf8(script.bytes).expect("page scripts are UTF-8");
            for rest in text.split(" from './").skip(1) {
                let name = rest.split('\'').next().unwrap_or_default();
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{} imports {name}, which is not embedded",
                    script.name
                );
                imports += 1;
            }
        }
        assert!(imports >= 3, "app.js imports the page's modules");
    }

    #[test]
    fn every_module_the_page_preloads_is_embedded() {
        let html = std::str::from_utf8(INDEX.bytes).expect("the page is UTF-8");
        let preloads: Vec<&str> = html
            .split(r#"<link rel="modulepreload" href="/assets/"#)
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default())
            .collect();
        assert!(preloads.contains(&"app.js"), "{preloads:?}");
        for name in preloads {
            assert!(
                ASSETS.iter().any(|a| a.name == name),
                "the page preloads {name}, which is not embedded"
            );
        }
    }

    #[tokio::test]
    async fn matching_if_none_match_gets_304_without_a_body() {
        for uri in ["/", "/assets/maplibre-gl.js"] {
            let (_, headers, _) = get(uri).await;
            let etag = headers[ETAG].clone();
            for if_none_match in [
                etag.to_str().unwrap().to_owned(),
                format!("W/{}", etag.to_str().unwrap()),
                format!("\"stale\", {}", etag.to_str().unwrap()),
            ] {
                let request = Request::get(uri)
                    .header(IF_NONE_MATCH, &if_none_match)
                    .body(Body::empty())
                    .unwrap();
                let (status, headers, body) = send(request).await;
                assert_eq!(
                    status,
                    StatusCode::NOT_MODIFIED,
                    "{uri} with {if_none_match}"
                );
                assert_eq!(headers[ETAG], etag, "{uri}");
                assert!(headers.contains_key(CACHE_CONTROL), "{uri}");
                assert!(body.is_empty(), "{uri}");
            }
        }
    }

    #[tokio::test]
    async fn stale_if_none_match_gets_the_full_asset() {
        let request = Request::get("/assets/app.js")
            .header(IF_NONE_MATCH, "\"0-0000000000000000\"")
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = send(request).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!body.is_empty());
    }

    #[tokio::test]
    async fn unknown_asset_is_a_404_with_the_api_error_body() {
        let (status, headers, body) = get("/assets/secrets.txt").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("a JSON error body");
        assert_eq!(json["error"]["code"], "not_found");
        assert_eq!(json["error"]["message"], "no asset named \"secrets.txt\"");
    }

    #[tokio::test]
    async fn head_of_the_page_has_headers_but_no_body() {
        let (status, headers, body) = send(Request::head("/").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.contains_key(ETAG));
        assert!(body.is_empty());
    }

    #[test]
    fn etags_differ_between_files_and_are_stable() {
        let tags: Vec<_> = std::iter::once(&*INDEX)
            .chain(ASSETS.iter())
            .map(|a| a.etag.clone())
            .collect();
        for (i, a) in tags.iter().enumerate() {
            for b in &tags[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // FNV-1a test vectors.
        assert_eq!(civmap_tiles::hash::fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(civmap_tiles::hash::fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}

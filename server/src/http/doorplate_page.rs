//! The doorplate page `/d/{id}` as HTML: light (a few kilobytes, inline CSS, no script, no
//! map library, no web font), readable on a phone (`viewport`, one column, system fonts),
//! in Chinese with the pinyin and English address under it. Every text from the data is
//! escaped. Also the page's 404, and the caching headers (`ETag` of the bytes,
//! revalidated after five minutes).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::service::doorplate_qr::escape_xml as esc;
use crate::service::doorplates::DoorplatePage;

/// `text/html; charset=utf-8`.
pub const HTML: &str = "text/html; charset=utf-8";
/// Pages are cached for five minutes, then revalidated with their `ETag`.
pub const PAGE_CACHE: &str = "public, max-age=300";
/// Redirects of old ids are permanent (aliases are never changed), cached a day.
pub const REDIRECT_CACHE: &str = "public, max-age=86400";

const STYLE: &str = "body{font:16px/1.5 system-ui,-apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:0 auto;max-width:40em;padding:1em;color:#111;background:#fff}\
h1{font-size:1.6em;margin:.2em 0}.roman{color:#444;margin:0}.full{margin:.6em 0}\
ol.units{list-style:none;padding:0;margin:.4em 0;color:#333}ol.units li{display:inline}ol.units li+li:before{content:\" › \"}\
table{border-collapse:collapse;width:100%;margin-top:.4em}th,td{text-align:left;padding:.35em .3em;border-bottom:1px solid #ddd;vertical-align:top}\
td.t{white-space:nowrap;text-align:right}.none{color:#777}small{color:#666}footer{margin-top:1em;font-size:.85em;color:#666}";

/// The page's HTML.
pub fn render(p: &DoorplatePage, page_url: &str) -> String {
    let mut rows = String::new();
    for s in &p.services {
        let cat = format!(
            "{}<br><small>{}</small>",
            esc(&s.category_zh),
            esc(&s.category_en)
        );
        match &s.facility {
            Some(f) => rows.push_str(&format!(
                "<tr><th scope=\"row\">{cat}</th><td>{}<br><small>{}</small></td><td class=\"t\">{} 分钟<br><small>{} m</small></td></tr>\n",
                esc(&f.name),
                esc(&f.address),
                f.walk_min,
                f.distance_m.round()
            )),
            None => rows.push_str(&format!(
                "<tr><th scope=\"row\">{cat}</th><td class=\"none\" colspan=\"2\">步行 {} 分钟内无<br><small>none within a {}-minute walk</small></td></tr>\n",
                p.walk_minutes, p.walk_minutes
            )),
        }
    }
    let units: String = p
        .units
        .iter()
        .map(|u| format!("<li>{}</li>", esc(&u.name)))
        .collect();
    let synthetic = if p.synthetic {
        "<p><small>示例数据（生成） · synthetic data</small></p>"
    } else {
        ""
    };
    format!(
        "<!doctype html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n\
<title>{addr} · 数字门牌</title>\n<link rel=\"canonical\" href=\"{url}\">\n<style>{STYLE}</style>\n</head>\n<body>\n\
<main>\n<p><small>数字门牌 · Digital doorplate {id}</small></p>\n\
<h1>{addr}</h1>\n<p class=\"roman\" lang=\"zh-Latn-pinyin\">{pinyin}</p>\n<p class=\"roman\" lang=\"en\">{english}</p>\n\
<p class=\"full\">{full}</p>\n<p class=\"roman\" lang=\"zh-Latn-pinyin\">{full_pinyin}</p>\n<ol class=\"units\" aria-label=\"行政区划\">{units}</ol>\n{synthetic}\
<h2>步行 {minutes} 分钟内的服务 <small lang=\"en\">Services within a {minutes}-minute walk</small></h2>\n\
<table>\n<thead><tr><th>类别</th><th>最近的设施</th><th class=\"t\">步行</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n\
</main>\n<footer>{lat:.6}, {lon:.6} · <a href=\"/api/v1/doorplates/{id}\">JSON</a> · <a href=\"/api/v1/doorplates/{id}/qr.svg\">二维码 QR</a></footer>\n\
</body>\n</html>\n",
        addr = esc(&p.address_zh),
        url = esc(page_url),
        id = p.id,
        pinyin = esc(&p.address_pinyin),
        english = esc(&p.address_en),
        full_pinyin = esc(&p.full_address_pinyin),
        full = esc(&p.full_address_zh),
        minutes = p.walk_minutes,
        lat = p.lat,
        lon = p.lon,
    )
}

/// The page for an unknown id.
pub fn not_found(id: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>未找到门牌 · Doorplate not found</title>\n\
<style>{STYLE}</style>\n</head>\n<body>\n<main>\n<h1>未找到门牌</h1>\n<p>没有编号为 {id} 的门牌。</p>\n\
<p lang=\"en\">There is no doorplate {id}.</p>\n</main>\n</body>\n</html>\n",
        id = esc(id)
    );
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, HTML), (CACHE_CONTROL, "public, max-age=60")],
        body,
    )
        .into_response()
}

/// `body` with its `ETag` and cache headers, or 304 when the client holds these bytes.
pub fn cached(request: &HeaderMap, content_type: &'static str, body: String) -> Response {
    let etag = format!(
        "\"{:x}-{:016x}\"",
        body.len(),
        civmap_tiles::hash::fnv1a_64(body.as_bytes())
    );
    let etag = HeaderValue::from_str(&etag).expect("hex digits make a header value");
    let held = crate::web_assets::if_none_match_matches(request, &etag);
    let headers = [
        (ETAG, etag),
        (CACHE_CONTROL, HeaderValue::from_static(PAGE_CACHE)),
    ];
    if held {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        StatusCode::OK,
        headers,
        [(CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

/// A permanent redirect to `location` (`status` 301 or 308).
pub fn moved(status: StatusCode, location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(l) => (
            status,
            [
                (LOCATION, l),
                (CACHE_CONTROL, HeaderValue::from_static(REDIRECT_CACHE)),
            ],
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The base of absolute page URLs: `serve --public-url` when set, else
/// `http://{Host}` (`https://` when a proxy says `X-Forwarded-Proto: https`). `None`
/// without a usable `Host` header (a host name or address, optionally with a port).
pub fn base_url(configured: Option<String>, headers: &HeaderMap) -> Option<String> {
    if configured.is_some() {
        return configured;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        })?;
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    Some(format!("{scheme}://{host}"))
}

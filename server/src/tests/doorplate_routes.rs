//! Digital doorplates through the router: the page lists what
//! `/api/v1/facilities/nearest?mode=walk` answers for each category (within 15 minutes) on
//! the real default city; the page is light, escaped, cached and has no person-level data;
//! the QR code decodes (with `rqrr`, an independent decoder, after rasterising the SVG
//! here) to the page URL; renumbering redirects, resolves chains, refuses cycles and is
//! audited; the numbering check answers over every plate.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use civmap_data::accounts::Role;
use civmap_geo_core::FacilityCategory;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::auth_helpers::{bearer, ensure_user, token_of, PASSWORD};
use crate::service::{AppState, SharedState, StoreKind};

/// Sends a request; returns status, headers and body bytes.
async fn send(
    st: &SharedState,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = crate::http::router(st.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

async fn get(st: &SharedState, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    send(st, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// GET, retried while the coverage engine warms up.
async fn get_ready(st: &SharedState, uri: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    for _ in 0..12 {
        let r = get(st, uri).await;
        if r.0 != StatusCode::SERVICE_UNAVAILABLE {
            return r;
        }
    }
    get(st, uri).await
}

fn json_of(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

/// A fresh server over the small test city (renumbering changes its state).
fn small() -> SharedState {
    Arc::new(AppState::new(
        super::coverage_routes::city(),
        StoreKind::Embedded,
    ))
}

#[tokio::test]
async fn the_page_lists_what_nearest_walk_answers_for_each_category() {
    let st = super::routes::state();
    let plates: Vec<(u64, f64, f64)> = {
        let live = st.data.read();
        let d = &live.data.data().doorplates;
        // about thirty plates spread over the city
        d.iter()
            .step_by((d.len() / 30).max(1))
            .map(|p| (p.id, p.location.x(), p.location.y()))
            .collect()
    };
    let (mut found, mut none) = (0, 0);
    for (id, lon, lat) in plates {
        let (s, _, b) = get_ready(&st, &format!("/api/v1/doorplates/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
        let page = json_of(&b);
        let services = page["services"].as_array().unwrap();
        assert_eq!(services.len(), FacilityCategory::ALL.len());
        let (_, _, html) = get(&st, &format!("/d/{id}")).await;
        let html = String::from_utf8(html).unwrap();
        // the pinyin address is the place-name romaniser's, units and road included
        let full = page["full_address_pinyin"].as_str().unwrap();
        let checker = crate::service::names::checker().unwrap();
        let road = checker
            .romanizer()
            .romanize(page["road"].as_str().unwrap())
            .unwrap();
        let tail = format!("{} {} Hao", road.map_form, page["number"]);
        assert!(
            full.starts_with("Zhejiang Sheng Hangzhou Shi ") && full.ends_with(&tail),
            "{full}"
        );
        for u in page["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["level"] != "community")
        {
            let py = checker
                .romanizer()
                .romanize(u["name"].as_str().unwrap())
                .unwrap();
            assert!(full.contains(&py.map_form), "{full} lacks {}", py.map_form);
        }
        let shown_full = crate::service::doorplate_qr::escape_xml(full);
        assert!(
            html.contains(&*shown_full),
            "plate {id}: {full} not on the page"
        );
        for (c, shown) in FacilityCategory::ALL.iter().zip(services) {
            assert_eq!(shown["category"], c.id());
            let uri = format!(
                "/api/v1/facilities/nearest?lon={lon}&lat={lat}&category={}&k=1&mode=walk",
                c.id()
            );
            let (s, _, b) = get_ready(&st, &uri).await;
            assert_eq!(s, StatusCode::OK);
            let answer = json_of(&b);
            let expected = answer["features"]
                .as_array()
                .unwrap()
                .first()
                .map(|f| &f["properties"])
                .filter(|p| p["walk_s"].as_f64().unwrap() <= 15.0 * 60.0);
            match expected {
                Some(p) => {
                    found += 1;
                    let f = &shown["facility"];
                    assert_eq!(f["id"], p["id"], "plate {id} {}", c.id());
                    assert_eq!(f["walk_s"], p["walk_s"], "plate {id} {}", c.id());
                    assert_eq!(f["distance_m"], p["distance_m"], "plate {id} {}", c.id());
                    let name = p["name"].as_str().unwrap();
                    assert!(html.contains(name), "plate {id}: {name} not on the page");
                }
                None => {
                    none += 1;
                    assert!(
                        shown["facility"].is_null(),
                        "plate {id} {}: {shown}",
                        c.id()
                    );
                }
            }
        }
        let nones = services.iter().filter(|s| s["facility"].is_null()).count();
        assert_eq!(
            html.matches("步行 15 分钟内无").count(),
            nones,
            "plate {id}"
        );
    }
    // both branches were exercised on the real city
    assert!(found > 20 && none > 20, "found {found}, none {none}");
}

#[tokio::test]
async fn the_page_is_light_cached_escaped_and_has_no_person_level_data() {
    let st = super::routes::state();
    let (id, road, number) = {
        let live = st.data.read();
        let p = live
            .data
            .data()
            .doorplates
            .iter()
            .find(|p| p.residents > 0)
            .unwrap();
        (p.id, p.road.clone(), p.number)
    };
    let (s, h, b) = get_ready(&st, &format!("/d/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(b.len() < 30 * 1024, "{} bytes", b.len());
    let html = String::from_utf8(b).unwrap();
    assert!(html.starts_with("<!doctype html>\n<html lang=\"zh-Hans\">"));
    assert!(html.contains("<meta name=\"viewport\""));
    for absent in [
        "<script",
        "maplibre",
        "residents",
        "elderly",
        "居民",
        "老人数",
    ] {
        assert!(!html.contains(absent), "{absent} on the page");
    }
    assert!(html.contains(&format!("{road}{number}号")));
    let json = String::from_utf8(get(&st, &format!("/api/v1/doorplates/{id}")).await.2).unwrap();
    assert!(
        !json.contains("residents") && !json.contains("elderly"),
        "{json}"
    );
    // cached: the ETag answers 304
    let etag = h[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(h[header::CACHE_CONTROL], "public, max-age=300");
    let req = Request::get(format!("/d/{id}"))
        .header(header::IF_NONE_MATCH, &etag)
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = send(&st, req).await;
    assert_eq!((s, b.len()), (StatusCode::NOT_MODIFIED, 0));
    // gzip on the wire is smaller still
    let req = Request::get(format!("/d/{id}"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let (s, h, b) = send(&st, req).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    assert!(b.len() < 8 * 1024, "{} gzip bytes", b.len());
}

#[tokio::test]
async fn text_from_the_data_is_escaped_and_unknown_ids_get_the_404_page() {
    let mut city = super::coverage_routes::city();
    city.doorplates[7].road = "<script>alert(1)</script>路".into();
    let st = Arc::new(AppState::new(city, StoreKind::Embedded));
    let (s, _, b) = get_ready(&st, "/d/7").await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(b).unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;路"));
    for bad in ["/d/999999", "/d/abc", "/d/-1", "/d/%3Cb%3E"] {
        let (s, h, b) = get(&st, bad).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
        assert_eq!(h[header::CONTENT_TYPE], "text/html; charset=utf-8", "{bad}");
        let html = String::from_utf8(b).unwrap();
        assert!(
            html.contains("未找到门牌") && !html.contains("<b>"),
            "{html}"
        );
    }
    let (s, _, b) = get(&st, "/api/v1/doorplates/abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&b)["error"]["param"], "id");
    let (s, _, _) = get(&st, "/api/v1/doorplates/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, b) = get(&st, "/api/v1/doorplates/7?x=1").await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&b)
    );
}

/// Rasterises the QR SVG (`<rect>`s on a white background, in module units) at `scale`
/// pixels a module into greyscale, independently of how it was written.
fn rasterise(svg: &str, scale: usize) -> (usize, Vec<u8>) {
    let attr = |tag: &str, name: &str| -> Option<f64> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        tag[at..].split('"').next()?.parse().ok()
    };
    let view = svg.split("viewBox=\"").nth(1).unwrap();
    let side: usize = view
        .split('"')
        .next()
        .unwrap()
        .split(' ')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    let w = side * scale;
    let mut px = vec![255u8; w * w];
    for tag in svg.split("<rect").skip(1) {
        let tag = tag.split("/>").next().unwrap();
        let (x, y) = (attr(tag, "x").unwrap(), attr(tag, "y").unwrap());
        let (rw, rh) = (attr(tag, "width").unwrap(), attr(tag, "height").unwrap());
        let value = if tag.contains("fill=\"#fff\"") {
            255
        } else {
            0
        };
        for py in (y as usize * scale)..((y + rh) as usize * scale) {
            for pxx in (x as usize * scale)..((x + rw) as usize * scale) {
                px[py * w + pxx] = value;
            }
        }
    }
    (w, px)
}

fn decode_qr(svg: &str) -> String {
    let (w, px) = rasterise(svg, 4);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, w, |x, y| px[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

#[tokio::test]
async fn the_qr_code_decodes_to_the_page_url() {
    let st = small();
    let qr = |host: Option<&str>, proto: Option<&str>| {
        let mut r = Request::get("/api/v1/doorplates/5/qr.svg");
        if let Some(h) = host {
            r = r.header(header::HOST, h);
        }
        if let Some(p) = proto {
            r = r.header("x-forwarded-proto", p);
        }
        r.body(Body::empty()).unwrap()
    };
    let (s, h, b) = send(&st, qr(Some("civmap.test:8080"), None)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(h[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(
        decode_qr(&String::from_utf8(b).unwrap()),
        "http://civmap.test:8080/d/5"
    );
    let (_, _, b) = send(&st, qr(Some("map.example.cn"), Some("https"))).await;
    assert_eq!(
        decode_qr(&String::from_utf8(b).unwrap()),
        "https://map.example.cn/d/5"
    );
    // a bad or missing Host cannot make a URL
    for host in [None, Some("a b"), Some("x\"><svg")] {
        let req = match host {
            Some(h) => match Request::get("/api/v1/doorplates/5/qr.svg")
                .header(header::HOST, h)
                .body(Body::empty())
            {
                Ok(r) => r,
                Err(_) => continue, // not even a header value
            },
            None => qr(None, None),
        };
        let (s, _, b) = send(&st, req).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{host:?}");
        assert_eq!(json_of(&b)["error"]["param"], "Host");
    }
    // serve --public-url wins over Host, and the page links to itself there
    st.doorplates
        .set_public_url(Some("https://civmap.example.cn/".into()));
    let (_, _, b) = send(&st, qr(Some("evil.example"), None)).await;
    assert_eq!(
        decode_qr(&String::from_utf8(b).unwrap()),
        "https://civmap.example.cn/d/5"
    );
    let (_, _, page) = get_ready(&st, "/d/5").await;
    assert!(String::from_utf8(page)
        .unwrap()
        .contains("<link rel=\"canonical\" href=\"https://civmap.example.cn/d/5\">"));
}

async fn post_json(
    st: &SharedState,
    uri: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut r = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = token {
        r = r.header(header::AUTHORIZATION, bearer(t));
    }
    let (s, _, b) = send(st, r.body(Body::from(body.to_string())).unwrap()).await;
    (
        s,
        if b.is_empty() {
            Value::Null
        } else {
            json_of(&b)
        },
    )
}

fn location(h: &axum::http::HeaderMap) -> &str {
    h[header::LOCATION].to_str().unwrap()
}

#[tokio::test]
async fn renumbering_redirects_old_ids_resolves_chains_and_refuses_cycles() {
    let st = small();
    let surveyor = token_of(&st, "dp-surveyor", Role::Surveyor).await;
    let planner = token_of(&st, "dp-planner", Role::Planner).await;
    let renumber = |from: u64| format!("/api/v1/doorplates/{from}/renumber");
    let body =
        |to: u64, reason: &str| json!({"new_id": to, "reason": reason, "date": "2026-12-01"});
    // who may
    let (s, _) = post_json(&st, &renumber(3), None, body(4, "renumbered")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = post_json(&st, &renumber(3), Some(&planner), body(4, "renumbered")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // bad bodies name the field
    for (b, field) in [
        (body(4, "moved"), "reason"),
        (body(999_999, "renumbered"), "new_id"),
        (body(3, "renumbered"), "new_id"),
        (
            json!({"new_id": 4, "reason": "merged", "date": "2026-02-30"}),
            "date",
        ),
        (
            json!({"new_id": 4, "reason": "merged", "date": "yesterday"}),
            "date",
        ),
        (json!({"new_id": 4, "reason": "merged", "extra": 1}), "body"),
    ] {
        let (s, v) = post_json(&st, &renumber(3), Some(&surveyor), b.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}: {v}");
        let param = v["error"]["param"].as_str().unwrap();
        assert!(
            param == field || (field == "body" && param.contains("extra")),
            "{b}: {v}"
        );
    }
    // 3 → 4, then 4 → 5: /d/3 goes straight to /d/5
    let (s, v) = post_json(&st, &renumber(3), Some(&surveyor), body(4, "renumbered")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["old_id"].as_u64(), v["redirects_to"].as_u64()),
        (Some(3), Some(4))
    );
    let (s, h, _) = get(&st, "/d/3").await;
    assert_eq!((s, location(&h)), (StatusCode::MOVED_PERMANENTLY, "/d/4"));
    let (s, v) = post_json(&st, &renumber(4), Some(&surveyor), body(5, "merged")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for (uri, status, to) in [
        ("/d/3", StatusCode::MOVED_PERMANENTLY, "/d/5"),
        ("/d/4", StatusCode::MOVED_PERMANENTLY, "/d/5"),
        (
            "/api/v1/doorplates/3",
            StatusCode::PERMANENT_REDIRECT,
            "/api/v1/doorplates/5",
        ),
        (
            "/api/v1/doorplates/3/qr.svg",
            StatusCode::PERMANENT_REDIRECT,
            "/api/v1/doorplates/5/qr.svg",
        ),
    ] {
        let (s, h, _) = get(&st, uri).await;
        assert_eq!((s, location(&h)), (status, to), "{uri}");
    }
    let (s, _, _) = get_ready(&st, "/d/5").await;
    assert_eq!(s, StatusCode::OK);
    // 5 → 3 would close the cycle 3 → 4 → 5 → 3; 3 is already aliased
    let (s, v) = post_json(&st, &renumber(5), Some(&surveyor), body(3, "merged")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("cycle"),
        "{v}"
    );
    let (s, v) = post_json(&st, &renumber(3), Some(&surveyor), body(6, "merged")).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // an alias may point at an old id: it leads to the end of the chain
    let (s, v) = post_json(&st, &renumber(9), Some(&surveyor), body(3, "merged")).await;
    assert_eq!(
        (s, v["redirects_to"].as_u64()),
        (StatusCode::CREATED, Some(5)),
        "{v}"
    );
    // a surveyor of another district may not
    ensure_user(&st, "dp-other", Role::Surveyor, Some("330106000000")).await;
    let other = {
        let b = json!({"name": "dp-other", "password": PASSWORD}).to_string();
        let req = Request::post("/api/v1/auth/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b))
            .unwrap();
        json_of(&send(&st, req).await.2)["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (s, v) = post_json(&st, &renumber(10), Some(&other), body(11, "merged")).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // each alias is in the audit log, with who and what
    let admin = token_of(&st, "dp-admin", Role::Admin).await;
    let req = Request::get("/api/v1/audit?action=doorplate.")
        .header(header::AUTHORIZATION, bearer(&admin))
        .body(Body::empty())
        .unwrap();
    let audit = json_of(&send(&st, req).await.2);
    let rows: Vec<(String, String, Option<u64>)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["who"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
                e["after"]["new_id"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("dp-surveyor".into(), "doorplate:9".into(), Some(3)),
            ("dp-surveyor".into(), "doorplate:4".into(), Some(5)),
            ("dp-surveyor".into(), "doorplate:3".into(), Some(4)),
        ]
    );
}

#[tokio::test]
async fn the_numbering_check_covers_every_plate() {
    let st = super::routes::state();
    let (s, _, b) = get(&st, "/api/v1/doorplates/check?limit=3").await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let v = json_of(&b);
    let plates = st.data.read().data.data().doorplates.len();
    assert_eq!(v["plates"].as_u64(), Some(plates as u64));
    assert!(v["findings"].as_array().unwrap().len() <= 3);
    let total = v["findings_total"].as_u64().unwrap();
    let c = &v["counts"];
    let by_rule: u64 = ["wrong_side", "out_of_sequence", "duplicate_numbers", "gaps"]
        .iter()
        .map(|k| c[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, by_rule, "{v}");
    let (s, _, b) = get(&st, "/api/v1/doorplates/check?rule=gap&limit=10000").await;
    assert_eq!(s, StatusCode::OK);
    let gaps = json_of(&b);
    assert!(gaps["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["rule"] == "gap"));
    assert_eq!(gaps["findings_total"], c["gaps"]);
    let (s, _, b) = get(&st, "/api/v1/doorplates/check?rule=odd").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&b)["error"]["param"], "rule");
}

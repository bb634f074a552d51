//! The tile routes over HTTP: gzip when accepted, ETag and 304, Cache-Control, 204 for an
//! empty tile, 400 with the contract's JSON error for bad addresses and layers; and, with
//! PostGIS, an SQL edit evicts exactly the cached tiles the record left and entered.

mod common;
#[path = "common/pg.rs"]
mod pg;

use std::io::Read;
use std::time::{Duration, Instant};

use common::{civmap, Server};
use reqwest::blocking::Client;

fn tile_xy(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let lr = lat.to_radians();
    (
        ((lon + 180.0) / 360.0 * n) as u32,
        ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32,
    )
}

#[test]
fn tiles_are_gzipped_tagged_revalidated_and_bad_addresses_are_400() {
    let server = Server::start(&[], &[]);
    let client = Client::builder().no_gzip().build().unwrap();
    let url = format!("{}/tiles/all/12/3415/1686.mvt", server.base);
    let raw = client.get(&url).send().unwrap();
    assert_eq!(raw.status(), 200);
    assert_eq!(
        raw.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert!(raw.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("max-age"));
    assert!(raw.headers().get("content-encoding").is_none());
    let etag = raw.headers()["etag"].to_str().unwrap().to_owned();
    let raw = raw.bytes().unwrap();
    let gz = client
        .get(&url)
        .header("accept-encoding", "gzip, br")
        .send()
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(gz.headers()["x-tile-cache"], "hit");
    let gz = gz.bytes().unwrap();
    assert!(gz.len() < raw.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, raw);
    let not_modified = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    assert!(not_modified.bytes().unwrap().is_empty());
    let other = client
        .get(&url)
        .header("if-none-match", "\"0000\"")
        .send()
        .unwrap();
    assert_eq!(other.status(), 200);
    // the sea off Africa holds nothing
    let empty = client
        .get(format!("{}/tiles/all/8/128/128.mvt", server.base))
        .send()
        .unwrap();
    assert_eq!(empty.status(), 204);
    for (path, param) in [
        ("/tiles/all/23/0/0.mvt", "z"),
        ("/tiles/all/2/4/0.mvt", "x"),
        ("/tiles/all/2/0/4.mvt", "y"),
        ("/tiles/all/2/0/1.png", "y"),
        ("/tiles/all/a/0/0.mvt", "z"),
        ("/tiles/rivers/2/0/0.mvt", "layer"),
        ("/tiles/rivers.json", "layer"),
        ("/tiles/all/2/0/0.mvt?foo=1", "foo"),
    ] {
        let r = client.get(format!("{}{path}", server.base)).send().unwrap();
        assert_eq!(r.status(), 400, "{path}");
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["error"]["code"], "bad_parameter", "{path}");
        assert_eq!(v["error"]["param"], param, "{path}");
    }
    // coverage and gaps: polygons of the coverage engine for the query
    let q = "category=elder_canteen&minutes=15";
    for set in ["coverage", "gaps"] {
        let r = client
            .get(format!("{}/tiles/{set}/10/853/421.mvt?{q}", server.base))
            .timeout(Duration::from_secs(300))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{set}");
        let body = r.bytes().unwrap();
        assert!(
            body.windows(set.len()).any(|w| w == set.as_bytes()),
            "{set} layer"
        );
        assert!(body.windows(13).any(|w| w == b"elder_canteen"));
        let (s, tj) = server.json(&format!("/tiles/{set}.json?{q}"));
        assert_eq!(s, 200);
        assert!(tj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with(&format!(".mvt?{q}")));
    }
    let r = client
        .get(format!(
            "{}/tiles/coverage/10/853/421.mvt?category=nope",
            server.base
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().unwrap();
    assert_eq!(v["error"]["param"], "category");
}

#[test]
fn an_sql_edit_evicts_only_the_cached_tiles_the_facility_left_and_entered() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(pg::TestDb::create());
    let url = db.url.clone();
    let o = civmap(&["db", "push", "--url", &url]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let server = Server::start(&["--db", &url], &[]);
    let client = Client::new();
    let ds = civmap_data::store::default_city(
        Some(&civmap_data::store::default_cache_dir()),
        &Default::default(),
        &mut |_| {},
    )
    .unwrap()
    .0;
    let f = &ds.facilities[10];
    let z = 14u8;
    let (ax, ay) = tile_xy(f.location.x(), f.location.y(), z);
    let (to_lon, to_lat) = (120.30, 30.40);
    let (cx, cy) = tile_xy(to_lon, to_lat, z);
    let (bx, by) = tile_xy(120.0, 30.0, z); // elsewhere, untouched
    assert!((ax, ay) != (cx, cy));
    let get = |x: u32, y: u32| {
        let r = client
            .get(format!("{}/tiles/facilities/{z}/{x}/{y}.mvt", server.base))
            .send()
            .unwrap();
        let hit = r
            .headers()
            .get("x-tile-cache")
            .map(|h| h.to_str().unwrap().to_owned());
        (r.status().as_u16(), hit, r.bytes().unwrap().to_vec())
    };
    let has = |b: &[u8]| b.windows(f.id.len()).any(|w| w == f.id.as_bytes());
    let (_, _, a0) = get(ax, ay);
    assert!(has(&a0));
    let (_, _, c0) = get(cx, cy);
    assert!(!has(&c0));
    get(bx, by);
    for (x, y) in [(ax, ay), (bx, by), (cx, cy)] {
        assert_eq!(get(x, y).1.as_deref(), Some("hit"));
    }
    let rt2 = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt2.block_on(async {
        let c = db.client().await;
        c.batch_execute(&format!(
            "UPDATE civmap.facilities SET geom = ST_SetSRID(ST_MakePoint({to_lon}, {to_lat}), 4326) WHERE id = '{}'",
            f.id
        ))
        .await
        .unwrap();
    });
    let t = Instant::now();
    loop {
        let (_, _, c1) = get(cx, cy);
        if has(&c1) {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "the moved facility never reached its new tile"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, hit, a1) = get(ax, ay);
    assert_eq!(hit.as_deref(), Some("miss"), "the tile it left was evicted");
    assert!(!has(&a1));
    assert_eq!(
        get(bx, by).1.as_deref(),
        Some("hit"),
        "an untouched tile stays cached"
    );
}

//! The division-history routes on the five bundled NBS editions; counts checked against a
//! plain comparison of the CSV files' code columns.

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use super::identity_routes::call;
use super::routes::state;

async fn get(uri: &str) -> (StatusCode, Value) {
    let (s, _, v) = call(&state(), Method::GET, uri, None, None).await;
    (s, v)
}

const NBS2020: &str =
    include_str!("../../../data/hangzhou/divisions/history/hangzhou_divisions_nbs2020.csv");
const NBS2021: &str =
    include_str!("../../../data/hangzhou/divisions/history/hangzhou_divisions_nbs2021.csv");

/// The codes of one edition file at `level` (all levels for `None`).
fn codes<'a>(csv: &'a str, level: Option<&str>) -> HashSet<&'a str> {
    csv.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| level.is_none_or(|lv| f[1] == lv))
        .map(|f| f[0])
        .collect()
}

#[tokio::test]
async fn the_five_editions_are_listed_with_their_cut_off_days() {
    let (s, v) = get("/api/v1/editions").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let got: Vec<(&str, &str)> = v["editions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["date"].as_str().unwrap()))
        .collect();
    assert_eq!(got.len(), 5, "{v}");
    assert_eq!(got[1], ("NBS2020", "2020-06-30"), "{v}");
    let dates: Vec<&str> = got.iter().map(|g| g.1).collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "oldest first: {v}");
    // rows = the CSV's data lines
    assert_eq!(
        v["editions"][1]["rows"].as_u64(),
        Some(codes(NBS2020, None).len() as u64)
    );
}

#[tokio::test]
async fn changes_2020_to_2021_match_the_csv_files_and_find_the_moved_townships() {
    let (s, v) = get("/api/v1/changes?from=NBS2020&to=NBS2021").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (a, b) = (codes(NBS2020, None), codes(NBS2021, None));
    assert_eq!(
        v["counts"]["codes_added"].as_u64(),
        Some(b.difference(&a).count() as u64)
    );
    assert_eq!(
        v["counts"]["codes_removed"].as_u64(),
        Some(a.difference(&b).count() as u64)
    );
    let moved = v["moved"].as_array().unwrap();
    let changqing = moved
        .iter()
        .find(|m| m["from_code"] == "330103001000")
        .unwrap_or_else(|| panic!("长庆街道 is not moved: {v}"));
    assert_eq!(changqing["to_code"], "330105014000");
    assert_eq!(changqing["from_parent"], "330103000000");
    assert_eq!(changqing["to_parent"], "330105000000");
    assert_eq!(changqing["name"], "长庆街道");
    // the same by days, at the township level only
    let (s, t) = get("/api/v1/changes?from=2020-12-31&to=2022-01-01&level=township").await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["from_edition"], "NBS2020");
    assert_eq!(t["to_edition"], "NBS2021");
    let (ta, tb) = (
        codes(NBS2020, Some("township")),
        codes(NBS2021, Some("township")),
    );
    assert_eq!(
        t["counts"]["codes_added"].as_u64(),
        Some(tb.difference(&ta).count() as u64)
    );
    assert!(t["moved"].as_array().unwrap().len() >= 31, "{t}");
    assert!(t["moved"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["to_code"].as_str().unwrap().ends_with("000")));
}

#[tokio::test]
async fn bad_sides_are_named() {
    for (uri, status, param) in [
        (
            "/api/v1/changes?to=NBS2021",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/api/v1/changes?from=NBS2020",
            StatusCode::BAD_REQUEST,
            "to",
        ),
        (
            "/api/v1/changes?from=NBS1999&to=NBS2021",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/api/v1/changes?from=2020-02-30&to=NBS2021",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "/api/v1/changes?from=NBS2020&to=2001-01-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
        (
            "/api/v1/changes?from=NBS2022&to=NBS2020",
            StatusCode::UNPROCESSABLE_ENTITY,
            "to",
        ),
        (
            "/api/v1/changes?from=NBS2020&to=NBS2021&level=galaxy",
            StatusCode::BAD_REQUEST,
            "level",
        ),
        (
            "/api/v1/changes?from=NBS2020&to=NBS2021&x=1",
            StatusCode::BAD_REQUEST,
            "x",
        ),
        ("/api/v1/editions?x=1", StatusCode::BAD_REQUEST, "x"),
    ] {
        let (s, v) = get(uri).await;
        assert_eq!(s, status, "{uri}: {v}");
        assert_eq!(v["error"]["param"], param, "{uri}: {v}");
    }
}

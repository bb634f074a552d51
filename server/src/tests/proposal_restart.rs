//! Approved change proposals survive a restart without PostGIS: the services built again
//! over the same state directory (`accounts.sqlite`) and the same input data serve the
//! approved units, doorplates and facilities and find the former names, with the same
//! answers as before the restart; an approval that no longer fits the data is skipped
//! whole and reported.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use civmap_data::accounts::{AccountStore, Role};
use civmap_geo_core::Dataset;
use serde_json::{json, Value};

use super::auth_helpers::token_of;
use super::identity_routes::call;
use super::proposal_routes::two_townships;
use crate::service::{AppState, IdentityService, SharedState, StoreKind};

/// The services over `ds` and the accounts in `dir`, as `civmap serve --data` builds them.
async fn start(dir: &Path, ds: Dataset) -> SharedState {
    let store = AccountStore::open_dir(dir).unwrap();
    let identity = IdentityService::new(store, Duration::from_secs(3600));
    Arc::new(
        AppState::restore(ds, StoreKind::DataDir, identity)
            .await
            .unwrap(),
    )
}

/// A point of 中社区 (330102001002), the community the transfer moves.
fn moved_point() -> (f64, f64) {
    let ds = two_townships();
    let d = ds
        .doorplates
        .iter()
        .find(|d| d.community.as_ref().map(|c| c.as_str()) == Some("330102001002"))
        .unwrap();
    (d.location.x(), d.location.y())
}

/// The three approvals, in order: 中社区 moves under 东街道; 西社区 becomes 西湖社区;
/// 东街道 becomes 钱江街道 (its record is the one the transfer made).
const APPROVALS: [&str; 3] = [
    r#"{"kind": "transfer", "community": "330102001002", "to_township": "330102002000"}"#,
    r#"{"kind": "rename", "unit": "330102001001", "name": "西湖社区"}"#,
    r#"{"kind": "rename", "unit": "330102002000", "name": "钱江街道"}"#,
];

/// Proposes and approves [`APPROVALS`] through the API; their ids.
async fn approve_all(st: &SharedState) -> Vec<i64> {
    let surveyor = token_of(st, "r-surveyor", Role::Surveyor).await;
    let admin = token_of(st, "r-admin", Role::Admin).await;
    let mut ids = Vec::new();
    for body in APPROVALS {
        let body: Value = serde_json::from_str(body).unwrap();
        let post = "/api/v1/proposals";
        let (s, _, v) = call(st, Method::POST, post, Some(&surveyor), Some(body)).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let uri = format!("/api/v1/proposals/{id}/approve");
        let effective = json!({"effective": "2099-01-01"});
        let (s, _, v) = call(st, Method::POST, &uri, Some(&admin), Some(effective)).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        ids.push(id);
    }
    // the gazetteer rebuilds in the background after the admin edits
    for _ in 0..200 {
        let (_, _, v) = call(st, Method::GET, &search("东街道"), None, None).await;
        if v["features"][0]["properties"]["name"] == "钱江街道" {
            return ids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the gazetteer never found 东街道 as 钱江街道");
}

fn search(q: &str) -> String {
    let q: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
    format!("/api/v1/search?q={q}&kind=admin")
}

/// The answers a restart must keep: the units at the moved point, the former names, the
/// townships and communities, the proposals.
async fn answers(st: &SharedState, ids: &[i64]) -> Vec<(String, Value)> {
    let (lon, lat) = moved_point();
    let mut uris = vec![
        format!("/api/v1/admin/at?lon={lon}&lat={lat}"),
        search("东街道"),
        search("西社区"),
        search("中社区"),
        "/api/v1/admin?level=township".to_owned(),
        "/api/v1/admin?level=community".to_owned(),
    ];
    uris.extend(ids.iter().map(|id| format!("/api/v1/proposals/{id}")));
    let planner = token_of(st, "r-planner", Role::Planner).await;
    let mut out = Vec::new();
    for uri in uris {
        let (s, _, v) = call(st, Method::GET, &uri, Some(&planner), None).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {v}");
        out.push((uri, v));
    }
    out
}

/// The feature answering `code` in a search answer.
fn hit<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {v}"))
}

#[tokio::test]
async fn approvals_survive_a_restart_over_the_same_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path(), two_townships()).await;
    let ids = approve_all(&st).await;
    let before = answers(&st, &ids).await;
    let served_before = st.data.read().data.data().clone();
    drop(st);

    // the restart: the same input data, the same accounts
    let st = start(dir.path(), two_townships()).await;
    assert_eq!(
        *st.data.read().data.data(),
        served_before,
        "the served records are those before the restart"
    );
    let after = answers(&st, &ids).await;
    let (at, east, west, middle) = (&after[0].1, &after[1].1, &after[2].1, &after[3].1);
    // the moved community answers under its new township, with its new code
    let chain: Vec<(&str, &str)> = at["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["code"].as_str().unwrap(), l["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        chain[chain.len() - 2..],
        [("330102002000", "钱江街道"), ("330102002002", "中社区")],
        "{at}"
    );
    // the old names answer the units that carry them now, as former names
    for (v, code) in [(east, "330102002000"), (west, "330102001001")] {
        let f = hit(v, code);
        assert_eq!(f["properties"]["match"]["kind"], "former_name", "{v}");
        assert_eq!(
            f["properties"]["match"]["former"]["date"], "2099-01-01",
            "{v}"
        );
    }
    assert_eq!(hit(west, "330102001001")["properties"]["name"], "西湖社区");
    assert!(
        !middle.to_string().contains("330102001002"),
        "the retired code is gone: {middle}"
    );
    for ((uri, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a, b, "{uri} differs after the restart");
    }
    let (_, _, health) = call(&st, Method::GET, "/health", None, None).await;
    assert!(health.get("proposals_not_replayed").is_none(), "{health}");
}

#[tokio::test]
async fn an_approval_that_no_longer_fits_the_data_is_skipped_whole_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path(), two_townships()).await;
    let ids = approve_all(&st).await;
    drop(st);

    // the data directory replaced: one doorplate of 中社区 is gone
    let mut replaced = two_townships();
    let gone = replaced
        .doorplates
        .iter()
        .position(|d| d.community.as_ref().map(|c| c.as_str()) == Some("330102001002"))
        .unwrap();
    let gone_id = replaced.doorplates.remove(gone).id;
    let st = start(dir.path(), replaced.clone()).await;

    // the transfer is skipped (a doorplate it recodes is missing), and so is the rename
    // of the township whose record the transfer made; the independent rename applies
    let (_, _, health) = call(&st, Method::GET, "/health", None, None).await;
    let skipped = health["proposals_not_replayed"].as_array().unwrap();
    let skipped_ids: Vec<i64> = skipped
        .iter()
        .map(|s| s["proposal"].as_i64().unwrap())
        .collect();
    assert_eq!(skipped_ids, [ids[0], ids[2]], "{health}");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("doorplate {gone_id}")),
        "the reason names the doorplate: {reason}"
    );
    assert!(
        skipped[1]["reason"]
            .as_str()
            .unwrap()
            .contains("330102002000"),
        "{health}"
    );
    let planner = token_of(&st, "r-planner2", Role::Planner).await;
    for (i, id) in ids.iter().enumerate() {
        let uri = format!("/api/v1/proposals/{id}");
        let (_, _, v) = call(&st, Method::GET, &uri, Some(&planner), None).await;
        assert_eq!(v["status"], "approved");
        assert_eq!(v["not_replayed"].is_string(), i != 1, "{v}");
    }
    // nothing of the skipped ones is in the data: only 西社区's name changed
    let mut expected = replaced;
    expected
        .admin
        .iter_mut()
        .find(|u| u.code.as_str() == "330102001001")
        .unwrap()
        .name = "西湖社区".into();
    assert_eq!(*st.data.read().data.data(), expected);
    // the skipped proposals' former names are not offered: 东街道 is still itself
    let (_, _, v) = call(&st, Method::GET, &search("东街道"), None, None).await;
    let f = hit(&v, "330102002000");
    assert_eq!(f["properties"]["name"], "东街道");
    assert_ne!(f["properties"]["match"]["kind"], "former_name", "{v}");
    // the server is still ready: the data it serves are consistent
    let (s, _, _) = call(&st, Method::GET, "/health", None, None).await;
    assert_eq!(s, StatusCode::OK);
}

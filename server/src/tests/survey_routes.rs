//! The surveyors' routes on the real default city.

use civmap_geo_core::survey::measure::UnitMeasures;
use civmap_geo_core::AdminLevel;

use super::routes::state;

#[test]
fn the_default_city_has_lines_measures_and_no_findings() {
    let st = state();
    let p = st.data.survey_products().unwrap();
    let live = st.data.read();
    let units = &live.data.data().admin;
    eprintln!(
        "built in {:.0} ms: {} units, {} lines, {} findings",
        p.build_ms,
        units.len(),
        p.lines.len(),
        p.findings.len()
    );
    assert_eq!(p.measures.len(), units.len());
    assert!(
        p.findings.is_empty(),
        "{:#?}",
        &p.findings[..p.findings.len().min(5)]
    );
    for l in AdminLevel::ALL.into_iter().skip(1) {
        assert!(p.lines.iter().any(|x| x.level == l), "no lines at {l}");
    }
    // the second call is the cache
    assert!(std::sync::Arc::ptr_eq(
        &p,
        &st.data.survey_products().unwrap()
    ));
    let _ = UnitMeasures::of;
}

mod http {
    use std::sync::Arc;

    use axum::http::{Method, StatusCode};
    use civmap_data::accounts::Role;
    use civmap_geo_core::crs::GaussKruger;
    use civmap_geo_core::survey::markers::locate_on_line;
    use serde_json::{json, Value};

    use super::super::auth_helpers::token_of;
    use super::super::identity_routes::call;
    use super::state;
    use crate::service::{AppState, StoreKind};

    async fn get(uri: &str) -> (StatusCode, Value) {
        let (s, _, v) = call(&state(), Method::GET, uri, None, None).await;
        (s, v)
    }

    #[tokio::test]
    async fn one_unit_carries_its_cgcs2000_measures_and_ancestors() {
        let (s, v) = get("/api/v1/admin/330106000000").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let p = &v["properties"];
        assert_eq!(p["name"], "西湖区");
        let m = {
            let u = crate::tests::routes::served_unit("330106000000");
            civmap_geo_core::survey::measure::UnitMeasures::of(
                &u.geometry,
                &GaussKruger::hangzhou(),
            )
        };
        assert!((p["area_m2"].as_f64().unwrap() - m.area_m2).abs() < 0.01);
        assert!((p["perimeter_m"].as_f64().unwrap() - m.perimeter_m).abs() < 0.01);
        // 西湖区 is about 309 km²
        assert!((3.0e8..3.2e8).contains(&m.area_m2), "{}", m.area_m2);
        assert_eq!(p["ancestors"][0]["code"], "330100000000");
        assert!(p["children"].as_u64().unwrap() >= 10);
        // its district lines add up to its perimeter
        let (_, lines) = get("/api/v1/boundaries?code=330106000000").await;
        let total: f64 = lines["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["length_m"].as_f64().unwrap())
            .sum();
        assert!(
            (total - m.perimeter_m).abs() / m.perimeter_m < 1e-6,
            "{total} vs {}",
            m.perimeter_m
        );
        assert_eq!(
            lines["features"].as_array().unwrap().len() as u64,
            p["lines"].as_u64().unwrap()
        );
        for (uri, status) in [
            ("/api/v1/admin/330199000000", StatusCode::NOT_FOUND),
            ("/api/v1/admin/3301", StatusCode::BAD_REQUEST),
            (
                "/api/v1/admin/330106000000?as_of=2020-12-31",
                StatusCode::OK,
            ),
            (
                "/api/v1/admin/330106000000?as_of=2000-01-01",
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            (
                "/api/v1/admin/330106000000?as_of=yesterday",
                StatusCode::BAD_REQUEST,
            ),
            (
                "/api/v1/boundaries?code=330106000000&level=township",
                StatusCode::BAD_REQUEST,
            ),
            ("/api/v1/validation?level=province", StatusCode::BAD_REQUEST),
        ] {
            let (s, v) = get(uri).await;
            assert_eq!(s, status, "{uri}: {v}");
        }
    }

    #[tokio::test]
    async fn the_default_city_validates_clean() {
        let (s, v) = get("/api/v1/validation").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["errors"].as_array().unwrap().len(), 0);
        assert_eq!(v["levels"].as_array().unwrap().len(), 4);
        let (_, v) = get("/api/v1/boundaries?level=district").await;
        let f = v["features"].as_array().unwrap();
        assert!(f.iter().all(|x| x["properties"]["level"] == "district"));
        assert!(
            f.iter().any(|x| x["properties"]["right"].is_null()),
            "an outer border"
        );
        assert!(f.iter().all(|x| x["properties"]["left_name"]
            .as_str()
            .unwrap()
            .ends_with('区')
            || x["properties"]["left_name"]
                .as_str()
                .unwrap()
                .ends_with('县')
            || x["properties"]["left_name"]
                .as_str()
                .unwrap()
                .ends_with('市')));
    }

    /// The marker half of the damaged frame: a marker 5 m off its line is found with its
    /// distance, an exception accepts it, and the surveyors' export carries it.
    #[tokio::test]
    async fn a_marker_five_metres_off_its_line_is_found_and_can_be_excepted() {
        let ds = civmap_data::synthetic::generate(&Default::default(), &mut |_| {}).unwrap();
        let st = Arc::new(AppState::new(ds, StoreKind::Embedded));
        let line = {
            let p = st.data.survey_products().unwrap();
            p.lines
                .iter()
                .find(|l| {
                    l.left.as_str() == "330106000000" && l.right.is_some() && l.length_m > 2000.0
                })
                .unwrap()
                .clone()
        };
        // a point on the line's middle segment, pushed 5 m to its left in GK metres
        let gk = GaussKruger::hangzhou();
        let pts = &line.geometry.0;
        let (a, b) = (
            gk.forward(pts[pts.len() / 2 - 1]),
            gk.forward(pts[pts.len() / 2]),
        );
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let n = (dx * dx + dy * dy).sqrt();
        let mid = geo::coord! { x: (a.x + b.x) / 2.0 - dy / n * 5.0, y: (a.y + b.y) / 2.0 + dx / n * 5.0 };
        let at = gk.inverse(mid);
        let pos = locate_on_line(at, &line.geometry, &gk).unwrap();
        assert!((pos.offset_m.abs() - 5.0).abs() < 0.01, "{pos:?}");
        let surveyor = token_of(&st, "m-surveyor", Role::Surveyor).await;
        let body = json!({"number": "330106-TEST-001A", "line": line.id, "lon": at.x, "lat": at.y, "kind": "A"});
        let (s, _, v) = call(
            &st,
            Method::POST,
            "/api/v1/markers",
            Some(&surveyor),
            Some(body),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (s, _, v) = call(&st, Method::POST, "/api/v1/markers", Some(&surveyor), Some(json!({"number": "330106-TEST-002A", "line": "no-such-line", "lon": at.x, "lat": at.y, "kind": "A"}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert!(v.to_string().contains("no boundary line"), "{v}");

        let (_, _, v) = call(&st, Method::GET, "/api/v1/validation", None, None).await;
        assert_eq!(v["valid"], false, "{v}");
        let errors = v["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{v}");
        assert_eq!(errors[0]["rule"], "marker_off_line");
        assert_eq!(errors[0]["marker"], "330106-TEST-001A");
        assert_eq!(v["counts"]["marker_off_line"], 1);

        let (s, _, v) = call(&st, Method::POST, "/api/v1/validation/exceptions", Some(&surveyor), Some(json!({"rule": "marker_off_line", "marker": "330106-TEST-001A", "codes": [], "why": "moved by road works, agreed 2026"}))).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let (_, _, v) = call(&st, Method::GET, "/api/v1/validation", None, None).await;
        assert_eq!(v["valid"], true, "{v}");
        assert_eq!(v["excepted"].as_array().unwrap().len(), 1, "{v}");

        // exports: surveyors only; a Shapefile comes zipped
        let (s, _, _) = call(
            &st,
            Method::GET,
            "/api/v1/export/markers?format=gpkg",
            None,
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _, v) = call(
            &st,
            Method::GET,
            "/api/v1/export/boundaries?format=kml",
            Some(&surveyor),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        let resp = super::super::identity_routes::raw(
            &st,
            Method::GET,
            "/api/v1/export/boundaries?format=shp&crs=EPSG:4549&level=district",
            Some(&surveyor),
        )
        .await;
        assert_eq!(resp.0, StatusCode::OK);
        assert!(resp.1.starts_with(b"PK\x03\x04"));
    }

    #[tokio::test]
    async fn a_survey_diff_finds_the_unit_that_moved() {
        let st = state();
        let surveyor = token_of(&st, "d-surveyor", Role::Surveyor).await;
        let survey: Vec<Value> = {
            let live = st.data.read();
            live.data
                .data()
                .admin
                .iter()
                .filter(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == "330102000000"))
                .map(|u| {
                    let mut g = u.geometry.clone();
                    if u.code.as_str() == "330102001000" {
                        // the whole township shifted 20 m east
                        use geo::Translate;
                        g.translate_mut(20.0 / 96_000.0, 0.0);
                    }
                    json!({"type": "Feature", "properties": {"code": u.code.as_str()}, "geometry": geojson::Geometry::from(&g)})
                })
                .collect()
        };
        let body = json!({"type": "FeatureCollection", "features": survey});
        let (s, _, _) = call(
            &st,
            Method::POST,
            "/api/v1/survey/diff",
            None,
            Some(body.clone()),
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, _, v) = call(
            &st,
            Method::POST,
            "/api/v1/survey/diff",
            Some(&surveyor),
            Some(body),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let changed: Vec<&str> = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["status"] == "changed")
            .map(|u| u["code"].as_str().unwrap())
            .collect();
        assert!(changed.contains(&"330102001000"), "{v}");
        let moved = v["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["code"] == "330102001000")
            .unwrap();
        assert!(
            (moved["hausdorff_m"].as_f64().unwrap() - 20.0).abs() < 1.5,
            "{moved}"
        );
        assert!(!v["unchanged_units"].as_array().unwrap().is_empty());
        let (s, _, v) = call(&st, Method::POST, "/api/v1/survey/diff", Some(&surveyor), Some(json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": null}]}))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(v.to_string().contains("features[0].properties.code"), "{v}");
    }
}

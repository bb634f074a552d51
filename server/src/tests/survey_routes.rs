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

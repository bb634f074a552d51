//! The doorplate page `/d/{id}` on the default city: server time of one request through
//! the whole router (alias lookup, the 12 bounded walks, HTML rendering, ETag), cycling
//! over 1,000 plates spread across the city, and the page's size (raw and gzip) over the
//! same plates, printed before the timing.
//!
//! `cargo bench -p civmap --bench doorplate_page`
//!
//! Recorded 2026-12-06 05:40 (2 shared cores): [1.4415 ms 1.4545 ms 1.4684 ms] per page;
//! raw median 4,063 B (max 4,213 B), gzip median 1,524 B.

use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use civmap_data::synthetic::{generate, GeneratorConfig};
use civmap_server::service::{AppState, StoreKind};
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Plates the page is rendered for.
const SAMPLE: usize = 1_000;

fn percentile(sorted: &[usize], p: f64) -> usize {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let ds = generate(&GeneratorConfig::default(), &mut |_| {}).expect("the default city");
    let step = (ds.doorplates.len() / SAMPLE).max(1);
    let ids: Vec<u64> = ds.doorplates.iter().step_by(step).map(|d| d.id).collect();
    let plates = ds.doorplates.len();
    let state = Arc::new(AppState::new(ds, StoreKind::Embedded));
    rt.block_on(state.coverage.engine())
        .expect("the coverage engine");
    let app = civmap_server::http::router(state);
    let fetch = |id: u64| {
        let req = Request::get(format!("/d/{id}"))
            .header(header::HOST, "civmap.example.cn")
            .body(Body::empty())
            .expect("a request");
        rt.block_on(async {
            let resp = app.clone().oneshot(req).await.expect("an answer");
            assert_eq!(resp.status(), StatusCode::OK);
            resp.into_body().collect().await.expect("a body").to_bytes()
        })
    };
    let (mut raw, mut gzip) = (Vec::new(), Vec::new());
    for &id in &ids {
        let body = fetch(id);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&body).expect("gzip in memory");
        raw.push(body.len());
        gzip.push(gz.finish().expect("gzip in memory").len());
    }
    raw.sort_unstable();
    gzip.sort_unstable();
    eprintln!(
        "doorplate page over {} of {plates} plates: raw median {} B, p99 {} B, max {} B; gzip median {} B, max {} B",
        ids.len(),
        percentile(&raw, 0.5),
        percentile(&raw, 0.99),
        raw[raw.len() - 1],
        percentile(&gzip, 0.5),
        gzip[gzip.len() - 1],
    );
    let mut next = 0;
    c.bench_function("doorplate_page_default_city", |b| {
        b.iter(|| {
            let id = ids[next % ids.len()];
            next += 1;
            fetch(id)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Signing in from route tests: users of every role in a state's accounts store, and their
//! bearer tokens (obtained through the real login route).

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use civmap_data::accounts::{AuditRecord, Role};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::service::{ServiceError, SharedState};

/// The password of every test user.
pub const PASSWORD: &str = "a long test password";

/// Ensures user `name` exists with `role` in `st`'s accounts.
pub async fn ensure_user(st: &SharedState, name: &str, role: Role, district: Option<&str>) {
    match st
        .identity
        .add_user(
            name,
            role,
            district.map(str::to_owned),
            PASSWORD,
            AuditRecord::new("test", "user.add", format!("user:{name}")),
        )
        .await
    {
        Ok(_) | Err(ServiceError::Conflict(_)) => {}
        Err(e) => panic!("add {name}: {e}"),
    }
}

/// A fresh bearer token of user `name` (created with `role` if missing), from
/// `POST /api/v1/auth/token`.
pub async fn token_of(st: &SharedState, name: &str, role: Role) -> String {
    ensure_user(st, name, role, None).await;
    let body = serde_json::json!({"name": name, "password": PASSWORD}).to_string();
    let resp = crate::http::router(st.clone())
        .oneshot(
            Request::post("/api/v1/auth/token")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    v["token"].as_str().unwrap().to_owned()
}

/// `Authorization` header value for a token.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

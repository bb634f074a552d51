//! Rendering answers: JSON and GeoJSON bodies with their media types, and JSON request
//! bodies read with a size limit and errors that name the field.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::http::error::ApiError;
use crate::service::ServiceError;

/// Largest request body (scenarios, siting), bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// `application/json`.
pub const JSON: &str = "application/json";
/// `application/geo+json`.
pub const GEOJSON: &str = "application/geo+json";

/// `text/csv; charset=utf-8`.
pub const CSV: &str = "text/csv; charset=utf-8";

/// A CSV export, as an attachment named with the query's parameters.
pub fn csv(file: crate::service::coverage::export::CsvFile) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", file.filename);
    (
        [
            (header::CONTENT_TYPE, CSV.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        file.bytes,
    )
        .into_response()
}

/// Bytes already serialised, with a media type.
pub fn bytes(content_type: &'static str, body: impl Into<Body>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body.into()).into_response()
}

/// An answer serialised as `application/json`.
pub fn json<T: Serialize>(answer: &T) -> Result<Response, ApiError> {
    serialise(answer).map(|b| bytes(JSON, b))
}

/// An answer serialised as `application/geo+json`.
pub fn geojson<T: Serialize>(answer: &T) -> Result<Response, ApiError> {
    serialise(answer).map(|b| bytes(GEOJSON, b))
}

fn serialise<T: Serialize>(answer: &T) -> Result<Bytes, ApiError> {
    serde_json::to_vec(answer)
        .map(Bytes::from)
        .map_err(|e| ServiceError::internal(e).into())
}

/// Reads a JSON body: 413 beyond [`MAX_BODY_BYTES`], 400 naming the field otherwise.
pub async fn json_body<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| ApiError::TooLarge {
            limit_bytes: MAX_BODY_BYTES,
        })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let param = if path == "." || path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        ApiError::bad(&param, e.inner().to_string())
    })
}

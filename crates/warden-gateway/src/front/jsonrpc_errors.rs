//! Turns the SDK's plain-text refusal of an undecodable request body into
//! the answer JSON-RPC clients expect: HTTP 400 with a parse error (-32700)
//! for malformed JSON, or an invalid-request error (-32600) for JSON that is
//! not a JSON-RPC message.
//!
//! Only refused requests pass through here, so well-formed traffic pays
//! nothing for it.

use axum::Json;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Prefix of the SDK's message for a body it could not decode.
const UNDECODABLE: &str = "fail to deserialize request body";
/// The SDK's refusals are short; anything longer is passed through untouched.
const MAX_REFUSAL_BYTES: usize = 4096;

const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;

/// Words of serde's messages that mean "valid JSON of the wrong shape".
const SHAPE_ERRORS: &[&str] = &[
    "unrecognized JSON-RPC message",
    "missing field",
    "invalid type",
    "invalid value",
    "unknown variant",
    "did not match any variant",
];

/// Rewrites a 415 for an undecodable body; leaves every other response alone.
pub(crate) async fn rewrite(response: Response) -> Response {
    if response.status() != StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return response;
    }

    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REFUSAL_BYTES).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let text = String::from_utf8_lossy(&bytes);
    let Some(detail) = text.strip_prefix(UNDECODABLE).map(str::trim) else {
        return Response::from_parts(parts, Body::from(bytes));
    };

    let (code, message) = if SHAPE_ERRORS.iter().any(|words| detail.contains(words)) {
        (
            INVALID_REQUEST,
            format!("invalid request: not a JSON-RPC 2.0 message ({detail})"),
        )
    } else {
        (
            PARSE_ERROR,
            format!("parse error: the body is not valid JSON ({detail})"),
        )
    };
    let error = json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": code, "message": message },
    });
    (StatusCode::BAD_REQUEST, Json(error)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: String) -> Response {
        let mut response = Response::new(Body::from(text));
        *response.status_mut() = StatusCode::UNSUPPORTED_MEDIA_TYPE;
        response
    }

    async fn rewritten(detail: &str) -> (StatusCode, serde_json::Value) {
        let response = rewrite(refusal(format!("{UNDECODABLE} {detail}"))).await;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    #[tokio::test]
    async fn malformed_json_becomes_a_parse_error() {
        let (status, body) = rewritten("key must be a string at line 1 column 2").await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], PARSE_ERROR);
        assert_eq!(body["id"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn json_of_the_wrong_shape_becomes_an_invalid_request() {
        let (status, body) = rewritten("unrecognized JSON-RPC message").await;

        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], INVALID_REQUEST);
    }

    #[tokio::test]
    async fn a_wrong_content_type_keeps_its_415() {
        let text = "Unsupported Media Type: Content-Type must be application/json";

        let response = rewrite(refusal(text.to_owned())).await;

        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}

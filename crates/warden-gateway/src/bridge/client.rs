//! The HTTP client of the bridge: the SDK's reqwest client, with the bearer
//! token of every request replaced by the workload's current SVID.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::BoxStream;
use http::{HeaderName, HeaderValue};
use rmcp::model::ClientJsonRpcMessage;
use rmcp::transport::streamable_http_client::{
    SseError, StreamableHttpClient, StreamableHttpError, StreamableHttpPostResponse,
    StreamableHttpResponseLimits,
};
use sse_stream::Sse;

use super::svid::SvidSource;

type Headers = HashMap<HeaderName, HeaderValue>;
type Failure = StreamableHttpError<reqwest::Error>;

/// A reqwest client that authenticates each request with a fresh SVID.
#[derive(Clone)]
pub(crate) struct SvidClient {
    http: reqwest::Client,
    svid: Arc<SvidSource>,
}

impl SvidClient {
    pub(crate) fn new(svid: SvidSource) -> Self {
        Self {
            http: reqwest::Client::new(),
            svid: Arc::new(svid),
        }
    }

    /// The token for the next request; a failure to read it is reported to
    /// the transport, which fails that request rather than send it bare.
    async fn token(&self) -> Result<Option<String>, Failure> {
        match self.svid.current().await {
            Ok(token) => Ok(Some(token)),
            Err(error) => {
                tracing::error!(%error, "no svid to attach; the request is not sent");
                Err(StreamableHttpError::UnexpectedServerResponse(
                    error.to_string().into(),
                ))
            }
        }
    }
}

impl StreamableHttpClient for SvidClient {
    type Error = reqwest::Error;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: Headers,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        let token = self.token().await?;
        self.http
            .post_message(uri, message, session_id, token, custom_headers)
            .await
    }

    async fn post_message_with_response_limits(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        _auth_header: Option<String>,
        custom_headers: Headers,
        limits: StreamableHttpResponseLimits,
    ) -> Result<StreamableHttpPostResponse, Failure> {
        let token = self.token().await?;
        self.http
            .post_message_with_response_limits(
                uri,
                message,
                session_id,
                token,
                custom_headers,
                limits,
            )
            .await
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        _auth_header: Option<String>,
        custom_headers: Headers,
    ) -> Result<(), Failure> {
        let token = self.token().await?;
        self.http
            .delete_session(uri, session_id, token, custom_headers)
            .await
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: Headers,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        let token = self.token().await?;
        self.http
            .get_stream(uri, session_id, last_event_id, token, custom_headers)
            .await
    }

    async fn get_stream_with_max_sse_event_size(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        _auth_header: Option<String>,
        custom_headers: Headers,
        max_sse_event_size: usize,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Failure> {
        let token = self.token().await?;
        self.http
            .get_stream_with_max_sse_event_size(
                uri,
                session_id,
                last_event_id,
                token,
                custom_headers,
                max_sse_event_size,
            )
            .await
    }
}

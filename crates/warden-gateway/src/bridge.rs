//! `warden bridge`: MCP over stdio on one side, for clients that only start
//! local servers (desktop apps), and Streamable HTTP to a gateway on the other,
//! with the workload's JWT-SVID attached to every request.
//!
//! Messages pass through unchanged in both directions; the bridge adds only
//! the credential. The SVID is read afresh for each request, so a rotated one
//! (a file rewritten by a SPIFFE helper, or a new SVID from the Workload API)
//! is used from the next request on, without restarting the client.

mod client;
mod svid;

use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, Transport};

pub use svid::{SvidError, SvidSource};

use client::SvidClient;

/// Why the bridge stopped.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// No SVID can be had at start-up.
    #[error(transparent)]
    Svid(#[from] SvidError),
    /// A message could not be written to the local client.
    #[error("cannot write to the local MCP client on stdout: {0}")]
    Stdout(std::io::Error),
    /// A message could not be sent to the gateway.
    #[error("cannot send to the gateway at {url}: {reason}")]
    Gateway {
        /// The gateway's MCP endpoint.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Relays MCP between this process's stdin/stdout and the gateway at `url`
/// until either side closes.
pub async fn run(url: &str, svid: SvidSource) -> Result<(), BridgeError> {
    svid.current().await?;
    let client = SvidClient::new(svid);
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    let mut gateway = StreamableHttpClientTransport::with_client(client, config);
    let (stdin, stdout) = rmcp::transport::stdio();
    let mut local = rmcp::transport::async_rw::AsyncRwTransport::new_server(stdin, stdout);
    tracing::info!(gateway.url = url, "bridging stdio to the gateway");

    loop {
        tokio::select! {
            message = local.receive() => {
                let Some(message) = message else { break };
                gateway.send(message).await.map_err(|error| BridgeError::Gateway {
                    url: url.to_owned(),
                    reason: error.to_string(),
                })?;
            }
            message = gateway.receive() => {
                let Some(message) = message else { break };
                local.send(message).await.map_err(|error| {
                    BridgeError::Stdout(std::io::Error::other(error.to_string()))
                })?;
            }
        }
    }

    let _ = gateway.close().await;
    tracing::info!("bridge closed");
    Ok(())
}

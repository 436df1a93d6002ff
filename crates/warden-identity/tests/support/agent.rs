//! A stand-in for a SPIRE agent: a SPIFFE Workload API server on a unix socket that
//! serves `FetchJWTBundles` and `FetchX509Bundles` and streams every update.
//!
//! It is written here because no SPIFFE agent runs on the test machine; it speaks
//! real gRPC over a real socket to the real client in the `spiffe` crate. The
//! messages are declared by hand with the field numbers of the Workload API proto.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use futures::{Stream, StreamExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tonic::codegen::{BoxFuture, Context, Poll, Service, http};
use tonic::server::{Grpc, NamedService, ServerStreamingService};
use tonic::{Request, Response, Status};

/// Bundles by trust domain ID (`spiffe://example.org`): JWKS JSON for JWT bundles,
/// concatenated DER for X.509.
pub type Bundles = HashMap<String, Vec<u8>>;

/// Both `JWTBundlesRequest` and `X509BundlesRequest`: empty messages.
#[derive(Clone, PartialEq, prost::Message)]
pub struct BundlesRequest {}

/// `JWTBundlesResponse`: JWKS documents by trust domain ID.
#[derive(Clone, PartialEq, prost::Message)]
pub struct JwtBundlesResponse {
    #[prost(map = "string, bytes", tag = "1")]
    pub bundles: HashMap<String, Vec<u8>>,
}

/// `X509BundlesResponse`: CRLs (unused here) and DER CA certificates by trust
/// domain ID.
#[derive(Clone, PartialEq, prost::Message)]
pub struct X509BundlesResponse {
    #[prost(bytes = "vec", repeated, tag = "1")]
    pub crl: Vec<Vec<u8>>,
    #[prost(map = "string, bytes", tag = "2")]
    pub bundles: HashMap<String, Vec<u8>>,
}

/// A running fake agent; dropping it stops the server.
pub struct FakeAgent {
    pub socket: PathBuf,
    pub jwt: watch::Sender<Bundles>,
    pub x509: watch::Sender<Bundles>,
    stop: CancellationToken,
    served: tokio::task::JoinHandle<()>,
}

impl FakeAgent {
    /// Starts serving `jwt` and `x509` bundles on a socket at `socket`.
    pub fn start(socket: &Path, jwt: Bundles, x509: Bundles) -> Self {
        let _ = std::fs::remove_file(socket);
        let listener = tokio::net::UnixListener::bind(socket).expect("bind the agent socket");
        let (jwt, jwt_updates) = watch::channel(jwt);
        let (x509, x509_updates) = watch::channel(x509);
        let service = AgentService {
            jwt: jwt_updates,
            x509: x509_updates,
        };

        let stop = CancellationToken::new();
        let incoming = futures::stream::unfold(listener, |listener| async move {
            let accepted = listener.accept().await.map(|(stream, _)| stream);
            Some((accepted, listener))
        });
        let stopped = stop.clone();
        let served = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, stopped.cancelled_owned())
                .await
                .expect("the fake agent serves");
        });

        Self {
            socket: socket.to_owned(),
            jwt,
            x509,
            stop,
            served,
        }
    }

    /// The address a configuration names the agent by.
    pub fn address(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// Stops the server and waits until it is gone.
    pub async fn stop(mut self) {
        self.stop.cancel();
        let _ = (&mut self.served).await;
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

// ---- the gRPC service ----

#[derive(Clone)]
struct AgentService {
    jwt: watch::Receiver<Bundles>,
    x509: watch::Receiver<Bundles>,
}

impl NamedService for AgentService {
    const NAME: &'static str = "SpiffeWorkloadAPI";
}

impl Service<http::Request<tonic::body::Body>> for AgentService {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let (jwt, x509) = (self.jwt.clone(), self.x509.clone());

        Box::pin(async move {
            let response = match path.as_str() {
                "/SpiffeWorkloadAPI/FetchJWTBundles" => {
                    let jwt_response = |bundles| JwtBundlesResponse { bundles };
                    serve(BundleStream(jwt, jwt_response), request).await
                }
                "/SpiffeWorkloadAPI/FetchX509Bundles" => {
                    let x509_response = |bundles| X509BundlesResponse {
                        crl: Vec::new(),
                        bundles,
                    };
                    serve(BundleStream(x509, x509_response), request).await
                }
                _ => Status::unimplemented("not served by the fake agent").into_http(),
            };
            Ok(response)
        })
    }
}

async fn serve<R: prost::Message + Default + Send + 'static>(
    stream: BundleStream<R>,
    request: http::Request<tonic::body::Body>,
) -> http::Response<tonic::body::Body> {
    let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
    grpc.server_streaming(stream, request).await
}

/// Streams the current bundles, then every update, as messages made by `.1`.
struct BundleStream<R>(watch::Receiver<Bundles>, fn(Bundles) -> R);

type Updates<R> = Pin<Box<dyn Stream<Item = Result<R, Status>> + Send>>;

impl<R: prost::Message + Default + Send + 'static> ServerStreamingService<BundlesRequest>
    for BundleStream<R>
{
    type Response = R;
    type ResponseStream = Updates<R>;
    type Future = BoxFuture<Response<Self::ResponseStream>, Status>;

    fn call(&mut self, request: Request<BundlesRequest>) -> Self::Future {
        let (updates, message) = (self.0.clone(), self.1);
        Box::pin(async move {
            let header = request.metadata().get("workload.spiffe.io");
            if header.and_then(|value| value.to_str().ok()) != Some("true") {
                return Err(Status::invalid_argument(
                    "security header missing from request",
                ));
            }

            let stream =
                futures::stream::unfold((updates, true), move |(mut updates, first)| async move {
                    if !first {
                        updates.changed().await.ok()?;
                    }
                    let bundles = updates.borrow_and_update().clone();
                    Some((Ok(message(bundles)), (updates, false)))
                });
            Ok(Response::new(stream.boxed()))
        })
    }
}

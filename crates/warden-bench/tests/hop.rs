//! The bare hop as the benchmark runs it (`warden-bench hop`, a process of its own) in
//! front of a real HTTP server on loopback: headers reach the upstream unchanged, and
//! server-sent events reach the client as they are sent, not when the response ends.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Notify, mpsc};

/// How long any one step may take before the test fails.
const STEP: Duration = Duration::from_secs(10);

/// What the upstream shares with the test.
#[derive(Clone)]
struct Upstream {
    /// The headers of every request the upstream received.
    seen: mpsc::UnboundedSender<HeaderMap>,
    /// Lets the upstream send its second event.
    release: Arc<Notify>,
}

/// Answers with a session id and two events, the second only once released.
async fn answer(State(upstream): State<Upstream>, headers: HeaderMap) -> Response {
    let _ = upstream.seen.send(headers);

    let release = upstream.release;
    let events = futures::stream::unfold(0_u8, move |step| {
        let release = Arc::clone(&release);
        async move {
            let event = match step {
                0 => "data: first\n\n",
                1 => {
                    release.notified().await;
                    "data: second\n\n"
                }
                _ => return None,
            };
            Some((
                Ok::<_, Infallible>(Bytes::from_static(event.as_bytes())),
                step + 1,
            ))
        }
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("mcp-session-id", "session-1")
        .body(Body::from_stream(events))
        .expect("a valid response")
}

/// Serves the upstream on a free loopback port.
async fn start_upstream(upstream: Upstream) -> SocketAddr {
    let router = axum::Router::new()
        .route("/mcp", axum::routing::post(answer))
        .with_state(upstream);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the upstream");
    let address = listener.local_addr().expect("the upstream's address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// Starts the hop in front of `upstream` and returns it with the URL it announced.
async fn start_hop(upstream: SocketAddr) -> (Child, String) {
    let mut hop = Command::new(env!("CARGO_BIN_EXE_warden-bench"))
        .args(["hop", "--upstream", &format!("http://{upstream}/mcp")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the hop starts");
    let stdout = hop.stdout.take().expect("stdout is piped");
    let mut lines = BufReader::new(stdout).lines();

    let line = tokio::time::timeout(STEP, lines.next_line())
        .await
        .expect("the hop announces itself in time")
        .expect("the hop's stdout is readable")
        .expect("the hop prints a line");
    let url = line
        .strip_prefix("listening on ")
        .expect("an announcement")
        .to_owned();
    (hop, url)
}

/// Reads from `response` until `text` has arrived, failing after [`STEP`].
async fn read_until(response: &mut reqwest::Response, received: &mut String, text: &str) {
    while !received.contains(text) {
        let chunk = tokio::time::timeout(STEP, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("`{text}` did not arrive; received {received:?}"))
            .expect("the body is readable")
            .unwrap_or_else(|| panic!("the body ended before `{text}`: {received:?}"));
        received.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hop_passes_headers_through_and_streams_events_as_they_are_sent() {
    let (seen, mut requests) = mpsc::unbounded_channel();
    let release = Arc::new(Notify::new());
    let upstream = start_upstream(Upstream {
        seen,
        release: Arc::clone(&release),
    })
    .await;
    let (_hop, url) = start_hop(upstream).await;

    let mut response = reqwest::Client::new()
        .post(&url)
        .header("authorization", "Bearer a.b.c")
        .header("mcp-session-id", "session-1")
        .header("accept", "application/json, text/event-stream")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .expect("the hop answers");
    let mut received = String::new();
    read_until(&mut response, &mut received, "data: first\n\n").await;
    release.notify_one();
    read_until(&mut response, &mut received, "data: second\n\n").await;

    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );
    assert_eq!(response.headers()["mcp-session-id"], "session-1");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let headers = requests.recv().await.expect("the upstream saw the request");
    assert_eq!(headers["authorization"], "Bearer a.b.c");
    assert_eq!(headers["mcp-session-id"], "session-1");
    assert_eq!(headers["host"], upstream.to_string().as_str());
}

//! The HTTP/1.1 server loop over real loopback TCP: requests reach the
//! router with the peer's address, connections are kept alive, and a
//! shutdown lets running requests finish.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a failed unwrap is a failed test")]

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Starts `serve` on a free loopback port; dropping or firing the returned
/// sender stops it.
async fn start(router: Router) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(usher_http::serve(listener, router, async move {
        let _ = stopped.await;
    }));
    (address, stop, server)
}

/// Sends one GET on `stream` and reads one response with a
/// `Content-Length`, returning its status line and body.
async fn get_on(stream: &mut TcpStream, path: &str) -> (String, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the connection closed before a whole response: {:?}", String::from_utf8_lossy(&received));
        received.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&received).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else { continue };
        let length: usize = head
            .lines()
            .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
            .expect("a content-length header")
            .parse()
            .unwrap();
        if body.len() >= length {
            let status = head.lines().next().unwrap().to_owned();
            return (status, body[..length].to_owned());
        }
    }
}

async fn peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
    peer.to_string()
}

#[tokio::test]
async fn peer_address_and_keep_alive() {
    let (address, _stop, _server) = start(Router::new().route("/peer", get(peer))).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let local = stream.local_addr().unwrap();

    let (status, body) = get_on(&mut stream, "/peer").await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, local.to_string(), "the handler sees the client's own address");

    let (status, body) = get_on(&mut stream, "/peer").await;
    assert_eq!(status, "HTTP/1.1 200 OK", "a second request on the same connection is served");
    assert_eq!(body, local.to_string());
}

#[tokio::test]
async fn shutdown_finishes_running_requests() {
    let (entered_tx, entered_rx) = oneshot::channel::<()>();
    let entered = std::sync::Mutex::new(Some(entered_tx));
    let entered = std::sync::Arc::new(entered);
    let router = Router::new().route(
        "/slow",
        get(move || {
            let entered = entered.clone();
            async move {
                if let Some(tx) = entered.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
                "finished"
            }
        }),
    );
    let (address, stop, server) = start(router).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = tokio::spawn(async move { get_on(&mut stream, "/slow").await });
    entered_rx.await.unwrap();

    stop.send(()).unwrap();
    let (status, body) = request.await.unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, "finished", "the request running at shutdown completes");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops once its last request is done")
        .unwrap();
    assert!(TcpStream::connect(address).await.is_err(), "no connection is accepted after shutdown");
}

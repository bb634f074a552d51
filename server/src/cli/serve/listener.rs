//! The accept loop of `civmap serve`: hyper's HTTP/1 connections with timeouts, instead of
//! `axum::serve`, which has no header-read timeout (axum #2741) and so lets a slowloris
//! client hold a connection — and its file descriptor — for as long as it likes by sending
//! a request head a byte at a time, or nothing at all.
//!
//! Every connection here is bounded in time while the server waits on the client:
//!
//! - **Header-read timeout** ([`HEADER_READ_TIMEOUT_S`], `--header-read-timeout-s`): the
//!   whole request head (request line and headers) must arrive within it, or the connection
//!   is closed. hyper starts this timer whenever the connection is ready for a request head
//!   (at accept, and again when a response has been written on a keep-alive connection), so
//!   the same timer is also the **idle timeout** of keep-alive connections: one left idle
//!   that long is closed. Clients reconnect on their next request, as they do after any
//!   keep-alive close.
//! - **Drain bound** on shutdown (SIGTERM/SIGINT): accepting stops, idle connections are
//!   closed, in-flight requests run to completion for at most the drain time, then the
//!   process exits whatever is left.
//!
//! Request bodies and handler time are bounded elsewhere (body limits and deadlines in the
//! HTTP layer); a client that stops reading its response is not timed here.
//!
//! The server speaks HTTP/1.1 only, as `axum::serve` did here: it serves plain HTTP (TLS,
//! and with it HTTP/2 for browsers, is a reverse proxy's job, and proxies speak HTTP/1.1 to
//! their upstreams), and cleartext HTTP/2 would add a protocol sniff and a handshake with no
//! timeout of their own.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::Service;

/// Default seconds a client has to send a complete request head, and the longest a
/// keep-alive connection may sit idle. Ten seconds is ample for any real client (a request
/// head is one packet) and short enough that slow sockets cannot pile up.
pub const HEADER_READ_TIMEOUT_S: u64 = 10;

/// Pause after an accept error that is not about one connection (EMFILE, ENFILE, ENOBUFS):
/// retrying at once would spin a core while the condition lasts; connections already open
/// are served meanwhile and free descriptors as they close.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// How `serve` treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Time to receive a complete request head; also the keep-alive idle timeout.
    pub header_read_timeout: Duration,
    /// After shutdown starts, the longest wait for in-flight requests.
    pub drain_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests finish for at most `limits.drain_timeout`, and returns.
///
/// Handlers can take [`axum::extract::ConnectInfo<SocketAddr>`]: the client's address.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut make_service = app.into_make_service_with_connect_info::<SocketAddr>();
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    tracing::warn!(
                        "accept failed: {e}; pausing {} ms",
                        ACCEPT_ERROR_PAUSE.as_millis()
                    );
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        // The router with the client's address as `ConnectInfo`; never fails.
        let service = match make_service.call(remote).await {
            Ok(s) => s,
            Err(never) => match never {},
        };
        let conn =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                // timeouts, resets and malformed requests: the client's doing, not ours
                tracing::debug!("connection from {remote}: {e}");
            }
        });
    }
    drop(listener);
    let open = graceful.count();
    tracing::info!(
        "stopped accepting; draining {open} connections (at most {:?})",
        limits.drain_timeout
    );
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {:?}; exiting anyway",
            limits.drain_timeout
        );
    }
}

/// Errors about the one connection being accepted (the client went away before we took
/// it): nothing to wait for, the next accept is independent.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use axum::extract::ConnectInfo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    /// A server on a free port with `header_read_timeout`; its address and its stop switch.
    async fn start(
        header_read_timeout: Duration,
    ) -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let app = Router::new()
            .route(
                "/whoami",
                axum::routing::get(|ConnectInfo(addr): ConnectInfo<SocketAddr>| async move {
                    addr.to_string()
                }),
            )
            .route(
                "/slow",
                axum::routing::get(|| async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    "done"
                }),
            );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let limits = ConnLimits {
            header_read_timeout,
            drain_timeout: Duration::from_secs(5),
        };
        let task = tokio::spawn(serve(listener, app, limits, async {
            let _ = rx.await;
        }));
        (addr, tx, task)
    }

    /// Sends `req` on `s` and reads until the server closes the connection.
    async fn exchange(s: &mut TcpStream, req: &str) -> String {
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn handlers_see_the_client_address() {
        let (addr, _stop, _task) = start(Duration::from_secs(5)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let me = s.local_addr().unwrap().to_string();
        let resp = exchange(
            &mut s,
            "GET /whoami HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        )
        .await;
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert!(
            resp.ends_with(&me),
            "expected the client address {me} in {resp}"
        );
    }

    #[tokio::test]
    async fn a_partial_request_head_is_cut_off_at_the_header_read_timeout() {
        let timeout = Duration::from_millis(400);
        let (addr, _stop, _task) = start(timeout).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let t = Instant::now();
        s.write_all(b"GET /whoami HTTP/1.1\r\nHost: t\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        // the server closes the connection (possibly with a 408 first); bounded wait
        tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
            .await
            .expect("closed within 5 s")
            .ok();
        let waited = t.elapsed();
        assert!(
            waited >= timeout,
            "closed after {waited:?}, before the timeout"
        );
        assert!(waited < timeout * 4, "closed only after {waited:?}");
        let head = String::from_utf8_lossy(&buf);
        assert!(!head.contains(" 200 "), "{head}");
    }

    #[tokio::test]
    async fn a_silent_connection_and_an_idle_keep_alive_one_are_closed() {
        let timeout = Duration::from_millis(400);
        let (addr, _stop, _task) = start(timeout).await;
        // silent from the start
        let mut silent = TcpStream::connect(addr).await.unwrap();
        // one request, then idle on a keep-alive connection
        let mut idle = TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"GET /whoami HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut first = [0u8; 12];
        idle.read_exact(&mut first).await.unwrap();
        assert_eq!(&first, b"HTTP/1.1 200");
        for s in [&mut silent, &mut idle] {
            let mut rest = Vec::new();
            tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest))
                .await
                .expect("closed within 5 s")
                .ok();
        }
    }

    #[tokio::test]
    async fn shutdown_drains_a_request_in_flight_then_returns() {
        let (addr, stop, task) = start(Duration::from_secs(5)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let resp = String::from_utf8_lossy(&out);
        assert!(
            resp.starts_with("HTTP/1.1 200") && resp.ends_with("done"),
            "{resp}"
        );
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("serve returns once drained")
            .unwrap();
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "still accepting after shutdown"
        );
    }
}

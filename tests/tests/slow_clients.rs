//! Slowloris: 500 connections that send a request head a byte at a time must neither keep a
//! normal client from its answer nor stay open past the header-read timeout.

mod common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Slow connections held open at once (the server's and this test's descriptors stay under
/// the default soft limit of 1024).
const SLOW_CONNECTIONS: usize = 500;
/// The server's header-read timeout for this test (`--header-read-timeout-s`).
const HEADER_READ_TIMEOUT_S: u64 = 3;
/// A slow client sends one more byte of its request head this often.
const DRIP_INTERVAL: Duration = Duration::from_millis(250);

/// How one slow connection ended: seconds from its first byte to the server closing it, or
/// `None` if it was still open when the test gave up on it.
async fn slow_client(
    base_addr: String,
    all_open: std::sync::Arc<tokio::sync::Barrier>,
) -> Option<f64> {
    let mut s = TcpStream::connect(&base_addr).await.expect("connect");
    s.write_all(b"GET /health HTTP/1.1\r\nHost: civmap\r\nX-Slow: ")
        .await
        .expect("first bytes");
    let t = Instant::now();
    all_open.wait().await;
    let mut buf = [0u8; 512];
    let give_up = Duration::from_secs(HEADER_READ_TIMEOUT_S + 10);
    while t.elapsed() < give_up {
        tokio::select! {
            read = s.read(&mut buf) => match read {
                // closed (perhaps after a 408): the server cut us off
                Ok(0) | Err(_) => return Some(t.elapsed().as_secs_f64()),
                Ok(_) => continue,
            },
            () = tokio::time::sleep(DRIP_INTERVAL) => {
                if s.write_all(b"a").await.is_err() {
                    return Some(t.elapsed().as_secs_f64());
                }
            }
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_slow_sockets_neither_block_a_normal_client_nor_outstay_the_header_timeout() {
    let timeout_s = HEADER_READ_TIMEOUT_S.to_string();
    let server = tokio::task::spawn_blocking(move || {
        common::Server::start(&["--header-read-timeout-s", &timeout_s], &[])
    })
    .await
    .unwrap();
    let addr = server.base.trim_start_matches("http://").to_owned();

    let all_open = std::sync::Arc::new(tokio::sync::Barrier::new(SLOW_CONNECTIONS + 1));
    let slow: Vec<_> = (0..SLOW_CONNECTIONS)
        .map(|_| tokio::spawn(slow_client(addr.clone(), all_open.clone())))
        .collect();
    tokio::time::timeout(Duration::from_secs(30), all_open.wait())
        .await
        .expect("all slow connections open within 30 s");
    let opened = Instant::now();

    // while all 500 are open and dripping, a normal client is answered promptly, each time
    // on a new connection
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut latencies_ms = Vec::new();
    while opened.elapsed() < Duration::from_secs(HEADER_READ_TIMEOUT_S) - Duration::from_millis(500)
    {
        let t = Instant::now();
        let r = client
            .get(format!("{}/health", server.base))
            .timeout(Duration::from_secs(1))
            .send()
            .await
            .expect("health answered within 1 s while 500 slow sockets are open");
        assert_eq!(r.status(), 200);
        latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(latencies_ms.len() >= 5, "{latencies_ms:?}");
    assert!(
        latencies_ms.iter().all(|&ms| ms < 1000.0),
        "health latencies with 500 slow sockets: {latencies_ms:?}"
    );

    // every slow connection is closed by the server, not before the timeout, and not long after
    let mut closed_s = Vec::new();
    for h in slow {
        closed_s.push(h.await.unwrap());
    }
    let still_open = closed_s.iter().filter(|c| c.is_none()).count();
    assert_eq!(
        still_open,
        0,
        "{still_open} of {SLOW_CONNECTIONS} slow connections still open {} s after their first byte",
        HEADER_READ_TIMEOUT_S + 10
    );
    let mut secs: Vec<f64> = closed_s.into_iter().flatten().collect();
    secs.sort_by(f64::total_cmp);
    let (first, last) = (secs[0], secs[secs.len() - 1]);
    let limit_s = HEADER_READ_TIMEOUT_S as f64;
    // the server's timer starts at accept, a moment before the client's clock here
    assert!(
        first > limit_s - 0.5,
        "a slow connection was closed after only {first:.2} s"
    );
    assert!(
        last < limit_s + 3.0,
        "a slow connection was closed only after {last:.2} s"
    );

    // and the server is still serving
    let r = client
        .get(format!("{}/health", server.base))
        .timeout(Duration::from_secs(1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    eprintln!(
        "health with {SLOW_CONNECTIONS} slow sockets: max {:.1} ms over {} requests; slow sockets closed after {first:.2}–{last:.2} s (timeout {HEADER_READ_TIMEOUT_S} s)",
        latencies_ms.iter().copied().fold(0.0, f64::max),
        latencies_ms.len()
    );
    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
}

//! Benchmark, not a test: the link checker over 1,000 distinct links on 50 local hosts (ports)
//! that each answer after 10 ms, with at most 4 requests in flight per host. Prints the wall
//! time of each round and the most requests any host saw at once.
//!
//! ```sh
//! cargo run --release --example bench_links            # the built-in [links] settings
//! cargo run --release --example bench_links -- 128     # with max_concurrency = 128
//! ```

use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use policy_watch::config::Config;
use policy_watch::inspect::{LinkChecker, Verdict};
use tokio::net::{TcpListener, TcpStream};
use url::Url;

const HOSTS: usize = 50;
const LINKS: usize = 1_000;
const LATENCY: Duration = Duration::from_millis(10);
const ROUNDS: usize = 5;

/// What one host saw.
#[derive(Default)]
struct Seen {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: AtomicUsize,
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let mut hosts = Vec::with_capacity(HOSTS);
    for _ in 0..HOSTS {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let seen = Arc::new(Seen::default());
        tokio::spawn(serve(listener, seen.clone()));
        hosts.push((port, seen));
    }
    let urls: Vec<Url> = (0..LINKS)
        .map(|i| {
            let (port, _) = &hosts[i % HOSTS];
            Url::parse(&format!("http://127.0.0.1:{port}/policy/{i}")).expect("url")
        })
        .collect();

    let mut settings = Config::builtin().expect("built-in config").links;
    if let Some(n) = std::env::args().nth(1).and_then(|a| a.parse().ok()) {
        settings.max_concurrency = n;
    }
    println!(
        "{LINKS} links on {HOSTS} hosts, {} ms latency; [links] per_host = {}, max_concurrency = {}",
        LATENCY.as_millis(),
        settings.per_host,
        settings.max_concurrency
    );
    let mut times = Vec::with_capacity(ROUNDS);
    for round in 1..=ROUNDS {
        // A new checker each round: its cache would answer every URL at once otherwise.
        let checker = LinkChecker::new(&settings, "policy-watch-bench").expect("checker");
        let started = Instant::now();
        let statuses = checker.check_all(&urls).await;
        let took = started.elapsed();
        let ok = statuses.iter().filter(|s| s.verdict == Verdict::Ok).count();
        println!(
            "round {round}: {:.3} s, {ok}/{LINKS} ok",
            took.as_secs_f64()
        );
        times.push(took);
    }
    times.sort();
    let requests: usize = hosts
        .iter()
        .map(|(_, s)| s.requests.load(Ordering::Relaxed))
        .sum();
    let max_per_host = hosts
        .iter()
        .map(|(_, s)| s.max_in_flight.load(Ordering::Relaxed))
        .max()
        .unwrap_or(0);
    println!(
        "median {:.3} s, best {:.3} s; {requests} requests served; at most {max_per_host} in flight on one host",
        times[ROUNDS / 2].as_secs_f64(),
        times[0].as_secs_f64()
    );
}

async fn serve(listener: TcpListener, seen: Arc<Seen>) {
    loop {
        if let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(connection(stream, seen.clone()));
        }
    }
}

/// HTTP/1.1 keep-alive: answers each request head with an empty 200 after the latency.
async fn connection(stream: TcpStream, seen: Arc<Seen>) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            if stream.readable().await.is_err() {
                return;
            }
            match stream.try_read(&mut chunk) {
                Ok(0) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(_) => return,
            }
        };
        buf.drain(..end);
        let now = seen.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        seen.max_in_flight.fetch_max(now, Ordering::SeqCst);
        seen.requests.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(LATENCY).await;
        seen.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut reply: &[u8] =
            b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 0\r\n\r\n";
        while !reply.is_empty() {
            if stream.writable().await.is_err() {
                return;
            }
            match stream.try_write(reply) {
                Ok(n) => reply = &reply[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(_) => return,
            }
        }
    }
}

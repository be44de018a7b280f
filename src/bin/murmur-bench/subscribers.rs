//! Many SSE subscribers on raw TCP, each counting what it receives and how late.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::now_micros;

/// What one subscriber saw.
#[derive(Default)]
pub struct Seen {
    pub messages: u64,
    /// Publish-to-delivery latency of each timed message, in microseconds.
    pub latencies: Vec<u32>,
}

/// Opens `count` subscribers to `path`, spreading their source addresses over 127.0.0.x,
/// and returns once every one has its `200` head. They read until `stop` turns true.
pub async fn open(
    server: SocketAddr,
    path: &str,
    count: usize,
    stop: &watch::Receiver<bool>,
    delivered: &Arc<AtomicU64>,
) -> io::Result<Vec<JoinHandle<Seen>>> {
    let mut subscribers = Vec::with_capacity(count);
    for n in 0..count {
        let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (n / 10_000) as u8));
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source, 0))?;
        let mut stream = socket.connect(server).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        if &head != b"HTTP/1.1 200" {
            return Err(io::Error::other(format!(
                "subscriber {n}: {}",
                String::from_utf8_lossy(&head)
            )));
        }
        let mut stop = stop.clone();
        let delivered = Arc::clone(delivered);
        subscribers.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            let mut buffer = vec![0u8; 16 * 1024];
            let mut pending = Vec::new();
            loop {
                tokio::select! {
                    read = stream.read(&mut buffer) => match read {
                        Ok(n @ 1..) => {
                            pending.extend_from_slice(&buffer[..n]);
                            let before = seen.messages;
                            count_frames(&mut pending, &mut seen);
                            delivered.fetch_add(seen.messages - before, Ordering::Relaxed);
                        }
                        _ => return seen,
                    },
                    _ = stop.wait_for(|stop| *stop) => return seen,
                }
            }
        }));
    }
    Ok(subscribers)
}

/// Counts the complete frames in `pending` (leaving a partial one for the next read), and
/// the latency of each message carrying a send time.
fn count_frames(pending: &mut Vec<u8>, seen: &mut Seen) {
    let Some(end) = pending.windows(2).rposition(|pair| pair == b"\n\n") else {
        return;
    };
    let complete: Vec<u8> = pending.drain(..end + 2).collect();
    let text = String::from_utf8_lossy(&complete);
    let now = now_micros();
    for frame in text
        .split("\n\n")
        .filter(|frame| frame.contains("event: message"))
    {
        seen.messages += 1;
        let sent = frame.split("\"body\":\"t=").nth(1).and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u128>().ok()
        });
        if let Some(sent) = sent {
            seen.latencies
                .push(u32::try_from(now.saturating_sub(sent)).unwrap_or(u32::MAX));
        }
    }
}

/// Stops the subscribers and gathers what they saw.
pub async fn gather(subscribers: Vec<JoinHandle<Seen>>) -> Vec<Seen> {
    let mut all = Vec::with_capacity(subscribers.len());
    for subscriber in subscribers {
        all.push(subscriber.await.unwrap_or_default());
    }
    all
}

//! Many SSE subscribers on raw TCP, each counting what it receives and how late.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
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

/// Where subscribers connect from.
#[derive(Clone, Copy)]
pub enum Sources {
    /// A few addresses (127.0.b.x, 10,000 subscribers each), in a block `b` no crowd used
    /// before: to presence, one signed-out reader per address. A source address has about
    /// 14,000 ports to bind, and those a crowd closed stay taken (TIME_WAIT) for a minute.
    Shared(u8),
    /// An address of its own for each (127.1.x.y): each a reader of its own.
    Own,
}

impl Sources {
    /// Shared addresses in a block no crowd used before.
    pub fn shared() -> Self {
        static BLOCKS: AtomicU8 = AtomicU8::new(0);
        Self::Shared(BLOCKS.fetch_add(1, Ordering::Relaxed))
    }

    pub fn address(self, n: usize) -> IpAddr {
        IpAddr::V4(match self {
            Self::Shared(block) => Ipv4Addr::new(127, 0, block, 2 + (n / 10_000) as u8),
            Self::Own => Ipv4Addr::new(127, 1, (n / 250) as u8, 1 + (n % 250) as u8),
        })
    }
}

/// An open stream: its socket, and what came after its head.
pub struct Opened {
    pub stream: TcpStream,
    /// The body's first bytes, read with the head.
    pub first: Vec<u8>,
    /// Chunked transfer coding: nginx chunks a stream it proxies to an HTTP/1.1 client
    /// (the server itself marks the end of a stream by closing it).
    chunked: bool,
}

/// Connects a subscriber to `path` from `source`, resuming after `last_event_id` if given,
/// and reads its `200` head.
pub async fn connect(
    server: SocketAddr,
    path: &str,
    source: IpAddr,
    last_event_id: Option<&str>,
) -> io::Result<Opened> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let mut stream = socket.connect(server).await?;
    let resume = last_event_id.map_or(String::new(), |id| format!("last-event-id: {id}\r\n"));
    let request =
        format!("GET {path} HTTP/1.1\r\nhost: bench\r\naccept: text/event-stream\r\n{resume}\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    let end = loop {
        if let Some(end) = find(&head, b"\r\n\r\n") {
            break end;
        }
        match stream.read(&mut buffer).await? {
            0 => {
                return Err(io::Error::other(format!(
                    "subscriber from {source}: no head"
                )));
            }
            n => head.extend_from_slice(&buffer[..n]),
        }
    };
    if !head.starts_with(b"HTTP/1.1 200") {
        return Err(io::Error::other(format!(
            "subscriber from {source}: {}",
            String::from_utf8_lossy(&head[..end])
        )));
    }
    let chunked = find(
        &head[..end].to_ascii_lowercase(),
        b"transfer-encoding: chunked",
    )
    .is_some();
    Ok(Opened {
        stream,
        first: head.split_off(end + 4),
        chunked,
    })
}

/// Undoes chunked transfer coding as bytes arrive.
#[derive(Default)]
struct Dechunk {
    /// Bytes of the current chunk still to come.
    left: usize,
    /// The size line read so far.
    line: Vec<u8>,
}

impl Dechunk {
    fn feed(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            if self.left > 0 {
                let n = self.left.min(input.len());
                out.extend_from_slice(&input[..n]);
                self.left -= n;
                input = &input[n..];
                continue;
            }
            // A size line, or the empty line that ends a chunk's data.
            let byte = input[0];
            input = &input[1..];
            match byte {
                b'\n' => {
                    let line = std::mem::take(&mut self.line);
                    let size = line.split(|&b| b == b';').next().unwrap_or_default();
                    let size = std::str::from_utf8(size).unwrap_or_default();
                    self.left = usize::from_str_radix(size, 16).unwrap_or(0);
                }
                b'\r' => {}
                other => self.line.push(other),
            }
        }
    }
}

/// Readers coming and going until `stop`: each of `count` tasks, again and again, opens a
/// stream of `path` from an address not used before (127.2.x.y), holds it for a tenth of a
/// second and closes it. Answers how many came and went.
pub fn churn(
    server: SocketAddr,
    path: &str,
    count: usize,
    stop: &watch::Receiver<bool>,
) -> JoinHandle<u64> {
    let (path, stop) = (path.to_owned(), stop.clone());
    tokio::spawn(async move {
        let visits = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for task in 0..count {
            let (path, stop, visits) = (path.clone(), stop.clone(), Arc::clone(&visits));
            tasks.push(tokio::spawn(async move {
                let mut n = task;
                while !*stop.borrow() {
                    let source = Ipv4Addr::new(127, 2, (n / 250 % 256) as u8, 1 + (n % 250) as u8);
                    if let Ok(opened) = connect(server, &path, IpAddr::V4(source), None).await {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        drop(opened);
                        visits.fetch_add(1, Ordering::Relaxed);
                    }
                    n += count;
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
        visits.load(Ordering::Relaxed)
    })
}

/// Opens `count` subscribers to `path` from `sources`, and returns once every one has its
/// `200` head. They read until `stop` turns true.
pub async fn open(
    server: SocketAddr,
    path: &str,
    count: usize,
    sources: Sources,
    stop: &watch::Receiver<bool>,
    delivered: &Arc<AtomicU64>,
) -> io::Result<Vec<JoinHandle<Seen>>> {
    let mut subscribers = Vec::with_capacity(count);
    for n in 0..count {
        let Opened {
            mut stream,
            first,
            chunked,
        } = connect(server, path, sources.address(n), None).await?;
        let mut stop = stop.clone();
        let delivered = Arc::clone(delivered);
        subscribers.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            let mut buffer = vec![0u8; 16 * 1024];
            let mut pending = Vec::new();
            let mut dechunk = chunked.then(Dechunk::default);
            let mut take = |bytes: &[u8], pending: &mut Vec<u8>| match &mut dechunk {
                Some(dechunk) => dechunk.feed(bytes, pending),
                None => pending.extend_from_slice(bytes),
            };
            take(&first, &mut pending);
            // Waited on once for the whole loop, not re-registered on every read.
            let mut stopped = pin!(stop.wait_for(|stop| *stop));
            loop {
                tokio::select! {
                    read = stream.read(&mut buffer) => match read {
                        Ok(n @ 1..) => {
                            take(&buffer[..n], &mut pending);
                            let before = seen.messages;
                            count_frames(&mut pending, &mut seen);
                            delivered.fetch_add(seen.messages - before, Ordering::Relaxed);
                        }
                        _ => return seen,
                    },
                    _ = &mut stopped => return seen,
                }
            }
        }));
    }
    Ok(subscribers)
}

/// What precedes the send time in a timed message's JSON (see `http::timed_message`).
const SENT_AT: &[u8] = b"\"body\":\"t=";

/// Counts the complete frames in `pending` (leaving a partial one for the next read) that
/// carry a message, new or edited, and the latency of each carrying a send time.
fn count_frames(pending: &mut Vec<u8>, seen: &mut Seen) {
    let mut start = 0;
    while let Some(length) = find(&pending[start..], b"\n\n") {
        let frame = &pending[start..start + length];
        start += length + 2;
        if !frame.starts_with(b"event: message\n") && !frame.starts_with(b"event: edited\n") {
            continue;
        }
        seen.messages += 1;
        if let Some(at) = find(frame, SENT_AT) {
            let digits = &frame[at + SENT_AT.len()..];
            let sent = digits
                .iter()
                .take_while(|byte| byte.is_ascii_digit())
                .fold(0u128, |sent, digit| sent * 10 + u128::from(digit - b'0'));
            let late = now_micros().saturating_sub(sent);
            seen.latencies.push(u32::try_from(late).unwrap_or(u32::MAX));
        }
    }
    pending.drain(..start);
}

/// Where `needle` first occurs in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Stops the subscribers and gathers what they saw.
pub async fn gather(subscribers: Vec<JoinHandle<Seen>>) -> Vec<Seen> {
    let mut all = Vec::with_capacity(subscribers.len());
    for subscriber in subscribers {
        all.push(subscriber.await.unwrap_or_default());
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_anywhere_come_out_as_the_bytes_they_carry() {
        let coded = b"d\r\nretry: 1000\n\n\r\n19;x=y\r\nevent: message\ndata: {}\n\n\r\n0\r\n\r\n";
        for split in 0..coded.len() {
            let (mut dechunk, mut out) = (Dechunk::default(), Vec::new());
            dechunk.feed(&coded[..split], &mut out);
            dechunk.feed(&coded[split..], &mut out);
            assert_eq!(
                out, b"retry: 1000\n\nevent: message\ndata: {}\n\n",
                "split at {split}"
            );
        }
    }

    #[test]
    fn messages_are_counted_once_whole_and_timed_by_their_body() {
        let sent = now_micros() - 1_000;
        let mut pending = format!(
            "retry: 1000\n\n: keep-alive\n\nevent: message\nid: 1\ndata: {{\"id\":1,\"body\":\"t={sent}\"}}\n\nevent: message\nid: 2\ndata: {{\"bo"
        )
        .into_bytes();
        let mut seen = Seen::default();
        count_frames(&mut pending, &mut seen);
        assert_eq!(seen.messages, 1, "the second frame is not complete yet");
        assert_eq!(seen.latencies.len(), 1);
        assert!((1_000..60_000_000).contains(&seen.latencies[0]));

        pending.extend_from_slice(b"dy\":\"plain\"}\n\n");
        count_frames(&mut pending, &mut seen);
        assert_eq!(seen.messages, 2);
        assert_eq!(
            seen.latencies.len(),
            1,
            "a body without a send time is not timed"
        );
        assert!(pending.is_empty());
    }
}

//! Streams served straight on the socket, beside the HTTP server.
//!
//! Through hyper, an idle subscriber costs tens of KiB: the connection's read and write
//! buffers and state stay allocated for as long as the stream is open. A server that holds
//! tens of thousands of subscribers can't afford that. So [`DirectListener`] reads the first
//! request head of each new connection itself. A stream request that [`Open`] accepts is
//! answered here: a fixed response head, then the body written frame by frame from the
//! bytes every subscriber shares, with nothing else kept per connection; a stream that
//! can't be opened is refused here too, with the response [`Open`] gives. Everything else
//! goes on to the HTTP server, with the bytes read so far put back in front.
//!
//! A stream asked for on a connection that already served another request (keep-alive) is
//! served by the router, the same stream at a higher cost.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::connect_info::Connected;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::serve::{IncomingStream, Listener};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::mpsc;

use super::sse::{Body, Closing};

/// How long a new connection has to send its request head.
const HEAD_READ_LIMIT: Duration = Duration::from_secs(30);
/// A longer head goes to the HTTP server, which answers it.
const MAX_HEAD: usize = 16 * 1024;
/// Headers read from a head; one with more goes to the HTTP server.
const MAX_HEADERS: usize = 64;
/// Sent before a directly served body. The body ends when the connection closes.
const RESPONSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
cache-control: no-cache\r\nx-accel-buffering: no\r\nconnection: close\r\n\r\n";

/// What a stream request asks for, and from where.
#[derive(Debug)]
pub struct Head {
    /// The path asked for, e.g. `/live`.
    pub path: String,
    /// The query after `?`, if any.
    pub query: Option<String>,
    /// Its headers (cookies, credentials, `Last-Event-ID`, forwarding).
    pub headers: HeaderMap,
    /// The socket's peer.
    pub peer: SocketAddr,
}

/// The address a connection handed to the HTTP server came from, as its handlers see it
/// through `ConnectInfo<Peer>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

impl<Io> Connected<IncomingStream<'_, DirectListener<Io>>> for Peer
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    fn connect_info(stream: IncomingStream<'_, DirectListener<Io>>) -> Self {
        Self(*stream.remote_addr())
    }
}

/// What to answer the stream request `Head`: the stream, or its refusal; `None` sends the
/// request to the HTTP server.
pub type Open = Arc<dyn Fn(Head) -> BoxFuture<'static, Option<Opened>> + Send + Sync>;

/// What [`Open`] answers a stream request with.
pub enum Opened {
    /// The stream's body.
    Stream(Body),
    /// A whole HTTP/1.1 response refusing it (its connection then closes): answered here
    /// rather than by the HTTP server, which would ask the gate and the caps again.
    Refused(Bytes),
}

/// A listener that serves stream requests itself and hands every other connection to the
/// HTTP server. Stops accepting when the server shuts down.
pub struct DirectListener<Io> {
    connections: mpsc::Receiver<(Prefixed<Io>, SocketAddr)>,
    local_addr: SocketAddr,
}

/// Resolves once every directly served stream has ended.
pub struct Drained(mpsc::Receiver<Infallible>);

impl Drained {
    /// Waits until the last directly served stream has ended.
    pub async fn wait(mut self) {
        let _ = self.0.recv().await;
    }
}

impl<Io> DirectListener<Io>
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Starts accepting on `inner`; streams end when `closing` is raised.
    ///
    /// # Errors
    /// If `inner` has no local address.
    pub fn new<L>(inner: L, open: Open, closing: Closing) -> io::Result<(Self, Drained)>
    where
        L: Listener<Io = Io, Addr = SocketAddr>,
    {
        let local_addr = inner.local_addr()?;
        let (handed_over, connections) = mpsc::channel(64);
        let (streams, drained) = mpsc::channel(1);
        tokio::spawn(accept(inner, open, closing, handed_over, streams));
        Ok((
            Self {
                connections,
                local_addr,
            },
            Drained(drained),
        ))
    }
}

impl<Io> Listener for DirectListener<Io>
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    type Io = Prefixed<Io>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.connections.recv().await {
            Some(connection) => connection,
            // Accepting stopped: the server is shutting down.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

async fn accept<L: Listener<Addr = SocketAddr>>(
    mut inner: L,
    open: Open,
    closing: Closing,
    handed_over: mpsc::Sender<(Prefixed<L::Io>, SocketAddr)>,
    streams: mpsc::Sender<Infallible>,
) where
    L::Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut closed = pin!(closing.clone().wait());
    loop {
        let (io, addr) = tokio::select! {
            () = &mut closed => return,
            () = handed_over.closed() => return,
            accepted = inner.accept() => accepted,
        };
        let connection = serve(
            io,
            addr,
            Arc::clone(&open),
            handed_over.clone(),
            closing.clone(),
        );
        let streams = streams.clone();
        tokio::spawn(async move {
            connection.await;
            drop(streams);
        });
    }
}

/// Serves the stream `io` asks for, or hands `io` over to the HTTP server; ends early if
/// `closing` comes before the stream is being served (a stream ends when the bus closes:
/// not watching `closing` spares every stream a check of it on every event).
async fn serve<Io: AsyncRead + AsyncWrite + Unpin>(
    mut io: Io,
    addr: SocketAddr,
    open: Open,
    handed_over: mpsc::Sender<(Prefixed<Io>, SocketAddr)>,
    closing: Closing,
) {
    let body = tokio::select! {
        () = closing.clone().wait() => return,
        body = head_and_body(&mut io, addr, &open) => body,
    };
    match body {
        Some(Ok(Opened::Stream(body))) => {
            drop((handed_over, open, closing));
            let _ = write_stream(io, body).await;
        }
        Some(Ok(Opened::Refused(response))) => {
            drop((handed_over, open, closing));
            if io.write_all(&response).await.is_ok() {
                let _ = io.shutdown().await;
            }
        }
        Some(Err(head)) => {
            tokio::select! {
                () = closing.wait() => {}
                _ = handed_over.send((Prefixed::new(head, io), addr)) => {}
            }
        }
        None => {}
    }
}

/// Reads the request head; answers what [`Open`] makes of it, or the head when it is not
/// a stream request (or `Open` passes it on); `None` when no head came.
async fn head_and_body(
    io: &mut (impl AsyncRead + Unpin),
    addr: SocketAddr,
    open: &Open,
) -> Option<Result<Opened, Vec<u8>>> {
    let Ok(Ok(head)) = tokio::time::timeout(HEAD_READ_LIMIT, read_head(io)).await else {
        return None;
    };
    let body = match stream_request(&head, addr) {
        Some(request) => open(request).await,
        None => None,
    };
    Some(body.ok_or(head))
}

/// Reads until the end of the first request head, the end of the stream, or [`MAX_HEAD`].
async fn read_head(io: &mut (impl AsyncRead + Unpin)) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    while !head.windows(4).any(|end| end == b"\r\n\r\n") && head.len() < MAX_HEAD {
        if io.read_buf(&mut head).await? == 0 {
            break;
        }
    }
    Ok(head)
}

/// `head` as a stream request from `peer`: a complete HTTP/1.1 `GET` without a body or an
/// upgrade, and nothing after it.
fn stream_request(head: &[u8], peer: SocketAddr) -> Option<Head> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(length) = request.parse(head).ok()? else {
        return None;
    };
    if length != head.len() || request.method != Some("GET") || request.version != Some(1) {
        return None;
    }
    let mut headers = HeaderMap::with_capacity(request.headers.len());
    for header in request.headers.iter() {
        let is = |name: &str| header.name.eq_ignore_ascii_case(name);
        if ["content-length", "transfer-encoding", "upgrade", "expect"]
            .into_iter()
            .any(is)
        {
            return None;
        }
        headers.append(
            HeaderName::from_bytes(header.name.as_bytes()).ok()?,
            HeaderValue::from_bytes(header.value).ok()?,
        );
    }
    let (path, query) = match request.path?.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (request.path?, None),
    };
    Some(Head {
        path: path.to_owned(),
        query,
        headers,
        peer,
    })
}

/// Writes the response head and `body` until either ends or the peer goes away.
async fn write_stream(mut io: impl AsyncRead + AsyncWrite + Unpin, body: Body) -> io::Result<()> {
    io.write_all(RESPONSE_HEAD).await?;
    let mut ignored = [0u8; 1];
    let mut frames = Batches { body, ended: false };
    loop {
        tokio::select! {
            batch = frames.next() => match batch {
                Some(batch) => io.write_all(&batch).await?,
                None => break,
            },
            // A peer that closes its end (or sends anything) is done with the stream.
            _ = io.read(&mut ignored) => return Ok(()),
        }
    }
    io.shutdown().await
}

/// Up to this many bytes of frames go in one write.
const MAX_BATCH: usize = 64 * 1024;

/// A body's frames, those ready together as one buffer: a subscriber that is behind by
/// several events writes them in one go, a syscall for all (flat out, most of a fan-out's
/// time is the kernel's, a syscall per write).
struct Batches {
    body: Body,
    ended: bool,
}

impl Stream for Batches {
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        let this = self.get_mut();
        let mut batch: Option<Bytes> = None;
        let mut joined = Vec::new();
        while !this.ended && batch.as_ref().map_or(0, Bytes::len) + joined.len() < MAX_BATCH {
            match this.body.poll_next_unpin(cx) {
                Poll::Ready(Some(frame)) => match &batch {
                    None => batch = Some(frame),
                    Some(_) => joined.extend_from_slice(&frame),
                },
                Poll::Ready(None) => this.ended = true,
                Poll::Pending => break,
            }
        }
        match batch {
            None if this.ended => Poll::Ready(None),
            None => Poll::Pending,
            Some(first) if joined.is_empty() => Poll::Ready(Some(first)),
            Some(first) => {
                let mut all = first.to_vec();
                all.append(&mut joined);
                Poll::Ready(Some(Bytes::from(all)))
            }
        }
    }
}

/// A connection whose first bytes were already read: it reads them again first.
pub struct Prefixed<Io> {
    prefix: Vec<u8>,
    read: usize,
    io: Io,
}

impl<Io> Prefixed<Io> {
    fn new(prefix: Vec<u8>, io: Io) -> Self {
        Self {
            prefix,
            read: 0,
            io,
        }
    }
}

impl<Io: AsyncRead + Unpin> AsyncRead for Prefixed<Io> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.read < this.prefix.len() {
            let unread = &this.prefix[this.read..];
            let n = unread.len().min(buf.remaining());
            buf.put_slice(&unread[..n]);
            this.read += n;
            if this.read == this.prefix.len() {
                this.prefix = Vec::new();
                this.read = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<Io: AsyncWrite + Unpin> AsyncWrite for Prefixed<Io> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Vec<u8> {
        text.replace('\n', "\r\n").into_bytes()
    }

    fn peer() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 9], 5000))
    }

    #[test]
    fn a_plain_get_is_a_stream_request() {
        let request = stream_request(
            &head(
                "GET /live?topic=rooms HTTP/1.1\nHost: x\nLast-Event-ID: rooms@4\nCookie: a=b\n\n",
            ),
            peer(),
        )
        .unwrap();
        assert_eq!(request.path, "/live");
        assert_eq!(request.query.as_deref(), Some("topic=rooms"));
        assert_eq!(request.headers["last-event-id"], "rooms@4");
        assert_eq!(request.headers["cookie"], "a=b");
        assert_eq!(request.peer, peer());
        let bare = stream_request(&head("GET /live HTTP/1.1\n\n"), peer()).unwrap();
        assert_eq!((bare.path.as_str(), bare.query), ("/live", None));
    }

    #[test]
    fn anything_else_goes_to_the_http_server() {
        for other in [
            "POST /live HTTP/1.1\nContent-Length: 0\n\n",
            "GET /live HTTP/1.0\n\n",
            "GET /live HTTP/1.1\nContent-Length: 3\n\nabc",
            "GET /live HTTP/1.1\nTransfer-Encoding: chunked\n\n",
            "GET /live HTTP/1.1\nUpgrade: websocket\n\n",
            "GET /live HTTP/1.1\n\nGET / HTTP/1.1\n\n",
            "GET /live HTTP/1.1\nHost: x\n",
            "PRI * HTTP/2.0\n\nSM\n\n",
        ] {
            assert!(stream_request(&head(other), peer()).is_none(), "{other:?}");
        }
    }

    #[test]
    fn the_direct_head_carries_the_headers_of_a_routed_stream() {
        let routed = super::super::respond(futures::stream::empty().boxed());
        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut direct = httparse::Response::new(&mut headers);
        direct.parse(RESPONSE_HEAD).unwrap();
        assert_eq!(direct.code, Some(routed.status().as_u16()));
        for (name, value) in routed.headers() {
            let same = direct
                .headers
                .iter()
                .find(|header| header.name.eq_ignore_ascii_case(name.as_str()));
            assert_eq!(
                same.map(|header| header.value),
                Some(value.as_bytes()),
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn a_stream_ends_as_soon_as_its_peer_hangs_up() {
        let (client, server) = tokio::io::duplex(1024);
        let quiet: Body = futures::stream::pending().boxed();
        let serving = tokio::spawn(write_stream(server, quiet));
        let mut client = client;
        let mut head = vec![0u8; RESPONSE_HEAD.len()];
        client.read_exact(&mut head).await.unwrap();
        assert_eq!(head, RESPONSE_HEAD);
        drop(client);
        // A guard against hanging, not a timing: the stream ends when the peer is gone.
        let ended = tokio::time::timeout(Duration::from_secs(30), serving).await;
        ended.expect("the stream ended").unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_handed_over_connection_reads_its_head_again() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b"rest").await.unwrap();
        let mut prefixed = Prefixed::new(b"head ".to_vec(), server);
        let mut read = [0u8; 9];
        prefixed.read_exact(&mut read).await.unwrap();
        assert_eq!(&read, b"head rest");
    }
}

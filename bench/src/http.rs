//! Just enough HTTP/1.1 over one kept-alive TCP connection to post messages fast and to
//! fetch files.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A kept-alive connection for POST requests, signed in when it has a token.
pub struct Poster {
    stream: BufReader<TcpStream>,
    /// An `authorization` header line, or nothing.
    authorization: String,
}

impl Poster {
    pub async fn connect(server: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(server).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            authorization: String::new(),
        })
    }

    /// The same connection, calling with session `token`.
    pub fn signed_in(mut self, token: &str) -> Self {
        self.authorization = format!("authorization: Bearer {token}\r\n");
        self
    }

    /// POSTs `body` with `content_type` to `path`; returns the status and response body.
    pub async fn post(
        &mut self,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> io::Result<(u16, String)> {
        self.send_body("POST", path, content_type, body).await
    }

    /// Sends `body` with `content_type` to `path` as `method`; returns the status and
    /// response body.
    pub async fn send_body(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> io::Result<(u16, String)> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: {content_type}\r\n{}content-length: {}\r\n\r\n{body}",
            self.authorization,
            body.len()
        );
        let (status, _, body) = self.send(&request).await?;
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }

    /// GETs `path` accepting `encoding`; returns the status, the `content-encoding` and
    /// the body as sent.
    pub async fn get(
        &mut self,
        path: &str,
        encoding: &str,
    ) -> io::Result<(u16, Option<String>, Vec<u8>)> {
        self.send(&format!(
            "GET {path} HTTP/1.1\r\nhost: bench\r\naccept-encoding: {encoding}\r\n\r\n"
        ))
        .await
    }

    /// GETs `path` with `connection: close` and reads everything the server sends until it
    /// closes, calling `meanwhile` after each read; how many bytes came.
    pub async fn get_to_end(mut self, path: &str, mut meanwhile: impl FnMut()) -> io::Result<u64> {
        let request = format!(
            "GET {path} HTTP/1.1\r\nhost: bench\r\n{}connection: close\r\n\r\n",
            self.authorization
        );
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let (mut buffer, mut total) = (vec![0; 64 * 1024], 0);
        loop {
            match self.stream.read(&mut buffer).await? {
                0 => return Ok(total),
                n => total += n as u64,
            }
            meanwhile();
        }
    }

    /// Sends `request`, reads a response with a `content-length`.
    async fn send(&mut self, request: &str) -> io::Result<(u16, Option<String>, Vec<u8>)> {
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (mut length, mut encoding) = (0, None);
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("content-encoding") {
                encoding = Some(value.trim().to_owned());
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status, encoding, body))
    }
}

/// The JSON of a message whose body carries the time it was sent, for latency.
pub fn timed_message(sent_micros: u128) -> String {
    format!(r#"{{"body":"t={sent_micros}"}}"#)
}

/// The same as a form post to the server function.
pub fn timed_form(slug: &str, sent_micros: u128) -> String {
    format!("slug={slug}&body=t%3D{sent_micros}")
}

//! `spawn_app()` and a small SSE client.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::BoxStream;
use leptos::config::LeptosOptions;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use murmur::protect::RateLimits;
use murmur::server::Config;
use murmur::server::startup;

use super::databases::{PostgresDatabase, postgres_wanted, run_sql};

/// A guard against a hung test, not a timing assertion: nothing here should take a second.
/// Also each client's longest wait for a byte: a server that never answers fails the test
/// instead of hanging it (a live stream sends a keep-alive every 10 s).
const STUCK: Duration = Duration::from_secs(30);

/// A running server and its database: what a client can reach.
pub struct Api {
    pub base: String,
    /// A client that sends no credentials.
    pub http: reqwest::Client,
    /// Its database's URL: `sqlite://…`, or `postgres://…` (see [`postgres_wanted`]).
    pub database_url: String,
    /// Session tokens of the accounts the tests signed up, by username.
    tokens: Mutex<HashMap<String, String>>,
}

/// The password every test account has.
pub const PASSWORD: &str = "correct horse battery";

/// A server running in this process with its own database, stopped when dropped; it
/// derefs to its [`Api`].
pub struct TestApp {
    api: Api,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    dir: tempfile::TempDir,
    config: Config,
    /// The PostgreSQL database it runs on, if it does; dropped after the rest.
    postgres: Option<PostgresDatabase>,
}

/// An app without rate limits (tests post flat out); stream caps as configured by default.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// An app that drops a connection whose peer has taken no bytes for `limit`.
pub async fn spawn_app_dropping_stalled_after(limit: Duration) -> TestApp {
    spawn_app_with(move |config| config.write_stall_limit = limit).await
}

/// An app configured by `configure`, which starts from [`spawn_app`]'s configuration, on a
/// fresh database: SQLite, or PostgreSQL when `MURMUR_TEST_DATABASE=postgres`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config) + 'static) -> TestApp {
    spawn_on(postgres_wanted(), Box::new(configure)).await
}

/// An app on SQLite whatever `MURMUR_TEST_DATABASE` says: for a test that reads the
/// database's file or holds its write lock.
pub async fn spawn_sqlite_app() -> TestApp {
    spawn_sqlite_app_with(|_| {}).await
}

/// [`spawn_sqlite_app`], configured by `configure`.
pub async fn spawn_sqlite_app_with(configure: impl FnOnce(&mut Config) + 'static) -> TestApp {
    spawn_on(false, Box::new(configure)).await
}

/// Two instances on one fresh PostgreSQL database, as a cluster runs them, configured by
/// `configure` (which starts from [`spawn_app`]'s configuration).
pub async fn spawn_two_instances_with(
    configure: impl FnOnce(&mut Config) + 'static,
) -> (TestApp, TestApp) {
    let first = spawn_on(true, Box::new(configure)).await;
    let second = first.another_instance().await;
    (first, second)
}

async fn spawn_on(postgres: bool, configure: Box<dyn FnOnce(&mut Config)>) -> TestApp {
    let postgres = if postgres {
        Some(PostgresDatabase::create().await)
    } else {
        None
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    start(dir, postgres, configure).await
}

async fn start(
    dir: tempfile::TempDir,
    postgres: Option<PostgresDatabase>,
    configure: Box<dyn FnOnce(&mut Config)>,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local address");
    let database_url = match &postgres {
        Some(database) => database.url(),
        None => format!("sqlite://{}", dir.path().join("murmur.db").display()),
    };
    let mut config = Config::new(
        database_url,
        LeptosOptions::builder()
            .output_name("murmur")
            .site_addr(addr)
            .build(),
    );
    config.limits = RateLimits::off();
    config.streams.opens = None;
    config.exports_dir = dir.path().join("exports");
    configure(&mut config);
    let murmur = startup::build(&config).await.expect("app builds");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(murmur.serve(listener, async move {
        let _ = stopped.await;
    }));
    TestApp {
        api: Api::new(format!("http://{addr}"), config.database_url.clone()),
        stop: Some(stop),
        server,
        dir,
        config,
        postgres,
    }
}

impl TestApp {
    /// Shuts the server down as SIGTERM would, waits until it has stopped, and starts a new
    /// one on the same database (and a new port).
    pub async fn restart(mut self) -> TestApp {
        self.begin_shutdown();
        self.server
            .await
            .expect("server task")
            .expect("server stopped cleanly");
        let config = self.config;
        start(
            self.dir,
            self.postgres,
            Box::new(move |restarted: &mut Config| {
                let addr = restarted.leptos.site_addr;
                *restarted = config;
                restarted.leptos.site_addr = addr;
            }),
        )
        .await
    }

    /// Another instance on this one's database, configured alike (sharing its exports
    /// directory), on a port of its own.
    pub async fn another_instance(&self) -> TestApp {
        let config = self.config.clone();
        let dir = tempfile::tempdir().expect("temporary directory");
        let same = move |other: &mut Config| {
            let addr = other.leptos.site_addr;
            *other = config;
            other.leptos.site_addr = addr;
        };
        start(dir, None, Box::new(same)).await
    }

    /// Tells the server to shut down, as SIGTERM or Ctrl-C would.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Where the server writes exports.
    pub fn exports_dir(&self) -> std::path::PathBuf {
        self.config.exports_dir.clone()
    }

    /// Waits until the server has stopped.
    pub async fn stopped(self) -> std::io::Result<()> {
        self.server.await.expect("server task")
    }
}

impl std::ops::Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Api {
    /// A client of the server at `base` (`http://ip:port`) whose database is `database_url`.
    pub fn new(base: String, database_url: String) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .read_timeout(STUCK)
            .build()
            .expect("client");
        Self {
            base,
            http,
            database_url,
            tokens: Mutex::default(),
        }
    }

    /// The session token of account `username` (made with [`PASSWORD`] on first use;
    /// usernames are the same in any case).
    pub async fn token(&self, username: &str) -> String {
        let username = &username.to_ascii_lowercase();
        if let Some(token) = self.tokens.lock().unwrap().get(username) {
            return token.clone();
        }
        let credentials = json!({ "username": username, "password": PASSWORD });
        let signed_up = self
            .http
            .post(self.url("/api/accounts"))
            .json(&credentials)
            .send();
        let status = signed_up.await.expect("sign up").status();
        assert!(
            status == 201 || status == 409,
            "signing up {username}: {status}"
        );
        let signed_in = self
            .http
            .post(self.url("/api/session"))
            .json(&credentials)
            .send();
        let signed_in: Value = signed_in
            .await
            .expect("sign in")
            .json()
            .await
            .expect("JSON");
        let token = signed_in["token"].as_str().expect("a token").to_owned();
        self.tokens
            .lock()
            .unwrap()
            .insert(username.to_owned(), token.clone());
        token
    }

    /// A client that calls as `username`, with its bearer token.
    pub async fn client_as(&self, username: &str) -> reqwest::Client {
        let token = self.token(username).await;
        let mut headers = reqwest::header::HeaderMap::new();
        let bearer = format!("Bearer {token}").parse().expect("a header value");
        headers.insert(reqwest::header::AUTHORIZATION, bearer);
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .read_timeout(STUCK)
            .build()
            .expect("client")
    }

    /// Runs `statement` on the app's database, with `args` as `$1`, `$2`, … (so it must read
    /// the same on SQLite and PostgreSQL): the first column of the first row it answers.
    pub async fn sql(&self, statement: &'static str, args: &[i64]) -> Option<i64> {
        run_sql(&self.database_url, statement, args).await
    }

    /// Has `client` make a request first, so its next one (a stream, say) goes out on a
    /// kept-alive connection: through the router rather than the direct listener.
    pub async fn reuse_connection(&self, client: &reqwest::Client) {
        let health = client.get(self.url("/healthz")).send().await.unwrap();
        assert_eq!(health.text().await.unwrap(), "ok");
    }

    /// The server's socket address.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.base
            .trim_start_matches("http://")
            .parse()
            .expect("base is http://ip:port")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a public room through the JSON API, as account `owner`.
    pub async fn create_room(&self, slug: &str) {
        let response = self
            .client_as("owner")
            .await
            .post(self.url("/api/rooms"))
            .json(&json!({ "slug": slug, "title": format!("Room {slug}") }))
            .send()
            .await
            .expect("create room");
        assert_eq!(response.status(), 201, "creating room {slug}");
    }

    /// Creates private room `slug` as account `owner`, its only member.
    pub async fn create_private_room(&self, owner: &str, slug: &str) {
        let room = json!({ "slug": slug, "title": "Secret", "private": true });
        let client = self.client_as(owner).await;
        let created = client.post(self.url("/api/rooms")).json(&room).send().await;
        let created = created.unwrap();
        assert_eq!(created.status(), 201, "creating private room {slug}");
        assert_eq!(created.json::<Value>().await.unwrap()["private"], true);
    }

    /// Posts through the JSON API as account `author`, returning status and JSON body.
    pub async fn post_json(&self, slug: &str, author: &str, body: &str) -> (u16, Value) {
        let response = self
            .client_as(author)
            .await
            .post(self.url(&format!("/api/rooms/{slug}/messages")))
            .json(&json!({ "body": body }))
            .send()
            .await
            .expect("post message");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Posts through the JSON API as account `author`, which must succeed: the message's id.
    pub async fn post(&self, slug: &str, author: &str, body: &str) -> i64 {
        let (status, message) = self.post_json(slug, author, body).await;
        assert_eq!(status, 201, "{message}");
        message["id"].as_i64().expect("an id")
    }

    /// Posts through the `post_message` server function as account `author`, as `fetch`
    /// from the page does.
    pub async fn post_server_fn(&self, slug: &str, author: &str, body: &str) -> (u16, Value) {
        let response = self
            .client_as(author)
            .await
            .post(self.url("/api/post_message"))
            .form(&[("slug", slug), ("body", body)])
            .send()
            .await
            .expect("call server function");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// GETs `path`, returning status and JSON body.
    /// `GET path` as account `who`: the status and the JSON answer.
    pub async fn get_json_as(&self, who: &str, path: &str) -> (u16, Value) {
        let response = self
            .client_as(who)
            .await
            .get(self.url(path))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn get_json(&self, path: impl AsRef<str>) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path.as_ref()))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Every room, as the directory lists them.
    pub async fn rooms(&self) -> Vec<Value> {
        serde_json::from_value(self.get_json("/api/rooms").await.1).expect("a list of rooms")
    }

    /// The room's message count as the directory reports it.
    pub async fn message_count(&self, slug: &str) -> i64 {
        let rooms = self.rooms().await;
        let room = rooms
            .iter()
            .find(|room| room["slug"] == slug)
            .expect("room listed");
        room["message_count"].as_i64().expect("count")
    }

    /// Every message of the room, oldest first.
    pub async fn messages(&self, slug: &str) -> Vec<Value> {
        let (_, messages) = self
            .get_json(&format!("/api/rooms/{slug}/messages?limit=200"))
            .await;
        serde_json::from_value(messages).expect("a list of messages")
    }

    /// `(requests, queries)` from one read of `/metrics`, which counts as a request.
    pub async fn metrics(&self) -> (u64, u64) {
        let text = self.metrics_text().await;
        (
            metric(&text, "murmur_http_requests_total"),
            metric(&text, "murmur_db_queries_total"),
        )
    }

    /// Topics the bus keeps for open streams, from `/metrics`.
    pub async fn bus_topics(&self) -> u64 {
        metric(&self.metrics_text().await, "murmur_live_topics")
    }

    /// Waits until the server has ended every stream (a hang, not a timing, fails).
    pub async fn until_no_streams(&self) {
        let deadline = tokio::time::Instant::now() + STUCK;
        while self.open_streams().await > 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "streams never closed"
            );
            tokio::task::yield_now().await;
        }
    }

    /// Open event streams, from `/metrics`.
    pub async fn open_streams(&self) -> u64 {
        metric(&self.metrics_text().await, "murmur_live_streams")
    }

    async fn metrics_text(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    pub async fn sse(&self, path: &str) -> SseClient {
        SseClient::connect(&self.http, &self.url(path), None).await
    }

    /// A stream opened as a reconnecting browser would: with `Last-Event-ID`.
    pub async fn sse_after(&self, path: &str, last_event_id: &str) -> SseClient {
        SseClient::connect(&self.http, &self.url(path), Some(last_event_id)).await
    }
}

/// The value of `name` in a `/metrics` text.
fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {text}"))
}

/// One Server-Sent Event as it came over the wire.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub id: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("event data is JSON")
    }

    /// Whether it says who is here, on a room's own stream or on `/live`.
    fn is_presence(&self) -> bool {
        self.event.as_deref() == Some("presence") || self.data.starts_with(r#"{"kind":"presence""#)
    }
}

/// Reads a `text/event-stream` response and parses it per the SSE spec (fields, comments,
/// blank-line dispatch), skipping comments and `retry`-only frames.
pub struct SseClient {
    pub response_headers: reqwest::header::HeaderMap,
    bytes: BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    /// Bytes read but not yet parsed (a chunk may end inside a character).
    buffer: Vec<u8>,
}

impl SseClient {
    async fn connect(http: &reqwest::Client, url: &str, last_event_id: Option<&str>) -> Self {
        let stream = Self::open(http, url, last_event_id).await;
        stream.unwrap_or_else(|| panic!("stream {url} answers 200 with an event stream"))
    }

    /// Opens a stream; `None` if the server can't be reached or doesn't answer `200` with
    /// `text/event-stream`.
    pub async fn open(
        http: &reqwest::Client,
        url: &str,
        last_event_id: Option<&str>,
    ) -> Option<Self> {
        let mut request = http.get(url).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        Self::from_response(request.send().await.ok()?)
    }

    /// Reads `response` as a stream; `None` unless it is `200` with `text/event-stream`.
    pub fn from_response(response: reqwest::Response) -> Option<Self> {
        let is_stream = response
            .headers()
            .get("content-type")
            .is_some_and(|t| t == "text/event-stream");
        if response.status() != 200 || !is_stream {
            return None;
        }
        Some(Self {
            response_headers: response.headers().clone(),
            bytes: response.bytes_stream().boxed(),
            buffer: Vec::new(),
        })
    }

    /// The next event that carries data.
    pub async fn next(&mut self) -> SseEvent {
        let next = tokio::time::timeout(STUCK, self.try_next())
            .await
            .expect("an event arrives");
        next.expect("the stream is still open")
    }

    /// The next presence event (who has the room open), passing over any others.
    pub async fn next_presence(&mut self) -> Value {
        let next = async {
            loop {
                match self.read().await {
                    Some(event) if event.is_presence() => return Some(event),
                    Some(_) => {}
                    None => return None,
                }
            }
        };
        let next = tokio::time::timeout(STUCK, next).await;
        let presence = next
            .expect("a presence event arrives")
            .expect("the stream is open");
        let mut payload = presence.json();
        payload.as_object_mut().unwrap().remove("kind");
        payload
    }

    /// The next event that carries data, or `None` once the stream has ended or failed.
    /// Presence events, which any room's stream carries whenever someone comes or goes,
    /// are passed over (see [`Self::next_presence`]).
    pub async fn try_next(&mut self) -> Option<SseEvent> {
        loop {
            match self.read().await? {
                event if event.is_presence() => {}
                event => return Some(event),
            }
        }
    }

    /// Whether the stream ends before it sends another event that carries data (presence
    /// passed over); a stream that goes on sending nothing fails the test.
    pub async fn ended(&mut self) -> bool {
        let next = tokio::time::timeout(STUCK, self.try_next()).await;
        next.expect("the stream ends or sends an event").is_none()
    }

    /// The next event that carries data, of any kind (presence included).
    pub async fn next_raw(&mut self) -> SseEvent {
        let next = tokio::time::timeout(STUCK, self.read()).await;
        next.expect("an event arrives")
            .expect("the stream is still open")
    }

    /// The next event that carries data, of any kind.
    async fn read(&mut self) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buffer.windows(2).position(|pair| pair == b"\n\n") {
                let frame = self.buffer.drain(..end + 2).collect::<Vec<u8>>();
                let frame = String::from_utf8(frame).expect("UTF-8 stream");
                let mut event = SseEvent::default();
                let mut has_data = false;
                for line in frame.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "event" => event.event = Some(value.to_owned()),
                        "id" => event.id = Some(value.to_owned()),
                        "data" => {
                            if has_data {
                                event.data.push('\n');
                            }
                            event.data.push_str(value);
                            has_data = true;
                        }
                        _ => {}
                    }
                }
                if has_data {
                    return Some(event);
                }
            }
            let chunk = self.bytes.next().await?.ok()?;
            self.buffer.extend_from_slice(&chunk);
        }
    }
}

//! A fault-injecting TCP proxy between clients and the server: it can cut connections at
//! random points of what the server sends, and answer `503` instead of forwarding.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::rng::Rng;

pub struct FaultProxy {
    pub url: String,
    faults: Arc<Faults>,
    accepting: JoinHandle<()>,
}

struct Faults {
    /// Answer every new connection with `503 Service Unavailable`.
    refuse: AtomicBool,
    /// When not 0, cut each connection after a random number of bytes up to this.
    cut_within: AtomicU64,
    rng: Mutex<Rng>,
    open: Mutex<Vec<JoinHandle<()>>>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accepting.abort();
        self.cut_all();
    }
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr, seed: u64) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let faults = Arc::new(Faults {
            refuse: AtomicBool::new(false),
            cut_within: AtomicU64::new(0),
            rng: Mutex::new(Rng::new(seed)),
            open: Mutex::default(),
        });
        let accepting = tokio::spawn({
            let faults = Arc::clone(&faults);
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    let connection = tokio::spawn(serve(client, upstream, Arc::clone(&faults)));
                    faults.open.lock().unwrap().push(connection);
                }
            }
        });
        Self {
            url,
            faults,
            accepting,
        }
    }

    /// From now on, answer `503` (`true`) or forward again (`false`).
    pub fn refuse(&self, refuse: bool) {
        self.faults.refuse.store(refuse, Ordering::SeqCst);
    }

    /// From now on, cut connections after a random number of bytes up to `bytes` (0: never).
    pub fn cut_within(&self, bytes: u64) {
        self.faults.cut_within.store(bytes, Ordering::SeqCst);
    }

    /// Cuts every open connection now.
    pub fn cut_all(&self) {
        for connection in self.faults.open.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, faults: Arc<Faults>) {
    if faults.refuse.load(Ordering::SeqCst) {
        let refusal =
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let _ = client.write_all(refusal.as_bytes()).await;
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let cut_within = faults.cut_within.load(Ordering::SeqCst);
    let mut budget = match cut_within {
        0 => u64::MAX,
        n => faults.rng.lock().unwrap().below(n) + 1,
    };
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let requests = tokio::io::copy(&mut client_read, &mut server_write);
    let responses = async {
        let mut buffer = vec![0u8; 8192];
        while budget > 0 {
            let Ok(n @ 1..) = server_read.read(&mut buffer).await else {
                return;
            };
            let n = n.min(usize::try_from(budget).unwrap_or(usize::MAX));
            if client_write.write_all(&buffer[..n]).await.is_err() {
                return;
            }
            budget -= n as u64;
        }
    };
    tokio::select! {
        _ = requests => {}
        () = responses => {}
    }
}

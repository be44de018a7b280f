//! Two instances of the real binary on one PostgreSQL database behind a real nginx running
//! the repository's configuration (`deploy/nginx.conf`).

use std::path::Path;
use std::process::Stdio;

use tokio::process::{Child, Command};

use super::crash::{Poster, free_port, start_server};
use super::databases::PostgresDatabase;
use super::faults::stored_ids;
use super::follower::Follower;
use super::helpers::Api;

/// nginx with `deploy/nginx.conf` as `scripts/nginx-conf.sh` writes it for `instances`,
/// listening on ports of its own; stopped when dropped.
pub struct Nginx {
    _child: Child,
    _dir: tempfile::TempDir,
    /// Where it listens: `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Nginx {
    /// Starts nginx and waits until it answers through an instance.
    pub async fn start(instances: &[u16]) -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/nginx-conf.sh");
        let config = std::process::Command::new(script)
            .arg(port.to_string())
            .args(instances.iter().map(u16::to_string))
            .output()
            .unwrap();
        assert!(config.status.success(), "{config:?}");
        let config = config.stdout;
        std::fs::write(dir.path().join("nginx.conf"), config).unwrap();
        // Its workers may run as another user, which must reach its temporary files.
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).unwrap();
        for (path, mode) in [(dir.path(), 0o755), (tmp.as_path(), 0o777)] {
            let permissions = std::os::unix::fs::PermissionsExt::from_mode(mode);
            std::fs::set_permissions(path, permissions).unwrap();
        }
        let child = Command::new("nginx")
            .env("PATH", "/usr/sbin:/usr/bin:/bin")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            // One process: killed with the test, it leaves no workers behind.
            .args(["-g", "daemon off; master_process off;"])
            .stdout(Stdio::null())
            // It logs each stream cut by the instance killed on purpose.
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nginx (Debian's nginx-light; scripts/test.sh installs it)");
        let nginx = Self {
            _child: child,
            _dir: dir,
            base: format!("http://127.0.0.1:{port}"),
        };
        let health = format!("{}/healthz", nginx.base);
        // Until it listens, connecting fails at once: each try is an answer, not a wait. The
        // answer must come through nginx: another test's server could have taken its port.
        loop {
            if let Ok(answer) = reqwest::get(&health).await {
                let server = answer.headers().get("server").cloned();
                assert!(
                    server.is_some_and(|name| name.as_bytes().starts_with(b"nginx")),
                    "port {port} is another server's"
                );
                if answer.status() == 200 {
                    return nginx;
                }
            }
            tokio::task::yield_now().await;
        }
    }
}

#[tokio::test]
async fn kill_9_of_one_instance_moves_its_listeners_through_nginx_to_the_other_without_loss() {
    let database = PostgresDatabase::create().await;
    let url = database.url();
    let (port_a, port_b) = (free_port(), free_port());
    let proxied = [("MURMUR_TRUSTED_PROXIES", "127.0.0.1")];
    let mut a = start_server(port_a, &url, &proxied).await;
    let _b = start_server(port_b, &url, &proxied).await;
    let nginx = Nginx::start(&[port_a, port_b]).await;
    let app = Api::new(nginx.base.clone(), url.clone());
    app.create_room("durable").await;
    let mut followers: Vec<Follower> = (0..4)
        .map(|_| Follower::start(&nginx.base, "durable", 0))
        .collect();
    let mut poster = Poster::start(&app, "durable").await;
    poster.wait_for_more(30).await;
    let on_a = Api::new(format!("http://127.0.0.1:{port_a}"), url.clone());
    assert!(on_a.open_streams().await > 0, "some listen through A");

    a.start_kill().expect("SIGKILL");
    a.wait().await.expect("A died");
    poster.wait_for_more(30).await;
    let acknowledged = poster.stop().await;

    let stored = stored_ids(&app, "durable").await;
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged message {id} is stored");
    }
    for follower in &mut followers {
        follower.assert_converges_to(&stored).await;
    }
}

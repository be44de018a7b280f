//! The `murmur` server: reads configuration from the environment, sets up logging and
//! serves until SIGTERM or Ctrl-C.

// The app's view types are deep; type-checking them in the binary needs more depth.
#![recursion_limit = "512"]

#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    use murmur::server::{Config, shutdown_signal, startup};

    murmur::server::init_tracing();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            tracing::error!("invalid configuration: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match startup::run(config, shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("murmur stopped: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle starts from `murmur::hydrate`; this binary is server-only.
}

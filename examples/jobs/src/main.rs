//! The `jobs` server: at `LEPTOS_SITE_ADDR`, the site cargo-leptos built at
//! `LEPTOS_SITE_ROOT`, each tenth of a job taking `JOBS_STEP_MS` (default 500).

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    let options = leptos::config::get_configuration(None).unwrap().leptos_options;
    let step = std::env::var("JOBS_STEP_MS").ok().and_then(|ms| ms.parse().ok());
    let step = std::time::Duration::from_millis(step.unwrap_or(500));
    let listener = tokio::net::TcpListener::bind(options.site_addr).await.unwrap();
    println!("jobs: serving http://{}", options.site_addr);
    let app = jobs::server::app(options, step);
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).await.unwrap();
}

#[cfg(not(feature = "ssr"))]
fn main() {}

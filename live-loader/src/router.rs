//! The multi-topic stream as a route, for an app that says who a request is from by its
//! headers alone (a session cookie, say).

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, RawQuery};
use axum::http::HeaderMap;
use axum::routing::get;

use super::STREAM_PATH;
use super::state::{LiveState, Subscriber};

impl LiveState {
    /// A router serving the multi-topic stream at [`STREAM_PATH`] to whoever `who` says a
    /// request's headers sign in (`None` when signed out), answering refusals in their
    /// default words ([`Self::respond`]). Merge it into the app's router, and serve the app
    /// with `into_make_service_with_connect_info::<SocketAddr>()`: streams count against
    /// their client's address in the [`crate::StreamLimits`] (without it, all count against
    /// one). An app behind a proxy, or with sessions that end streams, opens them itself:
    /// [`Self::open_live`].
    pub fn router<S>(
        &self,
        who: impl Fn(&HeaderMap) -> Option<String> + Send + Sync + 'static,
    ) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let (live, who) = (self.clone(), Arc::new(who));
        let stream = move |peer: Option<Extension<ConnectInfo<SocketAddr>>>,
                           RawQuery(query): RawQuery,
                           headers: HeaderMap| async move {
            let subscriber = Subscriber {
                who: who(&headers).map(Arc::from),
                session: None,
                addr: peer.map_or(
                    IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                    |Extension(ConnectInfo(peer))| peer.ip(),
                ),
            };
            live.respond(&subscriber, query.as_deref(), &headers).await
        };
        Router::new().route(STREAM_PATH, get(stream))
    }
}

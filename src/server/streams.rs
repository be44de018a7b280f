//! Event streams, wired to who is asking: the routed `/live` handler, and the same streams
//! served off the HTTP stack by [`DirectListener`](live_loader::direct::DirectListener).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use futures::FutureExt;
use live_loader::direct::{Head, Open, Opened};
use live_loader::{LiveState, STREAM_PATH, last_event_id, respond};

use super::Metrics;
use crate::accounts::Caller;
use crate::accounts::service::AccountService;
use crate::api::raw_response;
use crate::chat::http::open_room_stream;
use crate::chat::service::ChatService;
use crate::error::AppError;
use crate::protect::{TrustedProxies, foreign_origin};

/// `GET /live?topic=a&topic=b@42`: the one stream a browser tab holds; see
/// [`LiveState::open_live`].
///
/// # Errors
/// `400` for a malformed request, `404`/`403` for a topic the caller may not have,
/// `429`/`503` past the stream caps.
pub async fn live_stream(
    State(live): State<LiveState>,
    caller: Caller,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let body = live
        .open_live(
            &caller.subscriber(),
            query.as_deref(),
            last_event_id(&headers),
        )
        .await?;
    Ok(respond(body))
}

/// What the direct listener needs to open the same streams as the routes.
#[derive(Clone)]
pub struct DirectStreams {
    pub accounts: AccountService,
    pub proxies: TrustedProxies,
    pub chat: ChatService,
    pub live: LiveState,
    pub metrics: Metrics,
}

impl DirectStreams {
    /// The event streams for the direct listener: the same bodies as their routes, which
    /// answer whatever can't be opened (errors included).
    pub fn open(self) -> Open {
        Arc::new(move |head: Head| {
            let streams = self.clone();
            async move {
                // A call from another origin's script: the HTTP server answers it, with
                // CORS (see `cors.rs`).
                if foreign_origin(&head.headers).is_some() {
                    return None;
                }
                // Only a stream's path is worth identifying the caller for.
                let room = match head.path.as_str() {
                    STREAM_PATH => None,
                    path => Some(path.strip_prefix("/rooms/")?.strip_suffix("/stream")?),
                };
                let (accounts, proxies) = (&streams.accounts, &streams.proxies);
                // A store that fails to say who this is: the HTTP server answers it.
                let caller = Caller::identify(accounts, proxies, head.peer, &head.headers)
                    .await
                    .ok()?;
                let subscriber = caller.subscriber();
                let (query, last_event_id) = (head.query.as_deref(), last_event_id(&head.headers));
                let (chat, live) = (&streams.chat, &streams.live);
                let body = match room {
                    None => (live.open_live(&subscriber, query, last_event_id).await)
                        .map_err(AppError::from),
                    Some(slug) => {
                        open_room_stream(chat, live, &subscriber, slug, query, last_event_id).await
                    }
                };
                Some(match body {
                    Ok(body) => {
                        streams.metrics.request(StatusCode::OK);
                        Opened::Stream(body)
                    }
                    Err(error) => {
                        let status = StatusCode::from_u16(error.status());
                        streams
                            .metrics
                            .request(status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
                        Opened::Refused(raw_response(&error))
                    }
                })
            }
            .boxed()
        })
    }
}

//! Protections every feature uses on the server: who a request comes from (its client
//! address, through trusted proxies), rate limits, the cross-site request check, and which
//! other origins may call and frame Murmur.
//! Features and the server plumbing import this; it imports neither.

mod client;
mod csrf;
mod origins;
mod rate;

pub use client::{ClientAddr, TrustedProxies, network};
pub use csrf::{is_cross_site, may_record_reading};
pub use origins::{EmbedOrigins, foreign_origin, is_cross_origin_call};
pub use rate::{PostgresBuckets, Rate, RateLimit, RateLimits, Shared, SharedBuckets};

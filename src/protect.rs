//! Protections every feature uses on the server: who a request comes from (its client
//! address, through trusted proxies), rate limits, and the cross-site request check.
//! Features and the server plumbing import this; it imports neither.

mod client;
mod csrf;
mod rate;

pub use client::{ClientAddr, TrustedProxies, network};
pub use csrf::{is_cross_site, may_record_reading};
pub use rate::{PostgresBuckets, Rate, RateLimit, RateLimits, Shared, SharedBuckets};

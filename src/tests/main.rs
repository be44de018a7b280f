//! App tests: the real server on port 0 with a temporary SQLite file, driven over HTTP,
//! with a real SSE client reading the real bytes of the stream.

mod api;
mod crash;
mod faults;
mod follower;
mod helpers;
mod pages;
mod proxy;
mod resume;
mod rng;

//! App tests: the real server on port 0 with a temporary SQLite file (or, with
//! `MURMUR_TEST_DATABASE=postgres`, a fresh PostgreSQL database), driven over HTTP, with a
//! real SSE client reading the real bytes of the stream.

mod accounts;
mod admin;
mod api;
mod cluster;
mod contract;
mod crash;
mod cross_origin;
mod databases;
mod editing;
mod export_rules;
mod exports;
mod faults;
mod follower;
mod frame_sign_in;
mod hardening;
mod helpers;
mod lockout;
mod members;
mod mentions;
mod migration;
mod nginx;
mod notifications;
mod pages;
mod presence;
mod private;
mod proxy;
mod reading;
mod resume;
mod rng;
mod security;
mod sign_out;
mod threads;
mod topics;
mod typing;
mod unread;

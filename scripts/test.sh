#!/usr/bin/env bash
# Installs what is missing, then runs every check: formatting, clippy for the server and the
# browser, the live loader's docs, the Rust tests (the live loader's, then Murmur's: the app
# tests on SQLite, then on PostgreSQL), the Playwright tests against the release build, and
# those of the example app built on the live loader alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
need_build_tools
need_test_tools
cd "$ROOT"

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (server)"
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --package live-loader --features postgres --all-targets -- -D warnings
cargo clippy --package murmur-bench --all-targets -- -D warnings
cargo clippy --package jobs --features ssr --all-targets -- -D warnings
step "clippy (browser)"
cargo clippy --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
cargo clippy --package live-loader --features hydrate --target wasm32-unknown-unknown -- -D warnings
cargo clippy --package jobs --lib --features hydrate --target wasm32-unknown-unknown -- -D warnings
step "the live loader's docs: every public item documented, every link resolved"
RUSTDOCFLAGS="-D warnings" cargo doc --package live-loader --no-deps --features postgres,hydrate

# The tests of several instances need PostgreSQL, and nginx in front of them.
need_cluster_tools
step "Rust tests"
cargo test --package live-loader --features postgres
cargo test --features ssr
# The app tests again, each app on a fresh PostgreSQL database instead of a SQLite file
# (the store contract tests above already ran on both).
step "app tests on PostgreSQL"
MURMUR_TEST_DATABASE=postgres cargo test --features ssr --test app

build_site

step "browser tests against the release build"
if (exec 3<>/dev/tcp/127.0.0.1/3000) 2>/dev/null; then
  echo "127.0.0.1:3000 is in use; stop whatever runs there (scripts/run.sh?) and try again" >&2
  exit 1
fi
# The release server on a fresh database, stopped when the subshell ends; Playwright's
# global setup waits until it answers. Tests sign up and post faster than people do, so the
# rate limits are off here (the app tests check each limit).
(
  export MURMUR_LIMIT_POSTS=off MURMUR_LIMIT_ROOMS=off MURMUR_LIMIT_STREAM_OPENS=off
  export MURMUR_LIMIT_SIGN_UPS_PER_ADDRESS=off MURMUR_LIMIT_SIGN_INS_PER_ADDRESS=off
  # The comment-thread specs serve an article on localhost:4173 (4174 is not listed).
  export MURMUR_EMBED_ORIGINS=http://localhost:4173
  # The moderator of every thread in the comment-thread specs.
  export MURMUR_ADMINS=e2e-moderator
  E2E_DATA="$(mktemp -d)"
  DATABASE_URL="sqlite://$E2E_DATA/murmur.db" "${CARGO_TARGET_DIR:-$ROOT/target}/release/murmur" &
  SERVER=$!
  trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$E2E_DATA"' EXIT
  cd end2end && npx playwright test
)

step "the example app on the live loader alone (examples/jobs) and its browser tests"
cargo leptos build --release --project jobs
(cd end2end && npx playwright test --config examples.config.ts)

# After the tests, so that a broken page fails there, with a message, rather than as a
# benchmark that waits for messages that never show.
step "benchmark smoke run: a few hundred subscribers, no message lost"
scripts/bench.sh --quick

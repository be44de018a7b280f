#!/usr/bin/env bash
# Builds the release server and the benchmark, then measures fan-out against a fresh
# database: scripts/bench.sh (full: up to 19,000 subscribers) or scripts/bench.sh --quick.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --release --features ssr --bin murmur --bin murmur-bench
exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/murmur-bench" "$@"

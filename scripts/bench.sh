#!/usr/bin/env bash
# Builds the release site (server, benchmark, precompressed browser bundle), then measures:
# fan-out beside nginx+Nchan (bench/src/nchan.conf), posting and page rates, a
# reconnect storm and bundle sizes (murmur-bench), and post-to-visible latency
# and the cost of a post as browsers see it (end2end/bench). Each part starts its own server
# on a fresh database; the fan-out is measured again on PostgreSQL, one process and two
# instances behind nginx, beside SQLite, with what a NOTIFY costs.
#   scripts/bench.sh           the full run (up to 19,000 subscribers; a few minutes)
#   scripts/bench.sh --quick   a smoke run: a few hundred subscribers, fails on any loss
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
need_build_tools
need_test_tools
need_cluster_tools
[[ "${1:-}" == "--quick" ]] || need_bench_tools
cd "$ROOT"

build_site

step "murmur-bench $*"
"${CARGO_TARGET_DIR:-$ROOT/target}/release/murmur-bench" "$@"

step "browser benchmark"
if [[ "${1:-}" == "--quick" ]]; then export MURMUR_BENCH_QUICK=1; fi
cd end2end && npx playwright test --config bench.config.ts

#!/usr/bin/env bash
# Installs what is missing, then builds the release app and serves it at
# http://127.0.0.1:3000 (override with LEPTOS_SITE_ADDR) on a SQLite file under ./data.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
need_build_tools
cd "$ROOT"
build_site
exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/murmur"

#!/usr/bin/env bash
# Builds the release app and runs a local cluster: N instances (default 2) sharing one
# PostgreSQL database, behind nginx (deploy/nginx.conf) at http://127.0.0.1:3000, and at
# :3001, :3002, … pinned to instance 1, 2, … (scripts/nginx-conf.sh).
# Ctrl-C stops them all.
#   scripts/cluster.sh [N]
# DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/murmur, created if missing.
# The instances share MURMUR_DATA_DIR (default ./data/cluster): any of them may serve an
# export another one made.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
need_build_tools
need_cluster_tools
cd "$ROOT"
build_site

instances="${1:-2}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/murmur}"
export MURMUR_DATA_DIR="${MURMUR_DATA_DIR:-$ROOT/data/cluster}"
export MURMUR_TRUSTED_PROXIES=127.0.0.1
create_database "$DATABASE_URL"
mkdir -p "$MURMUR_DATA_DIR"

run="$(mktemp -d)"
mkdir -p "$run/tmp"
children=()
trap 'kill "${children[@]}" 2>/dev/null; wait; rm -rf "$run"' EXIT
ports=()
for i in $(seq "$instances"); do
  port=$((3100 + i))
  LEPTOS_SITE_ADDR="127.0.0.1:$port" "${CARGO_TARGET_DIR:-$ROOT/target}/release/murmur" &
  children+=($!)
  ports+=("$port")
done
scripts/nginx-conf.sh --pinned 3000 "${ports[@]}" >"$run/nginx.conf"
nginx -p "$run" -c "$run/nginx.conf" -g 'daemon off;' &
children+=($!)
step "$instances instances behind nginx at http://127.0.0.1:3000; http://127.0.0.1:3001 goes to the first only, :3002 to the second… (Ctrl-C stops them)"
wait -n

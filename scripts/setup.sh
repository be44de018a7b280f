#!/usr/bin/env bash
# Installs whatever Murmur needs and this machine lacks. Sourced by run.sh and test.sh:
#   need_build_tools   the wasm target, cargo-leptos, wasm-bindgen-cli, wasm-opt, zopfli
#   need_test_tools    rustfmt and clippy, Debian's chromium, the Playwright package
#   need_bench_tools   Debian's wrk
#   need_postgres      a PostgreSQL answering at 127.0.0.1:5432 (started if installed)
#   need_cluster_tools Debian's nginx-light and libnginx-mod-nchan, and need_postgres
# Every step checks first, so running it again costs nothing. Also defines build_site.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${MURMUR_TOOLS:-$HOME/.cache/murmur-tools}"
CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs rustc 1.96
BINARYEN_VERSION=132
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

apt_install() {
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

need_build_tools() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi

  if [[ "$(cargo leptos --version 2>/dev/null)" != *" $CARGO_LEPTOS_VERSION" ]]; then
    step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi

  # The CLI must match the wasm-bindgen crate in Cargo.lock exactly.
  local wasm_bindgen
  wasm_bindgen="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')"
  if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $wasm_bindgen"* ]]; then
    step "installing wasm-bindgen-cli $wasm_bindgen (about 2 minutes, once)"
    cargo install wasm-bindgen-cli --version "$wasm_bindgen" --force
  fi

  # Not Debian's binaryen: it is too old and builds a WASM that fails in the browser.
  if [[ "$(wasm-opt --version 2>/dev/null)" != *"version $BINARYEN_VERSION"* ]]; then
    step "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
    npm install --silent --no-fund --no-audit --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION"
  fi

  if ! command -v zopfli >/dev/null; then
    step "installing Debian's zopfli"
    apt_install zopfli
  fi
}

# Builds the release server, murmur-bench and the browser bundle into target/site, with
# .br and .gz copies of each file to serve. cargo-leptos writes its gzip at a low level;
# zopfli rewrites each .gz a fifth smaller, still plain gzip to the browser.
build_site() {
  step "building the release site"
  cargo leptos build --release --precompress --project murmur
  local gz
  while IFS= read -r -d '' gz; do
    zopfli --gzip -c "${gz%.gz}" >"$gz"
  done < <(find "$ROOT/target/site" -name '*.gz' -print0)
}

need_test_tools() {
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    step "adding rustfmt and clippy"
    rustup component add rustfmt clippy
  fi

  if [[ ! -x /usr/bin/chromium ]]; then
    step "installing Debian's chromium"
    apt_install chromium
  fi

  if [[ ! -d "$ROOT/end2end/node_modules/@playwright/test" || ! -d "$ROOT/end2end/node_modules/axe-core" ]]; then
    step "installing Playwright and axe-core (no browser download: tests use /usr/bin/chromium)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-fund --no-audit)
  fi
}

need_bench_tools() {
  if ! command -v wrk >/dev/null; then
    step "installing Debian's wrk"
    apt_install wrk
  fi
}

need_cluster_tools() {
  if ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
    step "installing Debian's nginx-light"
    apt_install nginx-light
  fi
  if [[ ! -f /usr/lib/nginx/modules/ngx_nchan_module.so ]]; then
    step "installing Debian's libnginx-mod-nchan (the benchmark's peer)"
    apt_install libnginx-mod-nchan
  fi
  export PATH="$PATH:/usr/sbin"
  need_postgres
}

# Creates the database a postgres:// URL names, unless it exists.
create_database() {
  local url="$1" name="${1##*/}"
  name="${name%%\?*}"
  local server="${url%/*}/postgres"
  if [[ -z "$(psql "$server" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" ]]; then
    step "creating database $name"
    psql "$server" -qc "CREATE DATABASE \"$name\""
  fi
}

postgres_answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

# The store contract tests and the app tests' Postgres run need a PostgreSQL at
# 127.0.0.1:5432 that trusts user postgres; Debian's cluster is started if it is down.
need_postgres() {
  postgres_answers && return
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "the tests need a PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth): none answers, and pg_ctlcluster is not here to start one" >&2
    exit 1
  fi
  step "starting PostgreSQL"
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 50); do
    postgres_answers && return
    sleep 0.2
  done
  echo "PostgreSQL $version was started but does not answer at 127.0.0.1:5432" >&2
  exit 1
}

#!/usr/bin/env bash
# Installs whatever Murmur's build and tests need and is not yet on this machine.
# Safe to run again: every step checks first. Sourced by run.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${MURMUR_TOOLS:-$HOME/.cache/murmur-tools}"
CARGO_LEPTOS_VERSION=0.3.10
BINARYEN_VERSION=132
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')"

export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"
step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  step "adding rustfmt and clippy"
  rustup component add rustfmt clippy
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [[ "$(cargo leptos --version 2>/dev/null)" != *" $CARGO_LEPTOS_VERSION" ]]; then
  step "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION"* ]]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes, once)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# Debian's binaryen is too old (it builds a wasm that fails in the browser); npm's is current.
if [[ "$(wasm-opt --version 2>/dev/null)" != *"version $BINARYEN_VERSION"* ]]; then
  step "installing wasm-opt (npm binaryen@$BINARYEN_VERSION)"
  npm install --silent --no-fund --no-audit --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION"
fi

if [[ ! -x /usr/bin/chromium ]]; then
  step "installing Debian's chromium"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [[ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]]; then
  step "installing the end-to-end test dependencies (npm ci, no browser download)"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-fund --no-audit)
fi

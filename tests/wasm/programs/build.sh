#!/usr/bin/env bash
# Builds the WASI test programs (C with Debian's clang and wasi-libc, Rust with Debian's rustc) into
# OUT_DIR: tests/wasm/programs/build.sh OUT_DIR. Needs the packages wasi-libc, libclang-rt-14-dev-wasm32,
# libstd-rust-dev-wasm32, rustc and lld (scripts/install-deps.sh). Exits 77 (skip) when a toolchain is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
mkdir -p "$out"
# Debian installs wasi-libc in the multiarch layout (/usr/include/wasm32-wasi, /usr/lib/wasm32-wasi),
# which clang finds for --target=wasm32-wasi without a --sysroot.
if ! [ -f /usr/include/wasm32-wasi/stdio.h ] || ! command -v clang >/dev/null; then
  echo "build.sh: clang or wasi-libc missing (scripts/install-deps.sh)" >&2
  exit 77
fi
for c in "$here"/*.c; do
  name="$(basename "$c" .c)"
  clang --target=wasm32-wasi -O2 -Wall -Werror -s -o "$out/$name.wasm" "$c"
done
# /usr/bin/rustc: Debian's, which has the wasm32-wasi standard library (a rustup rustc earlier in PATH
# may not).
if [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/wasm32-wasi ]; then
  for rs in "$here"/*.rs; do
    name="$(basename "$rs" .rs)"
    /usr/bin/rustc --target wasm32-wasi -O -C strip=symbols -o "$out/$name.wasm" "$rs"
  done
else
  echo "build.sh: no wasm32-wasi Rust standard library; the Rust program is not built" >&2
fi

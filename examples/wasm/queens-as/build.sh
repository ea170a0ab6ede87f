#!/usr/bin/env bash
# Builds queens.wasm into OUT_DIR with the AssemblyScript compiler pinned in package-lock.json, which
# `npm ci` installs into OUT_DIR/node_modules (never into the source tree):
#   examples/wasm/queens-as/build.sh OUT_DIR
# Exits 0 without a queens.wasm, saying why, when Node or the npm registry is out of reach, so the rest
# of the build goes on (the kill test then skips this example).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:?usage: build.sh OUT_DIR}" && cd "$1" && pwd)"
rm -f "$out/queens.wasm"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "queens-as: skipped, needs node and npm (Debian's nodejs and npm)" >&2
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$out/"
mkdir -p "$out/assembly"
cp "$here/assembly/index.ts" "$out/assembly/"
cd "$out"
# npm ci again only when the pinned versions changed.
if ! cmp -s package-lock.json node_modules/.package-lock.json.installed 2>/dev/null; then
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    echo "queens-as: skipped, npm ci failed (is the npm registry reachable?)" >&2
    exit 0
  fi
  cp package-lock.json node_modules/.package-lock.json.installed
fi
# MVP only: asc enables four post-MVP features by default. The runtime never frees (stub): the program
# allocates a few KiB. --exportStart makes the top-level code the WASI entry point _start; --use replaces
# the `env.abort` import with the program's own, so WASI is all it imports.
npx --no asc assembly/index.ts -O3 --noAssert --runtime stub --exportStart _start \
  --use abort=assembly/index/abort \
  --disable mutable-globals,sign-extension,nontrapping-f2i,bulk-memory \
  -o queens.wasm

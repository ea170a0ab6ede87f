#!/usr/bin/env bash
# The WASI end-to-end comparison: every program here runs under Phantom (a new world booting the WASI
# command, `phantom run --boot-wasm`) and under Node's node:wasi (run_node.mjs), with the same
# arguments, environment and stdin, each in an empty sandbox directory. Their output (stdout and
# stderr together: Phantom's console is one stream), exit code and the files left behind must match.
#   wasi_compare.sh PHANTOM_BINARY WORK_DIR
# Exits 77 (skip) without the toolchains, Node, or a phantom that can boot WebAssembly.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
phantom="${1:?usage: wasi_compare.sh PHANTOM_BINARY WORK_DIR}"
work="${2:?usage: wasi_compare.sh PHANTOM_BINARY WORK_DIR}"
node=/usr/bin/node  # node:wasi; the flag makes Node 18 (Debian 12) accept it, later ones ignore it
[ -x "$node" ] || { echo "wasi_compare: no $node (Debian's nodejs)"; exit 77; }
"$phantom" run --help 2>/dev/null | grep -q -- '--boot-wasm' || { echo "wasi_compare: phantom cannot boot WebAssembly yet"; exit 77; }
rm -rf "$work"
mkdir -p "$work/bin"
"$here/build.sh" "$work/bin" || exit $?

# What a sandbox holds at the end: every name with its type and contents' checksum.
tree() { (cd "$1" && find . -mindepth 1 | sort | while read -r p; do
  if [ -d "$p" ]; then echo "$p/"; else echo "$p $(cksum < "$p")"; fi; done); }

failed=0
# name, stdin, then the arguments.
compare() {
  local name="$1" input="$2"
  shift 2
  local wasm="$work/bin/$name.wasm"
  [ -f "$wasm" ] || { echo "SKIP $name (not built)"; return; }
  local d="$work/$name"
  mkdir -p "$d/node" "$d/phantom"
  printf '%s' "$input" | WASI_ENV_GREETING=hello "$node" --no-warnings --experimental-wasi-unstable-preview1 "$here/run_node.mjs" "$d/node" "$wasm" "$@" \
    > "$d/node.out" 2>&1
  echo "exit $?" >> "$d/node.out"
  printf '%s' "$input" | timeout 120 "$phantom" run --world "$d/world.img" --files "$d/phantom" --interval 50 \
    --boot-wasm "$wasm" --wasm-env GREETING=hello -- "$@" > "$d/phantom.out" 2> "$d/phantom.err"
  echo "exit $?" >> "$d/phantom.out"
  if ! diff -u "$d/node.out" "$d/phantom.out" > "$d/diff"; then
    echo "FAIL $name: output differs from node:wasi"; cat "$d/diff"; sed 's/^/  phantom stderr: /' "$d/phantom.err"
    failed=1
  elif ! diff -u <(tree "$d/node") <(tree "$d/phantom") > "$d/tree.diff"; then
    echo "FAIL $name: the files left differ from node:wasi"; cat "$d/tree.diff"
    failed=1
  else
    echo "ok   $name"
  fi
}

compare wasi_args "" one "two words"
compare wasi_files ""
compare wasi_escape ""
compare wasi_time ""
compare wasi_echo $'first line\nsecond\n'
compare wasi_rust "" one "two words"
exit $failed

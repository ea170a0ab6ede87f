#!/bin/bash
# Rule 1, "no host pointer is ever persisted", tested by really changing the host code: a world made and
# left running by one build of `phantom` is killed and resumed by another build of the same sources with
# a different optimisation level (-O0: other code and data layout), and the other way round. Under ASLR
# every process has other addresses anyway; this also changes every function and table address.
# Usage: rebuilt_binary_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
alt=$build/alt-build
first=$build/phantom
classes=$build/classes

echo "building the alternative binary in $alt (-O0)"
cmake -S "$src" -B "$alt" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g0" >/dev/null
cmake --build "$alt" --target phantom >/dev/null
second=$alt/phantom
cmp -s "$first" "$second" && { echo "the two builds are identical"; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
world=$dir/w.img

# Runs `binary` on the world until it has printed a round and committed a snapshot after that round,
# then $2 seconds more, kills it with SIGKILL, prints its output. The kill is timed from the world's
# progress, not from the start, so that a loaded machine (a slow first boot) waits longer instead of
# killing a world that has not committed anything yet. After 120 s without it the child is killed
# anyway, and the checks below fail.
run_for() {
  "$1" run --world "$world" --boot .demo.sensors --classpath "$classes" --arena-size 256M --interval 200 \
    --log-snapshots >"$dir/out" 2>&1 &
  local pid=$! waited=0
  until awk '/^round [0-9]/ { r = 1 } r && / committed/ { found = 1 } END { exit !found }' "$dir/out"; do
    if (( waited >= 1200 )) || ! kill -0 $pid 2>/dev/null; then break; fi
    sleep 0.1
    waited=$((waited + 1))
  done
  sleep "$2"
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  cat "$dir/out"
}

last_round=0
for step in 1 2 3 4; do
  if (( step % 2 )); then binary=$first; else binary=$second; fi
  out=$(run_for "$binary" 1)
  if grep -q "self-check failed\|uncaught exception" <<<"$out"; then echo "$out"; exit 1; fi
  first_round=$(grep -o '^round [0-9]*' <<<"$out" | head -1 | cut -d' ' -f2)
  last=$(grep -o '^round [0-9]*' <<<"$out" | tail -1 | cut -d' ' -f2)
  if [[ -z "$first_round" ]]; then echo "step $step: no progress"; echo "$out"; exit 1; fi
  if (( step > 1 )); then
    grep -q "resumed snapshot" <<<"$out" || { echo "step $step: did not resume"; echo "$out"; exit 1; }
  fi
  echo "step $step ($(basename "$(dirname "$binary")")): rounds $first_round..$last"
  last_round=$last
done
"$first" fsck "$world"
echo "a world moved between two different builds four times and stayed consistent"

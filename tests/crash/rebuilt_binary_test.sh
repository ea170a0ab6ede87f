#!/bin/bash
# Rule 1, "no host pointer is ever persisted", tested by really changing the host binary: a world made and
# left running by `phantom` is killed and resumed by `phantom_shifted`, the same objects linked behind
# about a megabyte of padding in every section (layout_shift.cc), and the other way round, four times.
# Every function, vtable, string and global then sits at another address. ASLR is switched off for both
# where the machine allows it (setarch -R): then the shift is the only difference, and a leaked pointer
# that the same binary would find valid again points at something else in the other.
# Usage: rebuilt_binary_test.sh PHANTOM PHANTOM_SHIFTED CLASSES_DIR
set -euo pipefail
first=$1
second=$2
classes=$3

# The shift must really have moved the code: count the functions at the same address in both binaries.
functions() { nm --defined-only "$1" | awk '$2 == "T" || $2 == "t" { print $3, $1 }' | sort; }
same=$(join <(functions "$first") <(functions "$second") | awk '$2 == $3' | wc -l)
total=$(functions "$first" | wc -l)
echo "$same of $total functions at the same address in both binaries"
if (( same * 20 > total )); then echo "the padding did not move the code"; exit 1; fi

norandom=()
if setarch "$(uname -m)" -R true 2>/dev/null; then norandom=(setarch "$(uname -m)" -R); echo "ASLR off"; fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
world=$dir/w.img

# Runs `binary` on the world until it has printed a round and committed a snapshot after that round,
# then $2 seconds more, kills it with SIGKILL, prints its output. The kill is timed from the world's
# progress, not from the start, so that a loaded machine (a slow first boot) waits longer instead of
# killing a world that has not committed anything yet. After 120 s without it the child is killed
# anyway, and the checks below fail.
run_for() {
  "${norandom[@]}" "$1" run --world "$world" --boot .demo.sensors --classpath "$classes" --arena-size 256M --interval 200 \
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
  echo "step $step ($(basename "$binary")): rounds $first_round..$last"
  last_round=$last
done
"$first" fsck "$world"
echo "a world moved between two differently laid out binaries four times and stayed consistent"

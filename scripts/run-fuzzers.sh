#!/bin/bash
# The fuzz smoke run of `make fuzz` and `make test`: every libFuzzer target for SECONDS seconds, as many at
# once as there are cores (each fuzzer is one thread), each seeded with its corpus and its stored
# regressions. Prints each fuzzer's final statistics in a fixed order; fails if any fuzzer found a crash,
# a leak or a timeout (its input is kept as BUILD/crash-*, leak-*, timeout-*).
# Usage: run-fuzzers.sh BUILD SECONDS
set -uo pipefail
build=$1
seconds=$2

# name, max_len, corpus directories (the first one is written to).
fuzzers=(
  "image_fuzzer 2200000 $build/corpus/image fuzz/regressions/image"
  "class_file_fuzzer 4096 $build/corpus/class fuzz/regressions/class"
  "vm_fuzzer 4096 $build/corpus/vm fuzz/regressions/vm"
  "plc_fuzzer 16384 $build/corpus/plc fuzz/regressions/plc tests/programs plib/phantom"
  "json_fuzzer 65536 $build/corpus/json fuzz/seeds/json"
  "http_request_fuzzer 8192 $build/corpus/http fuzz/seeds/http fuzz/regressions/http"
  "picture_fuzzer 65536 $build/corpus/picture fuzz/seeds/picture"
  "wasm_decoder_fuzzer 65536 $build/corpus/wasm fuzz/seeds/wasm"
  "wasm_validator_fuzzer 65536 $build/corpus/wasm_validator fuzz/seeds/wasm"
  "wasm_interpreter_fuzzer 65536 $build/corpus/wasm_interpreter fuzz/seeds/wasm"
)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_one() {
  local name=$1 max_len=$2 corpus=$3
  shift 3
  mkdir -p "$corpus"
  "$build/fuzz/$name" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$build/" "$corpus" "$@" >"$logs/$name" 2>&1
  echo $? >"$logs/$name.status"
}

jobs_at_once=$(nproc)
for entry in "${fuzzers[@]}"; do
  read -r -a words <<<"$entry"
  while (( $(jobs -rp | wc -l) >= jobs_at_once )); do wait -n; done
  run_one "${words[@]}" &
done
wait

failed=0
for entry in "${fuzzers[@]}"; do
  name=${entry%% *}
  echo "== $name"
  tail -12 "$logs/$name"
  if [[ "$(cat "$logs/$name.status")" != 0 ]]; then echo "$name FAILED"; failed=1; fi
done
exit $failed

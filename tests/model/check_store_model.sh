#!/usr/bin/env bash
# check_store_model.sh: model-checks the store's commit and recovery protocol (issue 15) with spin.
# The model is tests/model/store_commit.pml; docs/verification.md says what it covers and how it maps to
# src/store/. This script checks four things:
#   1. The model as the code is: an exhaustive search finds no error (errors: 0, search complete, under
#      1 GiB). It runs with retention 2 and two-flush commits only (-DTWO_FLUSH), with retention 1, where
#      blocks that the incremental free map releases are reused within the search bound (and no commit
#      may flush once), and with retention 2 where every commit after the first may be a one-flush
#      commit or not, within 3 operations (-DNOPS=3; 4 take about 6 GB, docs/verification.md).
#   2. MUTANT_NO_FLUSH (no flush between a snapshot's blocks and its commit record) gives a counterexample.
#   3. MUTANT_EARLY_FREE (blocks freed while the other slot's record still reaches them) gives one too.
#   4. MUTANT_NO_VERIFY (open trusts a one-flush commit's snapshot unverified) gives one too.
# So the check can fail. Prints one line per run and "N passed, M failed" last. Exit 77 (skipped) when
# spin or gcc is missing. Usage: check_store_model.sh [MODEL.pml]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model=${1:-$here/store_commit.pml}

for tool in spin gcc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "store_commit_model: skipped: $tool is not installed (scripts/install-deps.sh installs it)"
    exit 77
  fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/store-model.XXXXXX")
trap 'rm -rf "$dir"' EXIT

memlim_mb=1024  # pan stops at this bound, and a stopped search counts as a failure
passed=0
failed=0

# run NAME EXPECT SPIN_FLAGS...: generates, compiles and runs pan for the model with SPIN_FLAGS in its own
# directory. EXPECT is "clean" (no error, complete search) or "counterexample" (at least one error).
run() {
  local name=$1 expect=$2
  shift 2
  local work=$dir/$name
  mkdir -p "$work"
  cp "$model" "$work/model.pml"
  local out=$work/pan.out
  if ! (cd "$work" && spin "$@" -a model.pml >spin.out 2>&1); then
    echo "FAIL $name: spin -a failed: $(tail -n 3 "$work/spin.out" | tr '\n' ' ')"
    failed=$((failed + 1))
    return
  fi
  # A mutant's search stops at its first error, after few states: unoptimised pan saves 3 s of gcc.
  local opt=-O2
  [ "$expect" = counterexample ] && opt=-O0
  if ! (cd "$work" && gcc $opt -w -DSAFETY -DCOLLAPSE -DMEMLIM=$memlim_mb -o pan pan.c >gcc.out 2>&1); then
    echo "FAIL $name: compiling pan failed: $(tail -n 3 "$work/gcc.out" | tr '\n' ' ')"
    failed=$((failed + 1))
    return
  fi
  # -m: search depth (the model's paths are about 200 steps); -w23: 8 M hash slots.
  (cd "$work" && ./pan -m10000 -w23 >"$out" 2>&1) || true

  local errors states seconds memory
  errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$out" | tail -n 1)
  states=$(awk '/states, stored/ { print $1; exit }' "$out")
  seconds=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' "$out" | tail -n 1)
  memory=$(awk '/total actual memory usage/ { print $1; exit }' "$out")
  local stats="${states:-?} states stored, ${seconds:-?} s, ${memory:-?} MB"
  if [ -z "$errors" ]; then
    echo "FAIL $name: pan did not finish: $(tail -n 3 "$out" | tr '\n' ' ')"
    failed=$((failed + 1))
    return
  fi

  if [ "$expect" = clean ]; then
    local incomplete=""
    grep -q "max search depth too small" "$out" && incomplete="search depth too small (-m)"
    grep -q "reached -DMEMLIM bound" "$out" && incomplete="memory bound of $memlim_mb MB reached"
    grep -q "out of memory" "$out" && incomplete="out of memory"
    if [ "$errors" -eq 0 ] && [ -z "$incomplete" ]; then
      echo "PASS $name: errors 0, search complete; $stats"
      passed=$((passed + 1))
    else
      local why=""
      if [ "$errors" -gt 0 ]; then
        why=$(cd "$work" && spin "$@" -t model.pml 2>/dev/null | grep -o "I[0-9] violated.*" | head -n 1 || true)
        why=${why:-$(grep -m 1 -o "assertion violated.*" "$out")}
      fi
      echo "FAIL $name: errors $errors${why:+ ($why)}${incomplete:+, incomplete: $incomplete}; $stats"
      failed=$((failed + 1))
    fi
  else
    if [ "$errors" -ge 1 ]; then
      # Replay the counterexample to name the invariant that failed (the model prints "I<n> violated").
      local why
      why=$(cd "$work" && spin "$@" -t model.pml 2>/dev/null | grep -o "I[0-9] violated.*" | head -n 1 || true)
      echo "PASS $name: counterexample found (${why:-$(grep -m 1 -o "assertion violated.*" "$out")}); $stats"
      passed=$((passed + 1))
    else
      echo "FAIL $name: no counterexample, the check cannot tell this mutant from the real protocol; $stats"
      failed=$((failed + 1))
    fi
  fi
}

run model-retention-2 clean -DK=2 -DTWO_FLUSH
run model-retention-1 clean -DK=1
run model-one-flush clean -DK=2 -DNOPS=3
run mutant-no-flush counterexample -DNOPS=3 -DMUTANT_NO_FLUSH
run mutant-early-free counterexample -DMUTANT_EARLY_FREE
run mutant-no-verify counterexample -DNOPS=3 -DMUTANT_NO_VERIFY

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# footprint: what Phantom costs a small device, as JSON lines (run by `make bench`; docs/iot.md).
#   footprint.binary  stripped sizes of phantom (this build, the lean build and the aarch64 build when
#                     they exist) and of its loadable modules, next to lua5.4 and python3
#   footprint.rss     resident memory of a world at 64 MiB and 1 GiB arenas: idle (a thread asleep on a
#                     timer), freshly booted and resumed, and running the sensors example; next to an
#                     idle Lua 5.4 and Python 3 interpreter measured the same way
# Targets (issue 17): a lean stripped binary under 2 MiB, idle RSS under 8 MiB.
#
#   bench/footprint.sh BUILD_DIR [LEAN_BUILD_DIR] [AARCH64_BUILD_DIR]
set -euo pipefail
build=$1
lean=${2:-}
arm=${3:-}
phantom=$build/phantom
work=$(mktemp -d /tmp/phantom_footprint.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

stripped_size() {  # stripped size of an ELF file in bytes (0 when absent)
  local file=$1 strip=${2:-strip}
  [ -f "$file" ] || { echo 0; return; }
  "$strip" --strip-all -o "$work/stripped" "$file" && stat -c %s "$work/stripped"
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# The median of five samples 0.3 s apart: a snapshot that happens to be staging pages at one sample
# (a transient megabyte or more) does not make the figure.
settled_rss_kib() {
  for _ in 1 2 3 4 5; do rss_kib "$1"; sleep 0.3; done | sort -n | sed -n 3p
}

# Waits until the file holds the line (30 s at most).
wait_for_line() {
  for _ in $(seq 3000); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "footprint: no '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

# RSS of `phantom run` (the binary BIN) of a world after the line `ready` and a settling second (the
# median of five samples); the run is then stopped with SIGTERM (a last snapshot), so that the next
# call resumes it.
world_rss() {
  local bin=$1 world=$2 ready=$3
  shift 3
  "$bin" run --world "$world" --log-snapshots "$@" > "$work/out" 2>&1 &
  local pid=$!
  pids+=("$pid")
  wait_for_line "$work/out" "$ready"
  sleep 1
  settled_rss_kib "$pid"
  kill -TERM "$pid"
  wait "$pid" || true
}

# An idle interpreter: RSS once it waits on its stdin.
interpreter_rss() {
  local fifo=$work/fifo
  rm -f "$fifo" && mkfifo "$fifo"
  "$@" < "$fifo" > /dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  exec 9> "$fifo"
  sleep 0.5
  rss_kib "$pid"
  exec 9>&-
  wait "$pid" || true
}

mkdir -p "$work/classes"
"$phantom" compile -o "$work/classes" "$(dirname "$0")/idle.ph" > /dev/null
lua=$(readlink -f "$(command -v lua5.4)")
# Debian's interpreter, not a wrapper earlier in PATH (a pyenv shim is a shell script).
python=$(readlink -f "$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)")
modules=0
for m in "$build"/phantom-*.so; do [ -f "$m" ] && modules=$((modules + $(stripped_size "$m"))); done
printf '{"bench":"footprint.binary","phantom_stripped_bytes":%s,"modules_stripped_bytes":%s,"lean_stripped_bytes":%s,"aarch64_stripped_bytes":%s,"lean_aarch64_stripped_bytes":%s,"lua_bytes":%s,"python_bytes":%s,"target_lean_bytes":%s}\n' \
  "$(stripped_size "$phantom")" "$modules" "$(stripped_size "${lean:+$lean/phantom}")" \
  "$(stripped_size "${arm:+$arm/phantom}" aarch64-linux-gnu-strip)" \
  "$(stripped_size "${arm:+$arm-lean/phantom}" aarch64-linux-gnu-strip)" \
  "$(stat -c %s "$lua")" "$(stat -c %s "$python")" $((2 * 1024 * 1024))

lua_idle=$(interpreter_rss "$lua" -e 'io.read()')
python_idle=$(interpreter_rss "$python" -c 'import sys; sys.stdin.read()')
for arena in 64M 1G; do
  idle_new=$(world_rss "$phantom" "$work/idle-$arena.img" "^idle" --arena-size "$arena" --boot .bench.idle --classpath "$work/classes")
  idle_resumed=$(world_rss "$phantom" "$work/idle-$arena.img" "resumed snapshot" --arena-size "$arena")
  sensors=$(world_rss "$phantom" "$work/sensors-$arena.img" "committed" --arena-size "$arena" --boot .demo.sensors \
    --classpath "$build/classes" --interval 500)
  lean_idle_new=0 lean_idle_resumed=0 lean_sensors=0
  if [ -n "$lean" ] && [ -x "$lean/phantom" ]; then  # the same worlds under the lean phantom
    lean_idle_new=$(world_rss "$lean/phantom" "$work/lean-idle-$arena.img" "^idle" --arena-size "$arena" --boot .bench.idle --classpath "$work/classes")
    lean_idle_resumed=$(world_rss "$lean/phantom" "$work/lean-idle-$arena.img" "resumed snapshot" --arena-size "$arena")
    lean_sensors=$(world_rss "$lean/phantom" "$work/lean-sensors-$arena.img" "committed" --arena-size "$arena" --boot .demo.sensors \
      --classpath "$build/classes" --interval 500)
  fi
  printf '{"bench":"footprint.rss","arena":"%s","idle_new_kib":%s,"idle_resumed_kib":%s,"sensors_kib":%s,"lean_idle_new_kib":%s,"lean_idle_resumed_kib":%s,"lean_sensors_kib":%s,"lua_idle_kib":%s,"python_idle_kib":%s,"target_idle_kib":8192}\n' \
    "$arena" "$idle_new" "$idle_resumed" "$sensors" "$lean_idle_new" "$lean_idle_resumed" "$lean_sensors" "$lua_idle" "$python_idle"
done

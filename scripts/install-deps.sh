#!/usr/bin/env bash
# install-deps.sh: installs every Debian package that Phantom's build, tests and benchmarks need.
# Idempotent and quiet when everything is already there; called by `make run`, `make test`, `make bench`.
# With --aarch64 it installs, in addition, the cross tool chain, qemu-user and the arm64 multiarch -dev
# packages of `make cross-aarch64` (cmake/aarch64-linux-gnu.cmake), adding the arm64 architecture to dpkg.
set -euo pipefail

aarch64=0
case "${1:-}" in
  "") ;;
  --aarch64) aarch64=1 ;;
  -h|--help) echo "usage: scripts/install-deps.sh [--aarch64]"; exit 0 ;;
  *) echo "install-deps: unknown option $1 (usage: scripts/install-deps.sh [--aarch64])" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config  # toolchain and build
  libcli11-dev libfmt-dev libxxhash-dev nlohmann-json3-dev  # libraries we link
  libgtest-dev libgmock-dev  # unit tests
  clang libclang-rt-14-dev  # libFuzzer targets under fuzz/
  lua5.4 luajit  # the interpreter benchmark's anchors (Lua 5.4, and LuaJIT 2.1 run with -joff)
  libsystemd-dev  # sd_notify for `phantom run` under systemd (Type=notify)
  libcurl4-openssl-dev  # the HTTP client of url: and tcp.curl (src/host/linux/curl_http_client.cc)
  tmux  # the attach/detach test of the control socket (a real terminal)
  curl wrk redis-server redis-tools nginx-light  # the HTTP server's tests and net.http_rps with its anchors
  mosquitto mosquitto-clients  # the MQTT broker and clients of the MQTT tests (tests/net_mqtt/)
  libvncserver-dev libsdl2-dev libpng-dev libfreetype-dev  # displays (VNC, SDL), PNG and TrueType (src/ui/, src/host/)
  fonts-dejavu-core console-setup-linux  # the TrueType font and the 8x16 console font, read at build time
  novnc  # noVNC, served on the VNC port of --display vnc (docs/graphics.md)
  chromium chromium-driver python3-selenium  # the desktop in a real browser through noVNC (tests/ui/browser_test.py)
  wabt  # wast2json: the official WebAssembly test suite converted at test time (tests/wasm/)
  spin  # the model checker of the store's commit protocol (tests/model/, docs/verification.md)
  # WASI test programs (tests/wasm/programs/): C with clang and wasi-libc, Rust with Debian's rustc and its
  # wasm32-wasi std (linked by lld); nodejs's node:wasi runs them as the reference
  wasi-libc libclang-rt-14-dev-wasm32 rustc libstd-rust-dev-wasm32 lld-14 nodejs
  libc++-14-dev-wasm32  # C++ for wasm32-wasi (examples/wasm/sensor-filter-cpp)
)
# npm fetches the AssemblyScript compiler (examples/wasm/queens-as). Debian's nodejs comes without it;
# a Node that brings its own npm (NodeSource's) conflicts with Debian's npm package, so only when absent.
command -v npm >/dev/null || packages+=(npm)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ $aarch64 -eq 1 ]; then
  packages+=(
    crossbuild-essential-arm64 qemu-user libc6:arm64  # aarch64-linux-gnu-g++; qemu-aarch64 and the arm64 libc for the tests
    # what phantom and its tests link, for arm64 (the modules' libcurl, libvncserver and SDL2 are left out)
    libfmt-dev:arm64 libxxhash-dev:arm64 libsystemd-dev:arm64 libpng-dev:arm64 libfreetype-dev:arm64
    libgtest-dev:arm64 libgmock-dev:arm64
  )
  dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

// WASI preview 1 ("wasi_snapshot_preview1") as a host module of the wasm Engine (wasm layer, public
// interface).
//
// What a guest gets:
//  - arguments and environment (set_wasi_args), clocks, host randomness, proc_exit, sched_yield;
//  - fd 0/1/2 on the world's console: stdout and stderr are the console's program output (the path
//    of Phantom programs' own output, so `--console-commit` applies to them too), stdin is console
//    input (a read with no byte ready blocks the call until input arrives);
//  - fd 3, preopened as "/", the world's sandbox directory (the one of `fio:`): the program sees it
//    as its whole file system, so absolute and relative names both work as in wasi-libc and Rust, and
//    `..` above it is itself (`/..` is `/`). Nothing leaves it: an absolute name given to path_open
//    itself, or `..` above a directory opened by name, answers ERRNO_NOTCAPABLE; what the host sandbox
//    refuses (a symlink leading out, a device node, a FIFO, host permissions) ERRNO_ACCES;
//  - poll_oneoff with clock subscriptions (sleeps block the call, they never block the executor);
//    fd subscriptions are reported ready at once;
//  - everything else of preview 1 (sockets, links, symlinks, times) answers ERRNO_NOSYS.
//
// Persistence (design.md rules 1, 5, 6): the arguments, the environment, the open-fd table (each fd's
// kind, name in the sandbox, rights, flags and offset), the monotonic clock's last value and the
// deadlines of sleeping polls are arena objects, kept per store under Engine::host_state(store,
// "wasi_snapshot_preview1"). Host file handles are caches: after a restart a file is opened again by
// its name on first use, at the stored offset; if it is gone, that fd answers ERRNO_IO (and the
// console gets a diagnostic naming the restart), never other data.
// File writes are committed, like `fio:`'s default, when WasiOptions::outbox is set (a running
// world): they reach the file once the snapshot holding the state that wrote them has committed, and
// reads, sizes and seeks see them before that. Metadata changes (create, truncate, rename, delete,
// mkdir) are immediate, again like `fio:`; the ones that touch a file with writes still pending wait
// (the call blocks) until those writes are released, so they are never reordered.
//
// Host functions run on the VM executor. One that allocates may throw vm::OutOfMemory, always before
// it has done anything, so it can be run again after a collection; one that blocks has changed nothing.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/result.h"
#include "wasm/runtime.h"

namespace phantom::host {
class Directory;
}
namespace phantom::connections {
class Hub;
class Outbox;
}

namespace phantom::wasm {

inline constexpr std::string_view wasi_module_name = "wasi_snapshot_preview1";

struct WasiOptions {
  host::Directory* files = nullptr;       // the sandbox preopened as fd 3 "/"; null: no preopen at all
  connections::Outbox* outbox = nullptr;  // committed file writes; null: file writes are immediate
};

// The host side of WASI for one Engine: its options and host caches (open file handles, the
// monotonic clock's offset in this process, the random source). Lives as long as the Engine.
class WasiContext {
 public:
  explicit WasiContext(WasiOptions options);
  ~WasiContext();
  WasiContext(const WasiContext&) = delete;
  WasiContext& operator=(const WasiContext&) = delete;

  const WasiOptions& options() const { return options_; }
  struct Caches;  // wasi_state.cc
  Caches& caches() { return *caches_; }

 private:
  WasiOptions options_;
  std::unique_ptr<Caches> caches_;
};

// The options of a running world: its sandbox directory and its outbox (committed writes).
WasiOptions wasi_options_of(connections::Hub& hub);

// The module to add with Engine::add_host_module; its context is `context`.
HostModule wasi_module(WasiContext& context);

// Sets the arguments (args[0] is the program's name) and the environment ("NAME=value") that the
// guests of `store` see; makes the store's WASI state if it has none yet (a store that imports WASI
// without this call gets no arguments and an empty environment). Fails with invalid_argument for a
// string holding a NUL byte or more than 1 MiB in all; throws vm::OutOfMemory with nothing changed.
Status set_wasi_args(Engine& engine, Ref store, std::span<const std::string> args, std::span<const std::string> env);

}  // namespace phantom::wasm

// WASI's persistent state and host caches (wasm layer, internal to wasi*.cc).
//
// The state of one store is a page of five slots, found by Engine::host_state(store, "wasi_snapshot_preview1"):
//   0 info:   a binary {u32 magic "WASI", u32 version, u64 nonce, u64 next_serial, i64 mono_last,
//             i64 wall_at_mono_last}; the nonce (random, made once) names the state in host caches,
//             the serial names each open of a file, mono_* keep the monotonic clock from going back;
//   1 args:   a binary, every argument followed by a NUL (the argv buffer as the guest receives it);
//   2 env:    the same for "NAME=value" strings;
//   3 fds:    a page, slot n = the record of fd n or raw_null (closed); replaced by a larger one to grow;
//   4 sleeps: a page of sleep_slots pairs (call, binary {u64 fingerprint, u32 count, i64 deadline[count]}):
//             the wall-clock deadlines of polls blocked in poll_oneoff, so a re-run (also after a
//             restart) waits for the same instant instead of starting a relative timeout again.
// An fd record is a binary: u32 kind @0, u16 fdflags @4, u16 state @6, u64 rights_base @8,
// u64 rights_inheriting @16, u64 offset @24, u64 serial @32, u32 path_length @40, path @44 (the name
// in the sandbox, "" for its root). Only numbers and Refs (design.md rule 1).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "host/files.h"
#include "util/bytes.h"
#include "vm/vm.h"
#include "wasm/wasi.h"
#include "wasm/wasi_abi.h"

namespace phantom::wasm {

struct WasiContext::Caches {
  struct OpenFile {
    std::unique_ptr<host::File> file;
    std::uint64_t last_use = 0;
  };
  // (state nonce, open serial) -> the host handle. Bounded: the least recently used handle is closed
  // beyond max_open_files, and opened again by name when its fd is used again.
  std::map<std::pair<std::uint64_t, std::uint64_t>, OpenFile> files;
  std::uint64_t use_counter = 0;
  // state nonce -> what to add to the host's monotonic clock in this process.
  std::unordered_map<std::uint64_t, std::int64_t> monotonic_offset;
  std::optional<std::random_device> random;
};

namespace wasi {

constexpr std::uint32_t max_open_files = 256;  // host handles cached per WasiContext
constexpr std::uint32_t max_fds = 1024;         // fds per store (ERRNO_MFILE beyond)
constexpr std::uint32_t sleep_slots = 64;       // polls blocked at once per store (older ones forgotten)
constexpr std::uint32_t first_free_fd = 3;      // fds below are stdio

enum FdKind : std::uint32_t { kind_stdin = 1, kind_stdout = 2, kind_stderr = 3, kind_file = 4, kind_directory = 5 };
enum FdStateBits : std::uint16_t {
  fd_preopen = 1,  // a directory the guest finds with fd_prestat_get
  fd_gone = 2,     // the file could not be opened again (restart): every use answers ERRNO_IO
};

// One fd record in the arena (see above). Fields are read and written in place, unaligned.
class FdRecord {
 public:
  FdRecord(vm::Vm& vm, Ref rec) : vm_(&vm), rec_(rec) {}
  Ref ref() const { return rec_; }
  std::uint32_t kind() const { return get<std::uint32_t>(0); }
  std::uint16_t fdflags() const { return get<std::uint16_t>(4); }
  std::uint16_t state() const { return get<std::uint16_t>(6); }
  std::uint64_t rights_base() const { return get<std::uint64_t>(8); }
  std::uint64_t rights_inheriting() const { return get<std::uint64_t>(16); }
  std::uint64_t offset() const { return get<std::uint64_t>(24); }
  std::uint64_t serial() const { return get<std::uint64_t>(32); }
  std::string_view path() const { return {reinterpret_cast<const char*>(bytes()) + header, get<std::uint32_t>(40)}; }
  void set_fdflags(std::uint16_t v) { put(4, v); }
  void set_state(std::uint16_t v) { put(6, v); }
  void set_rights(std::uint64_t base, std::uint64_t inheriting) {
    put(8, base);
    put(16, inheriting);
  }
  void set_offset(std::uint64_t v) { put(24, v); }
  bool is_directory() const { return kind() == kind_directory; }
  bool is_file() const { return kind() == kind_file; }
  bool has(std::uint64_t right) const { return (rights_base() & right) == right; }

  static constexpr std::uint32_t header = 44;
  // A new record (throws vm::OutOfMemory). `serial` names its host handle in the cache.
  static Ref make(vm::Vm& vm, std::uint32_t kind, std::string_view path, std::uint64_t rights_base,
                  std::uint64_t rights_inheriting, std::uint16_t fdflags, std::uint16_t state, std::uint64_t serial);
  // A copy of `from` with another path (rename), offset and flags kept.
  static Ref renamed(vm::Vm& vm, const FdRecord& from, std::string_view path);
  // Whether `rec` has the shape of a record (checked before use: the arena is trusted, not blindly).
  static bool valid(vm::Vm& vm, Ref rec);

 private:
  std::uint8_t* bytes() const { return reinterpret_cast<std::uint8_t*>(vm_->heap().as<vm::BinaryData>(rec_)->bytes); }
  template <typename T>
  T get(std::size_t at) const { return load_unaligned<T>(bytes() + at); }
  template <typename T>
  void put(std::size_t at, T v) { store_unaligned<T>(bytes() + at, v); }
  vm::Vm* vm_;
  Ref rec_;
};

// The WASI state of one store.
class State {
 public:
  // The state of the store, made (stdio and the preopen fd 3) when it has none. Throws
  // vm::OutOfMemory before anything is set. An error when the object found is not a state of this
  // layout (a damaged arena, a future version). Without a sandbox (WasiOptions::files) fd 3 stays in
  // the table but answers as no preopen (fd_prestat_get: ERRNO_BADF).
  static Result<State> of(HostCall& call) { return of(call.engine, call.store); }
  static Result<State> of(Engine& engine, Ref store);

  vm::Vm& vm() const { return *vm_; }

  std::uint64_t nonce() const;
  std::uint64_t take_serial();
  std::int64_t mono_last() const;
  std::int64_t wall_at_mono_last() const;
  void set_mono(std::int64_t mono, std::int64_t wall);
  std::string_view args() const { return bytes_of(slot(slot_args)); }
  std::string_view env() const { return bytes_of(slot(slot_env)); }
  void set_args(Ref args, Ref env);

  std::uint32_t fd_capacity() const { return vm_->page_slots(slot(slot_fds)); }
  // The record of fd `fd`, if it is open.
  std::optional<FdRecord> fd(std::uint32_t fd) const;
  void set_fd(std::uint32_t fd, Ref rec) { vm_->set_page_ref(slot(slot_fds), fd, rec); }
  // The lowest closed fd from first_free_fd on, after growing the table when it is full (throws
  // vm::OutOfMemory with nothing changed); nullopt at max_fds.
  std::optional<std::uint32_t> free_fd();

  // Sleep records (slot 4): index of the pair for `call`, or nullopt.
  std::optional<std::uint32_t> find_sleep(Ref call) const;
  Ref sleep_record(std::uint32_t index) const { return vm_->page_refs(slot(slot_sleeps))[2 * index + 1]; }
  void set_sleep(std::uint32_t index, Ref call, Ref record);
  // A slot for a new sleep record: a free one, else the oldest is dropped (its call waits anew).
  std::uint32_t sleep_slot_for_new();

  enum Slot : std::uint32_t { slot_info = 0, slot_args, slot_env, slot_fds, slot_sleeps, slot_count };

 private:
  State(vm::Vm& vm, Ref page) : vm_(&vm), page_(page) {}
  Ref slot(Slot s) const { return vm_->page_refs(page_)[s]; }
  std::string_view bytes_of(Ref binary) const { return vm_->string_of(binary); }
  std::uint8_t* info() const;
  static Ref make(vm::Vm& vm);
  static bool valid(vm::Vm& vm, Ref page);

  vm::Vm* vm_;
  Ref page_;
};

// The host handle of a file fd, opened again by its name when the cache has none (first use after a
// restart, or after eviction). nullptr, with the fd marked gone and a diagnostic on the console, when
// it cannot be opened: the fd then answers ERRNO_IO for good.
host::File* file_of(HostCall& call, State& state, FdRecord& rec);
// Keeps the handle path_open has just opened for the open `serial`.
void keep_file(HostCall& call, State& state, std::uint64_t serial, std::unique_ptr<host::File> file);
// Drops the host handle of a closed fd.
void forget_file(HostCall& call, State& state, std::uint64_t serial);

WasiContext& context_of(const HostCall& call);

// Files and output commit. The size of a file as the program sees it: what the host has, raised to
// the end of its writes still waiting in the outbox.
Result<std::uint64_t> visible_size(HostCall& call, host::File& file, std::string_view path);
// Whether writes to `path` wait in the outbox; the metadata calls that touch such a file wait for their
// release with this block (the pending output makes the next snapshot come early).
bool writes_pending(HostCall& call, std::string_view path);
HostOutcome wait_for_release(HostCall& call);

// A damaged state is the world's fault, not the program's: the call traps with the reason.
HostOutcome state_trap(HostCall& call, const Error& error);
#define WASI_STATE(name)                                            \
  auto name##_result = ::phantom::wasm::wasi::State::of(call);      \
  if (!name##_result.ok()) return ::phantom::wasm::wasi::state_trap(call, name##_result.error()); \
  ::phantom::wasm::wasi::State& name = *name##_result

// The errno for a host error.
std::uint16_t errno_of(Errc code);

// 64-bit FNV-1a, never 0: inode numbers from names, fingerprints of poll subscriptions.
std::uint64_t fingerprint(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace wasi
}  // namespace phantom::wasm

// WASI's persistent state in the arena and its host caches (wasm layer). wasi_state.h has the layout.
#include "wasm/wasi_state.h"

#include <algorithm>

#include <fmt/format.h>

#include "connections/outbox.h"
#include "util/bytes.h"

namespace phantom::wasm {

WasiContext::WasiContext(WasiOptions options) : options_(options), caches_(std::make_unique<Caches>()) {}
WasiContext::~WasiContext() = default;

namespace wasi {
namespace {

constexpr std::uint32_t state_magic = 0x49534157;  // "WASI"
constexpr std::uint32_t state_version = 1;
constexpr std::uint32_t info_size = 40;
constexpr std::uint32_t initial_fds = 8;

std::uint64_t new_nonce() {
  // Names this state in host caches only; a repeat across stores would need two equal 64-bit draws.
  std::random_device entropy;
  return (std::uint64_t(entropy()) << 32) ^ entropy() ^ 1;
}

}  // namespace

Ref FdRecord::make(vm::Vm& vm, std::uint32_t kind, std::string_view path, std::uint64_t rights_base,
                   std::uint64_t rights_inheriting, std::uint16_t fdflags, std::uint16_t state, std::uint64_t serial) {
  Ref rec = vm.new_binary(header + static_cast<std::uint32_t>(path.size()));
  auto* b = reinterpret_cast<std::uint8_t*>(vm.heap().as<vm::BinaryData>(rec)->bytes);
  store_unaligned<std::uint32_t>(b + 0, kind);
  store_unaligned<std::uint16_t>(b + 4, fdflags);
  store_unaligned<std::uint16_t>(b + 6, state);
  store_unaligned<std::uint64_t>(b + 8, rights_base);
  store_unaligned<std::uint64_t>(b + 16, rights_inheriting);
  store_unaligned<std::uint64_t>(b + 24, 0);
  store_unaligned<std::uint64_t>(b + 32, serial);
  store_unaligned<std::uint32_t>(b + 40, static_cast<std::uint32_t>(path.size()));
  if (!path.empty()) std::memcpy(b + header, path.data(), path.size());
  return rec;
}

Ref FdRecord::renamed(vm::Vm& vm, const FdRecord& from, std::string_view path) {
  Ref rec = make(vm, from.kind(), path, from.rights_base(), from.rights_inheriting(), from.fdflags(), from.state(),
                 from.serial());
  FdRecord(vm, rec).set_offset(from.offset());
  return rec;
}

bool FdRecord::valid(vm::Vm& vm, Ref rec) {
  if (!vm.is_a(rec, vm::cid_binary)) return false;
  std::string_view b = vm.string_of(rec);
  if (b.size() < header) return false;
  auto kind = load_unaligned<std::uint32_t>(reinterpret_cast<const std::uint8_t*>(b.data()));
  auto length = load_unaligned<std::uint32_t>(reinterpret_cast<const std::uint8_t*>(b.data()) + 40);
  return kind >= kind_stdin && kind <= kind_directory && length == b.size() - header;
}

Ref State::make(vm::Vm& vm) {
  // Everything is allocated before anything is linked: an OutOfMemory leaves only garbage behind.
  Ref page = vm.new_page(slot_count, raw_null);
  Ref info = vm.new_binary(info_size);
  Ref args = vm.new_binary(0);
  Ref env = vm.new_binary(0);
  Ref fds = vm.new_page(initial_fds, raw_null);
  Ref sleeps = vm.new_page(2 * sleep_slots, raw_null);
  Ref in = FdRecord::make(vm, kind_stdin, "", RIGHTS_TTY & ~RIGHT_FD_WRITE, 0, 0, 0, 0);
  Ref out = FdRecord::make(vm, kind_stdout, "", RIGHTS_TTY & ~RIGHT_FD_READ, 0, 0, 0, 0);
  Ref err = FdRecord::make(vm, kind_stderr, "", RIGHTS_TTY & ~RIGHT_FD_READ, 0, 0, 0, 0);
  Ref root = FdRecord::make(vm, kind_directory, "", RIGHTS_ALL, RIGHTS_ALL, 0, fd_preopen, 0);
  auto* b = reinterpret_cast<std::uint8_t*>(vm.heap().as<vm::BinaryData>(info)->bytes);
  store_unaligned<std::uint32_t>(b + 0, state_magic);
  store_unaligned<std::uint32_t>(b + 4, state_version);
  store_unaligned<std::uint64_t>(b + 8, new_nonce());
  store_unaligned<std::uint64_t>(b + 16, 1);  // next serial
  store_unaligned<std::int64_t>(b + 24, 0);   // monotonic: the last value given
  store_unaligned<std::int64_t>(b + 32, 0);   // and the wall-clock time then
  Ref* f = vm.fresh_page_refs(fds);
  f[0] = in;
  f[1] = out;
  f[2] = err;
  f[3] = root;
  Ref* p = vm.fresh_page_refs(page);
  p[slot_info] = info;
  p[slot_args] = args;
  p[slot_env] = env;
  p[slot_fds] = fds;
  p[slot_sleeps] = sleeps;
  return page;
}

bool State::valid(vm::Vm& vm, Ref page) {
  if (!vm.is_a(page, vm::cid_page) || vm.page_slots(page) != slot_count) return false;
  const Ref* p = vm.page_refs(page);
  if (!vm.is_a(p[slot_info], vm::cid_binary) || vm.string_of(p[slot_info]).size() != info_size) return false;
  auto* info = reinterpret_cast<const std::uint8_t*>(vm.string_of(p[slot_info]).data());
  if (load_unaligned<std::uint32_t>(info) != state_magic || load_unaligned<std::uint32_t>(info + 4) != state_version) return false;
  if (!vm.is_a(p[slot_args], vm::cid_binary) || !vm.is_a(p[slot_env], vm::cid_binary)) return false;
  if (!vm.is_a(p[slot_fds], vm::cid_page) || vm.page_slots(p[slot_fds]) > max_fds) return false;
  if (!vm.is_a(p[slot_sleeps], vm::cid_page) || vm.page_slots(p[slot_sleeps]) != 2 * sleep_slots) return false;
  return true;
}

Result<State> State::of(Engine& engine, Ref store) {
  vm::Vm& vm = engine.machine();
  Ref page = engine.host_state(store, wasi_module_name);
  if (page == raw_null) {
    page = make(vm);
    engine.set_host_state(store, wasi_module_name, page);
  } else if (!valid(vm, page)) {
    return make_error(Errc::corrupt, "the store's WASI state is not of this version's layout (wasi_state.h)");
  }
  return State(vm, page);
}

std::uint8_t* State::info() const {
  return reinterpret_cast<std::uint8_t*>(vm_->heap().as<vm::BinaryData>(slot(slot_info))->bytes);
}
std::uint64_t State::nonce() const { return load_unaligned<std::uint64_t>(info() + 8); }
std::uint64_t State::take_serial() {
  std::uint64_t s = load_unaligned<std::uint64_t>(info() + 16);
  store_unaligned<std::uint64_t>(info() + 16, s + 1);
  return s;
}
std::int64_t State::mono_last() const { return load_unaligned<std::int64_t>(info() + 24); }
std::int64_t State::wall_at_mono_last() const { return load_unaligned<std::int64_t>(info() + 32); }
void State::set_mono(std::int64_t mono, std::int64_t wall) {
  store_unaligned<std::int64_t>(info() + 24, mono);
  store_unaligned<std::int64_t>(info() + 32, wall);
}
void State::set_args(Ref args, Ref env) {
  vm_->set_page_ref(page_, slot_args, args);
  vm_->set_page_ref(page_, slot_env, env);
}

std::optional<FdRecord> State::fd(std::uint32_t fd) const {
  if (fd >= fd_capacity()) return std::nullopt;
  Ref rec = vm_->page_refs(slot(slot_fds))[fd];
  if (rec == raw_null || !FdRecord::valid(*vm_, rec)) return std::nullopt;
  return FdRecord(*vm_, rec);
}

std::optional<std::uint32_t> State::free_fd() {
  std::uint32_t capacity = fd_capacity();
  const Ref* f = vm_->page_refs(slot(slot_fds));
  for (std::uint32_t i = first_free_fd; i < capacity; ++i)
    if (f[i] == raw_null) return i;
  if (capacity >= max_fds) return std::nullopt;
  std::uint32_t grown = std::min(max_fds, std::max(capacity * 2, initial_fds));
  Ref bigger = vm_->new_page(grown, raw_null);  // may throw: the old table stays
  std::copy_n(vm_->page_refs(slot(slot_fds)), capacity, vm_->fresh_page_refs(bigger));
  vm_->set_page_ref(page_, slot_fds, bigger);
  return capacity;
}

std::optional<std::uint32_t> State::find_sleep(Ref call) const {
  const Ref* s = vm_->page_refs(slot(slot_sleeps));
  for (std::uint32_t i = 0; i < sleep_slots; ++i)
    if (s[2 * i] == call && call != raw_null && vm_->is_a(s[2 * i + 1], vm::cid_binary)) return i;
  return std::nullopt;
}

void State::set_sleep(std::uint32_t index, Ref call, Ref record) {
  vm_->set_page_ref(slot(slot_sleeps), 2 * index, call);
  vm_->set_page_ref(slot(slot_sleeps), 2 * index + 1, record);
}

std::uint32_t State::sleep_slot_for_new() {
  Ref* s = vm_->heap().as<Ref>(slot(slot_sleeps));
  for (std::uint32_t i = 0; i < sleep_slots; ++i)
    if (s[2 * i] == raw_null) return i;
  // All taken (calls that trapped or were abandoned while asleep leave theirs): drop the first and
  // shift, so the slots stay in order of age. Every slot is overwritten (the collector's barrier: a
  // value moving into the part of a page already scanned would be missed).
  for (std::uint32_t i = 0; i < 2 * sleep_slots; ++i) vm_->write_barrier(s[i]);
  std::copy(s + 2, s + 2 * sleep_slots, s);
  s[2 * sleep_slots - 2] = s[2 * sleep_slots - 1] = raw_null;
  return sleep_slots - 1;
}

WasiContext& context_of(const HostCall& call) { return *static_cast<WasiContext*>(call.context); }

host::File* file_of(HostCall& call, State& state, FdRecord& rec) {
  if (rec.state() & fd_gone) return nullptr;
  WasiContext& context = context_of(call);
  auto& caches = context.caches();
  auto key = std::make_pair(state.nonce(), rec.serial());
  if (auto it = caches.files.find(key); it != caches.files.end()) {
    it->second.last_use = ++caches.use_counter;
    return it->second.file.get();
  }
  std::string path(rec.path());
  host::Directory* files = context.options().files;
  std::string why;
  if (!files) {
    why = "this world has no file directory";
  } else {
    bool writable = rec.rights_base() & (RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_SET_SIZE);
    auto opened = files->open(path, writable ? host::FileOpen::read_write_existing : host::FileOpen::read_only);
    // A file whose first writes are still owed by the outbox is made again by their release anyway.
    connections::Outbox* outbox = context.options().outbox;
    if (!opened.ok() && opened.error().code == Errc::not_found && outbox && outbox->has_pending_file(path))
      opened = files->open(path, host::FileOpen::read_write_create);
    if (opened.ok()) {
      keep_file(call, state, rec.serial(), std::move(opened).value());
      return caches.files[key].file.get();
    }
    why = opened.error().message;
  }
  // Never other data than the program's (design.md rule 6): the fd is dead from now on.
  rec.set_state(rec.state() | fd_gone);
  call.vm.console().write_diagnostic(fmt::format(
      "phantom: wasi: the file '{}' of an open fd cannot be opened again after a restart (or after its host "
      "handle was closed to make room): {}; the fd answers ERRNO_IO from now on\n", path, why));
  return nullptr;
}

void keep_file(HostCall& call, State& state, std::uint64_t serial, std::unique_ptr<host::File> file) {
  auto& caches = context_of(call).caches();
  if (caches.files.size() >= max_open_files) {
    auto oldest = std::min_element(caches.files.begin(), caches.files.end(),
                                   [](const auto& a, const auto& b) { return a.second.last_use < b.second.last_use; });
    caches.files.erase(oldest);
  }
  caches.files[{state.nonce(), serial}] = {std::move(file), ++caches.use_counter};
}

void forget_file(HostCall& call, State& state, std::uint64_t serial) {
  context_of(call).caches().files.erase({state.nonce(), serial});
}

Result<std::uint64_t> visible_size(HostCall& call, host::File& file, std::string_view path) {
  if (connections::Outbox* outbox = context_of(call).options().outbox) return outbox->visible_size(path, file);
  return file.size();
}

bool writes_pending(HostCall& call, std::string_view path) {
  connections::Outbox* outbox = context_of(call).options().outbox;
  return outbox && outbox->has_pending_file(path);
}

HostOutcome wait_for_release(HostCall& call) {
  // There is no wake-up on release for host calls: look again shortly. Releases follow the commit of
  // the snapshot that pending output asks for at once, typically within a few milliseconds.
  call.wake_ns = call.vm.wall_now() + 2'000'000;
  return HostOutcome::block;
}

HostOutcome state_trap(HostCall& call, const Error& error) {
  call.trap = fmt::format("WASI: {}", error.message);
  return HostOutcome::trap;
}

std::uint16_t errno_of(Errc code) {
  switch (code) {
    case Errc::not_found: return ERRNO_NOENT;
    case Errc::exists: return ERRNO_EXIST;
    case Errc::denied: return ERRNO_ACCES;
    case Errc::no_space: return ERRNO_NOSPC;
    case Errc::invalid_argument: return ERRNO_INVAL;
    case Errc::busy: return ERRNO_BUSY;
    case Errc::unsupported: return ERRNO_NOTSUP;
    default: return ERRNO_IO;
  }
}

std::uint64_t fingerprint(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ seed;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h ? h : 1;
}

}  // namespace wasi
}  // namespace phantom::wasm

// WASI preview 1: the module's function table, arguments and environment, clocks, randomness, poll
// (sleeps), process exit (wasm layer). wasi.h says what a guest gets; wasi_state.h how it persists.
#include "wasm/wasi.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "connections/hub.h"
#include "wasm/wasi_calls.h"
#include "wasm/wasi_state.h"

namespace phantom::wasm {
namespace wasi {
namespace {

constexpr std::size_t max_args_bytes = 1u << 20;
constexpr std::uint32_t max_subscriptions = 4096;  // more would only make the sleep record huge

// argv or environ: `blob` holds the strings, each followed by its NUL.
HostOutcome strings_get(HostCall& call, std::string_view blob) {
  GuestMemory mem(call);
  std::uint32_t pointers = arg32(call, 0), buffer = arg32(call, 1);
  std::uint64_t count = std::count(blob.begin(), blob.end(), '\0');
  if (!mem.fits(pointers, count * 4) || !mem.fits(buffer, blob.size())) return answer(call, ERRNO_FAULT);
  std::uint64_t at = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    mem.put32(pointers + 4 * i, static_cast<std::uint32_t>(buffer + at));
    at = blob.find('\0', at) + 1;
  }
  mem.put_bytes(buffer, blob);
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome strings_sizes_get(HostCall& call, std::string_view blob) {
  GuestMemory mem(call);
  std::uint32_t count_at = arg32(call, 0), size_at = arg32(call, 1);
  if (!mem.fits(count_at, 4) || !mem.fits(size_at, 4)) return answer(call, ERRNO_FAULT);
  mem.put32(count_at, static_cast<std::uint32_t>(std::count(blob.begin(), blob.end(), '\0')));
  mem.put32(size_at, static_cast<std::uint32_t>(blob.size()));
  return answer(call, ERRNO_SUCCESS);
}

// The store's monotonic clock. The host's monotonic clock restarts with each process, so in each
// process it gets an offset chosen at its first reading: the clock continues from the last value the
// world recorded, plus the wall-clock time since then (the time the world was down, when the wall
// clock says it moved forward). Every reading is recorded, so after a restart it never goes back.
std::int64_t monotonic_now(HostCall& call, State& state) {
  auto& offsets = context_of(call).caches().monotonic_offset;
  auto host_now = static_cast<std::int64_t>(call.vm.clock().monotonic_ns());
  std::int64_t wall = call.vm.wall_now();
  auto it = offsets.find(state.nonce());
  if (it == offsets.end()) {
    std::int64_t down = state.wall_at_mono_last() ? std::max<std::int64_t>(0, wall - state.wall_at_mono_last()) : 0;
    it = offsets.emplace(state.nonce(), state.mono_last() + down - host_now).first;
  }
  std::int64_t now = std::max(host_now + it->second, state.mono_last());
  state.set_mono(now, wall);
  return now;
}

bool known_clock(std::uint32_t id) { return id <= CLOCKID_THREAD_CPUTIME; }

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) return std::numeric_limits<std::int64_t>::max();
  if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b) return std::numeric_limits<std::int64_t>::min();
  return a + b;
}
std::int64_t clamp64(std::uint64_t v) {
  return static_cast<std::int64_t>(std::min<std::uint64_t>(v, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

HostOutcome args_get(HostCall& call) {
  WASI_STATE(state);
  return strings_get(call, state.args());
}
HostOutcome args_sizes_get(HostCall& call) {
  WASI_STATE(state);
  return strings_sizes_get(call, state.args());
}
HostOutcome environ_get(HostCall& call) {
  WASI_STATE(state);
  return strings_get(call, state.env());
}
HostOutcome environ_sizes_get(HostCall& call) {
  WASI_STATE(state);
  return strings_sizes_get(call, state.env());
}

HostOutcome clock_res_get(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t id = arg32(call, 0), out = arg32(call, 1);
  if (!mem.fits(out, 8)) return answer(call, ERRNO_FAULT);
  if (!known_clock(id)) return answer(call, ERRNO_INVAL);
  mem.put64(out, 1);  // the host clocks count nanoseconds
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome clock_time_get(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t id = arg32(call, 0), out = arg32(call, 2);
  if (!mem.fits(out, 8)) return answer(call, ERRNO_FAULT);
  if (!known_clock(id)) return answer(call, ERRNO_INVAL);
  if (id == CLOCKID_REALTIME) {
    mem.put64(out, static_cast<std::uint64_t>(call.vm.wall_now()));
    return answer(call, ERRNO_SUCCESS);
  }
  // The CPU-time clocks have no meaning for a world that runs across processes: they are the
  // monotonic clock (they still measure the time a program took, which is what they are used for).
  WASI_STATE(state);
  mem.put64(out, static_cast<std::uint64_t>(monotonic_now(call, state)));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome random_get(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t buffer = arg32(call, 0), length = arg32(call, 1);
  if (!mem.fits(buffer, length)) return answer(call, ERRNO_FAULT);
  auto& random = context_of(call).caches().random;
  try {
    if (!random) random.emplace();
    for (std::uint32_t i = 0; i < length; i += 4) {
      std::uint32_t word = (*random)();
      std::memcpy(mem.at(buffer + i), &word, std::min<std::uint32_t>(4, length - i));
    }
  } catch (const std::exception& e) {
    call.vm.console().write_diagnostic(fmt::format("phantom: wasi: random_get: no host randomness: {}\n", e.what()));
    return answer(call, ERRNO_IO);
  }
  return answer(call, ERRNO_SUCCESS);
}

// Clock subscriptions only sleep: the call blocks until the earliest deadline, then answers the
// subscriptions that are due. The deadlines are turned into wall-clock instants at the first run and
// kept in the state's sleep record for this call, so a re-run (after a wake-up, or in a world resumed
// after a restart) waits for the same instant. fd subscriptions are ready at once (files always are;
// for stdin the following fd_read is what waits).
HostOutcome poll_oneoff(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t in = arg32(call, 0), out = arg32(call, 1), count = arg32(call, 2), nevents_at = arg32(call, 3);
  if (!mem.fits(nevents_at, 4)) return answer(call, ERRNO_FAULT);
  if (count == 0 || count > max_subscriptions) return answer(call, ERRNO_INVAL);
  if (!mem.fits(in, std::uint64_t(count) * SUBSCRIPTION_SIZE) || !mem.fits(out, std::uint64_t(count) * EVENT_SIZE))
    return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  std::int64_t now = call.vm.wall_now();

  // A record made by an earlier run of this very poll: same call, same subscriptions.
  std::uint64_t print = fingerprint(mem.bytes(in, std::uint64_t(count) * SUBSCRIPTION_SIZE), in);
  std::optional<std::uint32_t> slot = state.find_sleep(call.call);
  std::vector<std::int64_t> deadlines;
  bool remembered = false;
  if (slot) {
    std::string_view r = state.vm().string_of(state.sleep_record(*slot));
    std::uint64_t p = 0;
    std::uint32_t n = 0;
    if (r.size() >= 12) {
      std::memcpy(&p, r.data(), 8);
      std::memcpy(&n, r.data() + 8, 4);
    }
    if (p == print && r.size() == 12 + 8ull * n) {
      deadlines.resize(n);
      if (n) std::memcpy(deadlines.data(), r.data() + 12, 8ull * n);
      remembered = true;
    }
  }

  struct Event {
    std::uint64_t userdata;
    std::uint16_t error;
    std::uint8_t type;
  };
  std::vector<Event> events;
  std::vector<std::pair<std::uint64_t, std::int64_t>> clocks;  // userdata, deadline
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint64_t s = in + std::uint64_t(i) * SUBSCRIPTION_SIZE;
    std::uint64_t userdata = mem.u64(s);
    std::uint8_t tag = *mem.at(s + 8);
    if (tag == EVENTTYPE_CLOCK) {
      std::uint32_t id = mem.u32(s + 16);
      std::uint64_t timeout = mem.u64(s + 24);
      std::uint16_t flags = 0;
      std::memcpy(&flags, mem.at(s + 40), 2);
      if (!known_clock(id)) {
        events.push_back({userdata, ERRNO_INVAL, EVENTTYPE_CLOCK});
        continue;
      }
      std::int64_t deadline;
      if (remembered && clocks.size() < deadlines.size()) deadline = deadlines[clocks.size()];
      else if (!(flags & SUBCLOCKFLAGS_ABSTIME)) deadline = saturating_add(now, clamp64(timeout));
      else if (id == CLOCKID_REALTIME) deadline = clamp64(timeout);
      else deadline = saturating_add(now, clamp64(timeout) - monotonic_now(call, state));
      clocks.emplace_back(userdata, deadline);
    } else if (tag == EVENTTYPE_FD_READ || tag == EVENTTYPE_FD_WRITE) {
      bool open = state.fd(mem.u32(s + 16)).has_value();
      events.push_back({userdata, static_cast<std::uint16_t>(open ? ERRNO_SUCCESS : ERRNO_BADF), tag});
    } else {
      events.push_back({userdata, ERRNO_INVAL, tag});
    }
  }

  std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
  for (const auto& c : clocks) earliest = std::min(earliest, c.second);
  if (events.empty() && earliest > now) {
    if (!remembered) {
      Ref record = state.vm().new_binary(12 + 8 * static_cast<std::uint32_t>(clocks.size()));  // may throw: nothing set yet
      char* b = state.vm().heap().as<vm::BinaryData>(record)->bytes;
      auto n = static_cast<std::uint32_t>(clocks.size());
      std::memcpy(b, &print, 8);
      std::memcpy(b + 8, &n, 4);
      for (std::uint32_t i = 0; i < n; ++i) std::memcpy(b + 12 + 8 * i, &clocks[i].second, 8);
      state.set_sleep(slot ? *slot : state.sleep_slot_for_new(), call.call, record);
    }
    call.wake_ns = earliest;
    return HostOutcome::block;
  }
  for (const auto& c : clocks)
    if (c.second <= now) events.push_back({c.first, ERRNO_SUCCESS, EVENTTYPE_CLOCK});
  if (slot) state.set_sleep(*slot, raw_null, raw_null);
  for (std::size_t i = 0; i < events.size(); ++i) {
    std::uint64_t e = out + i * EVENT_SIZE;
    std::memset(mem.at(e), 0, EVENT_SIZE);
    mem.put64(e, events[i].userdata);
    mem.put16(e + 8, events[i].error);
    mem.put8(e + 10, events[i].type);
  }
  mem.put32(nevents_at, static_cast<std::uint32_t>(events.size()));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome proc_exit(HostCall& call) {
  call.exit_code = static_cast<std::int32_t>(arg32(call, 0));
  return HostOutcome::exit;
}

HostOutcome sched_yield(HostCall& call) { return answer(call, ERRNO_SUCCESS); }

HostOutcome not_implemented(HostCall& call) { return answer(call, ERRNO_NOSYS); }

}  // namespace wasi

namespace {

// The functions of preview 1 with their types: 'i' is i32, 'I' is i64. Every one is there, so that any
// WASI program links; the ones we do not offer answer ERRNO_NOSYS.
using namespace wasi;
constexpr HostFunctionEntry entries[] = {
    {"args_get", "ii", "i", args_get},
    {"args_sizes_get", "ii", "i", args_sizes_get},
    {"environ_get", "ii", "i", environ_get},
    {"environ_sizes_get", "ii", "i", environ_sizes_get},
    {"clock_res_get", "ii", "i", clock_res_get},
    {"clock_time_get", "iIi", "i", clock_time_get},
    {"fd_advise", "iIIi", "i", fd_advise},
    {"fd_allocate", "iII", "i", not_implemented},
    {"fd_close", "i", "i", fd_close},
    {"fd_datasync", "i", "i", fd_sync},
    {"fd_fdstat_get", "ii", "i", fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", "i", fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", "i", fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", "i", fd_filestat_get},
    {"fd_filestat_set_size", "iI", "i", fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", "i", not_implemented},
    {"fd_pread", "iiiIi", "i", fd_pread},
    {"fd_prestat_get", "ii", "i", fd_prestat_get},
    {"fd_prestat_dir_name", "iii", "i", fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", "i", fd_pwrite},
    {"fd_read", "iiii", "i", fd_read},
    {"fd_readdir", "iiiIi", "i", fd_readdir},
    {"fd_renumber", "ii", "i", fd_renumber},
    {"fd_seek", "iIii", "i", fd_seek},
    {"fd_sync", "i", "i", fd_sync},
    {"fd_tell", "ii", "i", fd_tell},
    {"fd_write", "iiii", "i", fd_write},
    {"path_create_directory", "iii", "i", path_create_directory},
    {"path_filestat_get", "iiiii", "i", path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", "i", not_implemented},
    {"path_link", "iiiiiii", "i", not_implemented},
    {"path_open", "iiiiiIIii", "i", path_open},
    {"path_readlink", "iiiiii", "i", not_implemented},
    {"path_remove_directory", "iii", "i", path_remove_directory},
    {"path_rename", "iiiiii", "i", path_rename},
    {"path_symlink", "iiiii", "i", not_implemented},
    {"path_unlink_file", "iii", "i", path_unlink_file},
    {"poll_oneoff", "iiii", "i", poll_oneoff},
    {"proc_exit", "i", "", proc_exit},
    {"proc_raise", "i", "i", not_implemented},
    {"sched_yield", "", "i", sched_yield},
    {"random_get", "ii", "i", random_get},
    {"sock_accept", "iii", "i", not_implemented},
    {"sock_recv", "iiiiii", "i", not_implemented},
    {"sock_send", "iiiii", "i", not_implemented},
    {"sock_shutdown", "ii", "i", not_implemented},
};

Ref binary_of(vm::Vm& vm, std::span<const std::string> strings) {
  std::string blob;
  for (const std::string& s : strings) {
    blob += s;
    blob += '\0';
  }
  Ref b = vm.new_binary(static_cast<std::uint32_t>(blob.size()));
  if (!blob.empty()) std::memcpy(vm.heap().as<vm::BinaryData>(b)->bytes, blob.data(), blob.size());
  return b;
}

}  // namespace

WasiOptions wasi_options_of(connections::Hub& hub) { return {hub.files(), &hub.outbox()}; }

HostModule wasi_module(WasiContext& context) {
  HostModule module;
  module.name = std::string(wasi_module_name);
  module.context = &context;
  module.functions = host_functions(entries);
  return module;
}

Status set_wasi_args(Engine& engine, Ref store, std::span<const std::string> args, std::span<const std::string> env) {
  std::size_t total = 0;
  for (auto list : {args, env}) {
    for (const std::string& s : list) {
      if (s.find('\0') != std::string::npos)
        return make_error(Errc::invalid_argument, "WASI argument or environment string '{}' holds a NUL byte",
                          s.substr(0, s.find('\0')));
      total += s.size() + 1;
    }
  }
  if (total > max_args_bytes)
    return make_error(Errc::invalid_argument, "WASI arguments and environment of {} bytes (at most {})", total,
                      max_args_bytes);
  vm::Vm& vm = engine.machine();
  Ref a = binary_of(vm, args);  // allocated before the state changes: an OutOfMemory leaves it as it was
  Ref e = binary_of(vm, env);
  PHANTOM_ASSIGN(State state, State::of(engine, store));
  state.set_args(a, e);
  return ok_status();
}

}  // namespace phantom::wasm

// World tools (system layer).
#include "system/world_tools.h"

#ifndef PHANTOM_LEAN
#include "wasm/wasm_service.h"
#endif

#include <filesystem>

#include "store/store.h"
#include "system/fault_history.h"
#include "system/lean.h"
#include "vm/vm.h"

namespace phantom::system {
namespace {

// The console of a world that is not running: output and diagnostics go to stderr, there is no input.
class QuietConsole final : public vm::Console {
 public:
  void write_output(std::string_view bytes) override { std::fwrite(bytes.data(), 1, bytes.size(), stderr); }
  void write_diagnostic(std::string_view text) override { std::fwrite(text.data(), 1, text.size(), stderr); }
  int poll_input() override { return input_eof; }
};

struct OpenWorld {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<vm::Heap> heap;
  QuietConsole console;
  std::unique_ptr<vm::Vm> machine;
  bool booted = false;
};

Result<std::unique_ptr<OpenWorld>> open_world(host::Env& env, const std::string& world) {
  if (!std::filesystem::exists(world)) return make_error(Errc::not_found, "{}: no such world", world);
  auto device = env.open_block_device(world, host::OpenMode::open_existing);
  if (!device.ok()) {
    if (device.error().code == Errc::busy)
      return make_error(Errc::busy, "{}: the world is running (stop it first with phantom stop, or use phantom start, which asks it through its control socket)", world);
    return device.take_error();
  }
  store::StoreOptions options;
  options.lazy_restore = false;
  auto opened = store::Store::open(env, std::move(device).value(), options);
  if (!opened.ok()) return opened.take_error();
  auto w = std::make_unique<OpenWorld>();
  w->store = std::move(opened).value();
  w->heap = std::make_unique<vm::Heap>(w->store->arena().base(), w->store->arena().size());
  w->machine = std::make_unique<vm::Vm>(*w->heap, env.clock(), w->console, vm::VmOptions{});
  w->booted = w->store->restore_report().pages_restored > 0;
  if (w->booted) {
    std::uint64_t boots = w->heap->header()->boots;
    auto attached = w->machine->attach();
    if (!attached.ok()) return attached.take_error();
    w->heap->header()->boots = boots;  // looking into a world or adding a thread is not a boot
  }
  return w;
}

}  // namespace

Result<WorldContents> inspect_world(host::Env& env, const std::string& world) {
  auto opened = open_world(env, world);
  if (!opened.ok()) return opened.take_error();
  OpenWorld& w = **opened;
  WorldContents out;
  out.booted = w.booted;
  if (!w.booted) return out;
  vm::Vm& machine = *w.machine;
  vm::WorldHeader* h = w.heap->header();
  out.boots = h->boots;
  out.gc_runs = h->gc_runs;
  out.live_bytes = h->live_bytes;
  out.heap_used = w.heap->heap_used();
  out.heap_capacity = w.heap->heap_capacity();
  for (const std::string& name : machine.loaded_class_names()) {
    if (name.starts_with(".internal.")) ++out.internal_classes;
    else out.classes.push_back(name);
  }
  vm::Ref list = machine.root_slot(vm::root_thread_list);
  for (std::uint32_t i = 0; i < machine.array_size(list); ++i) {
    vm::Ref t = machine.array_get(list, i);
    if (!machine.is_null(t)) out.threads.push_back(machine.thread_summary(t));
  }
  return out;
}

namespace {
// Lets Store::snapshot stop a world whose executor is not running: nothing to stop.
class IdleControl final : public store::WorldControl {
 public:
  void stop() override {}
  void resume() override {}
};
}  // namespace

Result<std::string> start_in_stopped_world(host::Env& env, const std::string& world, const std::string& class_name,
                                           const std::vector<std::string>& extra_class_path) {
  auto opened = open_world(env, world);
  if (!opened.ok()) return opened.take_error();
  OpenWorld& w = **opened;
  if (!w.booted) return make_error(Errc::invalid_argument, "{}: the world has not booted yet; boot it with phantom run first", world);
  for (const std::string& entry : extra_class_path) w.machine->add_class_path(std::filesystem::absolute(entry).string());
  auto started = w.machine->start_class(class_name);
  if (!started.ok()) return started.take_error();
  IdleControl control;
  auto snap = w.store->snapshot(control);
  if (!snap.ok()) return snap.take_error();
  return fmt::format("{} ({}), committed in snapshot {}", *started, class_name, snap->seq);
}

Result<std::string> resume_thread_in_stopped_world(host::Env& env, const std::string& world, std::uint32_t id) {
  auto opened = open_world(env, world);
  if (!opened.ok()) return opened.take_error();
  OpenWorld& w = **opened;
  if (!w.booted) return make_error(Errc::invalid_argument, "{}: the world has not booted yet", world);
  auto released = w.machine->release_quarantined(id);
  if (!released.ok()) return make_error(released.error().code, "{}: {}", world, released.error().message);
  w.store->queue_event(make_event(EventKind::release, env.clock().wall_ns(), 0, 0, id,
                                  *released + " (phantom start --resume-thread, the world stopped)"));
  IdleControl control;
  auto snap = w.store->snapshot(control);
  if (!snap.ok()) return snap.take_error();
  return fmt::format("{}; committed in snapshot {}", *released, snap->seq);
}

#ifdef PHANTOM_LEAN
Result<std::string> start_wasm_in_stopped_world(host::Env&, const std::string&, const wasm::WasmCommand&) {
  return make_error(Errc::unsupported, "{}", lean_no_wasm);
}
#else
Result<std::string> start_wasm_in_stopped_world(host::Env& env, const std::string& world, const wasm::WasmCommand& command) {
  auto opened = open_world(env, world);
  if (!opened.ok()) return opened.take_error();
  OpenWorld& w = **opened;
  if (!w.booted) return make_error(Errc::invalid_argument, "{}: the world has not booted yet; boot it with phantom run first", world);
  vm::Ref thread = vm::raw_null;
  {
    wasm::Engine engine(*w.machine);  // validates and stores the module; the world's own engine runs it
    auto target = wasm::prepare_wasm_command(*w.machine, engine, command);
    if (!target.ok()) return target.take_error();
    try {
      thread = w.machine->start_thread(target->object, target->ordinal, target->arg, target->name);
    } catch (const vm::OutOfMemory&) {
      return make_error(Errc::no_space, "{}: the world's heap is full", world);
    }
  }
  if (thread == vm::raw_null) return make_error(Errc::invalid_argument, "{}: .internal.wasm cannot run commands", world);
  IdleControl control;
  auto snap = w.store->snapshot(control);
  if (!snap.ok()) return snap.take_error();
  return fmt::format("thread {} ({}), committed in snapshot {}", w.machine->thread_data(thread)->id, command.name, snap->seq);
}

#endif

}  // namespace phantom::system

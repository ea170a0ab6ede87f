// World runner (system layer). May call: util/, host/, store/, classfile/, vm/.
#include "system/world_runner.h"

#include "system/world_tools.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "system/terminal_console.h"
#include "system/world_tools.h"
#include "vm/heap.h"
#include "vm/vm.h"

namespace phantom::system {
namespace {

// Wraps the VM's stop/resume to mark, on request, the instant a snapshot's state was captured.
class LoggedControl final : public store::WorldControl {
 public:
  LoggedControl(vm::Vm& vm, bool log) : vm_(vm), log_(log) {}
  void stop() override { vm_.stop(); }
  void resume() override {
    if (log_) std::fputs("phantom: snapshot captured\n", stderr);
    vm_.resume();
  }

 private:
  vm::Vm& vm_;
  bool log_;
};

bool arena_is_blank(const store::Store& store) { return store.restore_report().pages_restored == 0; }

// `phantom start` on a running world files a request (world_tools.h); the VM thread is started with
// the world stopped at a safepoint, and the answer is written next to the request.
void serve_start_requests(const std::string& world, vm::Vm& machine) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(request_directory(world), ec);
  if (ec) return;
  for (const auto& entry : it) {
    if (entry.path().extension() != ".start") continue;
    std::ifstream in(entry.path());
    std::string name, line;
    std::getline(in, name);
    std::vector<std::string> extra;
    while (std::getline(in, line))
      if (!line.empty()) extra.push_back(line);
    in.close();
    fs::remove(entry.path(), ec);
    machine.stop();
    for (const std::string& e : extra) machine.add_class_path(e);
    auto started = machine.start_class(name);
    machine.resume();
    machine.wake_executor();
    std::string answer = started.ok() ? "ok " + *started + " (" + name + ")" : "error " + started.error().message;
    fs::path done = entry.path();
    done.replace_extension(".done");
    std::ofstream(done.string() + ".tmp") << answer << "\n";
    fs::rename(done.string() + ".tmp", done, ec);
    std::fprintf(stderr, "phantom: start %s: %s\n", name.c_str(), answer.c_str());
  }
}

}  // namespace

int run_world(host::Env& env, const RunConfig& config, RunSignals& signals) {
  store::CreateOptions create;
  create.arena_size = config.arena_size;
  create.retention = config.retention;
  store::StoreOptions store_options;
  store_options.tracking = config.tracking;
  bool created = false;
  auto opened = store::Store::open_or_create(env, config.world, create, store_options, &created);
  if (!opened.ok()) {
    std::fprintf(stderr, "phantom: %s\n", opened.error().message.c_str());
    return 1;
  }
  std::unique_ptr<store::Store> store = std::move(opened).value();
  const store::RestoreReport& restored = store->restore_report();
  for (const std::string& w : restored.warnings) std::fprintf(stderr, "phantom: warning: %s\n", w.c_str());

  vm::Heap heap(store->arena().base(), store->arena().size());
  TerminalConsole console;
  vm::VmOptions vm_options;
  // Absolute, because a new world keeps its class path and may be resumed from another directory.
  for (const std::string& entry : config.class_path) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(entry, ec);
    vm_options.class_path.push_back(ec ? entry : absolute.lexically_normal().string());
  }
  vm_options.environment = config.environment;
  vm_options.boot_class = config.boot_class;
  vm_options.snapshot_request = &signals.snapshot_requested;
  vm::Vm machine(heap, env.clock(), console, vm_options);
  console.on_input([&machine] { machine.wake_executor(); });

  bool fresh = created || arena_is_blank(*store);
  if (config.once && fresh) {
    // Nothing to boot: the world is created (or stays blank) and the next run boots it.
    std::fprintf(stderr, "phantom: %s: %s world, arena %llu MiB, not booted (--once)\n", config.world.c_str(),
                 created ? "new" : "blank", static_cast<unsigned long long>(store->arena().size() >> 20));
  } else if (fresh) {
    heap.format();
    if (auto booted = machine.boot(); !booted.ok()) {
      std::fprintf(stderr, "phantom: %s: cannot boot: %s\n", config.world.c_str(), booted.error().message.c_str());
      return 1;
    }
    std::fprintf(stderr, "phantom: %s: new world, arena %llu MiB, booting %s\n", config.world.c_str(),
                 static_cast<unsigned long long>(store->arena().size() >> 20),
                 config.boot_class.empty() ? "the default boot class" : config.boot_class.c_str());
  } else {
    if (auto attached = machine.attach(); !attached.ok()) {
      std::fprintf(stderr, "phantom: %s: cannot resume: %s\n", config.world.c_str(), attached.error().message.c_str());
      return 1;
    }
    if (!config.boot_class.empty() && machine.environment_value("root.boot") != config.boot_class)
      std::fprintf(stderr, "phantom: %s: the world exists and was booted with %s; --boot %s ignored\n",
                   config.world.c_str(), machine.environment_value("root.boot").value_or("?").c_str(),
                   config.boot_class.c_str());
    std::fprintf(stderr, "phantom: %s: resumed snapshot %llu in %.1f ms (boot %llu of this world)\n", config.world.c_str(),
                 static_cast<unsigned long long>(restored.restored_seq), restored.restore_ns / 1e6,
                 static_cast<unsigned long long>(heap.header()->boots));
  }

  LoggedControl control(machine, config.log_snapshots);
  std::atomic<bool> snapshot_failed{false};
  auto take = [&](const char* why) {
    auto report = store->snapshot(control);
    if (!report.ok()) {
      std::fprintf(stderr, "phantom: snapshot failed (%s): %s\n", why, report.error().message.c_str());
      snapshot_failed = true;
      return false;
    }
    if (config.log_snapshots || std::string_view(why) != "interval")
      std::fprintf(stderr, "phantom: snapshot %llu committed (%s, %llu pages, pause %.3f ms, written in %.1f ms)\n",
                   static_cast<unsigned long long>(report->seq), why, static_cast<unsigned long long>(report->data_blocks),
                   report->pause_ns / 1e6, report->total_ns / 1e6);
    return true;
  };

  if (config.once) {
    console.on_input(nullptr);
    return take("requested") ? 0 : 1;
  }

  std::atomic<bool> done{false};
  std::thread policy([&] {
    auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.interval_ms);
    auto next_poll = std::chrono::steady_clock::now();
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (std::chrono::steady_clock::now() >= next_poll) {
        serve_start_requests(config.world, machine);
        next_poll = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
      }
      if (signals.stop_requests > 0) {
        machine.request_exit();
        return;
      }
      if (signals.snapshot_requested.exchange(false)) take("requested");
      if (std::chrono::steady_clock::now() >= next) {
        if (!take("interval")) {
          machine.request_exit();
          return;
        }
        next = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.interval_ms);
      }
    }
  });
  vm::RunReport run = machine.run();
  console.on_input(nullptr);  // the reader thread outlives the VM
  done = true;
  policy.join();
  if (snapshot_failed) return 1;
  const char* why = run.exit_requested ? "shutdown" : run.exit_code ? "boot failed" : "all threads ended";
  if (!take(why)) return 1;
  return run.exit_code;
}

}  // namespace phantom::system

// World runner (system layer). May call: util/, host/, store/, classfile/, vm/, connections/.
#include "system/world_runner.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "connections/committed_console.h"
#include "connections/hub.h"
#include "host/fault_note.h"
#include "host/output_relay.h"
#include "host/service.h"
#include "host/status_line.h"
#include "system/control_client.h"
#include "system/control_server.h"
#include "system/lean.h"
#include "system/run_journal.h"
#include "system/running_world.h"
#include "system/terminal_console.h"
#include "system/watchdog.h"
#include "vm/heap.h"
#include "vm/vm.h"
#ifndef PHANTOM_LEAN
#include "ui/desktop.h"
#include "wasm/wasm_service.h"
#endif

namespace phantom::system {
namespace {

using Clock = std::chrono::steady_clock;

#ifdef PHANTOM_LEAN
// No window system and no WebAssembly in this build (lean.h): nothing to show, nothing to start.
struct NoDesktop {};
using Desktop = NoDesktop;
#else
using Desktop = ui::Desktop;
#endif

bool arena_is_blank(const store::Store& store) { return store.restore_report().pages_restored == 0; }

// A running world: the snapshot policy (interval, requests, output commit) and what the control
// socket asks of it (RunningWorld). Every stop of the VM goes through world_control_, so that a
// snapshot, a `phantom start` and a status query never stop the executor at the same time.
class WorldSession final : public RunningWorld, public store::WorldControl {
 public:
  WorldSession(const RunConfig& config, RunSignals& signals, store::Store& store, vm::Vm& machine,
               connections::Hub& hub, Desktop& desktop)
      : config_(config), signals_(signals), store_(store), vm_(machine), hub_(hub), desktop_(desktop), started_(Clock::now()) {
    hub_.outbox().on_pending([this] { output_pending(); });
    vm_.set_stat_source([this](const vm::Vm::StatPut& put) { stat_figures(put); });
  }
  ~WorldSession() override { vm_.set_stat_source(nullptr); }

  // ---- store::WorldControl: the snapshot's pause ----
  void stop() override {
    world_control_.lock();
    vm_.stop();
    captured_ = hub_.capture();
  }
  std::uint64_t written_extent() override { return vm_.written_extent(); }
  void resume() override {
    if (config_.log_snapshots) log_line("phantom: snapshot captured\n");
    vm_.resume();
    world_control_.unlock();
  }

  // A line of the snapshot log. It never waits for stderr: a pipe that nobody reads or a terminal
  // stopped with Ctrl-S would otherwise hold the policy thread, and with it every commit (the
  // world's held output never goes out) and, for the "captured" line, the world in its pause. A line
  // that cannot go now is counted, and the count is said once stderr takes text again.
  void log_line(const std::string& line) {
    if (std::uint64_t dropped = dropped_log_lines_.load(); dropped > 0) {
      if (!host::write_status_line_now(fmt::format("phantom: {} snapshot log lines dropped: stderr was full\n", dropped))) {
        ++dropped_log_lines_;
        return;
      }
      dropped_log_lines_ -= dropped;
    }
    if (!host::write_status_line_now(line)) ++dropped_log_lines_;
  }

  // Takes one snapshot and releases the output it makes true; false when it failed.
  bool take(const char* why) {
    {
      std::lock_guard lock(mutex_);
      pending_ = false;  // everything appended before the pause is in this snapshot
    }
    std::uint64_t ticket = requests_issued_.load();
    auto report = store_.snapshot(*this);
    if (!report.ok()) {
      std::fprintf(stderr, "phantom: snapshot failed (%s): %s\n", why, report.error().message.c_str());
      std::lock_guard lock(mutex_);
      failed_ = true;
      cv_.notify_all();
      return false;
    }
    hub_.committed(captured_);
    bool quiet = std::string_view(why) == "interval" || std::string_view(why) == "output";
    if (config_.log_snapshots || !quiet) {
      std::string line = fmt::format(
          "phantom: snapshot {} committed ({}, {} pages, pause {:.3f} ms, written in {:.1f} ms, flush {:.1f} ms, "
          "{} pages written back before; pre-copy {} rounds {} pages, residual {}, cleaned {}+{}, {} nodes, "
          "write {:.1f} ms, {})\n",
          report->seq, why, report->data_blocks, report->pause_ns / 1e6, report->total_ns / 1e6,
          report->flush_ns / 1e6, report->written_back_pages, report->precopy_rounds, report->precopy_pages,
          report->residual_pages, report->cleaned_pages, report->cleaned_nodes, report->node_blocks,
          report->write_ns / 1e6, report->one_flush ? "one flush" : "two flushes");
      if (quiet) log_line(line);
      else std::fputs(line.c_str(), stderr);  // a stop's or a request's last word: worth the wait
    }
    std::lock_guard lock(mutex_);
    last_seq_ = report->seq;
    last_wall_ns_ = static_cast<std::uint64_t>(vm_.wall_now());
    ++snapshots_;
    pauses_ms_.push_back(report->pause_ns / 1e6);
    if (pauses_ms_.size() > 1000) pauses_ms_.erase(pauses_ms_.begin(), pauses_ms_.begin() + 500);
    requests_done_ = std::max(requests_done_, ticket);
    cv_.notify_all();
    return true;
  }

  // The policy: runs on its own thread until the VM has stopped running.
  void policy_loop(std::atomic<bool>& done) {
    auto next = Clock::now() + std::chrono::milliseconds(config_.interval_ms);
    std::unique_lock lock(mutex_);
    while (!done) {
      // Signals cannot notify a condition variable: poll them every few milliseconds, and wake for the
      // next write-back while output commit is busy.
      auto wait = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::milliseconds(5));
      if (write_back_active()) wait = write_back_period_;
      // Output that is not due yet (--commit-delay) is slept on until it is, not polled; output that
      // starts pending meanwhile ends the wait, so that its due time is waited for instead.
      const bool was_pending = pending_;
      if (pending_) wait = std::min(wait, std::chrono::duration_cast<std::chrono::microseconds>(output_due_at() - Clock::now()));
      cv_.wait_for(lock, std::max(wait, std::chrono::microseconds(0)), [&] {
        return done || pending_ != was_pending || (pending_ && Clock::now() >= output_due_at()) ||
               requests_issued_.load() > requests_done_ || signals_.stop_requests > 0 || signals_.snapshot_requested;
      });
      if (done) break;
      if (signals_.stop_requests > 0) {
        vm_.request_exit();
        return;
      }
      bool requested = signals_.snapshot_requested.exchange(false) || requests_issued_.load() > requests_done_;
      bool output_due = pending_ && Clock::now() >= output_due_at();
      bool interval_due = Clock::now() >= next;
      if (!requested && !output_due && !interval_due) {
        if (!write_back_due()) continue;
        lock.unlock();
        bool written = write_back();
        lock.lock();
        if (!written) {
          vm_.request_exit();
          return;
        }
        continue;
      }
      lock.unlock();
      bool ok = take(requested ? "requested" : output_due ? "output" : "interval");
      if (output_due) last_output_snapshot_ = Clock::now();
      last_write_ = Clock::now();
      lock.lock();
      if (!ok) {
        vm_.request_exit();
        return;
      }
      if (interval_due || config_.interval_ms == 0) next = Clock::now() + std::chrono::milliseconds(config_.interval_ms);
      else next = std::max(next, Clock::now() + std::chrono::milliseconds(config_.interval_ms));
    }
  }

  bool failed() {
    std::lock_guard lock(mutex_);
    return failed_;
  }

  // When pending output's snapshot is due (--commit-delay after the first of it).
  Clock::time_point output_due_at() const { return pending_since_ + std::chrono::microseconds(config_.commit_delay_us); }

  // Write-back between snapshots while output commit is busy (an output snapshot in the last
  // second): the pages written since the last snapshot go to disk every few milliseconds, so that
  // the next output snapshot carries, and flushes, only the pages written since (docs/store.md).
  // A world without committed output does not pay for it: its pages are written once per interval.
  bool write_back_active() const { return Clock::now() - last_output_snapshot_ < std::chrono::seconds(1); }
  bool write_back_due() const { return write_back_active() && Clock::now() - last_write_ >= write_back_period_; }
  bool write_back() {
    auto written = store_.write_back(*this);
    last_write_ = Clock::now();
    if (written.ok()) {
      written_back_ += *written;
      write_back_period_ = *written >= write_back_busy_pages ? write_back_busy_period : write_back_quiet_period;
      return true;
    }
    std::fprintf(stderr, "phantom: write-back failed: %s\n", written.error().message.c_str());
    std::lock_guard lock(mutex_);
    failed_ = true;
    cv_.notify_all();
    return false;
  }

  // ---- RunningWorld (control socket threads) ----
  Result<std::string> start_class(const std::string& class_name, const std::vector<std::string>& extra) override {
    std::lock_guard control(world_control_);
    vm_.stop();
    for (const std::string& e : extra) vm_.add_class_path(e);
    auto started = vm_.start_class(class_name);
    vm_.resume();
    vm_.wake_executor();
    std::fprintf(stderr, "phantom: start %s: %s\n", class_name.c_str(),
                 started.ok() ? started->c_str() : started.error().message.c_str());
    return started;
  }

#ifdef PHANTOM_LEAN
  Result<std::string> start_wasm(const wasm::WasmCommand&) override { return make_error(Errc::unsupported, "{}", lean_no_wasm); }
#else
  Result<std::string> start_wasm(const wasm::WasmCommand& command) override {
    if (!wasm_) return make_error(Errc::unsupported, "this world cannot run WebAssembly");
    std::lock_guard control(world_control_);
    vm_.stop();
    auto started = wasm_->start_command(command);
    vm_.resume();
    vm_.wake_executor();
    std::fprintf(stderr, "phantom: start --wasm %s: %s\n", command.name.c_str(),
                 started.ok() ? started->c_str() : started.error().message.c_str());
    return started;
  }
  void set_wasm(wasm::WasmService* service) { wasm_ = service; }
#endif

  Result<std::string> resume_thread(std::uint32_t id) override {
    std::lock_guard control(world_control_);
    vm_.stop();
    auto released = vm_.release_quarantined(id);
    vm_.resume();
    vm_.wake_executor();
    std::fprintf(stderr, "phantom: resume thread %u: %s\n", id, released.ok() ? released->c_str() : released.error().message.c_str());
    return released;
  }

  Result<std::uint64_t> snapshot_now() override {
    std::uint64_t ticket = ++requests_issued_;
    std::unique_lock lock(mutex_);
    cv_.notify_all();
    cv_.wait(lock, [&] { return requests_done_ >= ticket || failed_ || stopped_; });
    if (requests_done_ >= ticket) return last_seq_;
    return make_error(Errc::failed_state, "{}", failed_ ? "the snapshot failed; the world stops (see its log)"
                                                        : "the world is stopping; its last snapshot commits at exit");
  }

  void request_stop() override {
    int zero = 0;
    signals_.stop_requests.compare_exchange_strong(zero, 1);
    cv_.notify_all();
  }

  WorldStatus status() override {
    WorldStatus s;
    s.world = config_.world;
    s.pid = host::process_id();
    s.uptime_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count());
    {
      std::lock_guard control(world_control_);
      vm_.stop();
      vm::WorldHeader* h = vm_.heap().header();
      s.boots = h->boots;
      s.heap_used = vm_.heap().heap_used();
      s.heap_capacity = vm_.heap().heap_capacity();
      s.live_bytes = h->live_bytes;
      s.threads = vm_.array_size(vm_.root_slot(vm::root_thread_list));
      s.connections = hub_.connection_count();
#ifdef PHANTOM_LEAN
      s.display = "no display";
#else
      s.display = desktop_.description();
#endif
      vm_.resume();
    }
    auto out = hub_.outbox().figures();
    s.pending_output_bytes = out.pending_bytes;
    s.pending_output_writes = out.pending_writes;
    std::lock_guard lock(mutex_);
    s.last_snapshot_seq = last_seq_;
    s.last_snapshot_wall_ns = last_wall_ns_;
    s.snapshots_this_run = snapshots_;
    if (!pauses_ms_.empty()) {
      std::vector<double> p = pauses_ms_;
      std::sort(p.begin(), p.end());
      auto at = [&](double q) { return p[std::min(p.size() - 1, static_cast<std::size_t>(q * (p.size() - 1) + 0.5))]; };
      s.pause_p50_ms = at(0.50);
      s.pause_p99_ms = at(0.99);
      s.pause_max_ms = p.back();
    }
    return s;
  }

#ifdef PHANTOM_LEAN
  Result<std::string> screenshot_png() override { return make_error(Errc::unsupported, "{}", lean_no_windows); }
  Status inject_input(const std::vector<host::InputEvent>&) override { return make_error(Errc::unsupported, "{}", lean_no_windows); }
#else
  Result<std::string> screenshot_png() override {
    // What the world drew before the request is on the screen (a resumed world composes after start).
    if (desktop_.display()) (void)desktop_.wait_composed(5'000);
    return desktop_.screenshot_png();
  }

  Status inject_input(const std::vector<host::InputEvent>& events) override {
    if (!desktop_.display())
      return make_error(Errc::unsupported, "this world runs without a display: start it with --display headless (or vnc, sdl)");
    for (const host::InputEvent& e : events) desktop_.inject(e);
    if (!desktop_.wait_composed(10'000))
      return make_error(Errc::busy, "the world did not handle the input within 10 s (is it stopping?)");
    return ok_status();
  }
#endif

  // .internal.stat.snapshot()'s share of the figures `phantom status` shows (the desktop demo's world window).
  void stat_figures(const vm::Vm::StatPut& put) {
    put("uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count());
    std::lock_guard lock(mutex_);
    put("last_snapshot", static_cast<std::int64_t>(last_seq_));
    put("snapshots_this_run", static_cast<std::int64_t>(snapshots_));
    put("last_pause_us", pauses_ms_.empty() ? 0 : static_cast<std::int64_t>(pauses_ms_.back() * 1000));
  }

  void mark_stopped() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    cv_.notify_all();
  }
  void set_last_seq(std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    last_seq_ = seq;
  }
  std::uint64_t last_seq() {
    std::lock_guard lock(mutex_);
    return last_seq_;
  }

 private:
  // From the executor, whenever output starts waiting for a commit.
  void output_pending() {
    std::lock_guard lock(mutex_);
    if (!pending_) {
      pending_ = true;
      pending_since_ = Clock::now();
      cv_.notify_all();
    }
  }

  const RunConfig& config_;
  RunSignals& signals_;
  store::Store& store_;
  vm::Vm& vm_;
  connections::Hub& hub_;
  Desktop& desktop_;
#ifndef PHANTOM_LEAN
  wasm::WasmService* wasm_ = nullptr;
#endif
  const Clock::time_point started_;
  std::mutex world_control_;
  std::uint64_t captured_ = 0;  // the outbox position of the snapshot being taken

  std::mutex mutex_;
  std::condition_variable cv_;
  bool pending_ = false, failed_ = false, stopped_ = false;
  Clock::time_point pending_since_{};
  // Write-back (policy thread only).
  // Every 250 us while the world writes 16 pages a millisecond or more (the sensors example dirties
  // about 50; an output snapshot carries what was written since the last write-back); every 4 ms while
  // it writes little, where a write-back would cost more scans than it saves. Since a write-back only
  // starts writes (sync_file_range) and no longer flushes, a shorter period pays: `commit_bench --only
  // sensors`, 2026-12-07, p50 2.3-2.6 ms at 1 ms, 1.25-1.65 ms at 250 us (p99 9-19 and 6-36 ms, the
  // disk's own p99 for that volume being 51-76 ms); net.http_rps unchanged (48-50k both).
  static constexpr std::chrono::microseconds write_back_busy_period{250}, write_back_quiet_period{4000};
  static constexpr std::uint64_t write_back_busy_pages = 4;
  std::chrono::microseconds write_back_period_ = write_back_quiet_period;
  Clock::time_point last_output_snapshot_{}, last_write_{};
  std::uint64_t written_back_ = 0;
  std::atomic<std::uint64_t> requests_issued_{0};
  std::uint64_t requests_done_ = 0;
  std::uint64_t last_seq_ = 0, last_wall_ns_ = 0, snapshots_ = 0;
  std::vector<double> pauses_ms_;
  std::atomic<std::uint64_t> dropped_log_lines_{0};
};

std::string beside_world(const std::string& world, const char* suffix) {
  return std::filesystem::absolute(world).lexically_normal().string() + suffix;
}

}  // namespace

int run_world(host::Env& env, const RunConfig& config, RunSignals& signals) {
#ifdef PHANTOM_LEAN
  // The command line refuses these first (cmd_run.cc); a caller of run_world gets the same answer.
  if (config.display.kind != "none" || !config.boot_wasm.empty()) {
    std::fprintf(stderr, "phantom: %s\n", config.boot_wasm.empty() ? lean_no_windows : lean_no_wasm);
    return 1;
  }
#endif
  // First, so that the mprotect write tracker, installed when the store opens, chains to them.
  host::install_fault_handlers();
  // A malformed network rule is refused before anything is opened or created.
  auto net_rules = connections::NetRules::parse(config.listen_rules, config.connect_rules);
  if (!net_rules.ok()) {
    std::fprintf(stderr, "phantom: %s\n", net_rules.error().message.c_str());
    return 2;
  }
  // Committed console output on this process's terminal goes through a relay process, forked first,
  // before the store maps the arena or opens the image (host/output_relay.h).
  std::unique_ptr<host::OutputRelay> relay;
  if (config.console_commit && !config.attachable_console) {
    auto started = host::start_output_relay(beside_world(config.world, ".console-cursor"), 10'000);
    if (!started.ok()) {
      std::fprintf(stderr, "phantom: %s: %s\n", config.world.c_str(), started.error().message.c_str());
      return 1;
    }
    relay = std::move(started).value();
  }
  store::CreateOptions create;
  create.arena_size = config.arena_size;
  create.retention = config.retention;
  store::StoreOptions store_options;
  store_options.tracking = config.tracking;
  store_options.arena_anywhere = config.arena_anywhere;
  store_options.defer_background_restore = true;  // started when the world runs, below
  bool created = false;
  auto opened = store::Store::open_or_create(env, config.world, create, store_options, &created);
  if (!opened.ok()) {
    std::fprintf(stderr, "phantom: %s\n", opened.error().message.c_str());
    return 1;
  }
  std::unique_ptr<store::Store> store = std::move(opened).value();
  for (const std::string& w : store->restore_report().warnings) std::fprintf(stderr, "phantom: warning: %s\n", w.c_str());
  // The previous run's end, crash-loop recovery (which may roll the world back and reopen it).
  RunJournal journal(env, config);
  auto go = journal.before_resume(store, created || arena_is_blank(*store),
                                  [&] { return store::Store::open_or_create(env, config.world, create, store_options); });
  if (!go.ok()) {
    std::fprintf(stderr, "phantom: %s: %s\n", config.world.c_str(), go.error().message.c_str());
    return 1;
  }
  if (!*go) return 3;
  const store::RestoreReport& restored = store->restore_report();

#ifndef PHANTOM_LEAN
  // The display first: a taken VNC port or a missing graphical session stops us before the world runs.
  std::unique_ptr<host::Display> display;
  if (config.display.kind != "none") {
    auto opened_display = host::open_display(config.display);
    if (!opened_display.ok()) {
      std::fprintf(stderr, "phantom: %s: %s\n", config.world.c_str(), opened_display.error().message.c_str());
      return 1;
    }
    display = std::move(opened_display).value();
  }
#endif

  vm::Heap heap(store->arena().base(), store->arena().size());
  std::unique_ptr<ConsoleDevice> device;
  AttachableConsole* attachable = nullptr;
  if (config.attachable_console) {
    auto a = std::make_unique<AttachableConsole>();
    attachable = a.get();
    device = std::move(a);
  } else {
    device = std::make_unique<TerminalConsole>();
  }
  connections::CommittedConsole console(*device);
  vm::VmOptions vm_options;
  // Absolute, because a new world keeps its class path and may be resumed from another directory.
  for (const std::string& entry : config.class_path) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(entry, ec);
    vm_options.class_path.push_back(ec ? entry : absolute.lexically_normal().string());
  }
  vm_options.environment = config.environment;
  vm_options.gc_step_us = config.gc_step_us;
  vm_options.boot_class = config.boot_class;
  vm_options.snapshot_request = &signals.snapshot_requested;
  vm_options.on_uncaught = [&](std::uint32_t id, const std::string& name, const std::string& what) {
    journal.thread_failed(*store, id, name, what);
  };
  vm_options.on_released = [&](std::uint32_t id, const std::string& summary) { journal.released(*store, id, summary); };
#ifndef PHANTOM_LEAN
  wasm::WasmCommand boot_command;
  if (!config.boot_wasm.empty()) {
    auto command = wasm::read_wasm_command(config.boot_wasm, config.wasm_args, config.wasm_env);
    if (!command.ok()) {
      std::fprintf(stderr, "phantom: %s: %s\n", config.world.c_str(), command.error().message.c_str());
      return 1;
    }
    boot_command = std::move(command).value();
    // Validated again by the world's service later; this engine only puts the module into the world.
    vm_options.boot_target = [&boot_command](vm::Vm& vm) {
      wasm::Engine engine(vm);
      return wasm::prepare_wasm_command(vm, engine, boot_command);
    };
  }
#endif
  vm::Vm machine(heap, env.clock(), console, vm_options);
  device->on_input([&machine] { machine.wake_executor(); });

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
                 !config.boot_wasm.empty() ? ("WebAssembly " + config.boot_wasm).c_str()
                 : config.boot_class.empty() ? "the default boot class" : config.boot_class.c_str());
  } else {
    if (auto attached = machine.attach(); !attached.ok()) {
      std::fprintf(stderr, "phantom: %s: cannot resume: %s\n", config.world.c_str(), attached.error().message.c_str());
      return 1;
    }
    if (!config.boot_class.empty() && machine.environment_value("root.boot") != config.boot_class)
      std::fprintf(stderr, "phantom: %s: the world exists and was booted with %s; --boot %s ignored\n",
                   config.world.c_str(), machine.environment_value("root.boot").value_or("?").c_str(),
                   config.boot_class.c_str());
    std::fprintf(stderr, "phantom: %s: resumed snapshot %llu in %.1f ms (run %llu of this world)\n", config.world.c_str(),
                 static_cast<unsigned long long>(restored.restored_seq), restored.restore_ns / 1e6,
                 static_cast<unsigned long long>(journal.boot()));
  }

  // Said once, where the kernel (or an emulator: qemu-user has no userfaultfd) chose for the user.
  if (config.tracking == host::TrackingMode::automatic && store->tracking_mode() == host::TrackingMode::mprotect)
    std::fprintf(stderr, "phantom: %s: no userfaultfd write-protection here: tracking writes with mprotect\n",
                 config.world.c_str());

  // This run's boot in the event log, durable before any bytecode runs; quarantined threads held back.
  if (auto begun = journal.begin_run(*store, machine); !begun.ok()) {
    std::fprintf(stderr, "phantom: %s: cannot record the start in the event log: %s\n", config.world.c_str(), begun.error().message.c_str());
    return 1;
  }

  // The connections layer: re-made connections, output that the restored snapshot still owes.
  connections::HubConfig hub_config;
  hub_config.files_directory = config.files_directory.empty() ? beside_world(config.world, ".files") : config.files_directory;
  hub_config.cursor_file = beside_world(config.world, ".console-cursor");
  hub_config.fresh_world = fresh;
  hub_config.restored_snapshot = restored.restored_seq;
  hub_config.relay = relay.get();
  hub_config.net_rules = *net_rules;
  hub_config.fault_injection = config.test_faults;
  auto hub_made = connections::Hub::create(machine, *device, hub_config);
  if (!hub_made.ok()) {
    std::fprintf(stderr, "phantom: %s: %s\n", config.world.c_str(), hub_made.error().message.c_str());
    return 1;
  }
  std::unique_ptr<connections::Hub> hub = std::move(hub_made).value();
  if (config.console_commit) console.commit_through(&hub->outbox());
  bool booted = !(config.once && fresh);
  if (booted) hub->start();

#ifdef PHANTOM_LEAN
  // Windows and WebAssembly: every call of their natives says that this build leaves them out.
  install_lean_natives(machine);
  Desktop desktop;
  WorldSession session(config, signals, *store, machine, *hub, desktop);
  session.set_last_seq(restored.restored_seq);
#else
  // The window system: windows stored in the world, shown on the display if there is one.
  ui::DesktopConfig desktop_config;
  desktop_config.width = config.display.width;
  desktop_config.height = config.display.height;
  desktop_config.clock = config.taskbar_clock;
  ui::Desktop desktop(machine, desktop_config);
  if (display) {
    std::fprintf(stderr, "phantom: %s: display: %s\n", config.world.c_str(), display->description().c_str());
    desktop.attach_display(std::move(display));
  }
  if (booted) desktop.start();

  // WebAssembly: the natives of .internal.wasm, WASI with the world's files and outbox.
  wasm::WasmServiceConfig wasm_config;
  wasm_config.hub = hub.get();
  wasm::WasmService wasm_service(machine, wasm_config);

  WorldSession session(config, signals, *store, machine, *hub, desktop);
  session.set_last_seq(restored.restored_seq);
  session.set_wasm(&wasm_service);
#endif
  if (config.once) {
    device->on_input(nullptr);
    if (!session.take("requested")) return 1;
    journal.clean_stop(*store, session.last_seq());
    return 0;
  }

  std::string control_path = config.control_path.empty() ? default_control_path(config.world) : config.control_path;
  auto control = ControlServer::start(session, attachable, control_path);
  if (!control.ok()) {
    std::fprintf(stderr, "phantom: %s: %s\n", config.world.c_str(), control.error().message.c_str());
    return 1;
  }
  std::unique_ptr<ControlServer> control_server = std::move(control).value();
  if (config.on_ready) config.on_ready();

  std::atomic<bool> done{false};
  std::thread policy([&] { session.policy_loop(done); });
  Watchdog watchdog(machine, config.watchdog_ms, config.world);
  // The pages the VM's first steps need come by fault, ahead of the background reading of the rest.
  store->start_background_restore();
  vm::RunReport run = machine.run();
  device->on_input(nullptr);  // the reader thread outlives the VM
  done = true;
  policy.join();
  int code = run.exit_code;
#ifndef PHANTOM_LEAN
  // A WASI command booted the world and ended with proc_exit(n) in this run: the process exits n.
  if (code == 0 && wasm_service.boot_exit_code()) code = *wasm_service.boot_exit_code();
#endif
  if (session.failed()) code = 1;
  else {
    const char* why = run.exit_requested ? "shutdown" : run.exit_code ? "boot failed" : "all threads ended";
    if (!session.take(why)) code = 1;
    else journal.clean_stop(*store, session.last_seq());
  }
  session.mark_stopped();
  control_server.reset();  // a `phantom stop` client sees its connection end when the process exits
  return code;
}

}  // namespace phantom::system

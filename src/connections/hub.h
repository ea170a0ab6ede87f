// Hub: the connections layer of one running world (design.md "connections/"). It installs the
// `.internal.connection` natives into the VM, keeps the backends by prefix and the host side (Link) of
// every connected connection, re-makes them after a restore from the restart list (root slot 68), and
// owns output commit (outbox.h) and the statistics of `stt:`.
//
// Everything that touches the arena runs on the VM executor (natives, and tasks posted from the event
// loop with Vm::post); the snapshot hooks run while the VM is stopped or from the policy thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "connections/backend.h"
#include "connections/net_rules.h"
#include "connections/outbox.h"
#include "connections/statistics.h"
#include "host/event_loop.h"
#include "host/files.h"
#include "vm/vm.h"

namespace phantom::connections {

struct HubConfig {
  std::string files_directory;   // the world's sandbox for fio:, created if missing
  std::string cursor_file;       // the console cursor (outbox.h), beside the world; empty: none
  bool fresh_world = false;      // a world booted now: the cursor starts again
  std::uint64_t restored_snapshot = 0;  // the sequence number of the snapshot resumed (0: none)
  host::OutputRelay* relay = nullptr;  // console text of --console-commit goes here (host/output_relay.h)
  NetRules net_rules;            // where tcp:, udp: and url: may listen and connect (--listen, --connect)
  bool fault_injection = false;  // serve flt: (tests of crash-loop recovery, --test-faults)
};

class Hub {
 public:
  // `console_device`: where released console output goes (the terminal, or an attached client).
  static Result<std::unique_ptr<Hub>> create(vm::Vm& vm, vm::Console& console_device, const HubConfig& config);
  ~Hub();

  // After Vm::boot() or Vm::attach(), before Vm::run(): re-makes every connection on the restart list
  // and releases the output that the restored snapshot still owes.
  void start();
  // Snapshot hooks: capture while the VM is stopped; committed(captured) after the commit.
  std::uint64_t capture();
  void committed(std::uint64_t captured);

  vm::Vm& vm() { return vm_; }
  host::EventLoop& loop() { return *loop_; }
  host::Directory* files() { return files_.get(); }
  Outbox& outbox() { return *outbox_; }
  Statistics& statistics() { return stats_; }
  const NetRules& net_rules() const { return net_rules_; }
  std::size_t connection_count() const { return links_.size(); }

  // ---- for the natives and backends (executor) ----
  Link* link(vm::Ref conn) {
    auto it = links_.find(conn);
    return it == links_.end() ? nullptr : &it->second;
  }
  int connect(vm::Ref conn, std::string_view name, bool restart);
  // The backend serving `name` ("url:..."), or nullptr: natives of other classes reach theirs here.
  Backend* backend_for(std::string_view name);
  int disconnect(vm::Ref conn);
  void set_error(ConnectionView conn, std::string_view message);
  // Starts a VM thread running the connection's callback with `payload`; false when there is none.
  bool deliver_callback(vm::Ref conn, vm::Ref payload);
  // Parks the calling thread until wake_parked() (after the next output release).
  vm::NativeOutcome park(vm::NativeCall& call);
  void wake_parked();

 private:
  explicit Hub(vm::Vm& vm);
  void install_natives();

  vm::Vm& vm_;
  std::unique_ptr<host::EventLoop> loop_;
  std::unique_ptr<host::Directory> files_;
  std::unique_ptr<Outbox> outbox_;
  Statistics stats_;
  NetRules net_rules_;
  std::uint64_t restored_snapshot_ = 0;  // the previous runs' snapshots (statistics.h)
  std::vector<std::unique_ptr<Backend>> backends_;
  std::unordered_map<vm::Ref, Link> links_;
  std::vector<vm::Ref> parked_;
  bool started_ = false;
};

// The Hub of the VM's world, as the natives find it.
inline Hub& hub_of(vm::Vm& vm) { return *static_cast<Hub*>(vm.extension(vm::Vm::ext_connections)); }

}  // namespace phantom::connections

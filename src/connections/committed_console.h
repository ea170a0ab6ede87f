// CommittedConsole: the VM's console, in front of the console device (connections layer). Program
// output goes to the device at once (immediate, the default) or, once commit_through(outbox) was
// called (`phantom run --console-commit`), into the outbox, so that it is printed only after the
// snapshot holding the state that printed it has committed: nothing printed is printed again after
// a kill -9. Diagnostics and input always go straight to the device.
#pragma once

#include <atomic>

#include "connections/outbox.h"
#include "vm/vm.h"

namespace phantom::connections {

class CommittedConsole final : public vm::Console {
 public:
  explicit CommittedConsole(vm::Console& device) : device_(device) {}
  void commit_through(Outbox* outbox) { outbox_ = outbox; }
  bool committed() const { return outbox_ != nullptr; }
  void write_output(std::string_view bytes) override {
    if (outbox_) outbox_->append_console(bytes);  // throws vm::OutOfMemory with nothing printed
    else device_.write_output(bytes);
  }
  void write_diagnostic(std::string_view text) override { device_.write_diagnostic(text); }
  int poll_input() override { return device_.poll_input(); }
  void flush() override { device_.flush(); }

 private:
  vm::Console& device_;
  Outbox* outbox_ = nullptr;
};

}  // namespace phantom::connections

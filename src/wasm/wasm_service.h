// WasmService: WebAssembly in a running world (wasm layer, public interface). Owns the world's Engine
// and its host modules (WASI, the "phantom" guest ABI), installs the natives of .internal.wasm, and
// starts WASI commands as VM threads (`phantom start --wasm`, `phantom run --boot-wasm`).
//
// A call from a VM thread runs as a restartable native: each slice runs the wasm call for a budget
// of fuel, then the native returns "blocked" with its thread still runnable, and the scheduler runs it
// again later; between slices everything is in the arena, so a snapshot (or a kill -9 and a restore)
// can fall between any two slices and the call continues where it stopped.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"
#include "vm/vm.h"
#include "wasm/runtime.h"

namespace phantom::connections {
class Hub;
}

namespace phantom::wasm {

class WasiContext;

struct WasmServiceConfig {
  connections::Hub* hub = nullptr;         // the world's connections: WASI's files and committed writes
  std::uint64_t fuel_per_slice = 100'000;  // calls and loop iterations a wasm call runs per VM slice
  EngineLimits limits;
};

// What a WASI command needs to run: the module and its arguments and environment.
struct WasmCommand {
  std::vector<std::uint8_t> module;
  std::string name;                  // for messages and the thread's name (the file name)
  std::vector<std::string> args;     // args[0] is the program name
  std::vector<std::string> env;      // "NAME=value"
};

class WasmService {
 public:
  WasmService(vm::Vm& vm, WasmServiceConfig config);
  ~WasmService();
  WasmService(const WasmService&) = delete;
  WasmService& operator=(const WasmService&) = delete;

  Engine& engine() { return *engine_; }
  const WasmServiceConfig& config() const { return config_; }

  // prepare_wasm_command, then a new VM thread running it; "thread N". With the world held.
  Result<std::string> start_command(const WasmCommand& command);
  // The proc_exit code of the boot thread's command, when it ended in this run (phantom run --boot-wasm).
  std::optional<std::int32_t> boot_exit_code() const { return boot_exit_code_; }
  void set_boot_exit_code(std::int32_t code) { boot_exit_code_ = code; }

 private:
  vm::Vm& vm_;
  WasmServiceConfig config_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<WasiContext> wasi_;
  std::optional<std::int32_t> boot_exit_code_;
};

// A command from a module file: reads it (at most 256 MiB) and makes args[0] its file name.
Result<WasmCommand> read_wasm_command(const std::string& path, const std::vector<std::string>& args,
                                      const std::vector<std::string>& env);

// A new .internal.wasm object holding `command`'s module (validated by `engine`, any engine over
// `vm`), arguments and environment, and the method (wasiInvokeStart) and argument that a thread runs
// to execute it. With the world held; a boot uses it before the service exists (VmOptions::boot_target).
Result<vm::BootTarget> prepare_wasm_command(vm::Vm& vm, Engine& engine, const WasmCommand& command);

// The service a native runs under (the Vm's ext_wasm extension).
inline WasmService& service_of(vm::Vm& vm) { return *static_cast<WasmService*>(vm.extension(vm::Vm::ext_wasm)); }

// wasm_natives.cc
void install_wasm_natives(vm::Vm& vm);

}  // namespace phantom::wasm

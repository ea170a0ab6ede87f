// WasmService: the world's WebAssembly engine, its host modules and WASI commands. See wasm_service.h.
#include "wasm/wasm_service.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "connections/hub.h"
#include "wasm/phantom_abi.h"
#include "wasm/wasi.h"
#include "wasm/wasm_object.h"

namespace phantom::wasm {

WasmService::WasmService(vm::Vm& vm, WasmServiceConfig config)
    : vm_(vm), config_(config), engine_(std::make_unique<Engine>(vm, config.limits)) {
  WasiOptions wasi_options;
  if (config_.hub) wasi_options = wasi_options_of(*config_.hub);
  wasi_ = std::make_unique<WasiContext>(wasi_options);
  engine_->add_host_module(wasi_module(*wasi_));
  engine_->add_host_module(phantom_abi_module());  // the guest ABI, module "env" (phantom_abi.h)
  vm_.set_extension(vm::Vm::ext_wasm, this);
  install_wasm_natives(vm_);
}

WasmService::~WasmService() { vm_.set_extension(vm::Vm::ext_wasm, nullptr); }

Result<vm::BootTarget> prepare_wasm_command(vm::Vm& vm_, Engine& engine, const WasmCommand& command) {
  try {
    Ref object = vm_.new_instance(vm_.internal_class(vm::cid_wasm));
    Ref store = engine.new_store();
    set_wasm_slot(vm_, object, wasm_store, store);
    engine.set_host_state(store, "phantom", object);
    auto module = engine.load_module(store, command.module);
    if (!module.ok()) return make_error(module.error().code, "{}: {}", command.name, module.error().message);
    set_wasm_slot(vm_, object, wasm_module, *module);
    Ref env = vm_.new_array();
    set_wasm_slot(vm_, object, wasm_env, env);
    for (const std::string& e : command.env) {
      Ref s = vm_.new_string(e);
      vm_.array_push(wasm_slot(vm_, object, wasm_env), s);
    }
    Ref argv = vm_.new_array();
    // argv lives in the thread's first frame; until then nothing else holds it: no collection runs
    // before the thread exists (collections run between slices only).
    for (const std::string& a : command.args) {
      Ref s = vm_.new_string(a);
      vm_.array_push(argv, s);
    }
    return vm::BootTarget{object, 10, argv, "wasm " + command.name};
  } catch (const vm::OutOfMemory&) {
    return make_error(Errc::no_space, "{}: the world's heap is full", command.name);
  }
}

Result<std::string> WasmService::start_command(const WasmCommand& command) {
  PHANTOM_ASSIGN(vm::BootTarget target, prepare_wasm_command(vm_, *engine_, command));
  try {
    Ref thread = vm_.start_thread(target.object, target.ordinal, target.arg, target.name);
    if (thread == vm::raw_null) return make_error(Errc::invalid_argument, "{}: .internal.wasm has no method {}", command.name, target.ordinal);
    return fmt::format("thread {}", vm_.thread_data(thread)->id);
  } catch (const vm::OutOfMemory&) {
    return make_error(Errc::no_space, "{}: the world's heap is full", command.name);
  }
}


Result<WasmCommand> read_wasm_command(const std::string& path, const std::vector<std::string>& args,
                                      const std::vector<std::string>& env) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(Errc::not_found, "{}: {}", path, ec.message());
  if (size > (256u << 20)) return make_error(Errc::unsupported, "{}: {} bytes is over the 256 MiB a module may have", path, size);
  std::ifstream file(path, std::ios::binary);
  if (!file) return make_error(Errc::io, "{}: cannot open", path);
  WasmCommand command;
  command.module.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  if (command.module.size() != size) return make_error(Errc::io, "{}: short read", path);
  command.name = std::filesystem::path(path).filename().string();
  command.args.push_back(command.name);
  command.args.insert(command.args.end(), args.begin(), args.end());
  command.env = env;
  return command;
}

}  // namespace phantom::wasm

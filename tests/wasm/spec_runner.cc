// The test-suite script runner (spec_runner.h): one VM world, engine and store per script, the spectest
// module registered in it, then each command in order.
#include "spec_runner.h"

#include <bit>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>

#include <fmt/format.h>

#include "spectest_module.h"
#include "support/vm_world.h"
#include "vm/objects.h"
#include "wasm/runtime.h"

namespace phantom::test {

using nlohmann::json;
using wasm::Cell;
using wasm::Value;
using wasm::ValueType;

namespace {

// The smallest world: a boot class whose method 8 returns at once, so the VM exists and is idle.
constexpr const char* boot_class = ".class .t.boot\n.method run 8\n  arg_count 1\n  summon_null\n  ret\n.end\n";

std::optional<ValueType> value_type(const std::string& name) {
  if (name == "i32") return ValueType::i32;
  if (name == "i64") return ValueType::i64;
  if (name == "f32") return ValueType::f32;
  if (name == "f64") return ValueType::f64;
  if (name == "funcref") return ValueType::funcref;
  if (name == "externref") return ValueType::externref;
  if (name == "v128") return ValueType::v128;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string describe(const Value& value) {
  switch (value.type) {
    case ValueType::i32:
      return fmt::format("i32:{} (0x{:x})", static_cast<std::int32_t>(value.bits), value.bits);
    case ValueType::i64:
      return fmt::format("i64:{} (0x{:x})", static_cast<std::int64_t>(value.bits), value.bits);
    case ValueType::f32:
      return fmt::format("f32:0x{:08x} ({})", value.bits & 0xffffffffu,
                         std::bit_cast<float>(static_cast<std::uint32_t>(value.bits)));
    case ValueType::f64:
      return fmt::format("f64:0x{:016x} ({})", value.bits, std::bit_cast<double>(value.bits));
    case ValueType::funcref:
      return value.bits == 0 ? "funcref:null" : fmt::format("funcref:#{}", value.bits - 1);
    case ValueType::externref:
      return value.bits == 0 ? "externref:null" : fmt::format("externref:{}", value.bits - 1);
    default:
      return fmt::format("{}:0x{:x}", wasm::value_type_name(value.type), value.bits);
  }
}

std::string describe_values(const std::vector<Value>& values) {
  std::string out = "(";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + describe(values[i]);
  return out + ")";
}

// A value of the script ({"type": "i32", "value": "4294967295"}): integers as unsigned decimal, floats
// as the decimal of their bits, references "null" or a number. `ref.extern N` is the cell N + 1 (0 is
// null, runtime.h).
Result<Value> script_value(const json& item) {
  const std::string type_name = item.value("type", "");
  std::optional<ValueType> type = value_type(type_name);
  if (!type) return make_error(Errc::unsupported, "value type '{}'", type_name);
  if (*type == ValueType::v128) return make_error(Errc::unsupported, "v128 values (SIMD is out of scope)");
  const std::string text = item.value("value", "");
  Value value{*type, 0};
  if (wasm::is_reference(*type)) {
    if (text == "null") return value;
    std::optional<std::uint64_t> n = parse_u64(text);
    if (!n) return make_error(Errc::invalid_argument, "reference value '{}'", text);
    value.bits = *n + 1;
    return value;
  }
  std::optional<std::uint64_t> n = parse_u64(text);
  if (!n) return make_error(Errc::invalid_argument, "{} value '{}'", type_name, text);
  value.bits = (*type == ValueType::i32 || *type == ValueType::f32) ? (*n & 0xffffffffu) : *n;
  return value;
}

// Whether `got` is what `expected` (a script value or NaN pattern) asks for; "" when it is, else why not.
std::string mismatch(const json& expected, const Value& got) {
  const std::string type_name = expected.value("type", "");
  std::optional<ValueType> type = value_type(type_name);
  if (!type) return "an expected value of unknown type '" + type_name + "'";
  const std::string text = expected.value("value", "");
  const std::string wanted = type_name + ":" + text;
  if (got.type != *type) return "expected " + wanted + ", got " + describe(got);
  if (text == "nan:canonical" || text == "nan:arithmetic") {
    const bool canonical = text == "nan:canonical";
    bool ok = false;
    if (*type == ValueType::f32) {
      const std::uint32_t bits = static_cast<std::uint32_t>(got.bits) & 0x7fffffffu;
      ok = canonical ? bits == 0x7fc00000u : (bits & 0x7fc00000u) == 0x7fc00000u;
    } else if (*type == ValueType::f64) {
      const std::uint64_t bits = got.bits & 0x7fffffffffffffffull;
      ok = canonical ? bits == 0x7ff8000000000000ull : (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    }
    return ok ? "" : "expected " + wanted + ", got " + describe(got);
  }
  // wabt writes a non-null funcref only as "any function"; the suite compares none by identity.
  if (*type == ValueType::funcref && text != "null") return got.bits != 0 ? "" : "expected a function, got funcref:null";
  Result<Value> want = script_value(expected);
  if (!want.ok()) return "cannot read the expected value: " + want.error().message;
  // i32 cells are zero-extended (runtime.h), so the whole cell is compared; an f32 only by its low half.
  const Cell got_bits = *type == ValueType::f32 ? (got.bits & 0xffffffffu) : got.bits;
  if (got_bits != want->bits) return "expected " + describe(*want) + ", got " + describe(got);
  return "";
}

// Keeps the store and every instance the script may still name reachable from the world's root
// directory, so that a collection between commands frees only finished calls and dead objects. A call
// takes its whole value stack and frame area up front (runtime.h: 2 MiB and more), so a script of
// thousands of invocations needs collections like any long-running world.
class ArenaKeeper {
 public:
  static constexpr std::uint64_t collect_after_bytes = 256u << 20;

  static Result<ArenaKeeper> make(vm::Vm& vm) {
    const vm::Ref dir = vm.root_slot(vm::root_directory);
    if (!vm.is_a(dir, vm::cid_directory)) return make_error(Errc::failed_state, "the world has no root directory");
    const vm::Ref held = vm.new_array();
    vm.dir_put(dir, vm.new_string("wasm-spec-runner"), held, /*replace=*/true);
    return ArenaKeeper(vm, held);
  }
  void keep(vm::Ref object) {
    if (object != vm::raw_null) vm_->array_push(held_, object);
  }
  // Between commands (nothing of a call is held then): collects once enough has been allocated.
  void maybe_collect() {
    if (vm_->heap().header()->allocated_since_gc > collect_after_bytes) vm_->collect_garbage();
  }

 private:
  ArenaKeeper(vm::Vm& vm, vm::Ref held) : vm_(&vm), held_(held) {}
  vm::Vm* vm_;
  vm::Ref held_;
};

enum class Verdict { pass, fail, skip };
struct Outcome {
  Verdict verdict = Verdict::pass;
  std::string text;  // fail: what went wrong; skip: the reason
};
Outcome pass() { return {Verdict::pass, ""}; }
Outcome fail(std::string text) { return {Verdict::fail, std::move(text)}; }
Outcome skip(std::string reason) { return {Verdict::skip, std::move(reason)}; }

// A module as a script command sees it: loaded, linked, started, or where it stopped.
struct Instantiation {
  enum Stage { load_failed, link_failed, start_failed, ready } stage = load_failed;
  Errc code = Errc::io;  // load_failed: the error's code
  std::string message;   // the error, or the start function's trap message
  vm::Ref instance = vm::raw_null;
};

class ScriptRun {
 public:
  ScriptRun(wasm::Engine& engine, ArenaKeeper& keeper, vm::Ref store, const WastScript& script,
            const SpecOptions& options, SpecReport& report)
      : engine_(engine), keeper_(keeper), store_(store), script_(script), options_(options), report_(report) {}

  void run_all() {
    for (const json& command : script_.commands()) {
      std::string type = "?";
      int line = 0;
      Outcome outcome;
      try {
        keeper_.maybe_collect();
        type = command.value("type", "");
        line = command.value("line", 0);
        outcome = run_command(type, command);
      } catch (const vm::OutOfMemory&) {
        outcome = fail("the arena ran out of memory");
      } catch (const std::exception& e) {  // a JSON field of an unexpected type, ...
        outcome = fail(std::string("exception: ") + e.what());
      }
      record(type, line, outcome);
    }
  }

 private:
  void record(const std::string& type, int line, const Outcome& outcome) {
    switch (outcome.verdict) {
      case Verdict::pass: ++report_.passed; break;
      case Verdict::skip:
        ++report_.skipped;
        ++report_.skip_reasons[outcome.text];
        break;
      case Verdict::fail:
        ++report_.failed;
        report_.failures.push_back({line, type, outcome.text});
        break;
    }
  }

  Outcome run_command(const std::string& type, const json& command) {
    if (type == "module") return module_command(command);
    if (type == "register") return register_command(command);
    if (type == "action") return action_command(command);
    if (type == "assert_return") return assert_return(command);
    if (type == "assert_trap" || type == "assert_exhaustion") return assert_trap(command);
    if (type == "assert_invalid") return assert_rejected(command, Errc::invalid_argument, "invalid");
    if (type == "assert_malformed") return assert_rejected(command, Errc::corrupt, "malformed");
    if (type == "assert_unlinkable") return assert_unlinkable(command);
    if (type == "assert_uninstantiable") return assert_uninstantiable(command);
    return fail("unknown command type '" + type + "'");
  }

  // ---- modules ----

  Instantiation instantiate(const json& command) {
    Instantiation result;
    const std::optional<std::vector<std::uint8_t>> bytes = script_.module_bytes(command.value("filename", ""));
    if (!bytes) {
      result.message = "cannot read module file '" + command.value("filename", "") + "'";
      return result;
    }
    Result<vm::Ref> module = engine_.load_module(store_, *bytes);
    if (!module.ok()) {
      result.code = module.error().code;
      result.message = module.error().message;
      return result;
    }
    Result<vm::Ref> instance = engine_.instantiate(store_, *module);
    if (!instance.ok()) {
      result.stage = Instantiation::link_failed;
      result.message = instance.error().message;
      return result;
    }
    Result<vm::Ref> start = engine_.begin_start(*instance);
    if (!start.ok()) {
      result.stage = Instantiation::start_failed;
      result.message = "begin_start: " + start.error().message;
      return result;
    }
    if (*start != vm::raw_null) {
      Result<wasm::CallOutcome> outcome = finish(*start);
      if (!outcome.ok() || outcome->status != wasm::CallOutcome::finished) {
        result.stage = Instantiation::start_failed;
        result.message = !outcome.ok() ? outcome.error().message : outcome->trap_message;
        return result;
      }
    }
    result.stage = Instantiation::ready;
    result.instance = *instance;
    keeper_.keep(*instance);
    return result;
  }

  Outcome module_command(const json& command) {
    Instantiation made = instantiate(command);
    // A module that failed leaves no current module: the commands after it fail rather than run
    // against an older one.
    current_ = made.instance;
    if (command.contains("name")) named_[command.value("name", "")] = made.instance;
    switch (made.stage) {
      case Instantiation::load_failed: return fail("module rejected: " + made.message);
      case Instantiation::link_failed: return fail("module does not link: " + made.message);
      case Instantiation::start_failed: return fail("start function failed: " + made.message);
      case Instantiation::ready: return pass();
    }
    return pass();
  }

  Outcome register_command(const json& command) {
    std::optional<vm::Ref> instance = find_instance(command.value("name", ""));
    if (!instance) return fail("no module '" + command.value("name", "") + "' to register");
    engine_.register_instance(store_, command.value("as", ""), *instance);
    return pass();
  }

  std::optional<vm::Ref> find_instance(const std::string& name) {
    vm::Ref instance = current_;
    if (!name.empty()) {
      auto it = named_.find(name);
      instance = it == named_.end() ? vm::raw_null : it->second;
    }
    if (instance == vm::raw_null) return std::nullopt;
    return instance;
  }

  // ---- actions ----

  // Runs a call to its end: a call that yields is run again (each run() gets `fuel_per_run`), until the
  // time for a command is up.
  Result<wasm::CallOutcome> finish(vm::Ref call) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              std::chrono::duration<double>(options_.seconds_per_command));
    while (true) {
      wasm::CallOutcome outcome = engine_.run(call, options_.fuel_per_run);
      switch (outcome.status) {
        case wasm::CallOutcome::finished:
        case wasm::CallOutcome::trapped: return outcome;
        case wasm::CallOutcome::blocked: return make_error(Errc::failed_state, "the call blocked (nothing here blocks)");
        case wasm::CallOutcome::exited:
          return make_error(Errc::failed_state, "the call exited with code {}", outcome.exit_code);
        case wasm::CallOutcome::yielded: break;
      }
      if (std::chrono::steady_clock::now() > deadline)
        return make_error(Errc::failed_state, "the call was still running after {} s", options_.seconds_per_command);
    }
  }

  // An invoke or get: its outcome (results, or the trap), or an error when it could not be made at all
  // (no such module or export, bad arguments, a hang).
  Result<wasm::CallOutcome> perform(const json& action) {
    const std::string field = action.value("field", "");
    std::optional<vm::Ref> instance = find_instance(action.value("module", ""));
    if (!instance) return make_error(Errc::not_found, "no module '{}' (it failed or was never defined)", action.value("module", ""));
    std::optional<wasm::ExportTarget> target = engine_.find_export(*instance, field);
    if (!target) return make_error(Errc::not_found, "no export \"{}\"", field);
    const std::string kind = action.value("type", "");
    if (kind == "get") {
      if (target->kind != wasm::ExternalKind::global) return make_error(Errc::invalid_argument, "export \"{}\" is no global", field);
      Result<Value> value = engine_.global_value(*instance, target->index);
      if (!value.ok()) return value.take_error();
      wasm::CallOutcome outcome;
      outcome.results.push_back(*value);
      return outcome;
    }
    if (kind != "invoke") return make_error(Errc::unsupported, "action type '{}'", kind);
    if (target->kind != wasm::ExternalKind::function) return make_error(Errc::invalid_argument, "export \"{}\" is no function", field);
    std::vector<Value> args;
    for (const json& arg : action.value("args", json::array())) {
      Result<Value> value = script_value(arg);
      if (!value.ok()) return value.take_error();
      args.push_back(*value);
    }
    Result<vm::Ref> call = engine_.begin_call(*instance, target->index, args);
    if (!call.ok()) return make_error(call.error().code, "begin_call \"{}\": {}", field, call.error().message);
    return finish(*call);
  }

  static std::string invocation(const json& action) {
    std::string text = action.value("field", "");
    if (action.value("type", "") == "get") return "get \"" + text + "\"";
    text = "\"" + text + "\"(";
    bool first = true;
    for (const json& arg : action.value("args", json::array())) {
      text += (first ? "" : ", ") + arg.value("type", "") + ":" + arg.value("value", "");
      first = false;
    }
    return text + ")";
  }

  Outcome action_command(const json& command) {
    const json action = command.value("action", json::object());
    Result<wasm::CallOutcome> outcome = perform(action);
    if (!outcome.ok()) return fail(invocation(action) + ": " + outcome.error().message);
    if (outcome->status == wasm::CallOutcome::trapped) return fail(invocation(action) + " trapped: " + outcome->trap);
    return pass();
  }

  Outcome assert_return(const json& command) {
    const json action = command.value("action", json::object());
    Result<wasm::CallOutcome> outcome = perform(action);
    if (!outcome.ok()) return fail(invocation(action) + ": " + outcome.error().message);
    if (outcome->status == wasm::CallOutcome::trapped)
      return fail(invocation(action) + " trapped: " + outcome->trap);
    const json expected = command.value("expected", json::array());
    const std::vector<Value>& results = outcome->results;
    if (results.size() != expected.size())
      return fail(fmt::format("{}: expected {} result(s), got {}", invocation(action), expected.size(),
                              describe_values(results)));
    for (std::size_t i = 0; i < results.size(); ++i) {
      const std::string why = mismatch(expected[i], results[i]);
      if (!why.empty()) return fail(fmt::format("{}: result {}: {}", invocation(action), i, why));
    }
    return pass();
  }

  Outcome assert_trap(const json& command) {
    const json action = command.value("action", json::object());
    const std::string text = command.value("text", "");
    Result<wasm::CallOutcome> outcome = perform(action);
    if (!outcome.ok()) return fail(invocation(action) + ": " + outcome.error().message);
    if (outcome->status != wasm::CallOutcome::trapped)
      return fail(fmt::format("{}: expected trap \"{}\", got {}", invocation(action), text, describe_values(outcome->results)));
    if (outcome->trap_message.find(text) == std::string::npos)
      return fail(fmt::format("{}: expected trap \"{}\", got trap \"{}\"", invocation(action), text, outcome->trap));
    return pass();
  }

  Outcome assert_rejected(const json& command, Errc code, const char* what) {
    if (command.value("module_type", "") != "binary")
      return skip("assert_" + std::string(what) + " of a text module (wast2json cannot produce the module)");
    const std::string text = command.value("text", "");
    const std::optional<std::vector<std::uint8_t>> bytes = script_.module_bytes(command.value("filename", ""));
    if (!bytes) return fail("cannot read module file '" + command.value("filename", "") + "'");
    Result<vm::Ref> module = engine_.load_module(store_, *bytes);
    if (module.ok()) return fail(fmt::format("{} module (\"{}\") was accepted", what, text));
    const Error& error = module.error();
    if (error.code != code)
      return fail(fmt::format("{} module (\"{}\") rejected as {} (expected {}): {}", what, text, errc_name(error.code),
                              errc_name(code), error.message));
    if (error.message.find(text) == std::string::npos) {
      ++report_.other_message;
      if (report_.other_message_examples.size() < 5)
        report_.other_message_examples.push_back(fmt::format("line {}: expected \"{}\", said \"{}\"",
                                                             command.value("line", 0), text, error.message));
    }
    return pass();
  }

  Outcome assert_unlinkable(const json& command) {
    const std::string text = command.value("text", "");
    Instantiation made = instantiate(command);
    switch (made.stage) {
      case Instantiation::load_failed: return fail("module rejected before linking: " + made.message);
      case Instantiation::ready: return fail(fmt::format("module linked (expected \"{}\")", text));
      case Instantiation::start_failed: return fail(fmt::format("module linked (expected \"{}\"), then its start failed: {}", text, made.message));
      case Instantiation::link_failed:
        if (made.message.find(text) == std::string::npos)
          return fail(fmt::format("expected link error \"{}\", got \"{}\"", text, made.message));
        return pass();
    }
    return pass();
  }

  Outcome assert_uninstantiable(const json& command) {
    const std::string text = command.value("text", "");
    Instantiation made = instantiate(command);
    switch (made.stage) {
      case Instantiation::load_failed: return fail("module rejected before instantiation: " + made.message);
      case Instantiation::ready: return fail(fmt::format("module instantiated (expected \"{}\")", text));
      case Instantiation::link_failed:
      case Instantiation::start_failed:
        if (made.message.find(text) == std::string::npos)
          return fail(fmt::format("expected \"{}\", got \"{}\"", text, made.message));
        return pass();
    }
    return pass();
  }

  wasm::Engine& engine_;
  ArenaKeeper& keeper_;
  vm::Ref store_;
  const WastScript& script_;
  const SpecOptions& options_;
  SpecReport& report_;
  vm::Ref current_ = vm::raw_null;
  std::map<std::string, vm::Ref> named_;
};

}  // namespace

Result<SpecReport> run_spec_script(const WastScript& script, const SpecOptions& options) {
  VmWorld world(options.arena_bytes);
  if (std::string error = world.add_class(boot_class); !error.empty())
    return make_error(Errc::invalid_argument, "boot class: {}", error);
  RunResult booted = world.boot_and_run(".t.boot");
  if (booted.exit_code != 0) return make_error(Errc::failed_state, "the VM did not boot: {}", booted.diag);
  try {
    wasm::Engine engine(world.machine());
    engine.add_host_module(spectest_host_module());
    Result<ArenaKeeper> keeper = ArenaKeeper::make(world.machine());
    if (!keeper.ok()) return keeper.take_error();
    const vm::Ref store = engine.new_store();
    keeper->keep(store);
    const std::vector<std::uint8_t> spectest = spectest_module_bytes();
    Result<vm::Ref> module = engine.load_module(store, spectest);
    if (!module.ok()) return make_error(module.error().code, "the spectest module: {}", module.error().message);
    Result<vm::Ref> instance = engine.instantiate(store, *module);
    if (!instance.ok()) return make_error(instance.error().code, "the spectest module: {}", instance.error().message);
    engine.register_instance(store, "spectest", *instance);
    keeper->keep(*instance);
    SpecReport report;
    ScriptRun(engine, *keeper, store, script, options, report).run_all();
    return report;
  } catch (const vm::OutOfMemory&) {
    return make_error(Errc::no_space, "the arena ran out of memory while setting up the store");
  }
}

}  // namespace phantom::test

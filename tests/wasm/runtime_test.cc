// The WebAssembly runtime end to end over an in-memory world: instantiation, calls, traps, and calls
// that stop at a resume point and continue under a fresh engine (empty host caches, as after a restart).
#include <gtest/gtest.h>

#include "wasm/wasm_world.h"

namespace phantom::test {
namespace {

using wasm::CallOutcome;
using wasm::Value;
using wasm::ValueType;

struct Instance {
  vm::Ref store = vm::raw_null, instance = vm::raw_null;
};

Instance instantiate(WasmWorld& w, const std::string& text) {
  Instance out;
  out.store = w.engine().new_store();
  auto module = w.engine().load_module(out.store, wat(text));
  if (!module.ok()) {
    ADD_FAILURE() << module.error().message;
    return out;
  }
  auto instance = w.engine().instantiate(out.store, *module);
  if (!instance.ok()) {
    ADD_FAILURE() << instance.error().message;
    return out;
  }
  out.instance = *instance;
  return out;
}

CallOutcome call(WasmWorld& w, vm::Ref instance, const std::string& name, std::vector<Value> args, std::uint64_t fuel = 1'000'000,
                 int* runs = nullptr, bool restart_between = false) {
  auto e = w.engine().find_export(instance, name);
  EXPECT_TRUE(e.has_value()) << name;
  auto c = w.engine().begin_call(instance, e->index, args);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  vm::Ref handle = *c;
  CallOutcome out;
  int n = 0;
  do {
    if (restart_between && n > 0) w.restart_engine();
    out = w.engine().run(handle, fuel);
    ++n;
  } while (out.status == CallOutcome::yielded);
  if (runs) *runs = n;
  return out;
}

Value i32(std::int32_t v) { return {ValueType::i32, static_cast<std::uint32_t>(v)}; }
Value i64(std::int64_t v) { return {ValueType::i64, static_cast<std::uint64_t>(v)}; }

const char* fib_module = R"((module
  (func $fib (export "fib") (param i32) (result i64)
    (if (result i64) (i32.lt_u (local.get 0) (i32.const 2))
      (then (i64.extend_i32_u (local.get 0)))
      (else (i64.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func (export "sum") (param i32) (result i64) (local i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get 0)))
      (local.set 1 (i64.add (local.get 1) (i64.extend_i32_u (local.get 0))))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $next)))
    (local.get 1)))
)";

TEST(WasmRuntime, RecursionAndLoopsGiveTheRightResults) {
  WasmWorld w;
  Instance m = instantiate(w, fib_module);
  CallOutcome r = call(w, m.instance, "fib", {i32(20)});
  ASSERT_EQ(r.status, CallOutcome::finished) << r.trap;
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(r.results[0].bits, 6765u);
  r = call(w, m.instance, "sum", {i32(100000)});
  ASSERT_EQ(r.status, CallOutcome::finished) << r.trap;
  EXPECT_EQ(r.results[0].bits, 5000050000u);
}

TEST(WasmRuntime, ACallStoppedAtEveryResumePointFinishesUnderFreshEngines) {
  WasmWorld w;
  Instance m = instantiate(w, fib_module);
  int runs = 0;
  CallOutcome r = call(w, m.instance, "fib", {i32(15)}, 7, &runs, true);
  ASSERT_EQ(r.status, CallOutcome::finished) << r.trap;
  EXPECT_EQ(r.results[0].bits, 610u);
  EXPECT_GT(runs, 100);
  r = call(w, m.instance, "sum", {i32(1000)}, 3, &runs, true);
  ASSERT_EQ(r.status, CallOutcome::finished) << r.trap;
  EXPECT_EQ(r.results[0].bits, 500500u);
  EXPECT_GT(runs, 300);
}

TEST(WasmRuntime, TrapsNameTheFunctionAndOffset) {
  WasmWorld w;
  Instance m = instantiate(w, R"((module
    (memory 1)
    (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
    (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
    (func $deep (export "deep") (param i32) (result i32) (call $deep (i32.add (local.get 0) (i32.const 1))))))");
  CallOutcome r = call(w, m.instance, "div", {i32(1), i32(0)});
  ASSERT_EQ(r.status, CallOutcome::trapped);
  EXPECT_EQ(r.trap_message, "integer divide by zero");
  EXPECT_NE(r.trap.find("in function div"), std::string::npos) << r.trap;
  EXPECT_NE(r.trap.find("at offset 0x"), std::string::npos) << r.trap;
  r = call(w, m.instance, "div", {i32(INT32_MIN), i32(-1)});
  EXPECT_EQ(r.trap_message, "integer overflow");
  r = call(w, m.instance, "load", {i32(65533)});
  EXPECT_EQ(r.trap_message, "out of bounds memory access");
  r = call(w, m.instance, "load", {i32(65532)});
  EXPECT_EQ(r.status, CallOutcome::finished);
  r = call(w, m.instance, "deep", {i32(0)});
  EXPECT_EQ(r.trap_message, "call stack exhausted");
}

TEST(WasmRuntime, MemoryGlobalsTablesAndIndirectCalls) {
  WasmWorld w;
  Instance m = instantiate(w, R"((module
    (memory 1 4)
    (global $g (mut i32) (i32.const 5))
    (table 3 funcref)
    (elem (i32.const 0) $one $two)
    (type $t (func (result i32)))
    (func $one (result i32) (i32.const 1))
    (func $two (result i32) (i32.const 2))
    (func (export "indirect") (param i32) (result i32) (call_indirect (type $t) (local.get 0)))
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "store_load") (param i32 i64) (result i64)
      (i64.store offset=8 (local.get 0) (local.get 1)) (i64.load offset=8 (local.get 0)))
    (func (export "bump") (result i32) (global.set $g (i32.add (global.get $g) (i32.const 1))) (global.get $g))
    (data (i32.const 100) "hello")))");
  EXPECT_EQ(call(w, m.instance, "indirect", {i32(1)}).results.at(0).bits, 2u);
  EXPECT_EQ(call(w, m.instance, "indirect", {i32(2)}).trap_message, "uninitialized element 2");
  EXPECT_EQ(call(w, m.instance, "indirect", {i32(3)}).trap_message, "undefined element 3");
  EXPECT_EQ(call(w, m.instance, "grow", {i32(2)}).results.at(0).bits, 1u);
  EXPECT_EQ(call(w, m.instance, "grow", {i32(2)}).results.at(0).bits, 0xffffffffu);
  EXPECT_EQ(w.engine().memory(m.instance).size(), 3u * 65536);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(w.engine().memory(m.instance).data()) + 100, 5), "hello");
  EXPECT_EQ(call(w, m.instance, "store_load", {i32(3 * 65536 - 16), i64(-7)}).results.at(0).bits, static_cast<std::uint64_t>(-7));
  EXPECT_EQ(call(w, m.instance, "bump", {}).results.at(0).bits, 6u);
  EXPECT_EQ(call(w, m.instance, "bump", {}).results.at(0).bits, 7u);
}

}  // namespace
}  // namespace phantom::test

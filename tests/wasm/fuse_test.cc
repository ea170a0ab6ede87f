// Superinstructions (src/wasm/fuse.h): which runs become one op, that a branch never lands inside a
// fused run, and that resume points and trap offsets are those of the wasm instructions. The official
// suite (testsuite_test.cc) checks the semantics of every fused op against the spec's results.
#include <gtest/gtest.h>

#include "wasm/compiler.h"
#include "wasm/decoder.h"
#include "wasm/wasm_world.h"

namespace phantom::test {
namespace {

using wasm::CallOutcome;
using wasm::Value;
using wasm::ValueType;

// The listing of the first function of a module, after fusion.
std::string listing(const std::string& text) {
  std::vector<std::uint8_t> bytes = wat(text);
  auto module = wasm::decode_module(bytes);
  EXPECT_TRUE(module.ok());
  if (!module.ok()) return {};
  auto compiled = wasm::compile_module(*module, bytes);
  EXPECT_TRUE(compiled.ok()) << (compiled.ok() ? "" : compiled.error().message);
  if (!compiled.ok()) return {};
  return wasm::disassemble(compiled->functions[0]);
}

std::size_t ops(const std::string& listing) { return static_cast<std::size_t>(std::count(listing.begin(), listing.end(), '\n')); }

TEST(WasmFuse, CommonRunsBecomeOneOp) {
  // local.get, local.get, i32.add, local.set: one op naming locals 0, 1 and 2.
  std::string add = listing("(module (func (param i32 i32) (local i32) (local.set 2 (i32.add (local.get 0) (local.get 1)))))");
  EXPECT_NE(add.find("i32_add_rr 2 0 1 3"), std::string::npos) << add;
  EXPECT_EQ(ops(add), 2u) << add;  // and the return
  // A comparison with a constant that feeds br_if.
  std::string loop = listing(R"((module (func (param i32)
    (loop $again (br_if $again (i32.lt_u (local.get 0) (i32.const 10)))))))");
  EXPECT_NE(loop.find("i32_lt_u_br_rc"), std::string::npos) << loop;
  // A load from a local into a local, and a store of a constant.
  std::string memory = listing(R"((module (memory 1) (func (param i32) (local i64)
    (local.set 1 (i64.load offset=8 (local.get 0)))
    (i32.store8 (local.get 0) (i32.const 1)))))");
  EXPECT_NE(memory.find("i64_load_r 1 0 8 2"), std::string::npos) << memory;
  EXPECT_NE(memory.find("i32_store8_rc 0 1 0 2"), std::string::npos) << memory;
  EXPECT_EQ(ops(memory), 3u) << memory;
}

TEST(WasmFuse, AResumePointIsNeverFused) {
  std::string text = listing(R"((module (func $f (param i32) (result i32) (local.get 0))
    (func (param i32) (result i32) (call $f (local.get 0)))))");
  EXPECT_EQ(text.find("call"), std::string::npos) << "the first function has no call: " << text;
  std::vector<std::uint8_t> bytes = wat(R"((module (func $f (param i32) (result i32) (local.get 0))
    (func (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1)))))");
  auto module = wasm::decode_module(bytes);
  ASSERT_TRUE(module.ok());
  auto compiled = wasm::compile_module(*module, bytes);
  ASSERT_TRUE(compiled.ok());
  std::string second = wasm::disassemble(compiled->functions[1]);
  EXPECT_NE(second.find(" call 0"), std::string::npos) << second;
  EXPECT_NE(second.find("i32_add_rc"), std::string::npos) << second;  // after the call, its own op
}

// `local.get 2` and `i32.add` would fuse, but br_if lands on the add with another value: the add must
// stay an op of its own, reading both operands from the stack.
TEST(WasmFuse, NoBranchLandsInsideAFusedRun) {
  WasmWorld w;
  vm::Ref store = w.engine().new_store();
  auto module = w.engine().load_module(store, wat(R"((module
    (func (export "f") (param i32 i32 i32) (result i32)
      (i32.add (local.get 0)
               (block (result i32)
                 (drop (br_if 0 (i32.const 5) (local.get 1)))
                 (local.get 2))))))"));
  ASSERT_TRUE(module.ok()) << module.error().message;
  auto instance = w.engine().instantiate(store, *module);
  ASSERT_TRUE(instance.ok());
  auto f = w.engine().find_export(*instance, "f");
  ASSERT_TRUE(f.has_value());
  auto run = [&](std::uint32_t a, std::uint32_t b, std::uint32_t c) {
    std::vector<Value> args = {Value{ValueType::i32, a}, Value{ValueType::i32, b}, Value{ValueType::i32, c}};
    auto handle = w.engine().begin_call(*instance, f->index, args);
    EXPECT_TRUE(handle.ok());
    CallOutcome out = w.engine().run(*handle, 1000);
    EXPECT_EQ(out.status, CallOutcome::finished) << out.trap;
    return out.results.empty() ? ~0ull : out.results[0].bits;
  };
  EXPECT_EQ(run(100, 1, 7), 105u);  // taken: the block gives 5
  EXPECT_EQ(run(100, 0, 7), 107u);  // not taken: the block gives local 2
}

TEST(WasmFuse, AFusedLoadTrapsAtTheLoadsOffset) {
  std::string text = listing("(module (memory 1) (func (param i32) (result i32) (i32.load (local.get 0))))");
  // The run starts with local.get; its op carries the offset of the load, the instruction that traps.
  std::vector<std::uint8_t> bytes = wat("(module (memory 1) (func (param i32) (result i32) (i32.load (local.get 0))))");
  auto module = wasm::decode_module(bytes);
  ASSERT_TRUE(module.ok());
  std::uint32_t body = module->codes[0].code.offset;
  // The instructions: local.get 0 (0x20 0x00), then i32.load two bytes further.
  EXPECT_NE(text.find(fmt::format("@{:#06x} i32_load_r", body + 2)), std::string::npos) << text;
}

}  // namespace
}  // namespace phantom::test

// Tests of the WebAssembly decoder (wasm/decoder.h): hand-built modules for every section kind, every
// error path with its message, lying counts and oversized LEB128, truncation at every byte, and the
// assert_malformed modules of the official test suite.
#include "wasm/decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "wasm/binary_reader.h"
#include "wasm_test_bytes.h"

namespace phantom::wasm {
namespace {

using namespace test_bytes;

// Decodes `bytes`, expecting success.
Module decoded(const Bytes& bytes) {
  Result<Module> result = decode_module(bytes);
  if (!result.ok()) {
    ADD_FAILURE() << result.error().message;
    return Module{};
  }
  return std::move(result.value());
}

// Decodes `bytes`, expecting failure; returns the message.
std::string failure(const Bytes& bytes, const DecoderLimits& limits = {}) {
  Result<Module> result = decode_module(bytes, limits);
  if (result.ok()) {
    ADD_FAILURE() << "decoded, but should have been rejected";
    return "";
  }
  return result.error().message;
}

#define EXPECT_REJECTED(bytes, fragment) EXPECT_PRED_FORMAT2(::testing::IsSubstring, fragment, failure(bytes))

// --- Sections -----------------------------------------------------------------------------------------

TEST(WasmDecoder, EmptyModule) {
  Module m = decoded(module({}));
  EXPECT_TRUE(m.types.empty());
  EXPECT_TRUE(m.codes.empty());
  EXPECT_FALSE(m.start);
}

TEST(WasmDecoder, TypeSection) {
  Module m = decoded(module({section(1, vec({func_type({i32, i64}, {f32}), func_type({}, {}),
                                            func_type({v128, funcref, externref}, {f64, i32})}))}));
  ASSERT_EQ(m.types.size(), 3u);
  EXPECT_EQ(m.types[0].params, (std::vector<ValueType>{ValueType::i32, ValueType::i64}));
  EXPECT_EQ(m.types[0].results, (std::vector<ValueType>{ValueType::f32}));
  EXPECT_TRUE(m.types[1].params.empty());
  EXPECT_EQ(m.types[2].params[2], ValueType::externref);
  EXPECT_EQ(m.types[2].results[0], ValueType::f64);
}

TEST(WasmDecoder, ImportSection) {
  Bytes imports = vec({name("env") + name("f") + Bytes{0x00} + leb(0),
                       name("env") + name("t") + Bytes{0x01, funcref, 0x01} + leb(1) + leb(10),
                       name("env") + name("m") + Bytes{0x02, 0x00} + leb(2),
                       name("env") + name("g") + Bytes{0x03, i64, 0x01}});
  Module m = decoded(module({section(1, vec({func_type({}, {})})), section(2, imports)}));
  ASSERT_EQ(m.imports.size(), 4u);
  EXPECT_EQ(m.imports[0].module, "env");
  EXPECT_EQ(m.imports[0].name, "f");
  EXPECT_EQ(m.imports[0].kind, ExternalKind::function);
  EXPECT_EQ(m.imports[1].kind, ExternalKind::table);
  EXPECT_EQ(m.imports[1].table.limits.min, 1u);
  EXPECT_EQ(m.imports[1].table.limits.max, 10u);
  EXPECT_EQ(m.imports[2].memory.limits.min, 2u);
  EXPECT_FALSE(m.imports[2].memory.limits.max);
  EXPECT_EQ(m.imports[3].global.type, ValueType::i64);
  EXPECT_TRUE(m.imports[3].global.is_mutable);
}

TEST(WasmDecoder, FunctionsAndCode) {
  Bytes body = vec({leb(2) + Bytes{i32}, leb(3) + Bytes{f64}}) + Bytes{0x20, 0x00, 0x0b};  // local.get 0; end
  Bytes bytes = module({section(1, vec({func_type({i32}, {i32})})), section(3, vec({leb(0), leb(0)})),
                        section(10, vec({sized(body), sized(Bytes{0x00, 0x0b})}))});
  Module m = decoded(bytes);
  ASSERT_EQ(m.functions.size(), 2u);
  ASSERT_EQ(m.codes.size(), 2u);
  EXPECT_EQ(m.codes[0].locals.size(), 2u);
  EXPECT_EQ(m.codes[0].local_count, 5u);
  EXPECT_EQ(m.codes[0].locals[1].type, ValueType::f64);
  ASSERT_EQ(m.codes[0].code.size, 3u);
  EXPECT_EQ(bytes[m.codes[0].code.offset], 0x20);
  EXPECT_EQ(bytes[m.codes[0].code.end() - 1], 0x0b);
  EXPECT_EQ(m.codes[1].code.size, 1u);
}

TEST(WasmDecoder, TablesMemoriesAndLimits) {
  Module m = decoded(module({section(4, vec({Bytes{funcref, 0x00} + leb(3), Bytes{externref, 0x01} + leb(0) + leb(0)})),
                             section(5, vec({Bytes{0x01} + leb(1) + leb(65536)}))}));
  ASSERT_EQ(m.tables.size(), 2u);
  EXPECT_EQ(m.tables[0].element, ValueType::funcref);
  EXPECT_EQ(m.tables[0].limits.min, 3u);
  EXPECT_EQ(m.tables[1].element, ValueType::externref);
  EXPECT_EQ(m.tables[1].limits.max, 0u);
  ASSERT_EQ(m.memories.size(), 1u);
  EXPECT_EQ(m.memories[0].limits.max, 65536u);
}

TEST(WasmDecoder, GlobalsWithEveryConstantInstruction) {
  Bytes v128_const = Bytes{0xfd} + leb(12);
  for (int i = 0; i < 16; ++i) v128_const.push_back(static_cast<std::uint8_t>(i));
  Bytes globals = vec({Bytes{i32, 0x00, 0x41} + sleb(-1) + end(),
                       Bytes{i64, 0x01, 0x42} + sleb(INT64_MIN) + end(),
                       Bytes{f32, 0x00, 0x43, 0x00, 0x00, 0x80, 0x3f} + end(),
                       Bytes{f64, 0x00, 0x44, 1, 2, 3, 4, 5, 6, 7, 8} + end(),
                       Bytes{i32, 0x00, 0x23} + leb(0) + end(),
                       Bytes{externref, 0x00, 0xd0, externref} + end(),
                       Bytes{funcref, 0x00, 0xd2} + leb(7) + end(),
                       Bytes{v128, 0x00} + v128_const + end()});
  Module m = decoded(module({section(6, globals)}));
  ASSERT_EQ(m.globals.size(), 8u);
  EXPECT_EQ(m.globals[0].init.instrs[0].integer, -1);
  EXPECT_TRUE(m.globals[1].type.is_mutable);
  EXPECT_EQ(m.globals[1].init.instrs[0].integer, INT64_MIN);
  EXPECT_EQ(m.globals[2].init.instrs[0].float_bits, 0x3f800000u);  // 1.0f
  EXPECT_EQ(m.globals[3].init.instrs[0].float_bits, 0x0807060504030201u);
  EXPECT_EQ(m.globals[4].init.instrs[0].op, ConstInstr::Op::global_get);
  EXPECT_EQ(m.globals[5].init.instrs[0].ref_type, ValueType::externref);
  EXPECT_EQ(m.globals[6].init.instrs[0].index, 7u);
  EXPECT_EQ(m.globals[7].init.instrs[0].op, ConstInstr::Op::v128_const);
  EXPECT_EQ(m.globals[7].init.instrs[0].v128[15], 15);
  EXPECT_EQ(m.globals[0].init.bytes.size, 3u);  // 41 7f 0b
}

TEST(WasmDecoder, ExportsAndStart) {
  Module m = decoded(module({section(7, vec({name("main") + Bytes{0x00} + leb(3), name("mem") + Bytes{0x02} + leb(0)})),
                             section(8, leb(3))}));
  ASSERT_EQ(m.exports.size(), 2u);
  EXPECT_EQ(m.exports[0].name, "main");
  EXPECT_EQ(m.exports[1].kind, ExternalKind::memory);
  EXPECT_EQ(m.start, 3u);
}

TEST(WasmDecoder, AllEightElementSegmentForms) {
  Bytes offset = Bytes{0x41} + sleb(4) + end();
  Bytes ref_func = Bytes{0xd2} + leb(1) + end();
  Bytes ref_null = Bytes{0xd0, funcref} + end();
  Bytes segments = vec({leb(0) + offset + vec({leb(1), leb(2)}),
                        leb(1) + Bytes{0x00} + vec({leb(3)}),
                        leb(2) + leb(5) + offset + Bytes{0x00} + vec({leb(4)}),
                        leb(3) + Bytes{0x00} + vec({leb(5)}),
                        leb(4) + offset + vec({ref_func, ref_null}),
                        leb(5) + Bytes{externref} + vec({Bytes{0xd0, externref} + end()}),
                        leb(6) + leb(2) + offset + Bytes{funcref} + vec({ref_func}),
                        leb(7) + Bytes{funcref} + vec({ref_func})});
  Module m = decoded(module({section(9, segments)}));
  ASSERT_EQ(m.elements.size(), 8u);
  const SegmentMode modes[] = {SegmentMode::active, SegmentMode::passive, SegmentMode::active, SegmentMode::declarative,
                               SegmentMode::active, SegmentMode::passive, SegmentMode::active, SegmentMode::declarative};
  for (std::uint32_t i = 0; i < 8; ++i) {
    EXPECT_EQ(m.elements[i].flags, i);
    EXPECT_EQ(m.elements[i].mode, modes[i]) << i;
    EXPECT_EQ(m.elements[i].uses_expressions, i >= 4) << i;
  }
  EXPECT_EQ(m.elements[0].function_indices, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(m.elements[0].offset.instrs[0].integer, 4);
  EXPECT_EQ(m.elements[2].table, 5u);
  EXPECT_EQ(m.elements[4].size(), 2u);
  EXPECT_EQ(m.elements[5].type, ValueType::externref);
  EXPECT_EQ(m.elements[6].table, 2u);
  EXPECT_EQ(m.elements[7].expressions[0].instrs[0].op, ConstInstr::Op::ref_func);
}

TEST(WasmDecoder, DataSegmentsAndDataCount) {
  Bytes offset = Bytes{0x41} + sleb(16) + end();
  Bytes bytes = module({section(12, leb(3)),
                        section(11, vec({leb(0) + offset + vec({Bytes{'h'}, Bytes{'i'}}), leb(1) + leb(0),
                                         leb(2) + leb(1) + offset + vec({Bytes{'!'}})}))});
  Module m = decoded(bytes);
  EXPECT_EQ(m.data_count, 3u);
  ASSERT_EQ(m.data.size(), 3u);
  EXPECT_EQ(m.data[0].mode, SegmentMode::active);
  EXPECT_EQ(m.data[0].bytes.size, 2u);
  EXPECT_EQ(bytes[m.data[0].bytes.offset], 'h');
  EXPECT_EQ(m.data[1].mode, SegmentMode::passive);
  EXPECT_EQ(m.data[1].bytes.size, 0u);
  EXPECT_EQ(m.data[2].memory, 1u);
  EXPECT_EQ(bytes[m.data[2].bytes.offset], '!');
}

TEST(WasmDecoder, CustomSectionsAnywhereAndFunctionNames) {
  Bytes names = Bytes{0x00} + sized(name("modname")) +  // module name subsection, skipped
                Bytes{0x01} + sized(vec({leb(0) + name("first"), leb(1) + name("second")}));
  Bytes bytes = module({section(0, name("before") + Bytes{1, 2, 3}), section(1, vec({func_type({}, {})})),
                        section(0, name("between")), section(3, vec({leb(0), leb(0)})),
                        section(10, vec({sized(Bytes{0x00, 0x0b}), sized(Bytes{0x00, 0x0b})})),
                        section(0, name("name") + names)});
  Module m = decoded(bytes);
  ASSERT_EQ(m.customs.size(), 3u);
  EXPECT_EQ(m.customs[0].name, "before");
  EXPECT_EQ(m.customs[0].content.size, 3u);
  EXPECT_EQ(m.customs[0].after_section, 0);
  EXPECT_EQ(m.customs[1].after_section, 1);
  EXPECT_EQ(m.customs[2].after_section, 10);
  ASSERT_EQ(m.function_names.size(), 2u);
  EXPECT_EQ(m.function_names[1].function, 1u);
  EXPECT_EQ(m.function_names[1].name, "second");
}

TEST(WasmDecoder, BrokenNameSectionIsIgnored) {
  Bytes broken = Bytes{0x01} + leb(100) + Bytes{0x01};  // subsection claims 100 bytes, has 1
  Module m = decoded(module({section(0, name("name") + broken)}));
  EXPECT_TRUE(m.function_names.empty());
  EXPECT_EQ(m.customs.size(), 1u);
}

// --- Errors: header and framing -----------------------------------------------------------------------

TEST(WasmDecoderErrors, Header) {
  EXPECT_REJECTED(Bytes{}, "unexpected end");
  EXPECT_REJECTED((Bytes{0x00, 0x61, 0x73}), "module header, offset 0x0: unexpected end");
  EXPECT_REJECTED((Bytes{0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0}), "magic header not detected");
  EXPECT_REJECTED((Bytes{0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0}), "offset 0x4: version 2 is not 1");
  EXPECT_REJECTED((Bytes{0x00, 0x61, 0x73, 0x6d, 1, 0, 0}), "unexpected end");
}

TEST(WasmDecoderErrors, Framing) {
  EXPECT_REJECTED(module({section(13, {})}), "module, offset 0x8: section id 13 is not 0-12");
  EXPECT_REJECTED(module({section(3, vec({})), section(1, vec({}))}), "type section after function section");
  EXPECT_REJECTED(module({section(1, vec({})), section(1, vec({}))}), "type section after type section");
  EXPECT_REJECTED(module({section(10, vec({})), section(12, leb(0))}), "data count section after code section");
  EXPECT_REJECTED(module({section(1, vec({}) + Bytes{0x00})}), "type section, offset 0xb: 1 bytes left unread");
  Bytes past_end = module({}) + Bytes{0x01, 0x05, 0x00};
  EXPECT_REJECTED(past_end, "module, offset 0xa: unexpected end: type section of 5 bytes runs past the end");
  EXPECT_REJECTED(module({section(8, Bytes{})}), "start section, offset 0xa: unexpected end");
}

TEST(WasmDecoderErrors, CrossSectionCounts) {
  Bytes one_type = section(1, vec({func_type({}, {})}));
  EXPECT_REJECTED(module({one_type, section(3, vec({leb(0)}))}),
                  "0 function bodies for 1 declared functions (function and code section have inconsistent lengths)");
  EXPECT_REJECTED(module({one_type, section(10, vec({sized(Bytes{0x00, 0x0b})}))}),
                  "code section, offset 0x10: 1 function bodies for 0 declared functions");
  EXPECT_REJECTED(module({section(12, leb(1))}), "0 data segments, the data count section says 1");
  EXPECT_REJECTED(module({section(12, leb(0)), section(11, vec({leb(1) + leb(0)}))}),
                  "1 data segments, the data count section says 0");
}

// --- Errors: counts and LEB128 ------------------------------------------------------------------------

TEST(WasmDecoderErrors, LyingCountsFailBeforeAllocating) {
  // 2^32-1 types with 3 bytes left: refused by the bytes-left check, not by running out of memory.
  EXPECT_REJECTED(module({section(1, leb(0xffffffff) + Bytes{0x60, 0x00, 0x00})}),
                  "type section, offset 0xa: type count is 4294967295, but only 3 bytes are left");
  for (std::uint8_t id : {2, 3, 4, 5, 6, 7, 9, 10, 11})
    EXPECT_PRED_FORMAT2(::testing::IsSubstring, "length out of bounds", failure(module({section(id, leb(0xffffffff) + Bytes{0, 0, 0})})))
        << int(id);
  EXPECT_REJECTED(module({section(1, vec({Bytes{0x60} + leb(0xfffffff0)}))}), "type 0 parameter count is 4294967280");
  EXPECT_REJECTED(module({section(11, vec({leb(1) + leb(1000)}))}), "data segment 0 contents needs 1000 bytes");
  EXPECT_REJECTED(module({section(0, leb(200) + Bytes{'a'})}), "custom section name needs 200 bytes");
}

TEST(WasmDecoderErrors, OverLimitCounts) {
  DecoderLimits small;
  small.types = 2;
  Bytes three_types = module({section(1, vec({func_type({}, {}), func_type({}, {}), func_type({}, {})}))});
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "type count is 3 (at most 2)", failure(three_types, small));
  Result<Module> result = decode_module(three_types, small);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::unsupported);
  DecoderLimits tiny;
  tiny.module_bytes = 4;
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "the module has 8 bytes (at most 4)", failure(module({}), tiny));
  DecoderLimits short_bodies;
  short_bodies.function_body_bytes = 1;
  Bytes one_function = module({section(1, vec({func_type({}, {})})), section(3, vec({leb(0)})),
                               section(10, vec({sized(Bytes{0x00, 0x0b})}))});
  EXPECT_PRED_FORMAT2(::testing::IsSubstring, "function 0 body has 2 bytes (at most 1)", failure(one_function, short_bodies));
}

TEST(WasmDecoderErrors, Leb128Limits) {
  auto with_type_count = [](Bytes count) { return module({section(1, count)}); };
  EXPECT_REJECTED(with_type_count({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), "integer representation too long");
  EXPECT_REJECTED(with_type_count({0x80, 0x80, 0x80, 0x80, 0x10}), "integer too large for 32 bits");
  EXPECT_REJECTED(with_type_count({0x80, 0x80}), "unexpected end inside type count");
  // Five bytes whose unused bits are zero are fine: a padded zero.
  decoded(with_type_count({0x80, 0x80, 0x80, 0x80, 0x00}));
  auto global_i32 = [](Bytes value) { return module({section(6, vec({Bytes{i32, 0x00, 0x41} + value + end()}))}); };
  EXPECT_EQ(decoded(global_i32({0xff, 0xff, 0xff, 0xff, 0x07})).globals[0].init.instrs[0].integer, INT32_MAX);
  EXPECT_EQ(decoded(global_i32({0x80, 0x80, 0x80, 0x80, 0x78})).globals[0].init.instrs[0].integer, INT32_MIN);
  EXPECT_REJECTED(global_i32({0xff, 0xff, 0xff, 0xff, 0x0f}), "integer too large");  // unused bits not a sign copy
  EXPECT_REJECTED(global_i32({0x80, 0x80, 0x80, 0x80, 0x70}), "integer too large");
  EXPECT_REJECTED(global_i32({0x80, 0x80, 0x80, 0x80, 0x80, 0x00}), "integer representation too long");
  auto global_i64 = [](Bytes value) { return module({section(6, vec({Bytes{i64, 0x00, 0x42} + value + end()}))}); };
  Bytes ten = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f};
  EXPECT_EQ(decoded(global_i64(ten)).globals[0].init.instrs[0].integer, INT64_MIN);
  ten.back() = 0x01;
  EXPECT_REJECTED(global_i64(ten), "integer too large for 64 bits");
  ten.back() = 0x80;
  EXPECT_REJECTED(global_i64(ten + Bytes{0x00}), "integer representation too long (more than 10 bytes)");
}

// --- Errors: section contents --------------------------------------------------------------------------

TEST(WasmDecoderErrors, Types) {
  EXPECT_REJECTED(module({section(1, vec({Bytes{0x61, 0x00, 0x00}}))}),
                  "type section, offset 0xb: type 0: form 0x61 is not a function type");
  EXPECT_REJECTED(module({section(1, vec({func_type({0x40}, {})}))}),
                  "type 0 parameter 0: 0x40 is not a value type (malformed value type)");
  EXPECT_REJECTED(module({section(4, vec({Bytes{i32, 0x00, 0x00}}))}), "table 0 element type: 0x7f is not a reference type");
  EXPECT_REJECTED(module({section(5, vec({Bytes{0x02, 0x00}}))}), "memory 0: limits flag 0x02");
  EXPECT_REJECTED(module({section(5, vec({Bytes{0x01, 0x02, 0x01}}))}),
                  "memory section, offset 0xd: memory 0: minimum 2 is greater than maximum 1");
  EXPECT_REJECTED(module({section(6, vec({Bytes{i32, 0x02, 0x41, 0x00, 0x0b}}))}), "global 0: mutability 0x02");
}

TEST(WasmDecoderErrors, ImportsAndExports) {
  EXPECT_REJECTED(module({section(2, vec({name("a") + name("b") + Bytes{0x04, 0x00}}))}),
                  "import 0: kind 0x04 is not 0-3 (malformed import kind)");
  EXPECT_REJECTED(module({section(7, vec({name("a") + Bytes{0x04, 0x00}}))}), "export 0: kind 0x04");
  EXPECT_REJECTED(module({section(2, vec({name("\xff") + name("b") + Bytes{0x00, 0x00}}))}),
                  "import section, offset 0xb: import 0 module name is not valid UTF-8");
}

TEST(WasmDecoderErrors, Utf8) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));                              // overlong '/'
  EXPECT_FALSE(valid_utf8("\xe0\x80\xaf"));                          // overlong, three bytes
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));                          // surrogate U+D800
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));                      // above U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe2\x82"));                              // truncated
  EXPECT_FALSE(valid_utf8("\x80"));                                  // lone continuation byte
  EXPECT_REJECTED(module({section(0, name("\xed\xa0\x80"))}), "custom section name is not valid UTF-8");
}

TEST(WasmDecoderErrors, ConstantExpressions) {
  auto global = [](Bytes init) { return module({section(6, vec({Bytes{i32, 0x00} + init}))}); };
  EXPECT_REJECTED(global({0x6a, 0x0b}), "global 0 initializer: opcode 0x6a is not a constant instruction");
  EXPECT_REJECTED(global({0x41, 0x00}), "unexpected end: the end (0x0b) of global 0 initializer is missing");
  EXPECT_REJECTED(global({0xfd, 0x0b, 0x0b}), "0xfd 11 is not a constant instruction");
  EXPECT_REJECTED(global({0xd0, 0x7f, 0x0b}), "malformed reference type");
  EXPECT_REJECTED(global({0x44, 0x00, 0x00, 0x0b}), "unexpected end");
  Bytes many;
  for (int i = 0; i < 1001; ++i) many += Bytes{0x41, 0x00};
  EXPECT_REJECTED(global(many + end()), "global 0 initializer has more than 1000 instructions");
  // Several constants in a row decode (that they do not typecheck is the validator's business).
  EXPECT_EQ(decoded(global({0x41, 0x01, 0x41, 0x02, 0x0b})).globals[0].init.instrs.size(), 2u);
}

TEST(WasmDecoderErrors, Segments) {
  Bytes offset = Bytes{0x41, 0x00} + end();
  EXPECT_REJECTED(module({section(9, vec({leb(8) + Bytes{0x00, 0x00}}))}), "element segment 0: flags 8 are not 0-7");
  EXPECT_REJECTED(module({section(9, vec({leb(1) + Bytes{0x01} + vec({})}))}),
                  "element segment 0: element kind 0x01 is not 0x00");
  EXPECT_REJECTED(module({section(9, vec({leb(5) + Bytes{i32} + vec({})}))}), "element segment 0 element type: 0x7f");
  EXPECT_REJECTED(module({section(9, vec({leb(4) + offset + vec({Bytes{0x41, 0x00}})}))}), "element segment 0 element 0");
  EXPECT_REJECTED(module({section(11, vec({leb(3) + Bytes{0x00}}))}), "data segment 0: flags 3 are not 0-2");
  EXPECT_REJECTED(module({section(11, vec({leb(0) + Bytes{0x0b}}))}), "data segment 0 size");
}

TEST(WasmDecoderErrors, CodeBodies) {
  Bytes header = section(1, vec({func_type({}, {})})) + section(3, vec({leb(0)}));
  auto with_body = [&](Bytes body) { return module({header, section(10, vec({sized(body)}))}); };
  std::string message = failure(with_body(vec({leb(0xffffffff) + Bytes{i32}}) + end()));
  EXPECT_EQ(message, "code section, offset 0x17: function 0 declares 4294967295 locals (at most 50000)");
  EXPECT_REJECTED(with_body(vec({leb(30000) + Bytes{i32}, leb(30000) + Bytes{i64}}) + end()),
                  "function 0 declares 60000 locals (at most 50000)");
  EXPECT_REJECTED(with_body(vec({leb(1) + Bytes{0x40}}) + end()), "function 0 local type: 0x40 is not a value type");
  EXPECT_REJECTED(with_body(vec({}) + Bytes{0x01}), "function 0 body does not end with 0x0b (END opcode expected)");
  EXPECT_REJECTED(with_body(vec({})), "function 0 body does not end with 0x0b");
  EXPECT_REJECTED(with_body({}), "function body count is 1, but only 1 bytes are left");  // a body takes 2 or more
  EXPECT_REJECTED(module({header, section(10, vec({leb(10) + Bytes{0x00, 0x0b}}))}),
                  "unexpected end: function 0 body of 10 bytes runs past the end");
  // A function's number counts the imported functions first.
  Bytes imported = section(1, vec({func_type({}, {})})) + section(2, vec({name("m") + name("f") + Bytes{0x00, 0x00}})) +
                   section(3, vec({leb(0)}));
  EXPECT_REJECTED(module({imported, section(10, vec({sized(Bytes{0x00, 0x01})}))}), "function 1 body does not end");
}

// --- Hostile input in bulk -------------------------------------------------------------------------------

// A module with every section kind, and the offsets where its sections end.
Bytes rich_module(std::vector<std::size_t>* section_ends) {
  std::vector<Bytes> sections = {
      section(0, name("first")),
      section(1, vec({func_type({i32, i64}, {i32}), func_type({}, {})})),
      section(2, vec({name("env") + name("g") + Bytes{0x03, i32, 0x00}})),
      section(3, vec({leb(0), leb(1)})),
      section(4, vec({Bytes{funcref, 0x01} + leb(2) + leb(4)})),
      section(5, vec({Bytes{0x00} + leb(1)})),
      section(6, vec({Bytes{i64, 0x01, 0x42} + sleb(-300) + end()})),
      section(7, vec({name("run") + Bytes{0x00} + leb(1)})),
      section(8, leb(1)),
      section(9, vec({leb(0) + Bytes{0x41, 0x00, 0x0b} + vec({leb(0), leb(1)}), leb(5) + Bytes{funcref} + vec({Bytes{0xd2, 0x00, 0x0b}})})),
      section(12, leb(2)),
      section(10, vec({sized(vec({leb(2) + Bytes{f32}}) + Bytes{0x20, 0x00, 0x0b}), sized(Bytes{0x00, 0x0b})})),
      section(11, vec({leb(0) + Bytes{0x41, 0x08, 0x0b} + vec({Bytes{'o'}, Bytes{'k'}}), leb(1) + vec({Bytes{'p'}})})),
      section(0, name("name") + Bytes{0x01} + sized(vec({leb(1) + name("run")})))};
  Bytes bytes = module({});
  section_ends->push_back(bytes.size());
  for (const Bytes& s : sections) {
    bytes += s;
    section_ends->push_back(bytes.size());
  }
  return bytes;
}

TEST(WasmDecoderHostile, RichModuleDecodes) {
  std::vector<std::size_t> ends;
  Module m = decoded(rich_module(&ends));
  EXPECT_EQ(m.functions.size(), 2u);
  EXPECT_EQ(m.elements.size(), 2u);
  EXPECT_EQ(m.data.size(), 2u);
  ASSERT_EQ(m.function_names.size(), 1u);
  EXPECT_EQ(m.function_names[0].name, "run");
}

// Every prefix of a valid module fails cleanly, except prefixes that end exactly between sections: those
// are modules too (and fail only when counts across sections disagree).
TEST(WasmDecoderHostile, TruncationAtEveryByte) {
  std::vector<std::size_t> ends;
  Bytes bytes = rich_module(&ends);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    Bytes prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
    Result<Module> result = decode_module(prefix);
    bool at_boundary = std::find(ends.begin(), ends.end(), length) != ends.end();
    if (result.ok()) {
      EXPECT_TRUE(at_boundary) << "prefix of " << length << " bytes decoded";
      continue;
    }
    EXPECT_NE(result.error().message.find(", offset 0x"), std::string::npos) << result.error().message;
  }
}

// Every single-byte change of a valid module decodes or fails with a message; nothing crashes (the fuzzer
// goes further under AddressSanitizer).
TEST(WasmDecoderHostile, EveryByteChanged) {
  std::vector<std::size_t> ends;
  const Bytes bytes = rich_module(&ends);
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (std::uint8_t value : {0x00, 0x01, 0x0b, 0x7f, 0x80, 0xff}) {
      Bytes changed = bytes;
      changed[at] = value;
      Result<Module> result = decode_module(changed);
      if (!result.ok()) {
        EXPECT_FALSE(result.error().message.empty());
      }
    }
  }
}

}  // namespace
}  // namespace phantom::wasm

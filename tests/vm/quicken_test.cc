// Quickened code (src/vm/quicken.h): every superinstruction computes what its unfused sequence
// computes, errors inside a fused sequence read as before, and a backward jump inside one still
// reaches a safepoint.
#include <gtest/gtest.h>

#include <climits>

#include "support/vm_world.h"

namespace phantom::test {
namespace {

RunResult run_boot(const std::string& source, vm::VmOptions options = {}) {
  VmWorld world;
  std::string error = world.add_class(source);
  if (!error.empty()) return RunResult{-2, "", error};
  return world.boot_and_run(".t.boot", options);
}

// Prints the int each snippet leaves on the integer stack. With `spaced`, a nop follows every line,
// so that nothing can be fused: the reference.
std::string lines(const std::string& snippet, bool spaced) {
  std::string body;
  std::size_t start = 0;
  while (start < snippet.size()) {
    std::size_t end = snippet.find('\n', start);
    if (end == std::string::npos) end = snippet.size();
    std::string line = snippet.substr(start, end - start);
    body += "  " + line + "\n";
    if (spaced && line.find(':') == std::string::npos) body += "  nop\n";
    start = end + 1;
  }
  return body;
}

// Also defines methods of .t.boot: 16 `inc` (its boxed int argument plus one), 17-19 the sum,
// difference and product of its two, 20 its second argument (`os_get32 1; ret`), and 21-26 its
// argument plus, minus or times a constant (-3, then INT_MAX).
std::string program(const std::vector<std::string>& snippets, bool spaced) {
  std::string s = ".class .t.boot\n.method run 8\n  arg_count 1\n";
  for (const auto& snippet : snippets)
    s += "  os_get32 0\n  sconst_bin \" \"\n" + lines(snippet, spaced) + "  i2o\n  call 16 2\n  os_drop\n";
  s += "  summon_null\n  ret\n.end\n";
  s += ".method inc 16\n  arg_count 1\n" + lines("os_get32 0\no2i\niconst_32bit 1\nisum\ni2o\nret", spaced) + ".end\n";
  const char* ops[] = {"isum", "isublu", "imul"};
  for (int k = 0; k < 3; ++k)
    s += ".method op" + std::to_string(k) + " " + std::to_string(17 + k) + "\n  arg_count 2\n" +
         lines(std::string("os_get32 0\no2i\nos_get32 1\no2i\n") + ops[k] + "\ni2o\nret", spaced) + ".end\n";
  s += ".method second 20\n  arg_count 2\n" + lines("os_get32 1\nret", spaced) + ".end\n";
  // 21-26: its argument plus, minus or times -3 or INT_MAX, in the whole-body form of `inc`.
  for (int k = 0; k < 3; ++k)
    for (int c = 0; c < 2; ++c)
      s += ".method opc" + std::to_string(2 * k + c) + " " + std::to_string(21 + 2 * k + c) + "\n  arg_count 1\n" +
           lines(std::string("os_get32 0\no2i\niconst_32bit ") + (c ? "2147483647" : "-3") + "\n" + ops[k] + "\ni2o\nret", spaced) +
           ".end\n";
  return s;
}

TEST(Quicken, EverySuperinstructionEqualsItsSequence) {
  const std::vector<long> values = {INT_MIN, -7, -1, 0, 1, 3, 1000000007, INT_MAX};
  const char* arith[] = {"isum", "isublu", "imul", "iand", "ior", "ixor", "ilt", "igt", "ile", "ige", "iremlu", "idivlu"};
  std::vector<std::string> snippets;
  int label = 0;
  for (long a : values) {
    for (long b : values) {
      for (int k = 0; k < 12; ++k) {
        bool divides = k >= 10;
        if (divides && b == 0) continue;  // division by zero: an exception, tested elsewhere
        std::string A = "iconst_32bit " + std::to_string(a), B = "iconst_32bit " + std::to_string(b), op = arith[k];
        // iconst C; OP
        snippets.push_back(A + "\n" + B + "\n" + op);
        // iconst C; OP; is_set32 D
        snippets.push_back(A + "\n" + A + "\n" + B + "\n" + op + "\nis_set32 0");
        // os_get32 A; o2i; iconst C; OP (A is object slot 3, above run's argument and the print's two)
        snippets.push_back(A + "\ni2o\nos_get32 3\no2i\n" + B + "\n" + op + "\nos_drop");
        // summon_this; os_get32 A; o2i; iconst C; OP; i2o; call (inc, method 16)
        if (k <= 2) snippets.push_back(A + "\ni2o\nsummon_this\nos_get32 3\no2i\n" + B + "\n" + op + "\ni2o\ncall 16 1\no2i\nos_drop");
        if (divides) continue;
        // is_get32 A; is_get32 B; OP
        snippets.push_back(A + "\n" + B + "\nis_get32 0\nis_get32 1\n" + op + "\nis_set32 0\nis_drop");
        // is_get32 A; iconst C; OP; is_set32 D
        if (k <= 2) snippets.push_back(A + "\nis_get32 0\n" + B + "\n" + op + "\nis_set32 0");
        // is_get32 A; iconst C; CMP; jz L   and   CMP; jz L
        if (k >= 6) {
          auto branch = [&] {
            std::string no = "no" + std::to_string(label), done = "done" + std::to_string(label++);
            return "\njz " + no + "\niconst_32bit 1\njmp " + done + "\n" + no + ":\niconst_32bit 0\n" + done + ":";
          };
          snippets.push_back(A + "\nis_get32 0\n" + B + "\n" + op + branch() + "\nis_set32 0");
          snippets.push_back(A + "\n" + B + "\nis_dup\nis_drop\n" + op + branch());
          // is_get32 A; is_get32 B; CMP; jz L
          snippets.push_back(A + "\n" + B + "\nis_get32 0\nis_get32 1\n" + op + branch() + "\nis_set32 0\nis_drop");
          // os_get32 A; o2i; iconst C; CMP; jz L
          snippets.push_back(A + "\ni2o\nos_get32 3\no2i\n" + B + "\n" + op + branch() + "\nos_drop");
        }
      }
    }
  }
  // while loops: jmp back to a fused condition (is_get32 X; iconst C or is_get32 Y; CMP; jz), which
  // the jump evaluates itself. The loop moves X towards the limit by one, so it ends.
  for (long a : {-7L, -1L, 0L, 1L, 3L}) {
    for (long b : {-7L, -1L, 0L, 1L, 3L}) {
      for (int k = 6; k < 10; ++k) {
        std::string op = arith[k], step = (k == 6 || k == 8) ? "isum" : "isublu";
        std::string top = "top" + std::to_string(label), out = "out" + std::to_string(label++);
        std::string A = "iconst_32bit " + std::to_string(a), B = "iconst_32bit " + std::to_string(b);
        snippets.push_back(A + "\n" + top + ":\nis_get32 0\n" + B + "\n" + op + "\njz " + out +
                           "\nis_get32 0\niconst_32bit 1\n" + step + "\nis_set32 0\njmp " + top + "\n" + out + ":");
        top = "top" + std::to_string(label), out = "out" + std::to_string(label++);
        snippets.push_back(A + "\n" + B + "\n" + top + ":\nis_get32 0\nis_get32 1\n" + op + "\njz " + out +
                           "\nis_get32 0\niconst_32bit 1\n" + step + "\nis_set32 0\njmp " + top + "\n" + out + ":\nis_drop");
      }
    }
  }
  for (long a : values) {
    // i2o; call   i2o; ret   call; o2i (the return unboxes)   o2i; is_set32 D
    std::string A = "iconst_32bit " + std::to_string(a);
    snippets.push_back("iconst_0\nsummon_this\n" + A + "\ni2o\ncall 16 1\no2i\nis_set32 0");
    snippets.push_back("summon_this\n" + A + "\ni2o\ncall 16 1\no2i");
    // OP; i2o; ret   and   os_get32 A; ret
    for (long b : {-3L, 0L, 1L, 2147483647L}) {
      std::string B = "iconst_32bit " + std::to_string(b);
      for (int k = 17; k <= 20; ++k)
        snippets.push_back("summon_this\n" + A + "\ni2o\n" + B + "\ni2o\ncall " + std::to_string(k) + " 2\no2i");
    }
    // is_get32 B; i2o; call (an int local as the argument)
    snippets.push_back("summon_this\n" + A + "\nis_get32 0\ni2o\ncall 16 1\no2i\nis_set32 0");
    // os_get32 A; is_get32 B; i2o; call (an object local's method with an int local)
    snippets.push_back("summon_this\n" + A + "\nos_get32 3\nis_get32 0\ni2o\ncall 16 1\no2i\nis_set32 0\nos_drop");
    // os_get32 A; o2i; iconst C; OP; i2o; ret (methods 21-26)
    for (int k = 21; k <= 26; ++k) snippets.push_back("summon_this\n" + A + "\ni2o\ncall " + std::to_string(k) + " 1\no2i");
  }
  auto fused = run_boot(program(snippets, false));
  auto reference = run_boot(program(snippets, true));
  ASSERT_EQ(fused.exit_code, 0) << fused.diag;
  ASSERT_EQ(reference.exit_code, 0) << reference.diag;
  EXPECT_EQ(fused.out, reference.out);
  EXPECT_GT(fused.out.size(), 2000u);
}

TEST(Quicken, StringPlusIntEqualsItsSequence) {
  // i2o; call_05 0; call_0a 1 (string + int), also after is_get32 (string + an int local), is one
  // string built at once: the same strings as the calls make, for edge values and boxed ints, and the
  // calls themselves for a receiver that is no string (an int's concat throws, as before).
  std::string run = ".class .t.boot\n.method run 8\n  arg_count 1\n";
  for (long v : {0L, 7L, -1L, -1073741824L, 1073741823L, 1073741824L, -2147483648L, 2147483647L})
    for (const char* head : {"k", "", "a longer prefix of thirty bytes"}) {
      run += std::string("  os_get32 0\n  sconst_bin \"") + head + "\"\n  iconst_32bit " + std::to_string(v) +
             "\n  i2o\n  call 5 0\n  call 10 1\n  call 16 1\n  os_drop\n  os_get32 0\n  sconst_bin \"|\"\n  call 16 1\n  os_drop\n";
      // The same with the int in a local (is_get32 B; i2o; call_05 0; call_0a 1).
      run += std::string("  iconst_32bit ") + std::to_string(v) + "\n  os_get32 0\n  sconst_bin \"" + head +
             "\"\n  is_get32 0\n  i2o\n  call 5 0\n  call 10 1\n  call 16 1\n  os_drop\n  is_drop\n  os_get32 0\n  sconst_bin \"|\"\n"
             "  call 16 1\n  os_drop\n";
    }
  run += "  os_get32 0\n  iconst_1\n  i2o\n  iconst_32bit 2\n  i2o\n  call 5 0\n  call 10 1\n  call 16 1\n  os_drop\n";
  run += "  summon_null\n  ret\n.end\n";
  std::string spaced = run;
  for (std::size_t at = 0; (at = spaced.find("  call 5 0\n", at)) != std::string::npos; at += 16) spaced.insert(at, "  nop\n");
  auto fused = run_boot(run);
  auto reference = run_boot(spaced);
  EXPECT_EQ(fused.out, reference.out);
  EXPECT_EQ(fused.diag.substr(0, fused.diag.find(" at ")), reference.diag.substr(0, reference.diag.find(" at ")));
  EXPECT_NE(fused.out.find("k-2147483648|k-2147483648|-2147483648|-2147483648|a longer prefix of thirty bytes-2147483648|"
                           "a longer prefix of thirty bytes-2147483648|k2147483647|"),
            std::string::npos) << fused.out;
  EXPECT_FALSE(fused.diag.empty());  // the int receiver's concat
}

TEST(Quicken, TheIntCastEqualsItsSequence) {
  // (int) x: os_dup; os_isnull; log_not; jz L; summon_int_class; cast; L: o2i. Tagged ints take the
  // fused path; a boxed int, a string and null take the sequence, with its results and errors.
  auto program = [](const std::vector<std::string>& values) {
    std::string run = ".class .t.boot\n.method run 8\n  arg_count 1\n";
    int label = 0;
    for (const std::string& value : values) {
      std::string l = "l" + std::to_string(label++);
      run += "  os_get32 0\n  " + value + "\n  os_dup\n  os_isnull\n  log_not\n  jz " + l +
             "\n  summon_int_class\n  cast\n" + l + ":\n  o2i\n  i2o\n  call 16 1\n  os_drop\n" +
             "  os_get32 0\n  sconst_bin \"|\"\n  call 16 1\n  os_drop\n";
    }
    return run + "  summon_null\n  ret\n.end\n";
  };
  auto spaced = [](std::string run) {
    for (std::size_t at = 0; (at = run.find("  os_isnull\n", at)) != std::string::npos; at += 20) run.insert(at, "  nop\n");
    return run;
  };
  std::vector<std::string> ints = {"iconst_32bit 0\n  i2o", "iconst_32bit -1073741824\n  i2o", "iconst_32bit 1073741823\n  i2o",
                                   "iconst_32bit 2147483647\n  i2o", "iconst_32bit -2147483648\n  i2o"};
  auto fused = run_boot(program(ints));
  auto reference = run_boot(spaced(program(ints)));
  ASSERT_EQ(fused.exit_code, 0) << fused.diag;
  EXPECT_EQ(fused.out, reference.out);
  EXPECT_EQ(fused.out, "0|-1073741824|1073741823|2147483647|-2147483648|");
  // A string: "cast to not parent", thrown. Null: the cast lets it through and o2i reads it as 0.
  for (auto [value, out] : {std::pair{"sconst_bin \"s\"", "1|"}, std::pair{"summon_null", "1|0|"}}) {
    SCOPED_TRACE(value);
    auto f = run_boot(program({"iconst_1\n  i2o", value}));
    auto r = run_boot(spaced(program({"iconst_1\n  i2o", value})));
    EXPECT_EQ(f.out, out);
    EXPECT_EQ(f.out, r.out);
    EXPECT_EQ(f.diag.substr(0, f.diag.find(" at ")), r.diag.substr(0, r.diag.find(" at ")));
  }
}

TEST(Quicken, AnErrorInsideAFusedSequenceReadsAsBefore) {
  for (const char* body : {"is_get32 5\n  is_get32 6\n  isum", "iconst_32bit 1\n  isum", "is_get32 0\n  iconst_32bit 3\n  ilt\n  jz x\nx:",
                           "is_get32 2\n  iconst_32bit 1\n  isum\n  is_set32 2"}) {
    SCOPED_TRACE(body);
    std::string source = std::string(".class .t.boot\n.method run 8\n  arg_count 1\n  ") + body + "\n  summon_null\n  ret\n.end\n";
    auto fused = run_boot(source);
    std::string spaced = source;
    // A nop before every instruction line of the body (the first four lines are the header).
    std::string marker = "arg_count 1\n";
    std::size_t at = spaced.find(marker) + marker.size();
    while ((at = spaced.find("  ", at)) != std::string::npos) {
      spaced.insert(at, "  nop\n");
      at = spaced.find('\n', at + 6);
      if (at == std::string::npos) break;
      ++at;
    }
    auto reference = run_boot(spaced);
    EXPECT_NE(fused.exit_code, 0);
    EXPECT_NE(fused.diag.find("integer stack"), std::string::npos) << fused.diag;
    // The same message, apart from the instruction offsets the nops moved.
    EXPECT_EQ(fused.diag.substr(0, fused.diag.find(" at ")), reference.diag.substr(0, reference.diag.find(" at "))) << fused.diag << reference.diag;
  }
}

TEST(Quicken, ACachedCallSiteStillChecksTheArgumentCountOfAnotherClass) {
  // `go` has one call site. .t.a's method takes the one argument it passes, so the site caches it;
  // .t.b's takes two, so the call must fail with the prologue's message, not run with a wrong frame.
  VmWorld world;
  ASSERT_EQ(world.add_class(".class .t.a\n.method m 16\n  arg_count 1\n  sconst_bin \"a \"\n  ret\n.end\n"), "");
  ASSERT_EQ(world.add_class(".class .t.b\n.method m 16\n  arg_count 2\n  sconst_bin \"b \"\n  ret\n.end\n"), "");
  ASSERT_EQ(world.add_class(R"(.class .t.boot
.method run 8
  arg_count 1
  summon_by_name .internal.object
  push_catcher handler
  os_get32 0
  summon_this
  summon_by_name .t.a
  new
  call 16 1
  summon_this
  summon_by_name .t.a
  new
  call 16 1
  summon_this
  summon_by_name .t.b
  new
  call 16 1
  call 16 3
  os_drop
  pop_catcher
  summon_null
  ret
handler:
  os_get32 0
  os_pull32 1
  call 16 1
  summon_null
  ret
.end
.method go 16
  arg_count 1
  os_get32 0
  iconst_1
  i2o
  call 16 1
  ret
.end
)"), "");
  auto r = world.boot_and_run(".t.boot");
  EXPECT_EQ(r.exit_code, 0) << r.diag;
  EXPECT_EQ(r.out, "invalid arg count: 1 given, 2 expected") << r.diag;
}

TEST(Quicken, ACallSiteFollowsItsReceiverBetweenNativeAndBytecodeMethods) {
  // `go` has one call site, toString (ordinal 5). Its receivers change class: an int and a string
  // (native methods, which the site remembers) and .t.c (a bytecode method); each class twice in a
  // row, so that the site both hits and is refilled, then an int again.
  VmWorld world;
  ASSERT_EQ(world.add_class(".class .t.c\n.method toString 5\n  arg_count 0\n  sconst_bin \"c\"\n  ret\n.end\n"), "");
  std::string run = ".class .t.boot\n.method run 8\n  arg_count 1\n";
  const char* values[] = {"iconst_1\n  i2o", "iconst_1\n  i2o", "sconst_bin \"ab\"", "sconst_bin \"ab\"",
                          "summon_by_name .t.c\n  new", "summon_by_name .t.c\n  new", "iconst_32bit 7\n  i2o"};
  for (const char* value : values)
    run += std::string("  os_get32 0\n  summon_this\n  ") + value + "\n  call 16 1\n  call 16 1\n  os_drop\n";
  run += "  summon_null\n  ret\n.end\n.method go 16\n  arg_count 1\n  os_get32 0\n  call 5 0\n  ret\n.end\n";
  ASSERT_EQ(world.add_class(run), "");
  auto r = world.boot_and_run(".t.boot");
  EXPECT_EQ(r.exit_code, 0) << r.diag;
  EXPECT_EQ(r.out, "11ababcc7") << r.diag;
}

TEST(Quicken, ABackwardJumpInsideAFusedSequenceReachesASafepoint) {
  // `spin` loops forever through a fused compare-and-branch; `talk` must still get its turn.
  VmWorld world;
  ASSERT_EQ(world.add_class(R"(.class .t.spin
.method run 8
  arg_count 1
  stack_reserve 0 1
again:
  is_get32 0
  iconst_32bit 1
  igt
  jz again
  summon_null
  ret
.end
)"), "");
  ASSERT_EQ(world.add_class(R"(.class .t.talk
.method run 8
  arg_count 1
  os_get32 0
  sconst_bin "alive\n"
  call 16 1
  os_drop
  summon_null
  ret
.end
)"), "");
  ASSERT_EQ(world.add_class(R"(.class .t.boot
.method run 8
  arg_count 1
  os_get32 0
  summon_by_name .t.spin
  new
  call 18 1
  os_drop
  os_get32 0
  summon_by_name .t.talk
  new
  call 18 1
  os_drop
  summon_null
  ret
.end
)"), "");
  vm::VmOptions options;
  options.slice_limit = 200;  // run() returns after this many slices: spin never ends
  auto r = world.boot_and_run(".t.boot", options);
  EXPECT_EQ(r.out, "alive\n") << r.diag;
}

}  // namespace
}  // namespace phantom::test

// The official WebAssembly test suite's scripts run on our runtime (test support): each command of a
// converted .wast file (wast_script.h) is carried out on a wasm::Engine (wasm/runtime.h) in a fresh VM
// world and store, and its outcome checked the way the reference interpreter checks it.
//
// Commands and what passes:
//  - module: loads, instantiates and runs the start function; it becomes the current module (and the
//    named one, when the script names it);
//  - register: makes an instance importable under a module name;
//  - action: an invocation or global read that must not trap;
//  - assert_return: results equal in type and bits (floats compared as bits, so -0 and NaN payloads
//    count), or a NaN of the pattern: nan:canonical (sign free, payload the quiet bit only),
//    nan:arithmetic (quiet bit set);
//  - assert_trap, assert_exhaustion: a trap whose message contains the expected text;
//  - assert_invalid: load_module refuses with Errc::invalid_argument; assert_malformed (binary form):
//    with Errc::corrupt. The expected text is compared only for the report (our messages say more);
//  - assert_unlinkable: instantiation fails naming the expected reason; assert_uninstantiable: it fails,
//    or the start function traps, with the expected text.
// Skipped, with the reason counted: assert_malformed of text modules (wast2json writes them as .wat,
// which nobody here parses: they test the text format, not ours).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "util/result.h"
#include "wast_script.h"

namespace phantom::test {

struct SpecFailure {
  int line = 0;
  std::string command;  // "assert_return", ...
  std::string message;  // what was expected and what came
};

struct SpecReport {
  int passed = 0, failed = 0, skipped = 0;
  std::vector<SpecFailure> failures;
  std::map<std::string, int> skip_reasons;  // reason -> commands skipped for it
  // assert_invalid / assert_malformed rejected with the right error code but a message without the
  // suite's text (not a failure: our messages name section and offset): a few examples, and the count.
  int other_message = 0;
  std::vector<std::string> other_message_examples;
};

struct SpecOptions {
  std::uint64_t fuel_per_run = 1'000'000;   // units per Engine::run(): the call yields between runs
  double seconds_per_command = 60;          // a call still running after this is a failure (a hang)
  std::size_t arena_bytes = std::size_t(4) << 30;  // untouched pages of the calloc'd arena cost nothing
};

// Runs every command of `script`. An error only when the world itself cannot be set up (the VM does not
// boot, the spectest module does not load); everything a command does is in the report.
Result<SpecReport> run_spec_script(const WastScript& script, const SpecOptions& options = {});

}  // namespace phantom::test

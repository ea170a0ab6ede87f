// class_file_fuzzer: libFuzzer target for the class-file and bulk-container readers (fuzz).
// Any input must be rejected with an error or accepted; an accepted file, written back and read
// again, must give the same model (after one normalisation, since the writer puts each method's S
// and l records right after its M).
#include <cstdint>
#include <cstdlib>

#include "classfile/class_reader.h"
#include "classfile/class_writer.h"

using namespace phantom::classfile;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input(data, size);
  auto bulk = read_bulk_container(input, "fuzz.bulk");
  (void)bulk.ok();
  auto file = read_class_file(input, "fuzz.pc");
  if (!file.ok()) return 0;
  auto once = read_class_file(write_class_file(*file), "once.pc");
  if (!once.ok()) std::abort();  // the writer produced something the reader refuses
  auto twice = read_class_file(write_class_file(*once), "twice.pc");
  if (!twice.ok() || !(*twice == *once)) std::abort();  // writing is not stable
  return 0;
}

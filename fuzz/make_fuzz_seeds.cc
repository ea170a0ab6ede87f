// make_fuzz_seeds: writes small valid world images as the image fuzzer's starting corpus (fuzz).
// Built and run by `make test` before the short fuzz run, so the corpus always matches the format.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "classfile/assembler.h"
#include "classfile/class_writer.h"
#include "store/store.h"
#include "store/world_info.h"
#include "support/memory_block_device.h"

using namespace phantom;

namespace {

struct Idle final : store::WorldControl {
  void stop() override {}
  void resume() override {}
};

bool write_seed(const std::filesystem::path& dir, const char* name, std::uint64_t arena_pages, int snapshots,
                bool roll_back) {
  auto env = host::make_host_env();
  testing::MemoryBlockDevice device;
  store::CreateOptions create;
  create.arena_base = 0x3300'0000'0000ull;
  create.arena_size = arena_pages * 4096;
  create.retention = 2;
  auto store = store::Store::create(*env, testing::BorrowedDevice::of(device), create, {});
  if (!store.ok()) return false;
  Idle idle;
  for (int s = 0; s < snapshots; ++s) {
    for (std::uint64_t p = s; p < arena_pages; p += 3) std::memset((*store)->arena().page(p), s + 1, 100);
    // Events too, so that the corpus has event-log blocks (docs/image-format.md, "Event log").
    store::Event event;
    event.kind = static_cast<std::uint16_t>(s + 1);
    event.boot = 1;
    event.text = "seed event";
    (*store)->queue_event(event);
    if (!(*store)->snapshot(idle).ok()) return false;
  }
  store.value().reset();
  if (roll_back && !store::rollback(device, snapshots - 1, 0).ok()) return false;
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(device.bytes().data()), static_cast<std::streamsize>(device.bytes().size()));
  return static_cast<bool>(out);
}

}  // namespace

// Class files with every record kind, and a bulk container of them, for the class-file fuzzer.
bool write_class_seeds(const std::filesystem::path& dir) {
  using namespace phantom::classfile;
  std::filesystem::create_directories(dir);
  ClassFile f;
  f.header = {".phantom.util.pair", 2, 18, ".internal.object", "20261123000000000"};
  f.methods.push_back({"get", 16, {0x29, 0x01, 0x00, 0x1E, 0, 0, 0, 0, 0x08}});
  f.methods.push_back({"<init>", 17, {0x08}});
  f.signatures.push_back({SignatureLayout::s2, "get", 16, false, {false, ".internal.object", ""}, {{"i", {false, ".internal.int", ""}}}});
  f.signatures.push_back({SignatureLayout::s1, "<init>", 17, false, {false, ".internal.void", ""}, {}});
  f.line_maps.push_back({16, {{0, 3}, {5, 4}}});
  f.fields.push_back({"a", 0, {false, ".internal.object", ""}});
  f.fields.push_back({"b", 1, {true, ".internal.container.array", ".internal.int"}});
  f.constants.push_back({0, {false, ".internal.string", ""}, {'o', 'k'}});
  auto pc = write_class_file(f);
  auto bulk = write_bulk_container({{"phantom.util.pair", pc}, {"phantom.util.pair2", pc}});
  std::ofstream(dir / "pair.pc", std::ios::binary).write(reinterpret_cast<const char*>(pc.data()), pc.size());
  std::ofstream(dir / "classes.bulk", std::ios::binary).write(reinterpret_cast<const char*>(bulk.data()), bulk.size());
  return true;
}

// Method code for the VM fuzzer: byte 0 is half the length of run's code, then run's code, then m's.
bool write_vm_seeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const char* programs[] = {
      // calls, arithmetic, boxing, recursion
      ".class .f.boot\n.method run 8\n  arg_count 1\n  summon_this\n  const 12\n  i2o\n  call 16 1\n  os_get32 0\n"
      "  os_pull32 1\n  call 16 1\n  ret\n.end\n.method m 16\n  arg_count 1\n  os_get32 0\n  o2i\n  const 2\n  ilt\n"
      "  jz r\n  os_get32 0\n  ret\nr:\n  summon_this\n  os_get32 0\n  o2i\n  iconst_1\n  isublu\n  i2o\n  call 16 1\n  ret\n.end\n",
      // exceptions, strings, directories, prefixes, loops
      ".class .f.boot\n.method run 8\n  arg_count 1\n  stack_reserve 2 1\n  summon_by_name .internal.object\n"
      "  push_catcher h\n  summon_by_name .internal.directory\n  new\n  os_set32 1\n  os_get32 1\n  sconst_bin \"k\"\n"
      "  const_pool 0\n  call 8 2\n  os_drop\n  const 100\nl:\n  iconst_64bit 7\n  :long i2o\n  os_drop\n  djnz l\n"
      "  const 1\n  iconst_0\n  idivlu\n  pop_catcher\nh:\n  os_get32 0\n  os_pull32 1\n  call 16 1\n  ret\n.end\n"
      ".method m 16\n  arg_count 0\n  summon_array_class\n  new\n  ret\n.end\n",
      // while loops over ints at the edge of the tagged range, cached call sites, int receivers
      ".class .f.boot\n.method run 8\n  arg_count 1\n  stack_reserve 0 3\n  const 1073741820\n  is_set32 0\n"
      "  iconst_0\n  is_set32 1\n  iconst_0\n  is_set32 2\ntop:\n  is_get32 0\n  const 1073741830\n  ilt\n  jz out\n"
      "  is_get32 0\n  const 3\n  imul\n  const 7\n  iremlu\n  is_set32 2\n  is_get32 0\n  const 1\n  isum\n"
      "  is_set32 0\n  summon_this\n  is_get32 0\n  i2o\n  call 16 1\n  o2i\n  is_set32 1\n  jmp top\nout:\n"
      "  is_get32 2\n  is_get32 1\n  ilt\n  jz done\ndone:\n  os_get32 0\n  os_get32 0\n  call 5 0\n  call 16 1\n"
      "  ret\n.end\n"
      ".method m 16\n  arg_count 1\n  os_get32 0\n  call 5 0\n  os_drop\n  os_get32 0\n  o2i\n  iconst_1\n  isum\n"
      "  i2o\n  ret\n.end\n",
  };
  int n = 0;
  for (const char* text : programs) {
    auto file = phantom::classfile::assemble(text, "seed.pa");
    if (!file.ok()) {
      std::fprintf(stderr, "make_fuzz_seeds: %s\n", file.error().message.c_str());
      return false;
    }
    std::vector<std::uint8_t> run = file->methods[0].code, m = file->methods[1].code;
    if (run.size() % 2) run.push_back(0x00);  // nop pads run's code to an even length
    std::vector<std::uint8_t> seed{static_cast<std::uint8_t>(run.size() / 2)};
    seed.insert(seed.end(), run.begin(), run.end());
    seed.insert(seed.end(), m.begin(), m.end());
    std::ofstream(dir / ("vm-" + std::to_string(n++)), std::ios::binary)
        .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
  }
  return true;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: make_fuzz_seeds IMAGE_DIR [CLASS_DIR [VM_DIR]]\n");
    return 2;
  }
  if (argc >= 3 && !write_class_seeds(argv[2])) return 1;
  if (argc == 4 && !write_vm_seeds(argv[3])) return 1;
  std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  bool ok = write_seed(dir, "empty-world.img", 4, 0, false) && write_seed(dir, "one-level.img", 16, 3, false) &&
            write_seed(dir, "two-level.img", 300, 3, false) && write_seed(dir, "rolled-back.img", 40, 3, true);
  if (!ok) std::fprintf(stderr, "make_fuzz_seeds: could not build the seed worlds\n");
  return ok ? 0 : 1;
}

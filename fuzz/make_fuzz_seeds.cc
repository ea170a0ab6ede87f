// make_fuzz_seeds: writes small valid world images as the image fuzzer's starting corpus (fuzz).
// Built and run by `make test` before the short fuzz run, so the corpus always matches the format.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

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
    if (!(*store)->snapshot(idle).ok()) return false;
  }
  store.value().reset();
  if (roll_back && !store::rollback(device, snapshots - 1, 0).ok()) return false;
  std::ofstream out(dir / name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(device.bytes().data()), static_cast<std::streamsize>(device.bytes().size()));
  return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seeds DIR\n");
    return 2;
  }
  std::filesystem::path dir(argv[1]);
  std::filesystem::create_directories(dir);
  bool ok = write_seed(dir, "empty-world.img", 4, 0, false) && write_seed(dir, "one-level.img", 16, 3, false) &&
            write_seed(dir, "two-level.img", 300, 3, false) && write_seed(dir, "rolled-back.img", 40, 3, true);
  if (!ok) std::fprintf(stderr, "make_fuzz_seeds: could not build the seed worlds\n");
  return ok ? 0 : 1;
}

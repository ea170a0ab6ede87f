// image_fuzzer: libFuzzer target for everything that reads a world image (fuzz).
// The input is a disk image. fsck, world info, the event log reader and rollback must give a report or
// a clean error on any input: never a crash, a hang, an out-of-bounds access or an unbounded allocation.
#include <cstdint>
#include <vector>

#include "store/fsck.h"
#include "store/world_info.h"
#include "support/memory_block_device.h"

using namespace phantom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::byte> bytes(reinterpret_cast<const std::byte*>(data), reinterpret_cast<const std::byte*>(data) + size);
  testing::MemoryBlockDevice device(std::move(bytes), "fuzz.img");
  auto report = store::fsck(device, {});
  (void)report.ok();
  auto log = store::read_event_log(device);
  (void)log.ok();
  auto info = store::read_world_info(device, true);
  if (info.ok() && !info->current.snapshots.empty()) {
    auto result = store::rollback(device, info->current.snapshots.front().seq, 0);
    (void)result.ok();
    auto after = store::fsck(device, {});
    (void)after.ok();
  }
  return 0;
}

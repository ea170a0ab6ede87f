// wasm.snapshot_cost's program: three ways to work on a 64 MiB area of linear memory, one call each
// between two snapshots. Touching one 8-byte word per 64 bytes reaches every page at a sixteenth of
// the cost of every word, which is all a page count needs.
#include <stdint.h>

enum { area_bytes = 64 << 20, stride = 64 / 8, page_words = 4096 / 8 };
static uint64_t area[area_bytes / 8];

// Does nothing: what a call itself costs a snapshot (the VM's call object, stack and frames).
uint32_t nothing(void) { return 0; }

// Reads the whole area; writes nothing to linear memory.
uint32_t read_all(void) {
  uint64_t sum = 0;
  for (uint32_t i = 0; i < area_bytes / 8; i += stride) sum += area[i] ^ i;
  return (uint32_t)(sum ^ sum >> 32);
}

// Writes `kib` KiB, every word, starting `slice * 5` linear-memory pages of 4 KiB into the area (mod
// its size). The area's start need not fall on an arena page, so that is kib/4 + 1 arena pages.
uint32_t write_some(uint32_t slice, uint32_t kib) {
  uint32_t first = (slice * 5 * page_words) % (area_bytes / 8);
  for (uint32_t i = 0; i < kib * 128 && first + i < area_bytes / 8; ++i) area[first + i] += slice + i;
  return first;
}

// Writes one word in every 64 bytes of the area: every page.
uint32_t write_all(uint32_t slice) {
  for (uint32_t i = 0; i < area_bytes / 8; i += stride) area[i] += slice ^ i;
  return slice;
}

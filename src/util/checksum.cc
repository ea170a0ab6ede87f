// Checksums: XXH3-64 through libxxhash (util layer).
#include "util/checksum.h"

#include <xxhash.h>

namespace phantom {

std::uint64_t checksum64(const void* data, std::size_t size, std::uint64_t seed) {
  return XXH3_64bits_withSeed(data, size, seed);
}

}  // namespace phantom

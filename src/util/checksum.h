// Checksums for stored pages and metadata (util layer): 64-bit XXH3 from libxxhash.
// The seed binds a checksum to where the data belongs (page number, node position), so a block written
// to the wrong place fails verification even when its contents are intact.
#pragma once

#include <cstddef>
#include <cstdint>

namespace phantom {

std::uint64_t checksum64(const void* data, std::size_t size, std::uint64_t seed);

}  // namespace phantom

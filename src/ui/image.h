// Image: decoded pictures in Phantom's pixel convention (window system layer): 0xAARRGGBB pixels,
// bottom row first (ui/canvas.h). Decoders check every size against the limits below before they
// allocate, so a lying header is a clear error, never a huge allocation or a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ui/canvas.h"
#include "util/result.h"

namespace phantom::ui {

struct Image {
  int width = 0, height = 0;
  std::vector<std::uint32_t> pixels;  // width * height, bottom row first
  ConstCanvas canvas() const { return {pixels.data(), width, height}; }
};

constexpr int max_image_side = 16384;
constexpr std::uint64_t max_image_pixels = 64ull << 20;  // 256 MiB of pixels

// P6 PPM as the original reads it (subsystems.md §1.4): whitespace and # comments in the header, maxval
// up to 65535 (two bytes per channel then, the high byte used), alpha 0xFF, rows flipped. Errors:
// "ppm: ..." naming what is wrong (not P6, truncated header, maxval 0, 7 rows of pixels missing, ...).
Result<Image> decode_ppm(std::string_view bytes);
// Any PNG libpng reads (palette, grey, 16-bit, interlaced, with or without alpha) → Image.
Result<Image> decode_png(std::string_view bytes);
// PNG by its signature, else P6 PPM; an error names both when neither fits.
Result<Image> decode_image(std::string_view bytes);
// RGBA PNG of `canvas` (flipped, so the file shows it upright); `keep_alpha` false writes RGB.
Result<std::string> encode_png(const ConstCanvas& canvas, bool keep_alpha = false);

}  // namespace phantom::ui

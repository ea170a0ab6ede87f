// picture_fuzzer: arbitrary bytes through the picture decoders (ui/image.h) under ASan and UBSan
// (fuzz). Whatever the bytes, each decoder must answer with a picture within the limits or an error
// message, never a crash, a leak or an allocation a lying header asked for. Two oracles: decode_image
// must agree with the decoder the first bytes choose, and a small decoded picture must come back
// exactly from encode_png (with alpha; and opaque without it).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ui/image.h"

using namespace phantom;
using namespace phantom::ui;

namespace {

constexpr std::size_t max_round_trip_pixels = 64 * 1024;  // keeps the encoder from dominating the run

void check(bool condition) {
  if (!condition) std::abort();
}

void check_image(const Image& image) {
  check(image.width > 0 && image.height > 0);
  check(image.width <= max_image_side && image.height <= max_image_side);
  check(std::uint64_t(image.width) * image.height <= max_image_pixels);
  check(image.pixels.size() == std::size_t(image.width) * image.height);
}

void round_trip(const Image& image) {
  if (image.pixels.size() > max_round_trip_pixels) return;
  auto rgba = encode_png(image.canvas(), true);
  check(rgba.ok());
  auto back = decode_png(*rgba);
  check(back.ok());
  check(back->width == image.width && back->height == image.height && back->pixels == image.pixels);

  auto rgb = encode_png(image.canvas(), false);
  check(rgb.ok());
  auto opaque = decode_image(*rgb);
  check(opaque.ok());
  for (std::size_t i = 0; i < image.pixels.size(); ++i) check(opaque->pixels[i] == (image.pixels[i] | 0xFF000000u));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto ppm = decode_ppm(bytes);
  auto png = decode_png(bytes);
  auto any = decode_image(bytes);
  if (ppm.ok()) check_image(*ppm);
  if (png.ok()) check_image(*png);
  check(!(ppm.ok() && png.ok()));  // no input is both
  if (any.ok()) {
    check_image(*any);
    check(png.ok() || ppm.ok());  // decode_image must have used one of them
    const Image& chosen = png.ok() ? *png : *ppm;
    check(any->width == chosen.width && any->height == chosen.height && any->pixels == chosen.pixels);
    round_trip(*any);
  } else {
    check(!any.error().message.empty());
    check(!png.ok() && !ppm.ok());
  }
  if (!ppm.ok()) check(ppm.error().message.rfind("ppm: ", 0) == 0);
  if (!png.ok()) check(png.error().message.rfind("png: ", 0) == 0);
  return 0;
}

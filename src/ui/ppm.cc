// PPM: the binary "P6" loader of .internal.bitmap (subsystems.md §1.4), the only picture format the
// original reads. Header: "P6", width, height and maxval as decimal numbers separated by whitespace,
// with '#' comments (to the end of the line) wherever whitespace may be; then exactly one whitespace
// byte and the pixels, top row first, 3 or (maxval > 255) 6 bytes per pixel. As in the original, the
// samples are not rescaled to maxval: a byte is used as it is, and of a 2-byte sample only the high
// (first) byte. Bytes after the last row are ignored (Netpbm allows several images in one file).
//
// The whole input is checked (header, limits, pixel byte count) before anything is allocated, so a
// lying header costs nothing; every read is bounded by the input's size.
#include <cstdint>
#include <string_view>

#include "ui/image.h"

namespace phantom::ui {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// A cursor over the header; the numbers it reads are capped so that no digit string overflows.
struct HeaderReader {
  std::string_view in;
  std::size_t pos = 0;

  // Skips whitespace and comments; false if the input ends first.
  bool skip_blanks() {
    while (pos < in.size()) {
      if (is_space(in[pos])) {
        ++pos;
      } else if (in[pos] == '#') {
        while (pos < in.size() && in[pos] != '\n' && in[pos] != '\r') ++pos;
      } else {
        return true;
      }
    }
    return false;
  }

  Result<std::uint64_t> number(const char* what) {
    if (!skip_blanks()) return make_error(Errc::invalid_argument, "ppm: truncated header (no {})", what);
    if (in[pos] < '0' || in[pos] > '9') {
      return make_error(Errc::invalid_argument, "ppm: the {} is not a decimal number", what);
    }
    std::uint64_t value = 0;
    constexpr std::uint64_t cap = 1'000'000'000'000ull;  // far above any limit, far below overflow
    while (pos < in.size() && in[pos] >= '0' && in[pos] <= '9') {
      value = value * 10 + static_cast<std::uint64_t>(in[pos] - '0');
      if (value > cap) return make_error(Errc::invalid_argument, "ppm: the {} is too large", what);
      ++pos;
    }
    return value;
  }
};

}  // namespace

Result<Image> decode_ppm(std::string_view bytes) {
  if (bytes.size() < 2) return make_error(Errc::invalid_argument, "ppm: truncated header (no P6 magic)");
  if (bytes[0] != 'P' || bytes[1] != '6') {
    if (bytes[0] == 'P' && bytes[1] >= '1' && bytes[1] <= '7') {
      return make_error(Errc::invalid_argument, "ppm: P{} is not supported, only binary P6", bytes[1]);
    }
    return make_error(Errc::invalid_argument, "ppm: not a P6 file (no P6 magic)");
  }
  HeaderReader header{bytes, 2};
  // The magic must be followed by whitespace or a comment: "P65 ..." is not a P6 header.
  if (bytes.size() > 2 && !is_space(bytes[2]) && bytes[2] != '#') {
    return make_error(Errc::invalid_argument, "ppm: no whitespace after the P6 magic");
  }
  auto width = header.number("width");
  if (!width) return width.take_error();
  auto height = header.number("height");
  if (!height) return height.take_error();
  auto maxval = header.number("maxval");
  if (!maxval) return maxval.take_error();
  if (*maxval < 1 || *maxval > 65535) {
    return make_error(Errc::invalid_argument, "ppm: maxval {} is out of range 1..65535", *maxval);
  }
  if (header.pos >= bytes.size()) {
    return make_error(Errc::invalid_argument, "ppm: truncated header (nothing after the maxval)");
  }
  if (!is_space(bytes[header.pos])) {
    return make_error(Errc::invalid_argument, "ppm: no whitespace between the maxval and the pixels");
  }
  ++header.pos;  // exactly one byte: the next one may be a pixel that looks like whitespace

  std::uint64_t w = *width, h = *height;
  if (w == 0 || h == 0) return make_error(Errc::invalid_argument, "ppm: the picture is {}x{}, empty", w, h);
  if (w > max_image_side || h > max_image_side) {
    return make_error(Errc::invalid_argument, "ppm: {}x{} exceeds the limit of {} pixels a side", w, h,
                      max_image_side);
  }
  if (w * h > max_image_pixels) {
    return make_error(Errc::invalid_argument, "ppm: {}x{} exceeds the limit of {} pixels", w, h,
                      max_image_pixels);
  }
  std::uint64_t sample_bytes = *maxval > 255 ? 2 : 1;
  std::uint64_t row_bytes = w * 3 * sample_bytes;
  std::uint64_t available = bytes.size() - header.pos;
  if (available < row_bytes * h) {
    std::uint64_t missing = h - available / row_bytes;
    return make_error(Errc::invalid_argument, "ppm: {} of {} rows of pixels are missing", missing, h);
  }

  Image image;
  image.width = static_cast<int>(w);
  image.height = static_cast<int>(h);
  image.pixels.resize(w * h);
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data() + header.pos);
  std::size_t step = static_cast<std::size_t>(sample_bytes);  // the high byte comes first
  for (std::uint64_t file_row = 0; file_row < h; ++file_row) {
    const unsigned char* p = in + file_row * row_bytes;
    std::uint32_t* out = image.pixels.data() + (h - 1 - file_row) * w;  // bottom row first
    for (std::uint64_t x = 0; x < w; ++x, p += 3 * step) {
      out[x] = 0xFF000000u | std::uint32_t{p[0]} << 16 | std::uint32_t{p[step]} << 8 | p[2 * step];
    }
  }
  return image;
}

}  // namespace phantom::ui

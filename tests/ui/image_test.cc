// Tests of the picture decoders and the PNG encoder (ui/image.h): P6 PPM headers, flipping and lying
// or cut files; PNG round trips; every PNG colour type libpng can write; garbage and truncation.
#include <png.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ui/image.h"

namespace phantom::ui {
namespace {

std::string error_of(Result<Image> r) {
  if (r.ok()) return "(success)";
  return r.error().message;
}

// ---- PPM ----

TEST(Ppm, CommentsAndWhitespaceInHeaderRowsFlipped) {
  // 2x2, top row red then green, bottom row blue then white; comments between every field.
  std::string file = "P6 # magic\n#a whole comment line\n\t2 # width\r\n2\n# maxval next\n255\n";
  file += std::string("\xFF\x00\x00\x00\xFF\x00", 6);
  file += std::string("\x00\x00\xFF\xFF\xFF\xFF", 6);
  auto image = decode_ppm(file);
  ASSERT_TRUE(image.ok()) << image.error().message;
  ASSERT_EQ(image->width, 2);
  ASSERT_EQ(image->height, 2);
  EXPECT_EQ(image->pixels, (std::vector<std::uint32_t>{0xFF0000FFu, 0xFFFFFFFFu, 0xFFFF0000u, 0xFF00FF00u}));
}

TEST(Ppm, SingleWhitespaceBeforePixelsEvenIfPixelLooksLikeSpace) {
  std::string file = "P6\n1 1\n255\n";
  file += "\n\t ";  // one pixel: 0x0A, 0x09, 0x20 (the header ended at the first newline)
  auto image = decode_ppm(file);
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->pixels[0], 0xFF0A0920u);
}

TEST(Ppm, Maxval65535UsesTheHighByte) {
  std::string file = "P6\n2 1\n65535\n";
  file += std::string("\x12\x34\x56\x78\x9A\xBC" "\xFF\xFF\x00\x01\x80\x00", 12);
  auto image = decode_ppm(file);
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->pixels, (std::vector<std::uint32_t>{0xFF12569Au, 0xFFFF0080u}));
  EXPECT_TRUE(decode_ppm("P6 1 1 256\n" + std::string(6, '\x7F')).ok());   // 256: two bytes already
  EXPECT_FALSE(decode_ppm("P6 1 1 256\n" + std::string(3, '\x7F')).ok());  // so three are too few
}

TEST(Ppm, SamplesAreNotRescaledToMaxval) {  // as the original: the bytes are used as they are
  auto image = decode_ppm("P6 1 1 15\n" + std::string("\x0F\x08\x00", 3));
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->pixels[0], 0xFF0F0800u);
}

TEST(Ppm, ExtraBytesAfterThePixelsAreIgnored) {
  auto image = decode_ppm("P6 1 1 255\n" + std::string("\x01\x02\x03P6 1 1 255\nxyz", 17));
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->pixels[0], 0xFF010203u);
}

TEST(Ppm, TruncatedPixelsNameTheMissingRows) {
  std::string header = "P6\n5 120\n255\n";
  std::string data(5 * 3 * 117 + 7, 'x');  // 117 whole rows and a bit
  EXPECT_EQ(error_of(decode_ppm(header + data)), "ppm: 3 of 120 rows of pixels are missing");
  EXPECT_EQ(error_of(decode_ppm(header)), "ppm: 120 of 120 rows of pixels are missing");
  EXPECT_EQ(error_of(decode_ppm("P6 2 2 65535\n" + std::string(12 + 11, 'x'))),
            "ppm: 1 of 2 rows of pixels are missing");
}

TEST(Ppm, BadHeadersSayWhatIsWrong) {
  EXPECT_EQ(error_of(decode_ppm("")), "ppm: truncated header (no P6 magic)");
  EXPECT_EQ(error_of(decode_ppm("P3 1 1 255\n1 2 3")), "ppm: P3 is not supported, only binary P6");
  EXPECT_EQ(error_of(decode_ppm("GIF89a")), "ppm: not a P6 file (no P6 magic)");
  EXPECT_EQ(error_of(decode_ppm("P65 1 255\n")), "ppm: no whitespace after the P6 magic");
  EXPECT_EQ(error_of(decode_ppm("P6")), "ppm: truncated header (no width)");
  EXPECT_EQ(error_of(decode_ppm("P6 4 # height is missing")), "ppm: truncated header (no height)");
  EXPECT_EQ(error_of(decode_ppm("P6 4 4")), "ppm: truncated header (no maxval)");
  EXPECT_EQ(error_of(decode_ppm("P6 4 4 255")), "ppm: truncated header (nothing after the maxval)");
  EXPECT_EQ(error_of(decode_ppm("P6 4 4 255#c\n")), "ppm: no whitespace between the maxval and the pixels");
  EXPECT_EQ(error_of(decode_ppm("P6 -4 4 255\n")), "ppm: the width is not a decimal number");
  EXPECT_EQ(error_of(decode_ppm("P6 1 1 0\n...")), "ppm: maxval 0 is out of range 1..65535");
  EXPECT_EQ(error_of(decode_ppm("P6 1 1 65536\n......")), "ppm: maxval 65536 is out of range 1..65535");
  EXPECT_EQ(error_of(decode_ppm("P6 0 7 255\n")), "ppm: the picture is 0x7, empty");
  EXPECT_EQ(error_of(decode_ppm("P6 99999999999999999999999 1 255\n")), "ppm: the width is too large");
}

TEST(Ppm, HugeSizesAreRefusedBeforeAnyAllocation) {
  // These would need gigabytes; the checks come first, so each fails at once with a clear message.
  EXPECT_EQ(error_of(decode_ppm("P6 16385 1 255\n")), "ppm: 16385x1 exceeds the limit of 16384 pixels a side");
  EXPECT_EQ(error_of(decode_ppm("P6 1 4000000000 255\n")),
            "ppm: 1x4000000000 exceeds the limit of 16384 pixels a side");
  EXPECT_EQ(error_of(decode_ppm("P6 16384 16384 65535\n")),
            "ppm: 16384x16384 exceeds the limit of 67108864 pixels");
  // Within the limits but with no pixel data: refused by the byte count, not after a 256 MiB vector.
  EXPECT_EQ(error_of(decode_ppm("P6 16384 4096 255\nxyz")), "ppm: 4096 of 4096 rows of pixels are missing");
}

// ---- PNG ----

struct PngSpec {
  int width = 0, height = 0, color_type = PNG_COLOR_TYPE_RGB, bit_depth = 8;
  bool interlaced = false;
  std::vector<png_color> palette;
  std::vector<png_byte> trans;  // tRNS alpha per palette entry
  std::vector<std::vector<png_byte>> rows;  // top row first, in the file's own layout
};

void append(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), n);
}

// Writes `spec` with libpng directly, so the decoder meets files that Phantom's encoder never makes.
std::string make_png(PngSpec spec) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    ADD_FAILURE() << "libpng could not write the test picture";
    png_destroy_write_struct(&png, &info);
    return {};
  }
  png_set_write_fn(png, &out, append, nullptr);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  if (!spec.trans.empty()) png_set_tRNS(png, info, spec.trans.data(), static_cast<int>(spec.trans.size()), nullptr);
  png_write_info(png, info);
  std::vector<png_bytep> rows;
  for (auto& r : spec.rows) rows.push_back(r.data());
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

Result<Image> decode_checked(const std::string& file) {
  EXPECT_FALSE(file.empty());
  return decode_png(file);
}

TEST(Png, EncodeDecodeRoundTripIsExact) {
  const int w = 37, h = 23;
  std::vector<std::uint32_t> pixels(w * h);
  for (int i = 0; i < w * h; ++i) pixels[i] = static_cast<std::uint32_t>(i * 2654435761u);  // all alphas
  ConstCanvas canvas(pixels.data(), w, h);
  auto rgba = encode_png(canvas, true);
  ASSERT_TRUE(rgba.ok()) << rgba.error().message;
  auto image = decode_png(*rgba);
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->width, w);
  EXPECT_EQ(image->height, h);
  EXPECT_EQ(image->pixels, pixels);

  auto rgb = encode_png(canvas, false);  // alpha dropped: every pixel comes back opaque
  ASSERT_TRUE(rgb.ok()) << rgb.error().message;
  auto opaque_image = decode_image(*rgb);
  ASSERT_TRUE(opaque_image.ok()) << opaque_image.error().message;
  for (int i = 0; i < w * h; ++i) ASSERT_EQ(opaque_image->pixels[i], pixels[i] | 0xFF000000u) << i;
}

TEST(Png, EncodedFileIsUprightAndRgb) {
  std::uint32_t pixels[2] = {0xFF112233u, 0xFF445566u};  // bottom row, top row
  auto file = encode_png(ConstCanvas(pixels, 1, 2));
  ASSERT_TRUE(file.ok()) << file.error().message;
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_memory(&img, file->data(), file->size()));
  EXPECT_EQ(img.format & PNG_FORMAT_FLAG_ALPHA, 0u);
  img.format = PNG_FORMAT_RGB;
  unsigned char rgb[6];
  ASSERT_TRUE(png_image_finish_read(&img, nullptr, rgb, 0, nullptr));
  EXPECT_EQ(std::vector<int>(rgb, rgb + 6), (std::vector<int>{0x44, 0x55, 0x66, 0x11, 0x22, 0x33}));
}

TEST(Png, EncodingAnEmptyCanvasIsAnError) {
  auto r = encode_png(ConstCanvas(nullptr, 0, 5));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "png: cannot encode a 0x5 picture");
}

TEST(Png, PaletteWithTransparency) {
  PngSpec s{.width = 3, .height = 1, .color_type = PNG_COLOR_TYPE_PALETTE, .bit_depth = 4};
  s.palette = {{10, 20, 30}, {200, 100, 0}, {1, 2, 3}};
  s.trans = {0x00, 0x80};  // entry 2 has none: opaque
  s.rows = {{0x01, 0x20}};  // indices 0, 1, 2 (4 bits each)
  auto image = decode_checked(make_png(s));
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->pixels, (std::vector<std::uint32_t>{0x000A141Eu, 0x80C86400u, 0xFF010203u}));
}

TEST(Png, GreyOneBitAndEightBitAndWithAlpha) {
  PngSpec one{.width = 9, .height = 1, .color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 1};
  one.rows = {{0b10100000, 0b10000000}};
  auto image = decode_checked(make_png(one));
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->pixels[0], 0xFFFFFFFFu);
  EXPECT_EQ(image->pixels[1], 0xFF000000u);
  EXPECT_EQ(image->pixels[2], 0xFFFFFFFFu);
  EXPECT_EQ(image->pixels[8], 0xFFFFFFFFu);

  PngSpec ga{.width = 2, .height = 1, .color_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 8};
  ga.rows = {{0x40, 0x10, 0xC0, 0xFF}};
  auto grey_alpha = decode_checked(make_png(ga));
  ASSERT_TRUE(grey_alpha.ok()) << grey_alpha.error().message;
  EXPECT_EQ(grey_alpha->pixels, (std::vector<std::uint32_t>{0x10404040u, 0xFFC0C0C0u}));
}

TEST(Png, SixteenBitUsesTheHighByteAndRowsAreFlipped) {
  PngSpec s{.width = 1, .height = 2, .color_type = PNG_COLOR_TYPE_RGB_ALPHA, .bit_depth = 16};
  s.rows = {{0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0},   // top
            {0xFF, 0xFF, 0x00, 0x00, 0x80, 0x01, 0x7F, 0xFF}};  // bottom
  auto image = decode_checked(make_png(s));
  ASSERT_TRUE(image.ok()) << image.error().message;
  EXPECT_EQ(image->pixels, (std::vector<std::uint32_t>{0x7FFF0080u, 0xDE12569Au}));
}

TEST(Png, InterlacedMatchesTheSamePictureNotInterlaced) {
  PngSpec s{.width = 13, .height = 11, .color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
  for (int y = 0; y < s.height; ++y) {
    std::vector<png_byte> row;
    for (int x = 0; x < s.width; ++x) row.insert(row.end(), {png_byte(x * 19), png_byte(y * 23), png_byte(x ^ y)});
    s.rows.push_back(row);
  }
  auto plain = decode_checked(make_png(s));
  s.interlaced = true;
  auto interlaced = decode_checked(make_png(s));
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  ASSERT_TRUE(interlaced.ok()) << interlaced.error().message;
  EXPECT_EQ(plain->pixels, interlaced->pixels);
  EXPECT_EQ(plain->pixels[0], 0xFF00E60Au);  // (0, 10): the top-left pixel of the bottom row
}

// The CRC of a PNG chunk (type and data), to hand-build headers that lie.
std::uint32_t crc32(const std::string& bytes) {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : bytes) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return ~c;
}
std::string be32(std::uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}
std::string chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<std::uint32_t>(data.size())) + type + data + be32(crc32(type + data));
}
std::string png_claiming(std::uint32_t w, std::uint32_t h) {
  std::string ihdr = be32(w) + be32(h) + std::string("\x08\x06\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", "x") + chunk("IEND", "");
}

TEST(Png, LyingHeadersAreRefusedBeforeAllocating) {
  EXPECT_EQ(error_of(decode_png(png_claiming(16385, 1))),
            "png: invalid IHDR data: image width exceeds user limit in IHDR");
  EXPECT_EQ(error_of(decode_png(png_claiming(16384, 16384))),
            "png: 16384x16384 exceeds the limit of 67108864 pixels");
  // Allowed by the limits (256 MiB of pixels), but 60 bytes cannot inflate to that many.
  EXPECT_EQ(error_of(decode_png(png_claiming(16384, 4096))), "png: 16384x4096 pixels cannot be in 58 bytes");
}

TEST(Png, EveryTruncationAndCorruptionIsACleanError) {
  std::vector<std::uint32_t> pixels(20 * 20, 0x80FF8040u);
  auto file = encode_png(ConstCanvas(pixels.data(), 20, 20), true);
  ASSERT_TRUE(file.ok());
  for (std::size_t n = 0; n < file->size(); ++n) {
    auto r = decode_image(file->substr(0, n));
    if (r.ok()) {
      EXPECT_GE(n, file->size() - 12) << "only the IEND chunk may be missing";
    } else {
      EXPECT_EQ(r.error().message.rfind(n < 8 ? "picture: " : "png: ", 0), 0u) << r.error().message;
    }
  }
  std::string broken = *file;
  broken[20] ^= 0x40;  // inside IHDR: CRC mismatch
  EXPECT_NE(error_of(decode_png(broken)).find("CRC"), std::string::npos);
  EXPECT_EQ(error_of(decode_png(file->substr(0, 45))), "png: the file is truncated");
}

TEST(Png, GarbageAfterTheSignature) {
  std::string garbage("\x89PNG\r\n\x1a\n", 8);
  for (int i = 0; i < 200; ++i) garbage += static_cast<char>(i * 37 + 11);
  auto r = decode_png(garbage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("png: ", 0), 0u);
  EXPECT_EQ(error_of(decode_png("P6 1 1 255\nabc")), "png: no PNG signature");
}

TEST(Image, DecodeImageChoosesByTheFirstBytes) {
  std::uint32_t px = 0xFF102030u;
  auto png = encode_png(ConstCanvas(&px, 1, 1));
  ASSERT_TRUE(png.ok());
  auto from_png = decode_image(*png);
  ASSERT_TRUE(from_png.ok()) << from_png.error().message;
  EXPECT_EQ(from_png->pixels[0], px);
  auto from_ppm = decode_image("P6 1 1 255\n" + std::string("\x10\x20\x30", 3));
  ASSERT_TRUE(from_ppm.ok()) << from_ppm.error().message;
  EXPECT_EQ(from_ppm->pixels[0], px);
  EXPECT_EQ(error_of(decode_image("P6 1 1 0\n")), "ppm: maxval 0 is out of range 1..65535");
  EXPECT_EQ(error_of(decode_image("GIF89a...")), "picture: neither a PNG nor a P6 PPM (it starts with \"GIF8\")");
  EXPECT_EQ(error_of(decode_image(std::string("\xFF\xD8\xFF\xE0", 4))),
            "picture: neither a PNG nor a P6 PPM (it starts with \"\\xff\\xd8\\xff\\xe0\")");
  EXPECT_EQ(error_of(decode_image("")), "picture: empty, neither a PNG nor a P6 PPM");
}

TEST(Image, CanvasViewsThePixels) {
  auto image = decode_image("P6 2 1 255\n" + std::string(6, '\x01'));
  ASSERT_TRUE(image.ok());
  ConstCanvas c = image->canvas();
  EXPECT_EQ(c.width, 2);
  EXPECT_EQ(c.height, 1);
  EXPECT_EQ(c.row(0)[1], 0xFF010101u);
}

}  // namespace
}  // namespace phantom::ui

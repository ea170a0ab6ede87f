// PNG: reading any PNG into an Image and writing a canvas as PNG, both in memory, through libpng; and
// decode_image, which picks PNG or PPM by the first bytes (subsystems.md §1.4: the original has no PNG
// decoder at run time, Phantom adds one for host-side pictures and screenshots).
//
// libpng reports errors by calling an error function that must not return; we longjmp back to a
// setjmp in a function whose locals are all trivial (read_png / write_png below), as C++ requires for
// longjmp, and keep everything with a destructor (the png structs, the pixels, the message) in an
// object owned by the caller. So a corrupt file becomes a Result error with nothing leaked.
#include <png.h>

#include <cctype>
#include <csetjmp>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ui/image.h"

namespace phantom::ui {
namespace {

// Deflate cannot expand data by more than 1032:1, so a file of n bytes holds at most about 1032 * n
// bytes of raw rows: a small file claiming a huge picture is refused before its pixels are allocated.
constexpr std::uint64_t max_deflate_ratio = 1100;

struct ErrorSink {
  std::string message;
  std::string warning;  // the first warning: libpng often says why just before a terse error
};

// libpng's messages start with a capital ("Read Error"); ours are lower case, but "IHDR: ..." stays.
std::string lower_first(std::string text) {
  if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
      std::islower(static_cast<unsigned char>(text[1]))) {
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

[[noreturn]] void on_error(png_structp png, png_const_charp text) {
  auto* sink = static_cast<ErrorSink*>(png_get_error_ptr(png));
  if (sink->message.empty()) {
    // "invalid IHDR data: image width exceeds user limit in IHDR"
    sink->message = lower_first(text ? text : "unknown error");
    if (!sink->warning.empty()) sink->message += ": " + lower_first(sink->warning);
  }
  png_longjmp(png, 1);
}

// Warnings (a bad ancillary chunk) do not stop a read; the first is kept to explain a later error.
void on_warning(png_structp png, png_const_charp text) {
  auto* sink = static_cast<ErrorSink*>(png_get_error_ptr(png));
  if (sink->warning.empty() && text) sink->warning = text;
}

// ---- reading ----

struct Reader : ErrorSink {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string_view in;
  std::size_t pos = 0;
  Image image;
  std::vector<png_bytep> rows;

  ~Reader() {
    if (png) png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
  }
};

void read_bytes(png_structp png, png_bytep out, png_size_t count) {
  auto* r = static_cast<Reader*>(png_get_io_ptr(png));
  if (count > r->in.size() - r->pos) {
    r->message = "the file is truncated";
    png_error(png, "truncated");
  }
  std::memcpy(out, r->in.data() + r->pos, count);
  r->pos += count;
}

// All locals trivial: libpng may longjmp out of any call below, back to the setjmp.
bool read_png(Reader& r) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_set_user_limits(r.png, max_image_side, max_image_side);
  png_set_chunk_cache_max(r.png, 256);                 // ancillary chunks (text, sPLT) kept at most
  png_set_chunk_malloc_max(r.png, 8u << 20);           // and no single chunk over 8 MiB
  png_set_read_fn(r.png, &r, read_bytes);
  png_read_info(r.png, r.info);

  png_uint_32 w = png_get_image_width(r.png, r.info), h = png_get_image_height(r.png, r.info);
  int depth = png_get_bit_depth(r.png, r.info), type = png_get_color_type(r.png, r.info);
  if (std::uint64_t{w} * h > max_image_pixels) {
    r.message = fmt::format("{}x{} exceeds the limit of {} pixels", w, h, max_image_pixels);
    return false;
  }
  std::uint64_t raw_row_bits = std::uint64_t{w} * static_cast<unsigned>(depth) * png_get_channels(r.png, r.info);
  std::uint64_t raw_bytes = (1 + (raw_row_bits + 7) / 8) * h;  // a filter byte per row
  if (raw_bytes > (r.in.size() + 64) * max_deflate_ratio) {
    r.message = fmt::format("{}x{} pixels cannot be in {} bytes", w, h, r.in.size());
    return false;
  }

  // Everything to 8-bit RGBA: palette and grey expanded, tRNS to alpha, 16 bits to their high byte
  // (as PPM's maxval > 255), opaque alpha added where there is none.
  png_set_expand(r.png);
  if (depth == 16) png_set_strip_16(r.png);
  if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r.png);
  if (!(type & PNG_COLOR_MASK_ALPHA)) png_set_add_alpha(r.png, 0xFF, PNG_FILLER_AFTER);
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);
  if (png_get_rowbytes(r.png, r.info) != std::size_t{w} * 4) {
    r.message = "unexpected row layout after conversion to RGBA";
    return false;
  }

  // libpng writes R,G,B,A straight into the pixels, rows placed bottom first; converted in place below.
  r.image.width = static_cast<int>(w);
  r.image.height = static_cast<int>(h);
  r.image.pixels.resize(std::size_t{w} * h);
  r.rows.resize(h);
  for (png_uint_32 y = 0; y < h; ++y) {
    r.rows[y] = reinterpret_cast<png_bytep>(r.image.pixels.data() + std::size_t{h - 1 - y} * w);
  }
  png_read_image(r.png, r.rows.data());
  return true;
}

// ---- writing ----

struct Writer : ErrorSink {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string out;
  std::vector<png_byte> row;
  bool out_of_memory = false;

  ~Writer() {
    if (png) png_destroy_write_struct(&png, info ? &info : nullptr);
  }
};

void write_bytes(png_structp png, png_bytep data, png_size_t count) {
  auto* w = static_cast<Writer*>(png_get_io_ptr(png));
  try {
    w->out.append(reinterpret_cast<const char*>(data), count);
  } catch (const std::bad_alloc&) {
    w->out_of_memory = true;  // png_error outside the handler: longjmp must not leave a catch block
  }
  if (w->out_of_memory) png_error(png, "out of memory for the encoded picture");
}

void flush_bytes(png_structp) {}

bool write_png(Writer& w, const ConstCanvas& canvas, bool keep_alpha) {
  if (setjmp(png_jmpbuf(w.png))) return false;
  png_set_write_fn(w.png, &w, write_bytes, flush_bytes);
  png_set_IHDR(w.png, w.info, static_cast<png_uint_32>(canvas.width), static_cast<png_uint_32>(canvas.height),
               8, keep_alpha ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(w.png, w.info);
  for (int y = canvas.height - 1; y >= 0; --y) {  // PNG is top row first
    const std::uint32_t* p = canvas.row(y);
    png_byte* o = w.row.data();
    for (int x = 0; x < canvas.width; ++x) {
      *o++ = static_cast<png_byte>(p[x] >> 16);
      *o++ = static_cast<png_byte>(p[x] >> 8);
      *o++ = static_cast<png_byte>(p[x]);
      if (keep_alpha) *o++ = static_cast<png_byte>(p[x] >> 24);
    }
    png_write_row(w.png, w.row.data());
  }
  png_write_end(w.png, nullptr);
  return true;
}

std::string describe_start(std::string_view bytes) {
  std::string s;
  for (unsigned char c : bytes.substr(0, 4)) {
    s += c >= 0x20 && c < 0x7F ? std::string(1, static_cast<char>(c)) : fmt::format("\\x{:02x}", c);
  }
  return s;
}

}  // namespace

Result<Image> decode_png(std::string_view bytes) {
  if (bytes.size() < 8 || png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) != 0) {
    return make_error(Errc::invalid_argument, "png: no PNG signature");
  }
  Reader r;
  r.in = bytes;
  r.pos = 8;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, static_cast<ErrorSink*>(&r), on_error, on_warning);
  if (r.png) r.info = png_create_info_struct(r.png);
  if (!r.png || !r.info) return make_error(Errc::io, "png: cannot create the libpng reader");
  png_set_sig_bytes(r.png, 8);
  if (!read_png(r)) return make_error(Errc::invalid_argument, "png: {}", r.message);

  // R,G,B,A bytes → 0xAARRGGBB, whatever the host's byte order.
  for (std::uint32_t& px : r.image.pixels) {
    unsigned char b[4];
    std::memcpy(b, &px, 4);
    px = std::uint32_t{b[3]} << 24 | std::uint32_t{b[0]} << 16 | std::uint32_t{b[1]} << 8 | b[2];
  }
  return std::move(r.image);
}

Result<Image> decode_image(std::string_view bytes) {
  if (bytes.size() >= 8 && png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8) == 0) {
    return decode_png(bytes);
  }
  if (bytes.size() >= 2 && bytes[0] == 'P' && bytes[1] == '6') return decode_ppm(bytes);
  if (bytes.empty()) return make_error(Errc::invalid_argument, "picture: empty, neither a PNG nor a P6 PPM");
  return make_error(Errc::invalid_argument, "picture: neither a PNG nor a P6 PPM (it starts with \"{}\")",
                    describe_start(bytes));
}

Result<std::string> encode_png(const ConstCanvas& canvas, bool keep_alpha) {
  if (canvas.width <= 0 || canvas.height <= 0 || !canvas.pixels) {
    return make_error(Errc::invalid_argument, "png: cannot encode a {}x{} picture", canvas.width,
                      canvas.height);
  }
  Writer w;
  w.row.resize(std::size_t(canvas.width) * (keep_alpha ? 4 : 3));
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, static_cast<ErrorSink*>(&w), on_error, on_warning);
  if (w.png) w.info = png_create_info_struct(w.png);
  if (!w.png || !w.info) return make_error(Errc::io, "png: cannot create the libpng writer");
  if (!write_png(w, canvas, keep_alpha)) return make_error(Errc::io, "png: {}", w.message);
  return std::move(w.out);
}

}  // namespace phantom::ui

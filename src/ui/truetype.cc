// TrueType text through FreeType (window system layer): window titles and control labels in DejaVu
// Sans, anti-aliased and blended over the canvas (subsystems.md §1.3; the original compiled OpenSans
// into the kernel, Phantom uses the host's Debian fonts-dejavu-core).
//
// One FT_Library and the six faces (Typeface) are created at first use (std::call_once). FreeType objects are not
// thread-safe and composition and natives may draw from different threads, so every use of them and of
// the glyph cache is under one mutex. The cache keeps rendered coverage by (face, size, code point)
// and is simply emptied when it grows past its bound: titles and labels reuse a few hundred glyphs.
#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ui/text.h"

namespace phantom::ui {
namespace {

constexpr std::size_t max_cached_glyphs = 4096;

struct CachedGlyph {
  int left = 0, top = 0, width = 0, rows = 0;  // bitmap placement relative to the pen on the baseline
  long advance = 0;                            // 26.6 fixed point
  std::vector<std::uint8_t> coverage;          // width * rows, top row first
};

struct Fonts {
  FT_Library library = nullptr;
  FT_Face faces[typeface_count] = {};  // by Typeface; sans where a file is missing
  bool available = false;
  std::mutex mutex;
  std::unordered_map<std::uint64_t, CachedGlyph> cache;
};

Fonts& fonts() {
  // Never destroyed: a draw from another thread during exit must not find a freed library.
  static Fonts* f = new Fonts;
  static std::once_flag once;
  std::call_once(once, [] {
    static constexpr const char* files[typeface_count] = {"DejaVuSans.ttf",     "DejaVuSans-Bold.ttf",
                                                          "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf",
                                                          "DejaVuSerif.ttf",    "DejaVuSerif-Bold.ttf"};
    if (FT_Init_FreeType(&f->library) != 0) return;
    for (int i = 0; i < typeface_count; ++i) {
      std::string path = std::string(PHANTOM_TTF_DIR) + "/" + files[i];
      if (FT_New_Face(f->library, path.c_str(), 0, &f->faces[i]) != 0) f->faces[i] = nullptr;
    }
    if (!f->faces[0]) return;
    for (FT_Face& face : f->faces)
      if (!face) face = f->faces[0];
    f->available = true;
  });
  return *f;
}

// The glyph of `cp` at `size` pixels, rendered and cached; call with the mutex held. A glyph FreeType
// cannot load or render is cached as an empty one with no advance.
const CachedGlyph& cached_glyph(Fonts& f, Typeface typeface, int size, char32_t cp) {
  auto index = static_cast<std::uint64_t>(typeface);
  std::uint64_t key = index << 40 | std::uint64_t(size) << 32 | cp;
  if (auto it = f.cache.find(key); it != f.cache.end()) return it->second;
  if (f.cache.size() >= max_cached_glyphs) f.cache.clear();
  CachedGlyph& g = f.cache[key];
  FT_Face face = f.faces[index];
  if (FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(size)) != 0) return g;
  // A code point the font lacks loads glyph 0, DejaVu's "missing" box, which keeps the text's width.
  if (FT_Load_Char(face, cp, FT_LOAD_RENDER) != 0) return g;
  FT_GlyphSlot slot = face->glyph;
  g.advance = slot->advance.x;
  const FT_Bitmap& bm = slot->bitmap;
  if (bm.pixel_mode != FT_PIXEL_MODE_GRAY || bm.width == 0 || bm.rows == 0) return g;
  g.left = slot->bitmap_left;
  g.top = slot->bitmap_top;
  g.width = static_cast<int>(bm.width);
  g.rows = static_cast<int>(bm.rows);
  g.coverage.resize(std::size_t(g.width) * g.rows);
  // A negative pitch means the buffer starts with the bottom row; either way pitch steps one row down.
  const unsigned char* top = bm.pitch >= 0 ? bm.buffer : bm.buffer + std::ptrdiff_t(bm.rows - 1) * -bm.pitch;
  for (int r = 0; r < g.rows; ++r) {
    const unsigned char* src = top + std::ptrdiff_t(r) * bm.pitch;
    std::copy(src, src + g.width, g.coverage.begin() + std::ptrdiff_t(r) * g.width);
  }
  return g;
}

// Source-over of `color` with its alpha scaled by `coverage` (0..255).
std::uint32_t blend(std::uint32_t dst, std::uint32_t color, unsigned coverage) {
  unsigned a = (coverage * (color >> 24) + 127) / 255;
  if (a == 0) return dst;
  if (a == 255) return color;
  unsigned na = 255 - a;
  auto channel = [&](int shift) {
    unsigned s = color >> shift & 0xFF, d = dst >> shift & 0xFF;
    return ((s * a + d * na + 127) / 255) << shift;
  };
  unsigned out_alpha = a + ((dst >> 24) * na + 127) / 255;
  return out_alpha << 24 | channel(16) | channel(8) | channel(0);
}

int clamp_size(int pixel_size) { return std::clamp(pixel_size, 4, 256); }

// ---- the bitmap font, when FreeType is not there: 8x16 cells, glyph bits in `color`, no background;
// the cell's bottom sits 4 rows below the baseline, where the console font's descenders end ----
constexpr int bitmap_descent = 4;

Rect draw_bitmap_fallback(Canvas& c, int x, int baseline, std::string_view utf8, std::uint32_t color) {
  Rect touched;
  std::int64_t pen = x, bottom = std::int64_t{baseline} - bitmap_descent;
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = next_utf8(utf8, i);
    if (cp < 0x20) continue;
    const std::uint8_t* g = glyph(cp);
    for (int r = 0; r < cell_height; ++r) {
      std::int64_t py = bottom + cell_height - 1 - r;
      if (py < 0 || py >= c.height) continue;
      for (int b = 0; b < cell_width; ++b) {
        std::int64_t px = pen + b;
        if (!(g[r] & (0x80 >> b)) || px < 0 || px >= c.width) continue;
        std::uint32_t& p = c.row(static_cast<int>(py))[px];
        p = blend(p, color, 255);
        touched = touched.unite({static_cast<int>(px), static_cast<int>(py), 1, 1});
      }
    }
    pen += cell_width;
  }
  return touched;
}

}  // namespace

bool truetype_available() { return fonts().available; }

Rect draw_truetype(Canvas& c, int x, int baseline, std::string_view utf8, int pixel_size, std::uint32_t color,
                   Typeface typeface) {
  Fonts& f = fonts();
  if (!f.available) return draw_bitmap_fallback(c, x, baseline, utf8, color);
  int size = clamp_size(pixel_size);
  std::lock_guard lock(f.mutex);
  Rect touched;
  std::int64_t pen = std::int64_t{x} * 64;  // 26.6, so fractional advances add up as FreeType meant
  for (std::size_t i = 0; i < utf8.size();) {
    char32_t cp = next_utf8(utf8, i);
    if (cp < 0x20) continue;  // controls (a newline in a title) take no room
    const CachedGlyph& g = cached_glyph(f, typeface, size, cp);
    std::int64_t gx = (pen + 32) / 64 + g.left;           // the glyph's left column
    std::int64_t gy = std::int64_t{baseline} + g.top - 1;  // its top row; rows below it have smaller y
    pen += g.advance;
    // Clip the glyph box to the canvas, in 64-bit so that no argument can overflow.
    std::int64_t c0 = std::max<std::int64_t>(0, -gx), c1 = std::min<std::int64_t>(g.width, c.width - gx);
    std::int64_t r0 = std::max<std::int64_t>(0, gy - (c.height - 1)), r1 = std::min<std::int64_t>(g.rows, gy + 1);
    if (c0 >= c1 || r0 >= r1) continue;
    for (std::int64_t r = r0; r < r1; ++r) {
      std::uint32_t* row = c.row(static_cast<int>(gy - r));
      const std::uint8_t* cov = g.coverage.data() + r * g.width;
      for (std::int64_t col = c0; col < c1; ++col) {
        if (cov[col]) row[gx + col] = blend(row[gx + col], color, cov[col]);
      }
    }
    touched = touched.unite({static_cast<int>(gx + c0), static_cast<int>(gy - (r1 - 1)), static_cast<int>(c1 - c0),
                             static_cast<int>(r1 - r0)});
  }
  return touched;
}

int truetype_width(std::string_view utf8, int pixel_size, Typeface typeface) {
  Fonts& f = fonts();
  std::int64_t width = 0;
  if (!f.available) {
    for (std::size_t i = 0; i < utf8.size();) {
      if (next_utf8(utf8, i) >= 0x20) width += cell_width;
    }
  } else {
    int size = clamp_size(pixel_size);
    std::lock_guard lock(f.mutex);
    for (std::size_t i = 0; i < utf8.size();) {
      char32_t cp = next_utf8(utf8, i);
      if (cp >= 0x20) width += cached_glyph(f, typeface, size, cp).advance;
    }
    width = (width + 32) / 64;
  }
  return static_cast<int>(std::min<std::int64_t>(width, INT32_MAX));
}

int truetype_line_height(int pixel_size, Typeface typeface) {
  Fonts& f = fonts();
  if (!f.available) return cell_height;
  int size = clamp_size(pixel_size);
  std::lock_guard lock(f.mutex);
  FT_Face face = f.faces[static_cast<int>(typeface)];
  if (FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(size)) != 0) return size;
  return static_cast<int>((face->size->metrics.height + 63) / 64);
}

std::string_view typeface_name(Typeface typeface) {
  static constexpr std::string_view names[typeface_count] = {"sans", "sans-bold", "mono", "mono-bold", "serif", "serif-bold"};
  return names[static_cast<int>(typeface)];
}

std::optional<Typeface> typeface_named(std::string_view name) {
  for (int i = 0; i < typeface_count; ++i)
    if (typeface_name(static_cast<Typeface>(i)) == name) return static_cast<Typeface>(i);
  return std::nullopt;
}

}  // namespace phantom::ui

// Bitmap font: the 8x16 console font the TTY and drawString use (subsystems.md §1.3; the original's
// `san` 8x16 is replaced by Debian's Uni2-VGA16, the same VGA shapes plus a Unicode table). The glyphs
// and the sorted code point → glyph map are generated at build time by make_font.cmake.
#include <algorithm>
#include <iterator>

#include "ui/text.h"

namespace phantom::ui {
namespace {

#include "console_font.inc"

static_assert(sizeof(font_glyphs[0]) == cell_height, "the console font must be 8x16");

const FontMapEntry* find(char32_t ch) {
  auto end = std::end(font_map);
  auto it = std::lower_bound(std::begin(font_map), end, ch,
                             [](const FontMapEntry& e, char32_t c) { return e.cp < c; });
  return it != end && it->cp == ch ? it : nullptr;
}

}  // namespace

const std::uint8_t* glyph(char32_t ch) {
  // Looked up once: the fallback is '?' (the font maps it; glyph 0 only if a strange font does not).
  static const std::uint8_t* const fallback = [] {
    const FontMapEntry* q = find(U'?');
    return font_glyphs[q ? q->glyph : 0];
  }();
  const FontMapEntry* e = find(ch);
  return e && e->glyph < std::size(font_glyphs) ? font_glyphs[e->glyph] : fallback;
}

}  // namespace phantom::ui

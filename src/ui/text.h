// Text: the 8x16 bitmap font with the TTY rules of subsystems.md §1.3, and TrueType text through
// FreeType (window system layer). Both draw onto a Canvas (ui/canvas.h, bottom-left origin).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "ui/canvas.h"

namespace phantom::ui {

constexpr int cell_width = 8, cell_height = 16;

// The text cursor and colour state of a TTY or of drawString, kept by the caller (in the world: a TTY's
// cursor persists across restarts). (x, y) is the bottom-left corner of the next character cell.
struct TextState {
  std::int32_t x = 0, y = 0;
  std::uint32_t fg = 0xFF000000u, bg = 0xFFFFFFFFu;  // the current colours (ANSI escapes change them)
  std::uint32_t default_fg = 0xFF000000u, default_bg = 0xFFFFFFFFu;  // what ESC[0m, 39 and 49 return to
  std::uint32_t flags = 0;  // text_reverse, and the escape parser's state between calls
};
constexpr std::uint32_t text_reverse = 1;

// The 16 rows of the glyph for `ch` (top row first, bit 7 = leftmost pixel); '?' for characters the
// font lacks. The font is taken from a Debian console font at build time.
const std::uint8_t* glyph(char32_t ch);

// The code point of UTF-8 at text[i] (i < text.size()), advancing i past it; U'?' for ill-formed bytes.
// Shared by the TTY and TrueType text (defined in tty_text.cc).
char32_t next_utf8(std::string_view text, std::size_t& i);

// Draws UTF-8 `text` at the cursor with the TTY rules: \n moves one line down, scrolling the whole canvas
// up by 16 pixels at the bottom; \r to column 0; \t to the next multiple of 8 pixels; \b one cell left
// (not past column 0, nothing erased: "\b \b" erases, as on a terminal); a character that
// does not fit wraps; ESC [ n (;n)* m with 0, 1, 3, 7, 30-37, 40-47, 39, 49 (other sequences swallowed).
// Returns the rectangle touched (the whole canvas when it scrolled).
Rect draw_tty_text(Canvas& c, TextState& state, std::string_view text);

// TrueType: the DejaVu faces of Debian's fonts-dejavu-core (sans bold for window titles). `y` is the
// baseline, in canvas coordinates (bottom-left origin). Anti-aliased: glyph coverage is blended over the
// canvas. Returns the rectangle touched. When FreeType or DejaVu Sans is missing, falls back to the
// bitmap font (and truetype_available() says false); a missing face is drawn in DejaVu Sans.
enum class Typeface : std::uint8_t { sans, sans_bold, mono, mono_bold, serif, serif_bold };
constexpr int typeface_count = 6;
std::string_view typeface_name(Typeface typeface);  // "sans", "sans-bold", "mono", ... (.internal.ui.font)
std::optional<Typeface> typeface_named(std::string_view name);
bool truetype_available();
Rect draw_truetype(Canvas& c, int x, int baseline, std::string_view utf8, int pixel_size, std::uint32_t color,
                   Typeface typeface = Typeface::sans);
int truetype_width(std::string_view utf8, int pixel_size, Typeface typeface = Typeface::sans);  // advance, pixels
int truetype_line_height(int pixel_size, Typeface typeface = Typeface::sans);  // baseline to baseline, pixels

}  // namespace phantom::ui

// TTY text: UTF-8 drawn with the 8x16 bitmap font by the rules of subsystems.md §1.3, for the TTY's
// putws and the window's drawString (window system layer).
//
// The cursor (x, y) is the bottom-left corner of the next cell, y growing upward, so the first line of
// a TTY is the bottom one and "one line down" is y - 16; a line below y = 0 scrolls the whole canvas up
// instead, the new rows taking the current background (state.bg, not swapped by reverse). \n also
// returns to column 0, as in the original (a TTY has no separate line feed). Other C0 controls (BEL,
// BS, ...) draw nothing.
//
// Escape sequences: ESC [ params final. With final 'm' and only digits and ';' as parameters it is SGR:
// 0 reset, 1/3 bright (no visible effect), 7 reverse, 30-37/40-47 the 8-colour VGA palette, 39/49 the
// defaults; 38 and 48 (256-colour and RGB forms) end the interpretation of that sequence, so their
// arguments are not mistaken for colours. Any other sequence is swallowed, and ESC followed by anything
// but '[' swallows that one byte. A C0 control or a non-ASCII byte inside a sequence aborts it and is
// then handled as text, so a stray ESC cannot eat a newline.
//
// A sequence may be cut between two calls (putws of a chunked stream): the parser's state lives in
// TextState::flags above text_reverse, laid out as below. The SGR parameters seen so far are kept as
// their net effect (reset? reverse? last fg? last bg?) plus the number being read, which is exactly
// what applying them in order at the final 'm' needs, in 24 bits, however many parameters there are.
// A UTF-8 character cut between two calls is not kept: its bytes are drawn as '?'.
#include <algorithm>
#include <cstdint>

#include "ui/text.h"

namespace phantom::ui {
namespace {

// The VGA text-mode palette in ANSI order (black, red, green, brown/yellow, blue, magenta, cyan, grey).
constexpr std::uint32_t palette[8] = {0xFF000000u, 0xFFAA0000u, 0xFF00AA00u, 0xFFAA5500u,
                                      0xFF0000AAu, 0xFFAA00AAu, 0xFF00AAAAu, 0xFFAAAAAAu};

// TextState::flags, bit by bit:
//   0      text_reverse (the current attribute, not parser state)
//   1-2    parser mode: 0 text, 1 after ESC, 2 inside ESC [ ... (CSI)
//   3      the CSI has bytes other than digits and ';' (private or intermediate): not SGR
//   4      pending SGR: a reset (0) was seen
//   5      pending SGR: reverse (7) was seen after the last reset
//   6-9    pending SGR foreground: 0 unchanged, 1 default (39), 2 + n palette colour n (30 + n)
//   10-13  pending SGR background, the same with 49 and 40 + n
//   14-23  the parameter being read, saturating at 1023
//   24     38 or 48 was seen: the rest of the parameters are ignored
enum Mode : std::uint32_t { mode_text = 0, mode_escape = 1, mode_csi = 2 };

struct Parser {
  std::uint32_t mode = mode_text;
  bool foreign = false, reset = false, reverse = false, extended = false;
  std::uint32_t fg = 0, bg = 0, param = 0;

  static Parser unpack(std::uint32_t f) {
    Parser p;
    p.mode = f >> 1 & 3;
    if (p.mode > mode_csi) p.mode = mode_text;  // a corrupt persisted value: start clean
    p.foreign = f >> 3 & 1;
    p.reset = f >> 4 & 1;
    p.reverse = f >> 5 & 1;
    p.fg = std::min<std::uint32_t>(f >> 6 & 15, 9);
    p.bg = std::min<std::uint32_t>(f >> 10 & 15, 9);
    p.param = f >> 14 & 1023;
    p.extended = f >> 24 & 1;
    return p;
  }
  std::uint32_t pack() const {
    return mode << 1 | std::uint32_t{foreign} << 3 | std::uint32_t{reset} << 4 | std::uint32_t{reverse} << 5 |
           fg << 6 | bg << 10 | param << 14 | std::uint32_t{extended} << 24;
  }

  // Folds the parameter just ended into the pending effect.
  void end_param() {
    std::uint32_t v = param;
    param = 0;
    if (extended) return;
    if (v == 0) {
      reset = true, reverse = false, fg = 0, bg = 0;
    } else if (v == 7) {
      reverse = true;
    } else if (v >= 30 && v <= 37) {
      fg = 2 + (v - 30);
    } else if (v == 39) {
      fg = 1;
    } else if (v >= 40 && v <= 47) {
      bg = 2 + (v - 40);
    } else if (v == 49) {
      bg = 1;
    } else if (v == 38 || v == 48) {
      extended = true;
    }  // 1, 3 and the rest: no visible effect
  }

  void apply(TextState& s) const {
    if (reset) s.fg = s.default_fg, s.bg = s.default_bg, s.flags &= ~text_reverse;
    if (fg) s.fg = fg == 1 ? s.default_fg : palette[fg - 2];
    if (bg) s.bg = bg == 1 ? s.default_bg : palette[bg - 2];
    if (reverse) s.flags |= text_reverse;
  }
};

// Draws one cell with its bottom-left corner at (x, y), clipped; every pixel of the cell is written.
Rect draw_cell(Canvas& c, std::int64_t x, std::int64_t y, const std::uint8_t* g, std::uint32_t fg,
               std::uint32_t bg) {
  if (x >= c.width || y >= c.height || x + cell_width <= 0 || y + cell_height <= 0) return {};
  int x0 = static_cast<int>(std::max<std::int64_t>(x, 0)), x1 = static_cast<int>(std::min<std::int64_t>(x + cell_width, c.width));
  int y0 = static_cast<int>(std::max<std::int64_t>(y, 0)), y1 = static_cast<int>(std::min<std::int64_t>(y + cell_height, c.height));
  for (int py = y0; py < y1; ++py) {
    std::uint8_t bits = g[cell_height - 1 - (py - y)];  // glyph row 0 is the top one, at y + 15
    std::uint32_t* row = c.row(py);
    for (int px = x0; px < x1; ++px) row[px] = bits & (0x80 >> (px - x)) ? fg : bg;
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

class TtyWriter {
 public:
  TtyWriter(Canvas& c, TextState& s) : c_(c), s_(s), x_(s.x), y_(s.y) {}

  // Stores the cursor back (clamped: a cursor far outside the canvas stays representable).
  Rect finish() {
    s_.x = static_cast<std::int32_t>(std::clamp<std::int64_t>(x_, INT32_MIN, INT32_MAX));
    s_.y = static_cast<std::int32_t>(std::clamp<std::int64_t>(y_, INT32_MIN, INT32_MAX));
    return scrolled_ ? c_.bounds() : touched_;
  }

  void new_line() {
    x_ = 0;
    y_ -= cell_height;
    if (y_ < 0) {
      // Scroll so that the new line is the bottom one: 16 pixels from a cursor on a line boundary.
      int by = static_cast<int>(std::min<std::int64_t>(-y_, std::max(c_.height, 1)));
      scroll_up(c_, by, s_.bg);
      scrolled_ = true;
      y_ = 0;
    }
  }
  void carriage_return() { x_ = 0; }
  void back_space() { x_ = std::max<std::int64_t>(0, x_ - cell_width); }  // no erase, no going up a line
  void tab() {  // to the next multiple of 8 strictly to the right (floor division for negative x)
    std::int64_t cell = x_ >= 0 ? x_ / cell_width : -((-x_ + cell_width - 1) / cell_width);
    x_ = (cell + 1) * cell_width;
  }

  void put(char32_t ch) {
    if (x_ > 0 && x_ + cell_width > c_.width) new_line();  // does not fit: wrap (never at column 0)
    bool reverse = s_.flags & text_reverse;
    touched_ = touched_.unite(draw_cell(c_, x_, y_, glyph(ch), reverse ? s_.bg : s_.fg, reverse ? s_.fg : s_.bg));
    x_ += cell_width;
  }

 private:
  Canvas& c_;
  TextState& s_;
  std::int64_t x_, y_;  // 64-bit: no cursor arithmetic can overflow, whatever the persisted values
  Rect touched_;
  bool scrolled_ = false;
};

}  // namespace

// '?' for a byte that does not start a well-formed character (overlong forms, surrogates and values
// past U+10FFFF included), which consumes the lead byte and the continuation bytes that were still
// valid (Unicode's "maximal subpart").
char32_t next_utf8(std::string_view text, std::size_t& i) {
  auto b = static_cast<unsigned char>(text[i++]);
  if (b < 0x80) return b;
  int need;
  char32_t cp;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1, cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2, cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3, cp = b & 0x07;
  } else {
    return U'?';
  }
  for (int k = 0; k < need; ++k) {
    if (i >= text.size()) return U'?';
    auto c = static_cast<unsigned char>(text[i]);
    unsigned char lo = 0x80, hi = 0xBF;
    if (k == 0) {  // the second byte's range rules out the ill-formed values
      if (b == 0xE0) lo = 0xA0;
      if (b == 0xED) hi = 0x9F;
      if (b == 0xF0) lo = 0x90;
      if (b == 0xF4) hi = 0x8F;
    }
    if (c < lo || c > hi) return U'?';
    cp = cp << 6 | (c & 0x3F);
    ++i;
  }
  return cp;
}

Rect draw_tty_text(Canvas& c, TextState& state, std::string_view text) {
  Parser p = Parser::unpack(state.flags);
  TtyWriter out(c, state);
  std::size_t i = 0;
  while (i < text.size()) {
    auto b = static_cast<unsigned char>(text[i]);
    if (p.mode != mode_text) {
      if (b < 0x20 || b >= 0x7F) {
        p = Parser{};  // abort the sequence; the byte is text
      } else {
        ++i;
        if (p.mode == mode_escape) {
          p.mode = b == '[' ? mode_csi : mode_text;
        } else if (b >= '0' && b <= '9') {
          p.param = std::min<std::uint32_t>(p.param * 10 + (b - '0'), 1023);
        } else if (b == ';') {
          p.end_param();
        } else if (b >= 0x40) {  // the final byte
          if (b == 'm' && !p.foreign) {
            p.end_param();
            p.apply(state);
          }
          p = Parser{};
        } else {
          p.foreign = true;  // private markers (<=>?), ':' and intermediate bytes
        }
        continue;
      }
    }
    if (b == 0x1B) {
      p.mode = mode_escape;
      ++i;
    } else if (b == '\n') {
      out.new_line();
      ++i;
    } else if (b == '\r') {
      out.carriage_return();
      ++i;
    } else if (b == '\t') {
      out.tab();
      ++i;
    } else if (b == '\b') {
      out.back_space();
      ++i;
    } else if (b < 0x20 || b == 0x7F) {
      ++i;  // other controls (BEL, ...) draw nothing
    } else {
      out.put(next_utf8(text, i));
    }
  }
  state.flags = (state.flags & text_reverse) | p.pack();
  return out.finish();
}

}  // namespace phantom::ui

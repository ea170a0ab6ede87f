// Tests of text (ui/text.h): the generated console font, the TTY rules of subsystems.md §1.3 (cursor,
// newline and scrolling, wrap, tab, ANSI colours, escapes cut between calls, bad UTF-8, clipping) and
// TrueType drawing through FreeType.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ui/text.h"

namespace phantom::ui {
namespace {

constexpr std::uint32_t white = 0xFFFFFFFFu, black = 0xFF000000u;
constexpr std::uint32_t red = 0xFFAA0000u, green = 0xFF00AA00u, brown = 0xFFAA5500u, blue = 0xFF0000AAu;

// A canvas inside a larger buffer whose margins hold a sentinel, so a write outside shows up.
struct Surface {
  static constexpr std::uint32_t sentinel = 0x5EA1ED00u;
  static constexpr int margin = 4096;
  std::vector<std::uint32_t> buffer;
  Canvas canvas;

  Surface(int w, int h, std::uint32_t bg = white) : buffer(std::size_t(w) * h + 2 * margin, sentinel) {
    canvas = {buffer.data() + margin, w, h};
    std::fill_n(canvas.pixels, std::size_t(w) * h, bg);
  }
  std::uint32_t at(int x, int y) const { return canvas.row(y)[x]; }
  bool margins_intact() const {
    auto inside_end = buffer.begin() + margin + std::ptrdiff_t(canvas.width) * canvas.height;
    return std::all_of(buffer.begin(), buffer.begin() + margin, [](auto p) { return p == sentinel; }) &&
           std::all_of(inside_end, buffer.end(), [](auto p) { return p == sentinel; });
  }
  // Whether the cell with bottom-left corner (x, y) shows `ch` in fg on bg.
  ::testing::AssertionResult cell_is(int x, int y, char32_t ch, std::uint32_t fg, std::uint32_t bg) const {
    const std::uint8_t* g = glyph(ch);
    for (int r = 0; r < cell_height; ++r) {
      for (int b = 0; b < cell_width; ++b) {
        std::uint32_t want = g[r] & (0x80 >> b) ? fg : bg, got = at(x + b, y + cell_height - 1 - r);
        if (want != got) {
          return ::testing::AssertionFailure() << "cell (" << x << "," << y << ") glyph row " << r << " column "
                                               << b << ": " << std::hex << got << " instead of " << want;
        }
      }
    }
    return ::testing::AssertionSuccess();
  }
  bool all_of_rect(Rect r, std::uint32_t color) const {
    for (int y = r.y; y < r.y + r.h; ++y)
      for (int x = r.x; x < r.x + r.w; ++x)
        if (at(x, y) != color) return false;
    return true;
  }
};

bool same_glyph(char32_t a, char32_t b) { return std::memcmp(glyph(a), glyph(b), cell_height) == 0; }

// ---- the font ----

TEST(Font, AHasTheVgaShape) {
  const std::uint8_t vga_a[16] = {0x00, 0x00, 0x10, 0x38, 0x6c, 0xc6, 0xc6, 0xfe,
                                  0xc6, 0xc6, 0xc6, 0xc6, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(std::memcmp(glyph(U'A'), vga_a, 16), 0);
  EXPECT_FALSE(same_glyph(U'A', U'B'));
  const std::uint8_t blank[16] = {};
  EXPECT_EQ(std::memcmp(glyph(U' '), blank, 16), 0);
}

TEST(Font, UnicodeTableMapsBeyondAscii) {
  EXPECT_FALSE(same_glyph(U'é', U'?'));
  EXPECT_FALSE(same_glyph(U'é', U'e'));
  EXPECT_FALSE(same_glyph(U'\u2500', U'?'));  // box drawing, which TTY programs use
  EXPECT_FALSE(same_glyph(U'\u00A0', U'?'));  // no-break space, mapped to the space glyph
}

TEST(Font, UnknownCharactersFallBackToQuestionMark) {
  EXPECT_TRUE(same_glyph(U'\u4E2D', U'?'));
  EXPECT_TRUE(same_glyph(0x10FFFF, U'?'));
  EXPECT_TRUE(same_glyph(0xFFFFFFFF, U'?'));
}

// ---- TTY text ----

TEST(Tty, DrawsCellsAndAdvancesTheCursor) {
  Surface s(32, 48);
  TextState st{.x = 0, .y = 32};
  Rect r = draw_tty_text(s.canvas, st, "AB");
  EXPECT_TRUE(s.cell_is(0, 32, U'A', black, white));
  EXPECT_TRUE(s.cell_is(8, 32, U'B', black, white));
  EXPECT_EQ(r, (Rect{0, 32, 16, 16}));
  EXPECT_EQ(st.x, 16);
  EXPECT_EQ(st.y, 32);
  EXPECT_TRUE(s.all_of_rect({0, 0, 32, 32}, white));
  EXPECT_EQ(draw_tty_text(s.canvas, st, ""), Rect{});
}

TEST(Tty, NewlineGoesOneLineDownToColumnZero) {
  Surface s(32, 48);
  TextState st{.x = 8, .y = 32};
  Rect r = draw_tty_text(s.canvas, st, "A\nB");
  EXPECT_TRUE(s.cell_is(8, 32, U'A', black, white));
  EXPECT_TRUE(s.cell_is(0, 16, U'B', black, white));
  EXPECT_EQ(r, (Rect{0, 16, 16, 32}));
  EXPECT_EQ(st.x, 8);
  EXPECT_EQ(st.y, 16);
}

TEST(Tty, NewlineAtTheBottomScrollsTheWholeCanvas) {
  Surface s(32, 48, 0xFF808080u);  // grey outside the text, so the scrolled-in rows show their colour
  TextState st{.x = 0, .y = 16};
  EXPECT_EQ(draw_tty_text(s.canvas, st, "A\nB"), (Rect{0, 0, 8, 32}));
  Rect r = draw_tty_text(s.canvas, st, "\nC");
  EXPECT_EQ(r, s.canvas.bounds());
  EXPECT_TRUE(s.cell_is(0, 32, U'A', black, white));
  EXPECT_TRUE(s.cell_is(0, 16, U'B', black, white));
  EXPECT_TRUE(s.cell_is(0, 0, U'C', black, white));
  EXPECT_TRUE(s.all_of_rect({8, 0, 24, 16}, white));       // the new line: the TTY's background
  EXPECT_TRUE(s.all_of_rect({8, 16, 24, 32}, 0xFF808080u));  // the old lines, moved up
  EXPECT_EQ(st.x, 8);
  EXPECT_EQ(st.y, 0);
}

TEST(Tty, ACharacterThatDoesNotFitWraps) {
  Surface s(36, 48);  // room for 4 cells and a half
  TextState st{.x = 0, .y = 32};
  draw_tty_text(s.canvas, st, "ABCDE");
  EXPECT_TRUE(s.cell_is(24, 32, U'D', black, white));
  EXPECT_TRUE(s.cell_is(0, 16, U'E', black, white));
  EXPECT_TRUE(s.all_of_rect({32, 32, 4, 16}, white));
  EXPECT_EQ(st.x, 8);
  EXPECT_EQ(st.y, 16);
}

TEST(Tty, TabAndCarriageReturn) {
  Surface s(64, 16);
  TextState st;
  draw_tty_text(s.canvas, st, "\tA\tB");
  EXPECT_TRUE(s.all_of_rect({0, 0, 8, 16}, white));  // a tab draws nothing
  EXPECT_TRUE(s.cell_is(8, 0, U'A', black, white));
  EXPECT_TRUE(s.cell_is(24, 0, U'B', black, white));
  EXPECT_EQ(st.x, 32);
  st.x = 3;
  draw_tty_text(s.canvas, st, "\t");
  EXPECT_EQ(st.x, 8);
  draw_tty_text(s.canvas, st, "\tX\rC");
  EXPECT_TRUE(s.cell_is(0, 0, U'C', black, white));
  EXPECT_TRUE(s.cell_is(16, 0, U'X', black, white));
  EXPECT_EQ(st.x, 8);
}

// BackSpace moves one cell left without erasing (so "\b \b" erases, as on a terminal) and stops at column 0.
TEST(Tty, BackSpaceMovesLeftAndStopsAtColumnZero) {
  Surface s(64, 16);
  TextState st;
  draw_tty_text(s.canvas, st, "AB\b \b");
  EXPECT_TRUE(s.cell_is(0, 0, U'A', black, white));
  EXPECT_TRUE(s.all_of_rect({8, 0, 8, 16}, white));  // B erased
  EXPECT_EQ(st.x, 8);
  draw_tty_text(s.canvas, st, "\b\b\bC");
  EXPECT_TRUE(s.cell_is(0, 0, U'C', black, white));
  EXPECT_EQ(st.x, 8);
}

TEST(Tty, AnsiColoursAndDefaults) {
  Surface s(48, 16);
  TextState st;
  draw_tty_text(s.canvas, st, "\x1b[31mA\x1b[44;33mB\x1b[39mC\x1b[49;1;3mD\x1b[32;0mE\x1b[mF");
  EXPECT_TRUE(s.cell_is(0, 0, U'A', red, white));
  EXPECT_TRUE(s.cell_is(8, 0, U'B', brown, blue));
  EXPECT_TRUE(s.cell_is(16, 0, U'C', black, blue));
  EXPECT_TRUE(s.cell_is(24, 0, U'D', black, white));
  EXPECT_TRUE(s.cell_is(32, 0, U'E', black, white));
  EXPECT_TRUE(s.cell_is(40, 0, U'F', black, white));

  TextState custom{.fg = 0xFF123456u, .bg = 0xFF654321u, .default_fg = 0xFF111111u, .default_bg = 0xFF222222u};
  draw_tty_text(s.canvas, custom, "\x1b[0mA");
  EXPECT_TRUE(s.cell_is(0, 0, U'A', 0xFF111111u, 0xFF222222u));
  EXPECT_EQ(custom.fg, 0xFF111111u);
  EXPECT_EQ(custom.bg, 0xFF222222u);
}

TEST(Tty, ReverseSwapsTheColoursWhenDrawing) {
  Surface s(24, 16);
  TextState st;
  draw_tty_text(s.canvas, st, "\x1b[7;32mA");
  EXPECT_TRUE(s.cell_is(0, 0, U'A', white, green));
  EXPECT_TRUE(st.flags & text_reverse);
  EXPECT_EQ(st.fg, green);  // the state keeps the colours; only drawing swaps them
  draw_tty_text(s.canvas, st, "\x1b[0mB\x1b[7m\x1b[0mC");
  EXPECT_TRUE(s.cell_is(8, 0, U'B', black, white));
  EXPECT_TRUE(s.cell_is(16, 0, U'C', black, white));
  EXPECT_EQ(st.flags, 0u);
}

TEST(Tty, OtherEscapeSequencesAreSwallowed) {
  Surface s(32, 16);
  TextState st;
  draw_tty_text(s.canvas, st, "\x1b[2J\x1b[?25l\x1b[1;1HA\x1b" "7B\x1b[38;5;31mC\x1b[48;2;1;2;3mD");
  EXPECT_TRUE(s.cell_is(0, 0, U'A', black, white));
  EXPECT_TRUE(s.cell_is(8, 0, U'B', black, white));
  EXPECT_TRUE(s.cell_is(16, 0, U'C', black, white));  // 256-colour arguments are not read as 31
  EXPECT_TRUE(s.cell_is(24, 0, U'D', black, white));
  EXPECT_EQ(st.x, 32);
}

TEST(Tty, AControlCharacterAbortsAnEscape) {
  Surface s(16, 32);
  TextState st{.x = 0, .y = 16};
  draw_tty_text(s.canvas, st, "\x1b[31\nA\x07" "B");  // the newline still works; BEL draws nothing
  EXPECT_TRUE(s.cell_is(0, 0, U'A', black, white));
  EXPECT_TRUE(s.cell_is(8, 0, U'B', black, white));
}

TEST(Tty, AnEscapeCutBetweenCallsContinues) {
  Surface s(32, 16);
  TextState st;
  for (const char* part : {"\x1b", "[", "3", "1;4", "4"}) {
    EXPECT_EQ(draw_tty_text(s.canvas, st, part), Rect{});
    EXPECT_NE(st.flags, 0u);  // mid-sequence
  }
  EXPECT_EQ(draw_tty_text(s.canvas, st, "m"), Rect{});
  EXPECT_EQ(st.flags, 0u);
  EXPECT_EQ(st.fg, red);
  EXPECT_EQ(st.bg, blue);
  draw_tty_text(s.canvas, st, "A\x1b[0");
  EXPECT_TRUE(s.cell_is(0, 0, U'A', red, blue));
  draw_tty_text(s.canvas, st, ";7mB\x1b[3");
  EXPECT_TRUE(s.cell_is(8, 0, U'B', white, black));
  draw_tty_text(s.canvas, st, "2HC");  // the cut sequence was not SGR: nothing changes
  EXPECT_TRUE(s.cell_is(16, 0, U'C', white, black));
  EXPECT_EQ(st.flags, text_reverse);
}

TEST(Tty, Utf8AndInvalidBytes) {
  Surface s(80, 16);
  TextState st;
  // é, box drawing, 0xFF, an overlong '/', a surrogate, then a cut 2-byte character at the end.
  draw_tty_text(s.canvas, st, "\xc3\xa9\xe2\x94\x80\xff\xc0\xaf\xed\xa0\x80\xc3");
  const char32_t want[] = {U'é', U'\u2500', U'?', U'?', U'?', U'?', U'?', U'?', U'?'};
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(s.cell_is(8 * i, 0, want[i], black, white)) << i;
  EXPECT_EQ(st.x, 72);
}

TEST(Tty, NeverWritesOutsideTheCanvas) {
  for (auto [x, y] : std::vector<std::pair<int, int>>{
           {-4, -4}, {28, 40}, {-20, 60}, {INT32_MAX, INT32_MAX}, {INT32_MIN, INT32_MIN}, {INT32_MAX - 3, 0}}) {
    Surface s(30, 47);
    TextState st{.x = x, .y = y};
    Rect r = draw_tty_text(s.canvas, st, "AB\tC\x1b[7mD\nE\rF\n\n\nG");
    EXPECT_TRUE(s.margins_intact()) << x << "," << y;
    EXPECT_EQ(r.intersect(s.canvas.bounds()), r);
  }
  Surface tiny(5, 5);
  TextState st;
  draw_tty_text(tiny.canvas, st, "AB\nC");
  EXPECT_TRUE(tiny.margins_intact());
}

// ---- TrueType ----

TEST(TrueType, IsAvailableWithDebianFonts) { EXPECT_TRUE(truetype_available()); }

TEST(TrueType, DrawsWithinTheExpectedRect) {
  Surface s(200, 60);
  Rect r = draw_truetype(s.canvas, 10, 20, "Hello", 20, black);
  ASSERT_FALSE(r.empty());
  EXPECT_GE(r.x, 10);
  EXPECT_LE(r.x, 14);
  EXPECT_GE(r.y, 19);  // no descenders in "Hello": nothing much below the baseline
  EXPECT_LE(r.y + r.h, 20 + 20);
  EXPECT_GE(r.y + r.h, 20 + 12);  // capitals are about 0.73 em tall
  EXPECT_LE(r.x + r.w, 10 + truetype_width("Hello", 20) + 2);
  int inked = 0, solid = 0;
  for (int y = 0; y < 60; ++y) {
    for (int x = 0; x < 200; ++x) {
      if (s.at(x, y) == white) continue;
      ++inked;
      solid += s.at(x, y) == black;
      EXPECT_TRUE(r.contains(x, y)) << x << "," << y;
    }
  }
  EXPECT_GT(inked, 60);
  EXPECT_GT(solid, 10);  // the stems of H and l are fully covered

  Rect g = draw_truetype(s.canvas, 100, 20, "g", 20, black);
  EXPECT_LT(g.y, 18);  // the descender goes below the baseline
}

TEST(TrueType, WidthGrowsWithTheTextAndTheSize) {
  int hello = truetype_width("Hello", 16);
  EXPECT_GT(hello, 20);
  EXPECT_LT(hello, 60);
  EXPECT_GT(truetype_width("Hello, world", 16), hello);
  EXPECT_GT(truetype_width("Hello", 32), hello);
  EXPECT_GT(truetype_width("Hello", 16, Typeface::sans_bold), hello);  // bold is wider
  EXPECT_EQ(truetype_width("", 16), 0);
  EXPECT_EQ(truetype_width("Hello", 1000), truetype_width("Hello", 256));  // the size is clamped
  EXPECT_EQ(truetype_width("Hello", -5), truetype_width("Hello", 4));
  EXPECT_EQ(truetype_width("ab\ncd", 16), truetype_width("abcd", 16));  // controls take no room
}

TEST(TrueType, ColourAlphaIsBlended) {
  Surface s(100, 40);
  draw_truetype(s.canvas, 2, 10, "HHH", 24, 0x80FF0000u);
  bool half = false;
  for (int y = 0; y < 40; ++y) {
    for (int x = 0; x < 100; ++x) {
      std::uint32_t p = s.at(x, y);
      EXPECT_EQ(p & 0xFFFF0000u, 0xFFFF0000u) << "red stays full, alpha stays opaque";
      EXPECT_GE(p & 0xFF, 0x7Fu) << "at most half of white's green and blue go";
      half |= (p & 0xFF) == 0x7F;
    }
  }
  EXPECT_TRUE(half);
}

TEST(TrueType, ClipsAtEveryEdge) {
  for (auto [x, y] : std::vector<std::pair<int, int>>{
           {-7, 5}, {90, 35}, {50, -3}, {INT_MIN, INT_MAX}, {INT_MAX, INT_MIN}, {INT_MAX - 2, 20}}) {
    Surface s(100, 40);
    Rect r = draw_truetype(s.canvas, x, y, "Wg\xc3\xa9\xff!", 48, black, Typeface::sans_bold);
    EXPECT_TRUE(s.margins_intact()) << x << "," << y;
    EXPECT_EQ(r.intersect(s.canvas.bounds()), r) << x << "," << y;
  }
}

}  // namespace
}  // namespace phantom::ui

// Tests for ui/canvas.h: the exact pixels of every primitive, clipping at the four edges, extreme
// arguments, the rectangles returned, and that no pixel (or page) outside the drawing is written.
#include "ui/canvas.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace phantom::ui {
namespace {

using i64 = std::int64_t;
__extension__ using i128 = __int128;

// Opaque colours named by a character, so pictures can be written as text.
constexpr std::uint32_t px(char ch) { return 0xFF000000u | static_cast<unsigned char>(ch); }
constexpr std::uint32_t kBg = px('.');
constexpr std::uint32_t kInk = px('#');
constexpr std::uint32_t kSentinel = 0x5EA7BEEFu;  // the guard band and "never written" memory

// A canvas inside a larger buffer whose margin (the guard band) must never be written.
class Guarded {
 public:
  Guarded(int w, int h, std::uint32_t bg = kBg)
      : mem_(2 * kGuard + static_cast<std::size_t>(w) * h, kSentinel), canvas_{mem_.data() + kGuard, w, h} {
    std::fill(canvas_.pixels, canvas_.pixels + static_cast<std::size_t>(w) * h, bg);
  }
  // A canvas from a picture, top row first, one opaque colour per character.
  explicit Guarded(std::initializer_list<const char*> rows)
      : Guarded(static_cast<int>(std::string(*rows.begin()).size()), static_cast<int>(rows.size())) {
    int y = canvas_.height;
    for (const char* row : rows) {
      --y;
      for (int x = 0; x < canvas_.width; ++x) canvas_.row(y)[x] = px(row[x]);
    }
  }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
  Canvas& canvas() { return canvas_; }
  std::uint32_t& at(int x, int y) { return canvas_.row(y)[x]; }
  bool guard_intact() const {
    for (std::size_t i = 0; i < kGuard; ++i)
      if (mem_[i] != kSentinel || mem_[mem_.size() - 1 - i] != kSentinel) return false;
    return true;
  }
  void clear(std::uint32_t bg = kBg) { fill(canvas_, bg); }

 private:
  static constexpr std::size_t kGuard = 64;
  std::vector<std::uint32_t> mem_;
  Canvas canvas_;
};

// The canvas as text, top row first: the character of each opaque named colour, '?' for any other.
std::string picture(const Canvas& c) {
  std::string out;
  for (int y = c.height - 1; y >= 0; --y) {
    for (int x = 0; x < c.width; ++x) {
      std::uint32_t p = c.row(y)[x];
      out += (p & 0xFFFFFF00u) == 0xFF000000u && (p & 0xFF) >= 0x20 && (p & 0xFF) < 0x7F ? char(p & 0xFF) : '?';
    }
    if (y > 0) out += '\n';
  }
  return out;
}

std::string lines(std::initializer_list<const char*> rows) {
  std::string out;
  for (const char* r : rows) out += (out.empty() ? "" : "\n") + std::string(r);
  return out;
}

// The bounding box of the pixels that differ from `bg`.
Rect changed(const Canvas& c, std::uint32_t bg = kBg) {
  Rect r;
  for (int y = 0; y < c.height; ++y)
    for (int x = 0; x < c.width; ++x)
      if (c.row(y)[x] != bg) r = r.unite({x, y, 1, 1});
  return r;
}

// ---- independent per-pixel definitions, evaluated without any clipping logic ----

bool in_fill_box(i64 px_, i64 py, i64 x, i64 y, i64 w, i64 h) {
  return w > 0 && h > 0 && px_ >= x && px_ < x + w && py >= y && py < y + h;
}
bool in_draw_box(i64 px_, i64 py, i64 x, i64 y, i64 w, i64 h) {
  return in_fill_box(px_, py, x, y, w, h) && (px_ == x || px_ == x + w - 1 || py == y || py == y + h - 1);
}
// Pixel centre inside or on the ellipse inscribed in the box: U^2 h^2 + V^2 w^2 <= w^2 h^2, doubled.
bool in_ellipse(i64 px_, i64 py, i64 x, i64 y, i64 w, i64 h) {
  if (!in_fill_box(px_, py, x, y, w, h)) return false;
  i128 u = 2 * (px_ - x) + 1 - w, v = 2 * (py - y) + 1 - h;
  return u * u * h * h + v * v * w * w <= i128{w} * w * h * h;
}
// The line's pixel in canvas column (x-major) or row (y-major) `major`, evaluated from the closed form
// of Bresenham (checked against the classic loop by CanvasLine.MatchesClassicBresenham).
void expected_line(Canvas& c, i64 x, i64 y, i64 dx, i64 dy, std::uint32_t color) {
  const bool x_major = std::llabs(dx) >= std::llabs(dy);
  const i64 m0 = x_major ? x : y, n0 = x_major ? y : x, dm = x_major ? dx : dy, dn = x_major ? dy : dx;
  const i64 am = std::llabs(dm), an = std::llabs(dn), sm = dm < 0 ? -1 : 1, sn = dn < 0 ? -1 : 1;
  const int limit = x_major ? c.width : c.height;
  for (int m = 0; m < limit; ++m) {
    const i64 i = (m - m0) * sm;
    if (i < 0 || i > am) continue;
    const i64 off = am == 0 ? 0 : static_cast<i64>((2 * i128{i} * an + am - 1) / (2 * i128{am}));
    const i64 n = n0 + sn * off, px_ = x_major ? m : n, py = x_major ? n : m;
    if (px_ >= 0 && py >= 0 && px_ < c.width && py < c.height) c.row(int(py))[px_] = color;
  }
}

// Whether the canvas holds kInk exactly where in(x, y) and kBg elsewhere.
template <typename Pred>
::testing::AssertionResult matches(Guarded& g, Pred in) {
  Canvas& c = g.canvas();
  for (int y = 0; y < c.height; ++y)
    for (int x = 0; x < c.width; ++x)
      if (c.row(y)[x] != (in(x, y) ? kInk : kBg))
        return ::testing::AssertionFailure() << "pixel (" << x << "," << y << ") differs";
  return ::testing::AssertionSuccess();
}

const int kExtremes[] = {INT_MIN, INT_MIN + 1, -1000000007, -3, -1, 0, 1, 2, 5, 1000000007, INT_MAX - 1, INT_MAX};

// ---- fill and put_pixel ----

TEST(CanvasFill, FillsEverythingAndReturnsBounds) {
  Guarded g(4, 3);
  EXPECT_EQ(fill(g.canvas(), kInk), (Rect{0, 0, 4, 3}));
  EXPECT_EQ(picture(g.canvas()), lines({"####", "####", "####"}));
  EXPECT_TRUE(g.guard_intact());
  Canvas none;  // no pixels: nothing is drawn by anything
  EXPECT_TRUE(fill(none, kInk).empty());
  EXPECT_TRUE(fill_box(none, 0, 0, 5, 5, kInk).empty());
  EXPECT_TRUE(draw_line(none, 0, 0, 5, 5, kInk).empty());
  EXPECT_TRUE(scroll_up(none, 1, kInk).empty());
}

TEST(CanvasPixel, WritesOnlyInsideWithBottomLeftOrigin) {
  Guarded g(3, 2);
  EXPECT_EQ(put_pixel(g.canvas(), 0, 0, px('a')), (Rect{0, 0, 1, 1}));
  EXPECT_EQ(put_pixel(g.canvas(), 2, 1, px('b')), (Rect{2, 1, 1, 1}));
  for (int x : {-1, 3, INT_MIN, INT_MAX})
    for (int y : {-1, 0, 2, INT_MIN, INT_MAX}) EXPECT_TRUE(put_pixel(g.canvas(), x, y, kInk).empty());
  EXPECT_EQ(picture(g.canvas()), lines({"..b", "a.."}));
  EXPECT_EQ(g.canvas().pixels[0], px('a'));  // bottom row first in memory
  EXPECT_TRUE(g.guard_intact());
}

// ---- draw_line ----

TEST(CanvasLine, ExactPixels) {
  Guarded g(8, 5);
  EXPECT_EQ(draw_line(g.canvas(), 1, 1, 5, 2, kInk), (Rect{1, 1, 6, 3}));
  EXPECT_EQ(picture(g.canvas()), lines({"........", ".....##.", "...##...", ".##.....", "........"}));
  g.clear();
  EXPECT_EQ(draw_line(g.canvas(), 2, 4, 0, -4, kInk), (Rect{2, 0, 1, 5}));  // downward, both ends
  EXPECT_EQ(draw_line(g.canvas(), 6, 0, -2, 2, kInk), (Rect{4, 0, 3, 3}));  // diagonal, leftward
  EXPECT_EQ(draw_line(g.canvas(), 7, 4, 0, 0, kInk), (Rect{7, 4, 1, 1}));   // a point
  EXPECT_EQ(picture(g.canvas()), lines({"..#....#", "..#.....", "..#.#...", "..#..#..", "..#...#."}));
  EXPECT_TRUE(g.guard_intact());
}

// The classic error-term loop, plotted pixel by pixel with a bounds check.
void classic_bresenham(Canvas& c, int x, int y, int dx, int dy, std::uint32_t color) {
  const bool x_major = std::abs(dx) >= std::abs(dy);
  const int am = std::abs(x_major ? dx : dy), an = std::abs(x_major ? dy : dx);
  const int sm = (x_major ? dx : dy) < 0 ? -1 : 1, sn = (x_major ? dy : dx) < 0 ? -1 : 1;
  int d = 2 * an - am, n = 0;
  for (int i = 0; i <= am; ++i) {
    int px_ = x_major ? x + sm * i : x + sn * n, py = x_major ? y + sn * n : y + sm * i;
    if (px_ >= 0 && py >= 0 && px_ < c.width && py < c.height) c.row(py)[px_] = color;
    if (d > 0) ++n, d -= 2 * am;
    d += 2 * an;
  }
}

TEST(CanvasLine, MatchesClassicBresenham) {
  // Clipped lines, many of them crossing one or two edges, are exactly the visible part of the
  // unclipped line, and the rectangle returned is the bounding box of what was drawn.
  std::mt19937 rng(12345);
  Guarded g(13, 9), want(13, 9);
  for (int round = 0; round < 20000; ++round) {
    int range = round < 19900 ? 60 : 300000;  // a few long ones too
    std::uniform_int_distribution<int> pos(-range / 2, range / 2 + 13), len(-range, range);
    int x = pos(rng), y = pos(rng), dx = len(rng), dy = len(rng);
    g.clear();
    want.clear();
    Rect r = draw_line(g.canvas(), x, y, dx, dy, kInk);
    classic_bresenham(want.canvas(), x, y, dx, dy, kInk);
    ASSERT_EQ(picture(g.canvas()), picture(want.canvas())) << x << " " << y << " " << dx << " " << dy;
    ASSERT_EQ(r, changed(g.canvas())) << x << " " << y << " " << dx << " " << dy;
  }
  EXPECT_TRUE(g.guard_intact());
}

TEST(CanvasLine, ExtremeArgumentsClipExactly) {
  Guarded g(7, 5), want(7, 5);
  for (int x : kExtremes)
    for (int y : kExtremes)
      for (int dx : kExtremes)
        for (int dy : kExtremes) {
          g.clear();
          want.clear();
          Rect r = draw_line(g.canvas(), x, y, dx, dy, kInk);
          expected_line(want.canvas(), x, y, dx, dy, kInk);
          ASSERT_EQ(picture(g.canvas()), picture(want.canvas())) << x << " " << y << " " << dx << " " << dy;
          ASSERT_EQ(r, changed(g.canvas()));
          ASSERT_TRUE(g.guard_intact());
        }
}

TEST(CanvasLine, HugeLinesAcrossTheCanvas) {
  Guarded g(6, 6);
  EXPECT_EQ(draw_line(g.canvas(), -5, 2, INT_MAX, 0, kInk), (Rect{0, 2, 6, 1}));
  EXPECT_EQ(draw_line(g.canvas(), INT_MAX, 0, INT_MIN, 0, kInk), (Rect{0, 0, 6, 1}));  // to x = -1
  EXPECT_EQ(picture(g.canvas()), lines({"......", "......", "......", "######", "......", "######"}));
  g.clear();
  EXPECT_EQ(draw_line(g.canvas(), -1000000000, -1000000000, 2000000000, 2000000000, kInk), (Rect{0, 0, 6, 6}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(g.at(i, i), kInk);
  EXPECT_EQ(changed(g.canvas()), (Rect{0, 0, 6, 6}));
  g.clear();
  EXPECT_TRUE(draw_line(g.canvas(), INT_MIN, INT_MIN, INT_MAX, INT_MAX, kInk).empty());  // ends at (-1, -1)
  // A gentle slope 2^31 long: 4 rows over 2^31 columns puts row 2 across the whole canvas.
  EXPECT_EQ(draw_line(g.canvas(), -(1 << 30), 0, INT_MAX, 4, kInk), (Rect{0, 2, 6, 1}));
  EXPECT_TRUE(g.guard_intact());
}

// ---- boxes and ellipses ----

TEST(CanvasBox, OutlineExactPixels) {
  Guarded g(8, 6);
  EXPECT_EQ(draw_box(g.canvas(), 1, 1, 5, 4, kInk), (Rect{1, 1, 5, 4}));
  EXPECT_EQ(picture(g.canvas()), lines({"........", ".#####..", ".#...#..", ".#...#..", ".#####..", "........"}));
  g.clear();
  EXPECT_EQ(draw_box(g.canvas(), 0, 0, 1, 1, kInk), (Rect{0, 0, 1, 1}));
  EXPECT_EQ(draw_box(g.canvas(), 2, 0, 1, 4, kInk), (Rect{2, 0, 1, 4}));
  EXPECT_EQ(draw_box(g.canvas(), 4, 0, 2, 2, kInk), (Rect{4, 0, 2, 2}));
  EXPECT_TRUE(draw_box(g.canvas(), 4, 4, 0, 2, kInk).empty());
  EXPECT_TRUE(draw_box(g.canvas(), 4, 4, -2, -2, kInk).empty());
  EXPECT_EQ(picture(g.canvas()), lines({"........", "........", "..#.....", "..#.....", "..#.##..", "#.#.##.."}));
  // An outline around the whole canvas draws nothing and touches nothing.
  g.clear();
  EXPECT_TRUE(draw_box(g.canvas(), -1, -1, 10, 8, kInk).empty());
  EXPECT_EQ(changed(g.canvas()), Rect{});
  EXPECT_TRUE(g.guard_intact());
}

TEST(CanvasFillBox, ExactAndClippedAtEveryEdge) {
  Guarded g(6, 4);
  EXPECT_EQ(fill_box(g.canvas(), 1, 1, 3, 2, kInk), (Rect{1, 1, 3, 2}));
  EXPECT_EQ(picture(g.canvas()), lines({"......", ".###..", ".###..", "......"}));
  g.clear();
  EXPECT_EQ(fill_box(g.canvas(), -2, -1, 3, 2, px('a')), (Rect{0, 0, 1, 1}));  // left, bottom
  EXPECT_EQ(fill_box(g.canvas(), 5, 3, 9, 9, px('b')), (Rect{5, 3, 1, 1}));    // right, top
  EXPECT_EQ(fill_box(g.canvas(), 2, -100, 2, INT_MAX, px('c')), (Rect{2, 0, 2, 4}));
  EXPECT_TRUE(fill_box(g.canvas(), 6, 0, 1, 1, kInk).empty());
  EXPECT_TRUE(fill_box(g.canvas(), 0, 4, 1, 1, kInk).empty());
  EXPECT_TRUE(fill_box(g.canvas(), -1, 0, 1, 1, kInk).empty());
  EXPECT_TRUE(fill_box(g.canvas(), INT_MAX, INT_MAX, INT_MAX, INT_MAX, kInk).empty());
  EXPECT_TRUE(fill_box(g.canvas(), 0, 0, INT_MIN, 3, kInk).empty());
  EXPECT_EQ(picture(g.canvas()), lines({"..cc.b", "..cc..", "..cc..", "a.cc.."}));
  EXPECT_EQ(fill_box(g.canvas(), INT_MIN, INT_MIN, INT_MAX, INT_MAX, kInk), Rect{});  // ends at (-2, -2)
  EXPECT_EQ(fill_box(g.canvas(), -1, -1, INT_MAX, INT_MAX, kInk), (Rect{0, 0, 6, 4}));
  EXPECT_TRUE(g.guard_intact());
}

TEST(CanvasFillBox, WritesOnlyTheBoxOnALargeCanvas) {
  std::vector<std::uint32_t> mem(1000 * 1000, kSentinel);
  Canvas c{mem.data(), 1000, 1000};
  EXPECT_EQ(fill_box(c, 100, 200, 300, 50, kInk), (Rect{100, 200, 300, 50}));
  for (int y = 0; y < 1000; ++y)
    for (int x = 0; x < 1000; ++x)
      ASSERT_EQ(c.row(y)[x], (x >= 100 && x < 400 && y >= 200 && y < 250) ? kInk : kSentinel) << x << "," << y;
}

TEST(CanvasEllipse, SmallBoxes) {
  auto draw = [](int w, int h) {
    Guarded g(w, h);
    Rect r = fill_ellipse(g.canvas(), 0, 0, w, h, kInk);
    EXPECT_EQ(r, changed(g.canvas())) << w << "x" << h;
    EXPECT_TRUE(g.guard_intact());
    return picture(g.canvas());
  };
  EXPECT_EQ(draw(1, 1), "#");
  EXPECT_EQ(draw(2, 2), lines({"##", "##"}));
  EXPECT_EQ(draw(3, 3), lines({"###", "###", "###"}));
  EXPECT_EQ(draw(4, 4), lines({".##.", "####", "####", ".##."}));
  EXPECT_EQ(draw(5, 5), lines({".###.", "#####", "#####", "#####", ".###."}));
  EXPECT_EQ(draw(6, 4), lines({".####.", "######", "######", ".####."}));
  EXPECT_EQ(draw(7, 5), lines({".#####.", "#######", "#######", "#######", ".#####."}));
  EXPECT_EQ(draw(1, 4), lines({"#", "#", "#", "#"}));
  EXPECT_EQ(draw(3, 1), "###");
  Guarded g(4, 4);
  EXPECT_TRUE(fill_ellipse(g.canvas(), 1, 1, 0, 3, kInk).empty());
  EXPECT_TRUE(fill_ellipse(g.canvas(), 1, 1, 3, -1, kInk).empty());
  EXPECT_EQ(changed(g.canvas()), Rect{});
}

TEST(CanvasEllipse, SymmetricAndMatchesPixelCentres) {
  for (int w = 1; w <= 24; ++w)
    for (int h = 1; h <= 24; ++h) {
      Guarded g(w + 2, h + 2), t(h + 2, w + 2);
      Rect r = fill_ellipse(g.canvas(), 1, 1, w, h, kInk);
      fill_ellipse(t.canvas(), 1, 1, h, w, kInk);
      ASSERT_EQ(r, changed(g.canvas())) << w << "x" << h;
      ASSERT_TRUE(matches(g, [&](int x, int y) { return in_ellipse(x, y, 1, 1, w, h); })) << w << "x" << h;
      for (int y = 0; y < h + 2; ++y)
        for (int x = 0; x < w + 2; ++x) {
          ASSERT_EQ(g.at(x, y), g.at(w + 1 - x, y)) << w << "x" << h << " mirrored left-right";
          ASSERT_EQ(g.at(x, y), g.at(x, h + 1 - y)) << w << "x" << h << " mirrored top-bottom";
          ASSERT_EQ(g.at(x, y), t.at(y, x)) << w << "x" << h << " transposed";
        }
      EXPECT_TRUE(g.guard_intact());
    }
}

TEST(CanvasEllipse, HugeBoxesDrawTheirVisiblePart) {
  // The centre row of an ellipse 2^31 - 1 wide is full across a small canvas.
  Guarded g(5, 3);
  int half = INT_MAX / 2;
  EXPECT_EQ(fill_ellipse(g.canvas(), -half, 1 - half, INT_MAX, INT_MAX, kInk), (Rect{0, 0, 5, 3}));
  EXPECT_EQ(changed(g.canvas()), (Rect{0, 0, 5, 3}));
  EXPECT_TRUE(g.guard_intact());
}

// Each shape drawn on a small canvas equals the same window of it drawn unclipped on a big one, for
// positions across all four edges; the rectangle returned is the bounding box of what was drawn.
TEST(CanvasClipping, ShapesAtEveryEdgeMatchTheUnclippedDrawing) {
  constexpr int kW = 9, kH = 7, kM = 20;
  using Draw = Rect (*)(Canvas&, int, int, int, int, std::uint32_t);
  const Draw shapes[] = {fill_box, draw_box, fill_ellipse, draw_line};
  for (Draw draw : shapes)
    for (int x = -8; x <= kW + 1; x += 1)
      for (int y = -8; y <= kH + 1; y += 1)
        for (int w : {1, 2, 5, 8, 13})
          for (int h : {1, 3, 6, 11}) {
            for (int sign : {1, -1}) {
              if (sign < 0 && draw != draw_line) continue;
              Guarded small(kW, kH), big(kW + 2 * kM, kH + 2 * kM);
              Rect r = draw(small.canvas(), x, y, sign * w, sign * h, kInk);
              draw(big.canvas(), x + kM, y + kM, sign * w, sign * h, kInk);
              for (int j = 0; j < kH; ++j)
                for (int i = 0; i < kW; ++i) ASSERT_EQ(small.at(i, j), big.at(i + kM, j + kM)) << x << "," << y;
              ASSERT_EQ(r, changed(small.canvas()));
              ASSERT_TRUE(small.guard_intact());
            }
          }
}

TEST(CanvasClipping, ExtremeBoxArgumentsNeverWriteOutside) {
  Guarded g(7, 5);
  for (int x : kExtremes)
    for (int y : kExtremes)
      for (int w : kExtremes)
        for (int h : kExtremes) {
          g.clear();
          Rect r = fill_box(g.canvas(), x, y, w, h, kInk);
          ASSERT_TRUE(matches(g, [&](int i, int j) { return in_fill_box(i, j, x, y, w, h); }))
              << "fill_box " << x << " " << y << " " << w << " " << h;
          ASSERT_EQ(r, changed(g.canvas()));
          g.clear();
          r = draw_box(g.canvas(), x, y, w, h, kInk);
          ASSERT_TRUE(matches(g, [&](int i, int j) { return in_draw_box(i, j, x, y, w, h); }))
              << "draw_box " << x << " " << y << " " << w << " " << h;
          ASSERT_EQ(r, changed(g.canvas()));
          g.clear();
          r = fill_ellipse(g.canvas(), x, y, w, h, kInk);
          ASSERT_TRUE(matches(g, [&](int i, int j) { return in_ellipse(i, j, x, y, w, h); }))
              << "fill_ellipse " << x << " " << y << " " << w << " " << h;
          ASSERT_EQ(r, changed(g.canvas()));
          ASSERT_TRUE(g.guard_intact()) << x << " " << y << " " << w << " " << h;
        }
}

// ---- copy_rect and blend_rect ----

TEST(CanvasCopy, ExactAndClippedWithConsistentOffsets) {
  Guarded src({"abc", "def"});  // d e f is the bottom row
  Guarded g(5, 4);
  EXPECT_EQ(copy_rect(g.canvas(), 1, 1, src.canvas(), 0, 0, 3, 2), (Rect{1, 1, 3, 2}));
  EXPECT_EQ(picture(g.canvas()), lines({".....", ".abc.", ".def.", "....."}));
  g.clear();
  // Source part (1, 0, 2, 2) = "bc"/"ef" at (-1, 3): only its bottom-right pixel 'f' lands, at (0, 3).
  EXPECT_EQ(copy_rect(g.canvas(), -1, 3, src.canvas(), 1, 0, 2, 2), (Rect{0, 3, 1, 1}));
  // A source rectangle starting left of and below the source: the part inside keeps its place.
  EXPECT_EQ(copy_rect(g.canvas(), 2, 0, src.canvas(), -1, -1, 9, 9), (Rect{3, 1, 2, 2}));
  // Clipped at the destination's right edge.
  EXPECT_EQ(copy_rect(g.canvas(), 3, 0, src.canvas(), 0, 0, 3, 1), (Rect{3, 0, 2, 1}));
  EXPECT_EQ(picture(g.canvas()), lines({"f....", "...ab", "...de", "...de"}));
  EXPECT_TRUE(copy_rect(g.canvas(), 0, 0, src.canvas(), 3, 0, 1, 1).empty());
  EXPECT_TRUE(copy_rect(g.canvas(), 5, 0, src.canvas(), 0, 0, 1, 1).empty());
  EXPECT_TRUE(copy_rect(g.canvas(), 0, 0, src.canvas(), 0, 0, -1, 2).empty());
  EXPECT_TRUE(g.guard_intact());
  EXPECT_TRUE(src.guard_intact());
}

TEST(CanvasCopy, SkipTransparentLeavesHolesUnwritten) {
  Guarded src({"ab", "cd"});
  src.at(1, 1) = 0x00123456;  // a hole where 'b' was
  src.at(0, 0) = 0x7F000000 | 'c';
  Guarded g(2, 2, kSentinel);
  EXPECT_EQ(copy_rect(g.canvas(), 0, 0, src.canvas(), 0, 0, 2, 2, true), (Rect{0, 0, 2, 2}));
  EXPECT_EQ(g.at(1, 1), kSentinel);
  EXPECT_EQ(g.at(0, 1), px('a'));
  EXPECT_EQ(g.at(0, 0), 0x7F000000u | 'c');  // partial alpha is copied as it is
  // Only holes: nothing written, nothing returned.
  g.clear(kSentinel);
  EXPECT_TRUE(copy_rect(g.canvas(), 1, 0, src.canvas(), 1, 1, 1, 1, true).empty());
  EXPECT_EQ(changed(g.canvas(), kSentinel), Rect{});
  // The rectangle returned is the bounding box of the pixels written.
  EXPECT_EQ(copy_rect(g.canvas(), 0, 0, src.canvas(), 0, 1, 2, 1, true), (Rect{0, 0, 1, 1}));
  // Without skipping the hole is copied.
  EXPECT_EQ(copy_rect(g.canvas(), 0, 0, src.canvas(), 1, 1, 1, 1), (Rect{0, 0, 1, 1}));
  EXPECT_EQ(g.at(0, 0), 0x00123456u);
}

TEST(CanvasCopy, OverlappingWithinOneCanvas) {
  // Every shift of a block inside one canvas gives what a copy from an unchanged twin of it gives.
  for (int mode = 0; mode < 3; ++mode)
    for (int ox = -3; ox <= 3; ++ox)
      for (int oy = -3; oy <= 3; ++oy) {
        Guarded g(8, 8), want(8, 8), twin(8, 8);
        for (Guarded* c : {&g, &want, &twin}) {
          for (int y = 0; y < 8; ++y)
            for (int x = 0; x < 8; ++x) c->at(x, y) = px(char('0' + x + 8 * y));
          c->at(3, 3) = 0;  // a hole
        }
        auto apply = [&](Canvas& dst, const ConstCanvas& src) {
          if (mode == 0) return copy_rect(dst, 2 + ox, 2 + oy, src, 2, 2, 4, 4);
          if (mode == 1) return copy_rect(dst, 2 + ox, 2 + oy, src, 2, 2, 4, 4, true);
          return blend_rect(dst, 2 + ox, 2 + oy, src, 2, 2, 4, 4);
        };
        ASSERT_EQ(apply(g.canvas(), g.canvas()), apply(want.canvas(), twin.canvas()));
        for (int y = 0; y < 8; ++y)
          for (int x = 0; x < 8; ++x) ASSERT_EQ(g.at(x, y), want.at(x, y)) << mode << " " << ox << "," << oy;
      }
}

TEST(CanvasCopy, ExtremeArgumentsMatchPerPixelDefinition) {
  Guarded src({"abcd", "efgh", "ijkl"});
  src.at(1, 1) = 0;  // a hole ('j' was there)
  const int vals[] = {INT_MIN, -4, -1, 0, 2, INT_MAX};
  Guarded g(5, 4);
  for (int mode = 0; mode < 3; ++mode)
    for (int dx : vals)
      for (int dy : vals)
        for (int sx : vals)
          for (int sy : vals)
            for (int w : vals)
              for (int h : vals) {
                g.clear();
                Rect r = mode == 2   ? blend_rect(g.canvas(), dx, dy, src.canvas(), sx, sy, w, h)
                         : mode == 1 ? copy_rect(g.canvas(), dx, dy, src.canvas(), sx, sy, w, h, true)
                                     : copy_rect(g.canvas(), dx, dy, src.canvas(), sx, sy, w, h);
                for (int y = 0; y < 4; ++y)
                  for (int x = 0; x < 5; ++x) {
                    i64 t = i64{x} - dx, u = i64{y} - dy, fx = sx + t, fy = sy + u;
                    std::uint32_t want = kBg;
                    if (t >= 0 && t < w && u >= 0 && u < h && fx >= 0 && fx < 4 && fy >= 0 && fy < 3) {
                      std::uint32_t s = src.at(int(fx), int(fy));
                      want = (mode == 0 || s != 0) ? s : kBg;
                    }
                    ASSERT_EQ(g.at(x, y), want) << mode << ": " << dx << " " << dy << " " << sx << " " << sy << " "
                                                << w << " " << h;
                  }
                if (mode > 0) {
                  ASSERT_EQ(r, changed(g.canvas()));
                }
                ASSERT_TRUE(g.guard_intact());
              }
  EXPECT_TRUE(src.guard_intact());
}

TEST(CanvasBlend, SourceOver) {
  Guarded src(5, 1), g(5, 1, kSentinel);
  src.at(0, 0) = 0x80FF0000;  // half red
  src.at(1, 0) = 0x80FF0000;
  src.at(2, 0) = 0x80FF0000;
  src.at(3, 0) = 0x00FF0000;  // fully transparent: not written
  src.at(4, 0) = 0xFF00FF00;  // opaque: replaces
  g.at(0, 0) = 0xFF0000FF;    // opaque blue
  g.at(1, 0) = 0x00123456;    // a hole: the source shows as it is
  g.at(2, 0) = 0x800000FF;    // half blue
  g.at(4, 0) = 0x80ABCDEF;
  EXPECT_EQ(blend_rect(g.canvas(), 0, 0, src.canvas(), 0, 0, 5, 1), (Rect{0, 0, 5, 1}));
  EXPECT_EQ(g.at(0, 0), 0xFF80007Fu);  // 255*128/255 and 255*127/255, rounded; stays opaque
  EXPECT_EQ(g.at(1, 0), 0x80FF0000u);
  EXPECT_EQ(g.at(2, 0), 0xC0AA0055u);  // alpha .5 + .5*.5 = .75; red .5/.75, blue .25/.75
  EXPECT_EQ(g.at(3, 0), kSentinel);
  EXPECT_EQ(g.at(4, 0), 0xFF00FF00u);
  // The rectangle returned leaves out transparent columns at its ends.
  EXPECT_EQ(blend_rect(g.canvas(), 0, 0, src.canvas(), 2, 0, 2, 1), (Rect{0, 0, 1, 1}));
  EXPECT_TRUE(blend_rect(g.canvas(), 0, 0, src.canvas(), 3, 0, 1, 1).empty());
  EXPECT_TRUE(g.guard_intact());
}

TEST(CanvasBlend, EveryAlphaOnOpaqueStaysOpaqueAndInRange) {
  Guarded src(256, 1), g(256, 1);
  for (int a = 0; a < 256; ++a) {
    src.at(a, 0) = std::uint32_t(a) << 24 | 0xFF8000;
    g.at(a, 0) = 0xFF0080FF;
  }
  blend_rect(g.canvas(), 0, 0, src.canvas(), 0, 0, 256, 1);
  for (int a = 1; a < 256; ++a) {
    std::uint32_t p = g.at(a, 0);
    EXPECT_EQ(p >> 24, 0xFFu) << a;
    auto mix = [&](int s, int d) { return unsigned((s * a + d * (255 - a) + 127) / 255); };
    EXPECT_EQ((p >> 16) & 0xFF, mix(0xFF, 0x00)) << a;
    EXPECT_EQ((p >> 8) & 0xFF, mix(0x80, 0x80)) << a;
    EXPECT_EQ(p & 0xFF, mix(0x00, 0xFF)) << a;
  }
  EXPECT_EQ(g.at(0, 0), 0xFF0080FFu);
}

// ---- scrolling ----

TEST(CanvasScroll, HorizontalShiftsAndFillsTheGap) {
  auto scrolled = [](int x, int y, int w, int h, int steps, bool ok = true) {
    Guarded g({"abcdef", "ghijkl"});
    EXPECT_EQ(scroll_horizontal(g.canvas(), x, y, w, h, steps, kBg), ok);
    EXPECT_TRUE(g.guard_intact());
    return picture(g.canvas());
  };
  EXPECT_EQ(scrolled(1, 0, 4, 2, 1), lines({"a.bcdf", "g.hijl"}));
  EXPECT_EQ(scrolled(1, 1, 4, 1, -2), lines({"ade..f", "ghijkl"}));  // only the area's row
  EXPECT_EQ(scrolled(0, 0, 6, 1, 5), lines({"abcdef", ".....g"}));
  for (int steps : {4, -4, 100, INT_MAX, INT_MIN})
    EXPECT_EQ(scrolled(1, 0, 4, 2, steps), lines({"a....f", "g....l"})) << steps;
  EXPECT_EQ(scrolled(1, 0, 4, 2, 0), lines({"abcdef", "ghijkl"}));
  EXPECT_EQ(scrolled(2, 1, 0, 0, 3), lines({"abcdef", "ghijkl"}));  // an empty area is inside
  EXPECT_EQ(scrolled(6, 2, 0, 0, 3), lines({"abcdef", "ghijkl"}));
  // Not inside the canvas: false, nothing drawn.
  const int bad[][4] = {{-1, 0, 2, 1},      {0, -1, 2, 1},       {5, 0, 2, 1},      {0, 1, 2, 2},
                        {1, 0, INT_MAX, 1}, {0, 1, 1, INT_MAX},  {0, 0, -1, 1},     {0, 0, 1, -1},
                        {INT_MAX, 0, 1, 1}, {INT_MIN, 0, 1, 1},  {0, INT_MAX, 1, 1}, {0, 0, INT_MIN, INT_MIN}};
  for (const auto& a : bad) EXPECT_EQ(scrolled(a[0], a[1], a[2], a[3], 1, false), lines({"abcdef", "ghijkl"}));
}

TEST(CanvasScroll, UpMovesRowsAndClearsTheBottom) {
  auto scrolled = [](int pixels, Rect want) {
    Guarded g({"abc", "def", "ghi"});
    EXPECT_EQ(scroll_up(g.canvas(), pixels, px('_')), want) << pixels;
    EXPECT_TRUE(g.guard_intact());
    return picture(g.canvas());
  };
  EXPECT_EQ(scrolled(1, {0, 0, 3, 3}), lines({"def", "ghi", "___"}));
  EXPECT_EQ(scrolled(2, {0, 0, 3, 3}), lines({"ghi", "___", "___"}));
  for (int p : {3, 4, INT_MAX}) EXPECT_EQ(scrolled(p, {0, 0, 3, 3}), lines({"___", "___", "___"}));
  for (int p : {0, -1, INT_MIN}) EXPECT_EQ(scrolled(p, {}), lines({"abc", "def", "ghi"}));
}

// ---- pages: nothing outside the drawn pixels is written, even with the value already there ----

// A canvas of `rows` rows, four pages per row, all read-only but for the pages allowed; a write to
// any other page kills the process (run inside EXPECT_EXIT).
class ProtectedCanvas {
 public:
  explicit ProtectedCanvas(int rows) {
    page_ = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    per_page_ = static_cast<int>(page_ / 4);
    canvas_.width = 4 * per_page_;
    canvas_.height = rows;
    bytes_ = static_cast<std::size_t>(rows) * 4 * page_;
    void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    canvas_.pixels = static_cast<std::uint32_t*>(p);
    fill(canvas_, kBg);
    mprotect(p, bytes_, PROT_READ);
  }
  ~ProtectedCanvas() { munmap(canvas_.pixels, bytes_); }
  int per_page() const { return per_page_; }
  Canvas& canvas() { return canvas_; }
  // Makes the pages holding columns [x0, x1) of rows [y0, y1) writable.
  void allow(int x0, int x1, int y0, int y1) {
    for (int y = y0; y < y1; ++y) {
      auto* first = reinterpret_cast<char*>(canvas_.row(y)) + static_cast<std::size_t>(x0 / per_page_) * page_;
      std::size_t pages = static_cast<std::size_t>((x1 - 1) / per_page_ - x0 / per_page_ + 1);
      if (mprotect(first, pages * page_, PROT_READ | PROT_WRITE) != 0) std::abort();
    }
  }

 private:
  std::size_t page_ = 0, bytes_ = 0;
  int per_page_ = 0;
  Canvas canvas_;
};

// Runs in the death test's child: every primitive on a canvas where only the pages it should draw on
// are writable. Exits 0 when nothing faulted and the last drawing is there.
[[noreturn]] void draw_on_protected_pages() {
  ProtectedCanvas pc(16);
  Canvas& c = pc.canvas();
  const int p = pc.per_page();  // columns [p, 2p) are the second page of each row
  pc.allow(p, 2 * p, 3, 8);
  fill_box(c, p + 10, 3, p - 20, 5, kInk);
  draw_box(c, p, 3, p, 5, kInk);
  fill_ellipse(c, p + 1, 3, p - 2, 5, kInk);
  draw_line(c, p + 5, 3, p - 10, 4, kInk);
  draw_line(c, 2 * p - 1, 7, -(p - 1), -4, kInk);
  scroll_horizontal(c, p, 4, p, 3, 17, kBg);
  scroll_horizontal(c, p, 4, p, 3, -INT_MAX, kBg);
  std::vector<std::uint32_t> src(64 * 4, 0x80FFFFFFu);
  src[5] = 0;
  ConstCanvas s(src.data(), 64, 4);
  copy_rect(c, p + 3, 3, s, 0, 0, 64, 4);
  copy_rect(c, p - 10, 4, s, -10, 0, 74, 4, true);  // the source's left 10 columns (left of p) are cut
  blend_rect(c, 2 * p - 64, 4, s, 0, 0, 1000, 4);    // 64 source columns wide, ending at 2p - 1
  // Huge arguments: lines and boxes far outside, and across all of row 5 (made writable).
  draw_line(c, INT_MIN, INT_MIN, INT_MAX, INT_MAX, kInk);
  draw_line(c, INT_MAX, INT_MIN, INT_MIN, INT_MAX, kInk);
  fill_box(c, INT_MIN, 5, INT_MAX, 1, kInk);
  fill_ellipse(c, INT_MIN, INT_MIN, INT_MAX, INT_MAX, kInk);
  pc.allow(0, c.width, 5, 6);
  draw_line(c, INT_MIN, 5, INT_MAX, 0, kInk);
  draw_line(c, -1000000000, 5, 2000000000, 0, kInk);
  fill_box(c, -5, 5, INT_MAX, 1, kInk);
  std::exit(c.row(5)[0] == kInk && c.row(5)[c.width - 1] == kInk ? 0 : 1);
}

TEST(CanvasPagesDeathTest, PrimitivesWriteOnlyThePagesTheyDrawOn) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(draw_on_protected_pages(), ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace phantom::ui

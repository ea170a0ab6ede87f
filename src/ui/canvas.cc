// Canvas: the drawing primitives of the window natives on a rectangle of pixels (window system layer).
//
// Every primitive clips before it writes. Arguments are widened to 64 bits first, so no sum such as
// x + w can overflow, and loops run over the clipped area only, so a huge argument costs no more than
// a small one. A primitive writes each pixel it draws exactly once and no other pixel (design rule 4:
// the canvas is usually in the arena, and every page written is saved by the next snapshot). A canvas
// with no pixels or a size <= 0 is drawn on as an empty one.
//
// Choices where the original (GP libwin, subsystems.md §1.2) is vague, or where we depart from it:
// * Sizes <= 0 draw nothing (fill_box, draw_box, fill_ellipse, copy_rect, blend_rect); they are never
//   mirrored.
// * draw_box outlines the pixels x..x+w-1 by y..y+h-1, as GP's w_draw_box does, but each corner is
//   written once (GP draws four overlapping lines).
// * draw_line is Bresenham along the longer axis (x when |dx| == |dy|). Step i draws the minor
//   coordinate offset round(i * minor / major), halves rounded towards the start point; this is the
//   classic integer loop in closed form. Clipping computes the range of steps whose pixel lies inside
//   from that closed form, so the loop visits visible pixels only, and the clipped line is exactly the
//   part of the unclipped one that lies inside the canvas.
// * fill_ellipse samples pixel centres: a pixel is drawn when its centre lies inside or on the ellipse
//   inscribed in the box [x, x+w) x [y, y+h). The test is exact integer maths (128-bit products), not
//   GP's sine table. It is symmetric in both axes and under swapping w and h by construction. A 1x1 box
//   gives one pixel, 2x2 and 3x3 boxes give full squares, a 1xN box a line. The extreme rows (or
//   columns) of a very thin ellipse can stay empty when no pixel centre falls inside there.
// * copy_rect and blend_rect clip the source rectangle to the source and the destination to the
//   destination with one common offset, so every pixel copied lands where the unclipped copy would put
//   it. Source and destination may be views of the same buffer with the same width (overlap is handled
//   as memmove does). With skip_transparent, and in blend_rect, alpha-0 source pixels are not written,
//   and the rectangle returned is the bounding box of the pixels written.
// * blend_rect is non-premultiplied source-over, rounded to nearest: alpha a = as + ad (1 - as), colour
//   (cs as + cd ad (1 - as)) / a. On an opaque destination this is the usual cs as + cd (1 - as) and
//   stays opaque; on a hole (alpha 0) it gives the source pixel itself, so no colour of the hole leaks
//   in. Source alpha 0xFF replaces the destination.
// * scroll_horizontal returns false for an area with a negative size or not inside the canvas; an
//   empty area, or steps 0, returns true and writes nothing.
// * scroll_up with pixels <= 0 does nothing and returns an empty rectangle (there is no scroll down).
#include "ui/canvas.h"

#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace phantom::ui {
namespace {

using i64 = std::int64_t;
using u64 = std::uint64_t;
__extension__ using u128 = unsigned __int128;  // GCC and Clang on 64-bit targets

bool drawable(const Canvas& c) { return c.pixels != nullptr && c.width > 0 && c.height > 0; }
bool readable(const ConstCanvas& c) { return c.pixels != nullptr && c.width > 0 && c.height > 0; }

// The rectangle [x0, x1) x [y0, y1), which must be inside a canvas, so that it fits an int.
Rect half_open(i64 x0, i64 y0, i64 x1, i64 y1) {
  return {static_cast<int>(x0), static_cast<int>(y0), static_cast<int>(x1 - x0), static_cast<int>(y1 - y0)};
}

// The part of the box (x, y, w, h) inside the canvas; empty when w or h <= 0 or nothing is inside.
Rect clip_box(const Canvas& c, i64 x, i64 y, i64 w, i64 h) {
  if (!drawable(c) || w <= 0 || h <= 0) return {};
  i64 x0 = std::max<i64>(x, 0), x1 = std::min<i64>(x + w, c.width);
  i64 y0 = std::max<i64>(y, 0), y1 = std::min<i64>(y + h, c.height);
  return x0 < x1 && y0 < y1 ? half_open(x0, y0, x1, y1) : Rect{};
}

// Fills r, which is inside the canvas (or empty), row by row.
Rect fill_rect(Canvas& c, const Rect& r, std::uint32_t color) {
  for (int y = r.y; y < r.y + r.h; ++y) std::fill(c.row(y) + r.x, c.row(y) + r.x + r.w, color);
  return r;
}

// floor(sqrt(n)) for n < 2^62.
u64 isqrt(u64 n) {
  u64 r = static_cast<u64>(std::sqrt(static_cast<double>(n)));
  while (r * r > n) --r;
  while ((r + 1) * (r + 1) <= n) ++r;
  return r;
}

// One source-over step of blend_rect, for a source alpha strictly between 0 and 0xFF.
std::uint32_t blend_over(std::uint32_t s, std::uint32_t d) {
  const std::uint32_t sa = s >> 24, da = d >> 24;
  const std::uint32_t ws = sa * 255, wd = da * (255 - sa);  // weights of the two colours, times 255
  const std::uint32_t a = ws + wd;                           // result alpha times 255; > 0 since sa > 0
  std::uint32_t out = ((a + 127) / 255) << 24;
  for (int shift = 0; shift < 24; shift += 8) {
    std::uint32_t cs = (s >> shift) & 0xFF, cd = (d >> shift) & 0xFF;
    out |= ((cs * ws + cd * wd + a / 2) / a) << shift;  // at most 255: the weights sum to a
  }
  return out;
}

// A copy clipped on both sides: `w` x `h` pixels from (sx, sy) of the source to (dx, dy) of the
// destination, all inside.
struct Blit {
  int dx, dy, sx, sy, w, h;
};

bool clip_blit(const Canvas& dst, i64 dx, i64 dy, const ConstCanvas& src, i64 sx, i64 sy, i64 w, i64 h,
               Blit& out) {
  if (!drawable(dst) || !readable(src) || w <= 0 || h <= 0) return false;
  // Offsets t (columns) and u (rows) into the rectangle that are inside both canvases.
  const i64 t0 = std::max({i64{0}, -sx, -dx}), t1 = std::min({w, src.width - sx, dst.width - dx});
  const i64 u0 = std::max({i64{0}, -sy, -dy}), u1 = std::min({h, src.height - sy, dst.height - dy});
  if (t0 >= t1 || u0 >= u1) return false;
  out = {static_cast<int>(dx + t0), static_cast<int>(dy + u0), static_cast<int>(sx + t0),
         static_cast<int>(sy + u0), static_cast<int>(t1 - t0), static_cast<int>(u1 - u0)};
  return true;
}

// True when the destination lies after the source in memory: rows and pixels are then visited last
// to first, so that when both are views of one buffer each source pixel is read before it is
// overwritten (memmove's rule). std::greater gives a total order even for unrelated pointers.
bool backwards(const Canvas& dst, const ConstCanvas& src, const Blit& b) {
  return std::greater<const std::uint32_t*>()(dst.row(b.dy) + b.dx, src.row(b.sy) + b.sx);
}

// Applies op(source pixel, destination pixel&) -> written? to every pixel of b; returns the bounding
// box of the pixels written.
template <typename Op>
Rect blit_pixels(Canvas& dst, const ConstCanvas& src, const Blit& b, Op op) {
  const bool back = backwards(dst, src, b);
  int x0 = INT_MAX, x1 = -1, y0 = INT_MAX, y1 = -1;  // offsets into b of the pixels written
  for (int k = 0; k < b.h; ++k) {
    const int r = back ? b.h - 1 - k : k;
    std::uint32_t* d = dst.row(b.dy + r) + b.dx;
    const std::uint32_t* s = src.row(b.sy + r) + b.sx;
    int first = INT_MAX, last = -1;
    for (int q = 0; q < b.w; ++q) {
      const int i = back ? b.w - 1 - q : q;
      if (!op(s[i], d[i])) continue;
      first = std::min(first, i);
      last = std::max(last, i);
    }
    if (last < 0) continue;
    x0 = std::min(x0, first);
    x1 = std::max(x1, last);
    y0 = std::min(y0, r);
    y1 = std::max(y1, r);
  }
  if (x1 < 0) return {};
  return {b.dx + x0, b.dy + y0, x1 - x0 + 1, y1 - y0 + 1};
}

}  // namespace

Rect fill(Canvas& c, std::uint32_t color) {
  if (!drawable(c)) return {};
  std::fill(c.pixels, c.pixels + static_cast<std::size_t>(c.width) * c.height, color);
  return c.bounds();
}

Rect put_pixel(Canvas& c, int x, int y, std::uint32_t color) {
  if (!drawable(c) || x < 0 || y < 0 || x >= c.width || y >= c.height) return {};
  c.row(y)[x] = color;
  return {x, y, 1, 1};
}

Rect draw_line(Canvas& c, int x, int y, int dx, int dy, std::uint32_t color) {
  if (!drawable(c)) return {};
  // Work along the major axis m (the longer one) and the minor axis n.
  const bool x_major = std::abs(i64{dx}) >= std::abs(i64{dy});
  const i64 m0 = x_major ? x : y, n0 = x_major ? y : x;
  const i64 dm = x_major ? dx : dy, dn = x_major ? dy : dx;
  const i64 m_limit = x_major ? c.width : c.height, n_limit = x_major ? c.height : c.width;
  const i64 sm = dm < 0 ? -1 : 1, sn = dn < 0 ? -1 : 1;
  const u64 am = static_cast<u64>(std::abs(dm)), an = static_cast<u64>(std::abs(dn));  // an <= am <= 2^31
  if (am == 0) return put_pixel(c, x, y, color);
  // Step i in [0, am] draws m = m0 + sm*i, n = n0 + sn*off(i), off(i) = floor((2 i an + am - 1) / (2 am)).
  // The steps whose m is inside:
  i64 lo = 0, hi = static_cast<i64>(am);
  if (sm > 0) {
    lo = std::max(lo, -m0);
    hi = std::min(hi, m_limit - 1 - m0);
  } else {
    lo = std::max(lo, m0 - (m_limit - 1));
    hi = std::min(hi, m0);
  }
  if (lo > hi) return {};
  // The offsets [a, b] whose n is inside; off(i) is non-decreasing, so their steps form a range too.
  i64 a = sn > 0 ? -n0 : n0 - (n_limit - 1), b = sn > 0 ? n_limit - 1 - n0 : n0;
  a = std::max<i64>(a, 0);
  b = std::min<i64>(b, static_cast<i64>(an));
  if (a > b) return {};
  // Both bounds need an > 0 (a > 0 and b < an each imply it). The products are below 2^64: am <= 2^31
  // and 2b + 1 <= 2^32 + 1.
  if (a > 0) {  // off(i) >= a  <=>  2 i an >= am (2a - 1) + 1
    const u64 num = am * (2 * static_cast<u64>(a) - 1) + 1, den = 2 * an;
    lo = std::max(lo, static_cast<i64>((num + den - 1) / den));
  }
  if (b < static_cast<i64>(an)) {  // off(i) <= b  <=>  2 i an <= am (2b + 1)
    hi = std::min(hi, static_cast<i64>(am * (2 * static_cast<u64>(b) + 1) / (2 * an)));
  }
  if (lo > hi) return {};
  // The integer loop from step lo: off and rem are the quotient and remainder of 2 i an + am - 1.
  const u64 two_am = 2 * am, step = 2 * an;
  const u64 start = 2 * static_cast<u64>(lo) * an + am - 1;  // below 2^63 + 2^31
  u64 off = start / two_am, rem = start % two_am;
  i64 first_x = 0, first_y = 0, last_x = 0, last_y = 0;
  for (i64 i = lo;; ++i) {
    const i64 m = m0 + sm * i, n = n0 + sn * static_cast<i64>(off);
    last_x = x_major ? m : n;
    last_y = x_major ? n : m;
    if (i == lo) first_x = last_x, first_y = last_y;
    c.row(static_cast<int>(last_y))[last_x] = color;
    if (i == hi) break;
    rem += step;
    if (rem >= two_am) rem -= two_am, ++off;
  }
  return half_open(std::min(first_x, last_x), std::min(first_y, last_y), std::max(first_x, last_x) + 1,
                   std::max(first_y, last_y) + 1);
}

Rect draw_box(Canvas& c, int x, int y, int w, int h, std::uint32_t color) {
  if (w <= 0 || h <= 0) return {};
  const i64 right = i64{x} + w - 1, top = i64{y} + h - 1;
  Rect r = fill_rect(c, clip_box(c, x, y, w, 1), color);                 // bottom edge
  if (h > 1) r = r.unite(fill_rect(c, clip_box(c, x, top, w, 1), color));  // top edge
  if (h > 2) {                                                            // the sides between them
    r = r.unite(fill_rect(c, clip_box(c, x, i64{y} + 1, 1, h - 2), color));
    if (w > 1) r = r.unite(fill_rect(c, clip_box(c, right, i64{y} + 1, 1, h - 2), color));
  }
  return r;
}

Rect fill_box(Canvas& c, int x, int y, int w, int h, std::uint32_t color) {
  return fill_rect(c, clip_box(c, x, y, w, h), color);
}

Rect fill_ellipse(Canvas& c, int x, int y, int w, int h, std::uint32_t color) {
  const Rect box = clip_box(c, x, y, w, h);
  if (box.empty()) return {};
  // In doubled coordinates about the centre, the centre of pixel (x + k, y + r) is at U = 2k + 1 - w,
  // V = 2r + 1 - h. It is inside when (U/w)^2 + (V/h)^2 <= 1, that is U^2 h^2 <= w^2 (h^2 - V^2).
  const u64 uw = static_cast<u64>(w), uh = static_cast<u64>(h);
  i64 x0 = INT64_MAX, x1 = -1, y0 = INT64_MAX, y1 = -1;  // the pixels written, half-open
  for (int j = box.y; j < box.y + box.h; ++j) {
    const i64 v = 2 * (i64{j} - y) + 1 - h;  // |v| <= h - 1
    const u64 av = static_cast<u64>(std::abs(v));
    const u128 rhs = static_cast<u128>(uw * uw) * ((uh - av) * (uh + av));  // below 2^124
    u64 umax = isqrt(static_cast<u64>(rhs / (static_cast<u128>(uh) * uh)));  // <= w
    if ((umax ^ (uw - 1)) & 1) {  // U has the parity of w - 1
      if (umax == 0) continue;    // no pixel centre of this row is inside
      --umax;
    }
    // |U| <= umax  <=>  (w - 1 - umax) / 2 <= k <= (w - 1 + umax) / 2
    const i64 lo = std::max<i64>(x + static_cast<i64>((uw - 1 - umax) / 2), 0);
    const i64 hi = std::min<i64>(x + static_cast<i64>((uw - 1 + umax) / 2) + 1, c.width);
    if (lo >= hi) continue;
    std::fill(c.row(j) + lo, c.row(j) + hi, color);
    x0 = std::min(x0, lo);
    x1 = std::max(x1, hi);
    y0 = std::min<i64>(y0, j);
    y1 = j + 1;
  }
  return x1 < 0 ? Rect{} : half_open(x0, y0, x1, y1);
}

Rect copy_rect(Canvas& dst, int dx, int dy, const ConstCanvas& src, int sx, int sy, int w, int h,
               bool skip_transparent) {
  Blit b;
  if (!clip_blit(dst, dx, dy, src, sx, sy, w, h, b)) return {};
  if (skip_transparent) {
    return blit_pixels(dst, src, b, [](std::uint32_t s, std::uint32_t& d) {
      if ((s >> 24) == 0) return false;
      d = s;
      return true;
    });
  }
  const bool back = backwards(dst, src, b);
  for (int k = 0; k < b.h; ++k) {
    const int r = back ? b.h - 1 - k : k;
    std::memmove(dst.row(b.dy + r) + b.dx, src.row(b.sy + r) + b.sx, static_cast<std::size_t>(b.w) * 4);
  }
  return {b.dx, b.dy, b.w, b.h};
}

Rect blend_rect(Canvas& dst, int dx, int dy, const ConstCanvas& src, int sx, int sy, int w, int h) {
  Blit b;
  if (!clip_blit(dst, dx, dy, src, sx, sy, w, h, b)) return {};
  return blit_pixels(dst, src, b, [](std::uint32_t s, std::uint32_t& d) {
    const std::uint32_t alpha = s >> 24;
    if (alpha == 0) return false;
    d = alpha == 0xFF ? s : blend_over(s, d);
    return true;
  });
}

bool scroll_horizontal(Canvas& c, int x, int y, int w, int h, int steps, std::uint32_t bg) {
  if (x < 0 || y < 0 || w < 0 || h < 0 || i64{x} + w > c.width || i64{y} + h > c.height) return false;
  if (w == 0 || h == 0 || steps == 0) return true;
  if (c.pixels == nullptr) return false;
  const i64 n = std::min<i64>(std::abs(i64{steps}), w);  // pixels of each row that become bg
  const std::size_t kept = static_cast<std::size_t>(w - n) * 4;
  for (int j = y; j < y + h; ++j) {
    std::uint32_t* p = c.row(j) + x;
    if (steps > 0) {
      std::memmove(p + n, p, kept);
      std::fill(p, p + n, bg);
    } else {
      std::memmove(p, p + n, kept);
      std::fill(p + (w - n), p + w, bg);
    }
  }
  return true;
}

Rect scroll_up(Canvas& c, int pixels, std::uint32_t bg) {
  if (!drawable(c) || pixels <= 0) return {};
  const int cleared = std::min(pixels, c.height);
  const int kept = c.height - cleared;
  if (kept > 0) std::memmove(c.row(cleared), c.row(0), static_cast<std::size_t>(kept) * c.width * 4);
  std::fill(c.row(0), c.row(cleared), bg);
  return c.bounds();
}

}  // namespace phantom::ui

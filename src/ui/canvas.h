// Canvas: a rectangle of 32-bit pixels to draw on, and the drawing primitives of the window natives
// (window system layer). Phantom's conventions (subsystems.md §0): the origin is the bottom-left corner,
// y grows upward, rows are stored bottom row first; a pixel is 0xAARRGGBB, which is B,G,R,A in memory.
// Alpha 0xFF is opaque; the compositor skips pixels whose alpha is 0 ("holes").
//
// A canvas is usually a window's pixel binary in the arena, so every primitive writes only the pixels
// it draws (design rule 4: drawing dirties only the pages it draws on) and clips to the canvas, so no
// argument, however large or negative, writes outside it. Each primitive returns the rectangle it
// touched (clipped; empty when nothing), for the compositor's dirty rectangles.
#pragma once

#include <algorithm>
#include <cstdint>

namespace phantom::ui {

struct Rect {
  int x = 0, y = 0, w = 0, h = 0;
  bool empty() const { return w <= 0 || h <= 0; }
  bool contains(int px, int py) const { return px >= x && py >= y && px < x + w && py < y + h; }
  Rect intersect(const Rect& o) const {
    int x0 = std::max(x, o.x), y0 = std::max(y, o.y);
    int x1 = std::min(x + w, o.x + o.w), y1 = std::min(y + h, o.y + o.h);
    return x1 > x0 && y1 > y0 ? Rect{x0, y0, x1 - x0, y1 - y0} : Rect{};
  }
  Rect unite(const Rect& o) const {  // the smallest rectangle holding both (an empty one adds nothing)
    if (empty()) return o;
    if (o.empty()) return *this;
    int x0 = std::min(x, o.x), y0 = std::min(y, o.y);
    int x1 = std::max(x + w, o.x + o.w), y1 = std::max(y + h, o.y + o.h);
    return {x0, y0, x1 - x0, y1 - y0};
  }
  Rect moved(int dx, int dy) const { return {x + dx, y + dy, w, h}; }
  bool operator==(const Rect&) const = default;
};

struct Canvas {
  std::uint32_t* pixels = nullptr;  // width * height, bottom row first
  int width = 0, height = 0;
  std::uint32_t* row(int y) const { return pixels + static_cast<std::size_t>(y) * width; }
  Rect bounds() const { return {0, 0, width, height}; }
};

struct ConstCanvas {
  const std::uint32_t* pixels = nullptr;
  int width = 0, height = 0;
  ConstCanvas() = default;
  ConstCanvas(const std::uint32_t* p, int w, int h) : pixels(p), width(w), height(h) {}
  ConstCanvas(const Canvas& c) : pixels(c.pixels), width(c.width), height(c.height) {}
  const std::uint32_t* row(int y) const { return pixels + static_cast<std::size_t>(y) * width; }
};

constexpr std::uint32_t opaque(std::uint32_t rgb) { return rgb | 0xFF000000u; }

// ---- primitives (canvas.cc); coordinates are the canvas's own, bottom-left origin ----
Rect fill(Canvas& c, std::uint32_t color);
Rect put_pixel(Canvas& c, int x, int y, std::uint32_t color);
Rect draw_line(Canvas& c, int x, int y, int dx, int dy, std::uint32_t color);  // (x,y) to (x+dx, y+dy), both ends
Rect draw_box(Canvas& c, int x, int y, int w, int h, std::uint32_t color);     // 1-pixel outline
Rect fill_box(Canvas& c, int x, int y, int w, int h, std::uint32_t color);
Rect fill_ellipse(Canvas& c, int x, int y, int w, int h, std::uint32_t color);  // inscribed in the box
// Copies the part (sx, sy, w, h) of `src` to (dx, dy) of `dst`, clipped on both sides. When
// `skip_transparent`, source pixels with alpha 0 are not copied.
Rect copy_rect(Canvas& dst, int dx, int dy, const ConstCanvas& src, int sx, int sy, int w, int h,
               bool skip_transparent = false);
// As copy_rect, with source-over alpha blending (alpha 0 leaves dst, 0xFF replaces it).
Rect blend_rect(Canvas& dst, int dx, int dy, const ConstCanvas& src, int sx, int sy, int w, int h);
// Scrolls the area (x, y, w, h) horizontally by `steps` pixels (positive: to the right), filling the
// gap with `bg`. False (nothing drawn) when the area is not inside the canvas: the native's EINVAL.
bool scroll_horizontal(Canvas& c, int x, int y, int w, int h, int steps, std::uint32_t bg);
// Moves the whole canvas up by `pixels` rows (text scrolling: the bottom rows become `bg`).
Rect scroll_up(Canvas& c, int pixels, std::uint32_t bg);

}  // namespace phantom::ui

// .internal.ui.font (window system layer): a TrueType typeface and size that programs choose. The
// original's class was a placeholder whose only method threw "not implemented" (subsystems.md §1.3,
// §1.5); these natives are ours. A font is 8 bytes in the world: the typeface and the pixel size, both
// zero in a new font, which means DejaVu Sans at 14 pixels (the original's system font size).
//   16 setFont(name, size): "sans", "sans-bold", "mono", "mono-bold", "serif", "serif-bold"; 4..256 px
//   17 getName(); 18 getSize(); 19 width(s): the advance in pixels; 20 lineHeight(): baseline to baseline
//   21 drawString(window, x, baseline, s): in the window's foreground colour, shown at once under
//      auto-update like the window's own drawText.
#include "ui/desktop.h"
#include "ui/native_args.h"
#include "ui/natives.h"
#include "ui/text.h"

namespace phantom::ui {
namespace {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Vm;

constexpr int default_font_size = 14;
constexpr std::size_t max_text = 4096;  // bytes drawn or measured per call, as drawText

struct FontData {
  std::uint32_t typeface, size;
};

// The receiver's typeface and size, or false with a message thrown (a font object of another layout).
bool font_of(Args& a, FontData*& font) {
  auto* h = a.vm.heap().hdr(a.c.self);
  if (h->size < sizeof(FontData)) {
    a.out = a.vm.throw_string(a.c, fmt::format("{}: this font was made by an older Phantom; make a new one", a.method));
    return false;
  }
  font = a.vm.heap().as<FontData>(a.c.self);
  if (font->typeface >= static_cast<std::uint32_t>(typeface_count)) font->typeface = 0;  // damaged: the default
  return true;
}
Typeface typeface(const FontData& f) { return static_cast<Typeface>(f.typeface); }
int size(const FontData& f) { return f.size == 0 ? default_font_size : static_cast<int>(f.size); }

NativeOutcome int_result(Vm& vm, NativeCall& c, std::int32_t v) { return c.ret(vm.new_int(v)); }

NativeOutcome set_font(Vm& vm, NativeCall& c) {
  Args a{vm, c, "font.setFont"};
  FontData* font;
  std::string_view name;
  std::int32_t px;
  if (!font_of(a, font) || !a.count(2) || !a.string(0, name) || !a.integer(1, px)) return a.out;
  auto face = typeface_named(name);
  if (!face)
    return vm.throw_string(c, fmt::format("font.setFont: no typeface '{}'; use sans, sans-bold, mono, mono-bold, serif or serif-bold",
                                          name.substr(0, 64)));
  if (px < 4 || px > 256) return vm.throw_string(c, fmt::format("font.setFont: size {} is not 4..256 pixels", px));
  font->typeface = static_cast<std::uint32_t>(*face);
  font->size = static_cast<std::uint32_t>(px);
  return a.done();
}

NativeOutcome get_name(Vm& vm, NativeCall& c) {
  Args a{vm, c, "font.getName"};
  FontData* font;
  if (!font_of(a, font)) return a.out;
  return c.ret(vm.new_string(typeface_name(typeface(*font))));
}

NativeOutcome get_size(Vm& vm, NativeCall& c) {
  Args a{vm, c, "font.getSize"};
  FontData* font;
  if (!font_of(a, font)) return a.out;
  return int_result(vm, c, size(*font));
}

NativeOutcome width(Vm& vm, NativeCall& c) {
  Args a{vm, c, "font.width"};
  FontData* font;
  std::string_view s;
  if (!font_of(a, font) || !a.count(1) || !a.string(0, s)) return a.out;
  return int_result(vm, c, truetype_width(s.substr(0, max_text), size(*font), typeface(*font)));
}

NativeOutcome line_height(Vm& vm, NativeCall& c) {
  Args a{vm, c, "font.lineHeight"};
  FontData* font;
  if (!font_of(a, font)) return a.out;
  return int_result(vm, c, truetype_line_height(size(*font), typeface(*font)));
}

NativeOutcome draw_string(Vm& vm, NativeCall& c) {
  Args a{vm, c, "font.drawString"};
  FontData* font;
  std::int32_t x, y;
  std::string_view s;
  if (!font_of(a, font) || !a.count(4) || !a.integer(1, x) || !a.integer(2, y) || !a.string(3, s)) return a.out;
  if (!vm.is_a(c.args[0], vm::cid_window) && !vm.is_a(c.args[0], vm::cid_tty))
    return vm.throw_string(c, "font.drawString: argument 1 must be a window");
  WindowView w(vm, c.args[0]);
  if (!a.window(w)) return a.out;
  Canvas canvas = w.canvas();
  Rect r = draw_truetype(canvas, x, y, s.substr(0, max_text), size(*font), w.props().fg, typeface(*font));
  desktop_of(vm).drew(w.self(), r, w.props().autoupdate);
  return a.done();
}

}  // namespace

void install_font_natives(Vm& vm) {
  constexpr vm::ClassId F = vm::cid_ui_font;
  vm.set_native(F, 16, &set_font);
  vm.set_native(F, 17, &get_name);
  vm.set_native(F, 18, &get_size);
  vm.set_native(F, 19, &width);
  vm.set_native(F, 20, &line_height);
  vm.set_native(F, 21, &draw_string);
}

}  // namespace phantom::ui

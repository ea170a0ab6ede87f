// .internal.bitmap and boot setScreenBackground (window system layer, subsystems.md §1.4, §1.5).
// A bitmap is a Kind::refs object: width and height (tagged ints) and a binary of pixels, bottom row
// first (window_object.h). loadFromString reads P6 PPM as the original, and PNG (ours, by signature).
//   8 loadFromString(s); 9 paintTo(window or tty, x, y); ours: 10 getWidth(), 11 getHeight().
#include "ui/desktop.h"
#include "ui/image.h"
#include "ui/native_args.h"
#include "ui/natives.h"

namespace phantom::ui {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Vm;

bool bitmap_arg(Args& a, std::uint32_t k, ConstCanvas& out) {
  Vm& vm = a.vm;
  Ref b = a.c.args[k];
  if (!vm.is_a(b, vm::cid_bitmap) || vm.heap().hdr(b)->size < bitmap_slots * sizeof(Ref)) {
    a.out = vm.throw_string(a.c, fmt::format("{}: argument {} must be a .internal.bitmap", a.method, k + 1));
    return false;
  }
  const Ref* s = vm.page_refs(b);
  if (!vm::is_tagged_int(s[bmp_width]) || !vm::is_tagged_int(s[bmp_height]) || !vm.is_a(s[bmp_pixels], vm::cid_binary)) {
    a.out = vm.throw_string(a.c, fmt::format("{}: the bitmap holds no picture (call loadFromString first)", a.method));
    return false;
  }
  int w = vm::untag_int(s[bmp_width]), h = vm::untag_int(s[bmp_height]);
  auto* px = vm.heap().as<vm::BinaryData>(s[bmp_pixels]);
  if (w <= 0 || h <= 0 || px->length < std::uint64_t(w) * h * 4) {
    a.out = vm.throw_string(a.c, fmt::format("{}: the bitmap is damaged", a.method));
    return false;
  }
  out = ConstCanvas(reinterpret_cast<const std::uint32_t*>(px->bytes), w, h);
  return true;
}

namespace {

NativeOutcome load_from_string(Vm& vm, NativeCall& c) {
  Args a{vm, c, "bitmap.loadFromString"};
  std::string_view bytes;
  if (!a.count(1) || !a.string(0, bytes)) return a.out;
  if (vm.heap().hdr(c.self)->size < bitmap_slots * sizeof(Ref))
    return vm.throw_string(c, "bitmap.loadFromString: this bitmap was made by an older Phantom; make a new one");
  auto image = decode_image(bytes);
  if (!image.ok()) return vm.throw_string(c, "can not parse graphics data: " + image.error().message);
  const Image& img = image.value();
  Ref pixels = vm.new_binary(static_cast<std::uint32_t>(img.pixels.size() * 4));
  std::memcpy(vm.heap().as<vm::BinaryData>(pixels)->bytes, img.pixels.data(), img.pixels.size() * 4);
  vm.set_page_ref(c.self, bmp_width, vm::tag_int(img.width));
  vm.set_page_ref(c.self, bmp_height, vm::tag_int(img.height));
  vm.set_page_ref(c.self, bmp_pixels, pixels);
  return a.done();
}

NativeOutcome paint_to(Vm& vm, NativeCall& c) {
  Args a{vm, c, "bitmap.paintTo"};
  std::int32_t x, y;
  ConstCanvas picture;
  if (!a.count(3) || !a.integer(1, x) || !a.integer(2, y)) return a.out;
  if (!vm.is_a(c.args[0], vm::cid_window) && !vm.is_a(c.args[0], vm::cid_tty))
    return vm.throw_string(c, "bitmap.paintTo: argument 1 must be a window or a tty");
  WindowView w(vm, c.args[0]);
  if (!a.window(w)) return a.out;
  Ref saved = c.args[0];
  c.args[0] = c.self;  // bitmap_arg reads the bitmap from an argument slot
  bool ok = bitmap_arg(a, 0, picture);
  c.args[0] = saved;
  if (!ok) return a.out;
  Canvas canvas = w.canvas();
  Rect r = copy_rect(canvas, x, y, picture, 0, 0, picture.width, picture.height);
  desktop_of(vm).drew(w.self(), r, true);
  return a.done();
}

NativeOutcome bitmap_size(Vm& vm, NativeCall& c, BitmapSlot which) {
  if (vm.heap().hdr(c.self)->size < bitmap_slots * sizeof(Ref)) return c.ret(vm.new_int(0));
  Ref v = vm.page_refs(c.self)[which];
  return c.ret(vm.new_int(vm::is_tagged_int(v) ? vm::untag_int(v) : 0));
}
NativeOutcome get_width(Vm& vm, NativeCall& c) { return bitmap_size(vm, c, bmp_width); }
NativeOutcome get_height(Vm& vm, NativeCall& c) { return bitmap_size(vm, c, bmp_height); }

// Boot object [20]: the bitmap is copied, clipped, into the desktop's background at (0, 0).
NativeOutcome set_screen_background(Vm& vm, NativeCall& c) {
  Args a{vm, c, "setScreenBackground"};
  if (!a.count(1)) return a.out;
  if (!vm.is_a(c.args[0], vm::cid_bitmap)) return vm.throw_string(c, "not a bitmap");
  ConstCanvas picture;
  if (!bitmap_arg(a, 0, picture)) return a.out;
  desktop_of(vm).set_background(picture);
  return a.done();
}

}  // namespace

void install_bitmap_natives(Vm& vm) {
  vm.set_native(vm::cid_bitmap, 8, &load_from_string);
  vm.set_native(vm::cid_bitmap, 9, &paint_to);
  vm.set_native(vm::cid_bitmap, 10, &get_width);
  vm.set_native(vm::cid_bitmap, 11, &get_height);
  vm.set_native(vm::cid_boot, 20, &set_screen_background);
}

}  // namespace phantom::ui

// Windows in the arena (window system layer): see window_object.h.
#include "ui/window_object.h"

namespace phantom::ui {

bool WindowView::valid() const {
  if (self_ == vm::raw_null || vm::is_tagged_int(self_)) return false;
  if (vm_.heap().hdr(self_)->size < window_slots * sizeof(Ref)) return false;
  Ref p = slot(win_props), px = slot(win_pixels);
  if (!vm_.is_a(p, vm::cid_binary) || !vm_.is_a(px, vm::cid_binary)) return false;
  if (vm_.heap().as<vm::BinaryData>(p)->length < sizeof(WindowProps)) return false;
  const WindowProps& pr = props();
  if (pr.magic != window_magic || pr.width <= 0 || pr.height <= 0 || pr.width > max_window_side ||
      pr.height > max_window_side)
    return false;
  return vm_.heap().as<vm::BinaryData>(px)->length >= std::uint64_t(pr.width) * pr.height * 4;
}

}  // namespace phantom::ui

// Headless display: a frame in memory and nothing else (host layer). The world composes into it as
// usual, so screenshots work and a display can be added later without changing the world.
// May call: nothing outside the standard library.
#include <atomic>
#include <cstdint>

#include <fmt/format.h>

#include "host/display.h"

namespace phantom::host {
namespace {

class HeadlessDisplay final : public Display {
 public:
  HeadlessDisplay(int width, int height) : Display(width, height) {}

  // Nobody looks at the frame, so there is nothing to show; the count is for a debugger.
  void frame_changed(int, int, int, int) override { changes_.fetch_add(1, std::memory_order_relaxed); }

  // Kept so the window system may install one as with any display, but never called: synthetic input
  // (the control socket) goes to the window system directly, not through the display.
  void on_input(std::function<void(const InputEvent&)> handler) override {
    std::lock_guard lock(input_mutex_);
    handler_ = std::move(handler);
  }

  std::string description() const override { return fmt::format("headless {}x{}", width_, height_); }

 private:
  std::atomic<std::uint64_t> changes_{0};
  std::mutex input_mutex_;
  std::function<void(const InputEvent&)> handler_;
};

}  // namespace

std::unique_ptr<Display> open_headless_display(const DisplayConfig& config) {
  return std::make_unique<HeadlessDisplay>(config.width, config.height);
}

}  // namespace phantom::host

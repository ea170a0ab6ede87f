// LinuxArena: the object space as an anonymous mapping (host layer, Linux).
// Owns the mapping; MAP_FIXED_NOREPLACE makes a taken range an error instead of a silent move (the
// store decides whether to map elsewhere), MAP_NORESERVE keeps an unused arena free,
// MADV_NOHUGEPAGE keeps dirty tracking at 4 KiB.
#pragma once

#include <memory>

#include "host/arena.h"

namespace phantom::host::linux_impl {

class LinuxArena final : public Arena {
 public:
  static Result<std::unique_ptr<LinuxArena>> reserve(std::uint64_t address, std::uint64_t size);
  ~LinuxArena() override;
  LinuxArena(const LinuxArena&) = delete;
  LinuxArena& operator=(const LinuxArena&) = delete;

  std::byte* base() const override { return base_; }
  std::uint64_t size() const override { return size_; }

 private:
  LinuxArena(std::byte* base, std::uint64_t size) : base_(base), size_(size) {}
  std::byte* base_;
  std::uint64_t size_;
};

}  // namespace phantom::host::linux_impl

// Test world helpers (test support): a WorldControl that counts its calls, and small arena sizes and
// addresses so tests stay fast and can hold two arenas at once.
#pragma once

#include <gtest/gtest.h>

#include "store/store.h"

namespace phantom::testing {

constexpr std::uint64_t test_arena_base = 0x3000'0000'0000ull;
constexpr std::uint64_t test_arena_size = 8ull << 20;  // 2048 pages: a two-level page tree

struct CountingControl final : store::WorldControl {
  void stop() override { ++stops; }
  void resume() override { ++resumes; }
  int stops = 0, resumes = 0;
};

inline store::CreateOptions small_world(std::uint64_t base = test_arena_base, std::uint64_t size = test_arena_size) {
  store::CreateOptions c;
  c.arena_base = base;
  c.arena_size = size;
  return c;
}

// Asserts that a Result succeeded, printing its error otherwise, and yields its value.
#define ASSERT_OK_AND_TAKE(decl, expr)                                  \
  auto PHANTOM_CONCAT(ok_take_, __LINE__) = (expr);                     \
  ASSERT_TRUE(PHANTOM_CONCAT(ok_take_, __LINE__).ok())                  \
      << PHANTOM_CONCAT(ok_take_, __LINE__).error().message;            \
  decl = std::move(PHANTOM_CONCAT(ok_take_, __LINE__)).value()

#define EXPECT_OK(expr)                                   \
  do {                                                    \
    auto phantom_expect_ok_ = (expr);                     \
    EXPECT_TRUE(phantom_expect_ok_.ok()) << (phantom_expect_ok_.ok() ? "" : phantom_expect_ok_.error().message); \
  } while (0)

}  // namespace phantom::testing

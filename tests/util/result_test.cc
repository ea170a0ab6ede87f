// Tests for util/result.h: values, errors, propagation, and the abort on an unchecked Result.
#include "util/result.h"

#include <gtest/gtest.h>

namespace phantom {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return make_error(Errc::invalid_argument, "value {} is not positive", v);
  return v;
}

Result<int> doubled(int v) {
  PHANTOM_ASSIGN(int x, parse_positive(v));
  return 2 * x;
}

Status check(int v) {
  PHANTOM_TRY(parse_positive(v));
  return ok_status();
}

TEST(Result, CarriesValueOrError) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::invalid_argument);
  EXPECT_EQ(bad.error().message, "value -1 is not positive");
}

TEST(Result, PropagatesThroughMacros) {
  auto a = doubled(4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 8);
  auto b = doubled(0);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::invalid_argument);
  EXPECT_TRUE(check(1).ok());
  EXPECT_FALSE(check(-5).ok());
}

TEST(ResultDeathTest, UncheckedResultAborts) {
  EXPECT_DEATH({ (void)parse_positive(1); }, "destroyed without being checked");
}

TEST(ResultDeathTest, ValueOfFailureAborts) {
  EXPECT_DEATH({ (void)parse_positive(-1).value(); }, "value\\(\\) of a failed Result");
}

}  // namespace
}  // namespace phantom

// Numeric helpers of the interpreter: the operations of numeric_ops.def that C++ does not spell the way
// WebAssembly defines them (wasm layer). Spec 4.3.2-4.3.3: division and remainder traps, IEEE 754
// min/max with NaN and signed zeros, sign operations that touch only the sign bit (never the NaN
// payload), and float-to-int truncation, trapping and saturating.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace phantom::wasm {

// Trap messages: the spec test suite's texts, so a trap reads the same as in other engines.
inline constexpr const char* trap_divide_by_zero = "integer divide by zero";
inline constexpr const char* trap_integer_overflow = "integer overflow";
inline constexpr const char* trap_invalid_conversion = "invalid conversion to integer";

template <typename S>
const char* div_s(std::make_unsigned_t<S> a, std::make_unsigned_t<S> b, std::make_unsigned_t<S>& r) {
  if (b == 0) return trap_divide_by_zero;
  if (S(a) == std::numeric_limits<S>::min() && S(b) == -1) return trap_integer_overflow;
  r = static_cast<std::make_unsigned_t<S>>(S(a) / S(b));
  return nullptr;
}
template <typename U>
const char* div_u(U a, U b, U& r) {
  if (b == 0) return trap_divide_by_zero;
  r = a / b;
  return nullptr;
}
template <typename S>
const char* rem_s(std::make_unsigned_t<S> a, std::make_unsigned_t<S> b, std::make_unsigned_t<S>& r) {
  if (b == 0) return trap_divide_by_zero;
  if (S(b) == -1) {  // INT_MIN % -1 is undefined in C++; in WebAssembly it is 0
    r = 0;
    return nullptr;
  }
  r = static_cast<std::make_unsigned_t<S>>(S(a) % S(b));
  return nullptr;
}
template <typename U>
const char* rem_u(U a, U b, U& r) {
  if (b == 0) return trap_divide_by_zero;
  r = a % b;
  return nullptr;
}

template <typename F>
using FloatBits = std::conditional_t<sizeof(F) == 4, std::uint32_t, std::uint64_t>;
template <typename F>
constexpr FloatBits<F> sign_bit = FloatBits<F>(1) << (sizeof(F) * 8 - 1);

template <typename F>
F float_abs(F a) { return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) & ~sign_bit<F>); }
template <typename F>
F float_neg(F a) { return std::bit_cast<F>(std::bit_cast<FloatBits<F>>(a) ^ sign_bit<F>); }
template <typename F>
F float_copysign(F a, F b) {
  return std::bit_cast<F>((std::bit_cast<FloatBits<F>>(a) & ~sign_bit<F>) | (std::bit_cast<FloatBits<F>>(b) & sign_bit<F>));
}
// min and max: a NaN operand gives a NaN (a + b makes it quiet), and -0 is less than +0.
template <typename F>
F float_min(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}
template <typename F>
F float_max(F a, F b) {
  if (std::isnan(a) || std::isnan(b)) return a + b;
  if (a == b) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

// ceil, floor, trunc, nearest: a NaN comes out quiet (the C library may hand a signalling NaN back as it
// is; WebAssembly wants an arithmetic NaN, spec 4.3.3).
template <typename F, typename Round>
F float_round(F a, Round round) {
  if (std::isnan(a)) return a + a;
  return round(a);
}

// The float range [low, high) whose truncations fit Int; both bounds are powers of two, so exact in F.
template <typename Int, typename F>
inline F int_low() { return std::is_signed_v<Int> ? -std::ldexp(F(1), sizeof(Int) * 8 - 1) : F(0); }
template <typename Int, typename F>
inline F int_high() { return std::ldexp(F(1), sizeof(Int) * 8 - (std::is_signed_v<Int> ? 1 : 0)); }

template <typename Int, typename F>
const char* trunc_checked(F a, std::make_unsigned_t<Int>& r) {
  if (std::isnan(a)) return trap_invalid_conversion;
  F t = std::trunc(a);
  if (!(t >= int_low<Int, F>() && t < int_high<Int, F>())) return trap_integer_overflow;
  r = static_cast<std::make_unsigned_t<Int>>(static_cast<Int>(t));
  return nullptr;
}
template <typename Int, typename F>
std::make_unsigned_t<Int> trunc_saturating(F a) {
  using U = std::make_unsigned_t<Int>;
  if (std::isnan(a)) return 0;
  F t = std::trunc(a);
  if (t < int_low<Int, F>()) return static_cast<U>(std::numeric_limits<Int>::min());
  if (t >= int_high<Int, F>()) return static_cast<U>(std::numeric_limits<Int>::max());
  return static_cast<U>(static_cast<Int>(t));
}

}  // namespace phantom::wasm

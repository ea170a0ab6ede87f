// Result: the error-as-value type every layer returns for bad input and host failures.
// A Result must be consumed: destroying one whose outcome was never looked at aborts the process, so an
// ignored I/O error cannot slip through (the habit of LLVM's Expected and Genode's Attempt). Bugs are
// asserts, not Results; Phantom-level exceptions never reach this type.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace phantom {

// What went wrong, and therefore who can fix it.
enum class Errc {
  io,                // the host reported an I/O error (EIO, short write): hardware or host; retry may help
  no_space,          // the device is full (ENOSPC): the operator must free or add space
  corrupt,           // stored data fails a checksum or structural check: restore from an older snapshot
  unsupported,       // a format version or host feature this build does not support: upgrade or reconfigure
  invalid_argument,  // the caller asked for something impossible (bad size, unknown snapshot): fix the call
  not_found,         // a named thing (file, snapshot) does not exist
  exists,            // something to be created already exists
  busy,              // a resource is held by someone else (address range taken, world opened twice)
  failed_state,      // the object refused because an earlier write failed; reopen from disk
  denied,            // refused by policy: a name leaving a sandbox, a peer of another user
};

const char* errc_name(Errc code);

struct Error {
  Errc code;
  std::string message;  // lower case, no final period, with context: "world.img: block 12: checksum mismatch"
};

template <typename... Args>
Error make_error(Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return Error{code, fmt::format(format, std::forward<Args>(args)...)};
}

namespace detail {
[[noreturn]] inline void unchecked_result() {
  std::fputs("phantom: internal error: a Result was destroyed without being checked\n", stderr);
  std::abort();
}
}  // namespace detail

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Error error) : state_(std::move(error)) {}
  Result(Result&& other) noexcept : state_(std::move(other.state_)), checked_(other.checked_) {
    other.checked_ = true;
  }
  Result& operator=(Result&& other) noexcept {
    if (!checked_) detail::unchecked_result();
    state_ = std::move(other.state_);
    checked_ = other.checked_;
    other.checked_ = true;
    return *this;
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  ~Result() {
    if (!checked_) detail::unchecked_result();
  }

  bool ok() const {
    checked_ = true;
    return std::holds_alternative<T>(state_);
  }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked_get_value(); }
  T&& value() && { return std::move(checked_get_value()); }
  T* operator->() { return &checked_get_value(); }
  T& operator*() { return checked_get_value(); }

  const Error& error() const {
    checked_ = true;
    if (std::holds_alternative<T>(state_)) {
      std::fputs("phantom: internal error: error() called on a successful Result\n", stderr);
      std::abort();
    }
    return std::get<Error>(state_);
  }
  Error take_error() { return error(); }

 private:
  T& checked_get_value() {
    checked_ = true;
    if (!std::holds_alternative<T>(state_)) {
      std::fprintf(stderr, "phantom: internal error: value() of a failed Result: %s\n",
                   std::get<Error>(state_).message.c_str());
      std::abort();
    }
    return std::get<T>(state_);
  }

  std::variant<T, Error> state_;
  mutable bool checked_ = false;
};

struct Ok {};

// Result<void> is spelled Status: success or an Error.
using Status = Result<Ok>;
inline Status ok_status() { return Status(Ok{}); }

}  // namespace phantom

// Propagates a failed Result to the caller: PHANTOM_TRY(device.flush());
#define PHANTOM_TRY(expr)                                  \
  do {                                                     \
    auto phantom_try_result_ = (expr);                     \
    if (!phantom_try_result_.ok()) return phantom_try_result_.take_error(); \
  } while (0)

// Binds the value of a Result or returns its error: PHANTOM_ASSIGN(auto dev, open(...));
#define PHANTOM_CONCAT_INNER(a, b) a##b
#define PHANTOM_CONCAT(a, b) PHANTOM_CONCAT_INNER(a, b)
#define PHANTOM_ASSIGN(decl, expr) PHANTOM_ASSIGN_IMPL(PHANTOM_CONCAT(phantom_assign_, __LINE__), decl, expr)
#define PHANTOM_ASSIGN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                         \
  if (!tmp.ok()) return tmp.take_error();    \
  decl = std::move(tmp).value()

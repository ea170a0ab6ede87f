// JSON into objects (VM layer): json_natives.h.
//
// nlohmann-json's SAX parser reads the text iteratively (no recursion, whatever the nesting) and calls
// the builder below, which makes the objects in the arena at once, without an intermediate tree:
//   object  -> .internal.directory (a repeated key: the last value wins; key order is not kept)
//   array   -> .internal.container.array
//   string  -> string (UTF-8 as in the text, escapes decoded; \u0000 is a byte 0)
//   integer -> int when it fits in 32 bits, else long when it fits in 64, else double
//   real    -> double (1.0 and 1e3 are reals)
//   true, false -> int 1, 0 (as the original); null -> the null object
// The original mapped every integer to a long (pvm.md §4.3.2); an int is what Phantom programs
// compute with, so ours gives one when the value fits (docs/network.md, "JSON").
//
// Collections never run inside a native, so the partly built tree needs no extra roots; an
// OutOfMemory from an allocation unwinds through the parser and the native runs again from the start.
#include "vm/json_natives.h"

#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

namespace phantom::vm {
namespace {

using json = nlohmann::json;

class TreeBuilder {
 public:
  explicit TreeBuilder(Vm& vm) : vm_(vm) {}

  Ref root() const { return root_; }
  const std::string& error() const { return error_; }

  // ---- nlohmann::json_sax<json> ----
  bool null() { return add(vm_.null_object()); }
  bool boolean(bool v) { return add(vm_.new_int(v ? 1 : 0)); }
  bool number_integer(json::number_integer_t v) {
    if (v >= std::numeric_limits<std::int32_t>::min() && v <= std::numeric_limits<std::int32_t>::max())
      return add(vm_.new_int(static_cast<std::int32_t>(v)));
    return add(vm_.new_long(v));
  }
  bool number_unsigned(json::number_unsigned_t v) {
    if (v <= static_cast<json::number_unsigned_t>(std::numeric_limits<std::int32_t>::max()))
      return add(vm_.new_int(static_cast<std::int32_t>(v)));
    if (v <= static_cast<json::number_unsigned_t>(std::numeric_limits<std::int64_t>::max()))
      return add(vm_.new_long(static_cast<std::int64_t>(v)));
    return add(vm_.new_double(static_cast<double>(v)));
  }
  bool number_float(json::number_float_t v, const json::string_t&) { return add(vm_.new_double(v)); }
  bool string(json::string_t& s) {
    if (s.size() > std::numeric_limits<std::uint32_t>::max() / 2) return fail("a string too long for the world");
    return add(vm_.new_string(s));
  }
  bool binary(json::binary_t&) { return fail("binary values are not JSON text"); }
  bool start_object(std::size_t) { return open(vm_.new_directory(), true); }
  bool key(json::string_t& k) {
    levels_.back().key = vm_.new_string(k);  // the directory keeps this string as its key
    return true;
  }
  bool end_object() {
    levels_.pop_back();
    return true;
  }
  bool start_array(std::size_t) { return open(vm_.new_array(), false); }
  bool end_array() {
    levels_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 3: ..."; the
    // bracketed id means nothing to a Phantom programmer.
    std::string_view what = e.what();
    if (auto close = what.find("] "); what.starts_with("[") && close != std::string_view::npos) what.remove_prefix(close + 2);
    return fail(std::string(what));
  }

 private:
  struct Level {
    Ref container;
    bool object;
    Ref key = raw_null;
  };

  bool open(Ref container, bool object) {
    if (levels_.size() >= static_cast<std::size_t>(json_max_depth))
      return fail(fmt::format("nesting deeper than {} levels", json_max_depth));
    if (!add(container)) return false;
    levels_.push_back({container, object});
    return true;
  }
  bool add(Ref value) {
    if (levels_.empty()) {
      root_ = value;
      return true;
    }
    Level& at = levels_.back();
    if (at.object) vm_.dir_put(at.container, at.key, value, true);
    else vm_.array_push(at.container, value);
    return true;
  }
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  Vm& vm_;
  std::vector<Level> levels_;
  Ref root_ = raw_null;
  std::string error_;
};

}  // namespace

Ref parse_json(Vm& vm, std::string_view text, std::string& error) {
  TreeBuilder builder(vm);
  bool ok = json::sax_parse(text.begin(), text.end(), &builder, json::input_format_t::json, true);
  if (ok && builder.root() != raw_null) return builder.root();
  error = builder.error().empty() ? std::string("not a JSON text") : builder.error();
  return raw_null;
}

NativeOutcome string_parse_json(Vm& vm, NativeCall& call) {
  std::string error;
  Ref tree = parse_json(vm, vm.string_of(call.self), error);
  if (tree == raw_null) return vm.throw_string(call, "parseJson: " + error);
  return call.ret(tree);
}

}  // namespace phantom::vm

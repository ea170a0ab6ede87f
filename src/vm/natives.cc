// Natives: the methods of the internal classes (VM layer, pvm.md §4.2-§4.3).
// A native gets `this` and its arguments (args[0] = first), returns an object, throws a string, or
// blocks; a blocked native runs again from the start when its thread is woken (pvm.md §5.4), so the
// blocking ones keep their progress in the thread object (wait_phase, granted, wake_ns).
// Deviations from the original are listed in docs/compatibility.md.
#include <cerrno>
#include <charconv>
#include <cmath>

#include "vm/byte_natives.h"
#include "vm/internal_classes.h"
#include "vm/json_natives.h"
#include "vm/vm.h"

namespace phantom::vm {
namespace {

using NC = NativeCall;
using NO = NativeOutcome;

// ---- argument helpers ----
bool int_arg(Vm& vm, NC& c, std::uint32_t k, std::int32_t& out) {
  if (k >= c.nargs || !vm.is_a(c.args[k], cid_int)) return false;
  out = vm.int_of(c.args[k]);
  return true;
}
bool string_arg(Vm& vm, NC& c, std::uint32_t k) { return k < c.nargs && vm.is_a(c.args[k], cid_string); }

#define NEED(n) \
  if (c.nargs < (n)) return vm.throw_string(c, "sys: need more parameters")
#define INT_ARG(k, var)        \
  std::int32_t var;            \
  if (!int_arg(vm, c, k, var)) return vm.throw_string(c, "not an integer arg")
#define STRING_ARG(k)          \
  if (!string_arg(vm, c, k)) return vm.throw_string(c, "not a string arg")

NO null_result(Vm& vm, NC& c) { return c.ret(vm.null_object()); }
NO invalid(Vm& vm, NC& c) { return vm.throw_string(c, "invalid syscall called"); }
NO not_available(Vm& vm, NC& c) {
  return vm.throw_string(c, fmt::format("{}: not available yet in this version of Phantom", vm.class_name(vm.class_of(c.self))));
}

std::int32_t pjw_hash(const std::byte* data, std::uint32_t size) {  // pvm.md §4.2
  std::uint32_t h = 0;
  for (std::uint32_t i = 0; i < size; ++i) {
    h = (h << 4) + static_cast<std::uint32_t>(static_cast<std::int32_t>(static_cast<signed char>(data[i])));
    std::uint32_t g = h & 0xF0000000u;
    if (g) h = (h ^ (g >> 24)) & 0x0FFFFFFFu;
  }
  return static_cast<std::int32_t>(h);
}

// ---- the root class (.internal.void), inherited by every class for ordinals 0..15 ----
NO void_get_class(Vm& vm, NC& c) { return c.ret(vm.class_of(c.self)); }
NO void_clone(Vm& vm, NC& c) { return vm.throw_string(c, "void clone called"); }
NO void_equals(Vm& vm, NC& c) {
  NEED(1);
  return c.ret(vm.new_int(vm.is_null(c.self) ? vm.is_null(c.args[0]) : c.args[0] == c.self));
}
NO void_to_string(Vm& vm, NC& c) {
  if (vm.is_null(c.self) || vm.class_id_of(c.self) >= 0) return c.ret(vm.new_string("(void)"));
  return c.ret(vm.new_string(vm.class_name(vm.class_of(c.self))));  // B14: an ordinary object names its class
}
NO void_to_xml(Vm& vm, NC& c) { return c.ret(vm.new_string("<void>")); }
NO void_set_immutable(Vm& vm, NC& c) {
  if (!vm.is_null(c.self) && !is_tagged_int(c.self)) vm.heap().hdr(c.self)->flags |= flag_immutable;  // ints always are
  return c.ret(vm.new_int(0));
}
NO void_hash_code(Vm& vm, NC& c) {
  if (vm.is_a(c.self, cid_int)) {  // tagged or boxed: the hash of the value's bytes, as for a boxed int
    std::int32_t v = vm.int_of(c.self);
    std::byte bytes[4];
    std::memcpy(bytes, &v, 4);
    return c.ret(vm.new_int(pjw_hash(bytes, 4)));
  }
  ObjectHeader* h = vm.heap().hdr(c.self);
  return c.ret(vm.new_int(pjw_hash(vm.heap().data(c.self), h->size)));
}

// ---- numbers ----
template <ClassId id>
NO number_clone(Vm& vm, NC& c) {
  if constexpr (id == cid_int) return c.ret(vm.new_int(vm.int_of(c.self)));  // an equal int (tagged when it fits)
  ObjectHeader* h = vm.heap().hdr(c.self);
  Ref copy = vm.alloc(h->klass, h->flags, kind_of(h), h->size);
  std::memcpy(vm.heap().data(copy), vm.heap().data(c.self), h->size);
  return c.ret(copy);
}
template <ClassId id>
NO number_equals(Vm& vm, NC& c) {
  NEED(1);
  Ref o = c.args[0];
  bool eq;
  if constexpr (id == cid_int) eq = vm.is_a(o, id) && vm.int_of(o) == vm.int_of(c.self);  // tagged or boxed
  else eq = vm.is_a(o, id) && std::memcmp(vm.heap().data(o), vm.heap().data(c.self), vm.heap().hdr(c.self)->size) == 0;
  return c.ret(vm.new_int(eq));
}
std::string number_text(Vm& vm, Ref o) {
  switch (vm.class_id_of(o)) {
    case cid_int: return fmt::format("{}", vm.int_of(o));
    case cid_long: { std::int64_t v; std::memcpy(&v, vm.heap().data(o), 8); return fmt::format("{}", v); }
    // B19: shortest form. A NaN prints without the sign its bits may carry (it differs between CPUs).
    case cid_float: { float v; std::memcpy(&v, vm.heap().data(o), 4); return v != v ? "nan" : fmt::format("{}", v); }
    default: { double v; std::memcpy(&v, vm.heap().data(o), 8); return v != v ? "nan" : fmt::format("{}", v); }
  }
}
NO number_to_string(Vm& vm, NC& c) {
  if (vm.class_id_of(c.self) == cid_int) {  // the common case, without a std::string between
    char text[16];
    auto end = std::to_chars(text, text + sizeof text, vm.int_of(c.self)).ptr;
    return c.ret(vm.new_string({text, static_cast<std::size_t>(end - text)}));
  }
  return c.ret(vm.new_string(number_text(vm, c.self)));
}
NO number_to_xml(Vm& vm, NC& c) {
  const char* tag = vm.class_id_of(c.self) == cid_int ? "int" : vm.class_id_of(c.self) == cid_long ? "long"
                  : vm.class_id_of(c.self) == cid_float ? "float" : "double";
  return c.ret(vm.new_string(fmt::format("<{0}>{1}</{0}>", tag, number_text(vm, c.self))));
}

// ---- strings ----
NO string_clone(Vm& vm, NC& c) { return c.ret(vm.new_string(vm.string_of(c.self))); }
NO string_equals(Vm& vm, NC& c) {
  NEED(1);
  if (vm.is_null(c.args[0])) return c.ret(vm.new_int(0));
  STRING_ARG(0);
  return c.ret(vm.new_int(vm.string_of(c.args[0]) == vm.string_of(c.self)));
}
NO string_to_string(Vm&, NC& c) { return c.ret(c.self); }
NO string_substring(Vm& vm, NC& c) {
  NEED(2);
  INT_ARG(0, index);
  INT_ARG(1, length);
  std::string_view s = vm.string_of(c.self);
  if (index < 0 || static_cast<std::size_t>(index) >= s.size()) return vm.throw_string(c, "string.substring index is out of bounds");
  if (length < 0) return vm.throw_string(c, "string.substring length is negative");
  return c.ret(vm.new_string(s.substr(static_cast<std::size_t>(index), static_cast<std::size_t>(length))));
}
NO string_char_at(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, index);
  std::string_view s = vm.string_of(c.self);
  if (index < 0 || static_cast<std::size_t>(index) >= s.size()) return vm.throw_string(c, "string.charAt index is out of bounds");
  return c.ret(vm.new_int(static_cast<unsigned char>(s[static_cast<std::size_t>(index)])));
}
NO string_concat(Vm& vm, NC& c) {
  NEED(1);
  STRING_ARG(0);
  std::uint64_t a = vm.string_of(c.self).size(), b = vm.string_of(c.args[0]).size();
  if (a + b > UINT32_MAX - 64) throw OutOfMemory{};
  Ref joined = vm.new_string_uninitialized(static_cast<std::uint32_t>(a + b));
  char* out = vm.heap().as<StringData>(joined)->bytes;
  std::memcpy(out, vm.string_of(c.self).data(), a);
  std::memcpy(out + a, vm.string_of(c.args[0]).data(), b);
  return c.ret(joined);
}
NO string_length(Vm& vm, NC& c) { return c.ret(vm.new_int(static_cast<std::int32_t>(vm.string_of(c.self).size()))); }
NO string_strstr(Vm& vm, NC& c) {
  NEED(1);
  STRING_ARG(0);
  auto at = vm.string_of(c.self).find(vm.string_of(c.args[0]));
  return c.ret(vm.new_int(at == std::string_view::npos ? -1 : static_cast<std::int32_t>(at)));
}
// strtol-like (B18 fixed: the whole string): blanks, a sign, digits; saturates at the type's range.
template <typename T>
T parse_integer(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  __int128 v = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    v = v * 10 + (s[i] - '0');
    if (v > __int128(std::numeric_limits<T>::max()) + 1) v = __int128(std::numeric_limits<T>::max()) + 1;
  }
  if (negative) v = -v;
  if (v > std::numeric_limits<T>::max()) v = std::numeric_limits<T>::max();
  if (v < std::numeric_limits<T>::min()) v = std::numeric_limits<T>::min();
  return static_cast<T>(v);
}
double parse_real(std::string_view s) {
  std::string text(s);
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  return end == text.c_str() ? 0.0 : v;
}
NO string_to_int(Vm& vm, NC& c) { return c.ret(vm.new_int(parse_integer<std::int32_t>(vm.string_of(c.self)))); }
NO string_to_long(Vm& vm, NC& c) { return c.ret(vm.new_long(parse_integer<std::int64_t>(vm.string_of(c.self)))); }
NO string_to_float(Vm& vm, NC& c) { return c.ret(vm.new_float(static_cast<float>(parse_real(vm.string_of(c.self))))); }
NO string_to_double(Vm& vm, NC& c) { return c.ret(vm.new_double(parse_real(vm.string_of(c.self)))); }

// ---- arrays ----
NO native_array_get(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, index);
  if (static_cast<std::uint32_t>(index) >= vm.array_size(c.self)) return vm.throw_string(c, "array get - index is out of bounds");
  return c.ret(vm.array_get(c.self, static_cast<std::uint32_t>(index)));
}
NO native_array_set(Vm& vm, NC& c) {
  NEED(2);
  INT_ARG(1, index);
  if (index < 0) return vm.throw_string(c, "array set - index is negative");
  if (vm.heap().hdr(c.self)->flags & flag_immutable) return vm.throw_string(c, "array set - the array is immutable");
  vm.array_set(c.self, static_cast<std::uint32_t>(index), c.args[0]);
  return c.ret(c.args[0]);
}
NO native_array_size(Vm& vm, NC& c) { return c.ret(vm.new_int(static_cast<std::int32_t>(vm.array_size(c.self)))); }
NO array_iterator(Vm& vm, NC& c) { return vm.throw_string(c, "get iterator is not implemented yet"); }
NO array_subarray(Vm& vm, NC& c) { return vm.throw_string(c, "get subarray is not implemented yet"); }

// ---- directories ----
NO native_dir_put(Vm& vm, NC& c) {
  NEED(2);
  STRING_ARG(0);
  // The directory keeps its own copy of the key, made only when the key is new.
  bool added = vm.dir_put(c.self, c.args[0], c.args[1], false, /*copy_key=*/true);
  return c.ret(vm.new_int(added ? 0 : EEXIST));
}
NO native_dir_get(Vm& vm, NC& c) {
  NEED(1);
  STRING_ARG(0);
  Ref v = vm.dir_get(c.self, vm.string_of(c.args[0]));
  return c.ret(v == raw_null ? vm.null_object() : v);
}
NO native_dir_remove(Vm& vm, NC& c) {
  NEED(1);
  STRING_ARG(0);
  return c.ret(vm.new_int(vm.dir_remove(c.self, vm.string_of(c.args[0])) ? 0 : ENOENT));
}
NO native_dir_size(Vm& vm, NC& c) { return c.ret(vm.new_int(static_cast<std::int32_t>(vm.heap().as<DirectoryData>(c.self)->count))); }
NO dir_equals(Vm& vm, NC& c) { return vm.throw_string(c, "dir.equals: not implemented"); }
NO dir_iterate(Vm& vm, NC& c) {  // ours: the keys, as an array of strings
  Ref keys = vm.new_array();
  auto* d = vm.heap().as<DirectoryData>(c.self);
  Ref table = d->table;
  for (std::uint32_t i = 0; i < vm.page_slots(table) / 2; ++i) {
    Ref k = vm.page_refs(table)[2 * i];
    if (k != raw_null && k != vm.null_object()) vm.array_push(keys, k);
  }
  return c.ret(keys);
}

// ---- bootstrap ----
NO boot_load_class(Vm& vm, NC& c) {
  NEED(1);
  STRING_ARG(0);
  std::string name(vm.string_of(c.args[0]));
  auto cls = vm.load_class_from_path(name);
  if (!cls.ok()) {
    vm.console().write_diagnostic(fmt::format("phantom: {}\n", cls.error().message));
    return vm.throw_string(c, fmt::format("{} - class load error", name));
  }
  return c.ret(*cls);
}
NO boot_print(Vm& vm, NC& c) {
  std::string text;
  for (std::uint32_t i = c.nargs; i-- > 0;) text += vm.to_display(c.args[i]);  // B21: last argument first
  vm.console().write_output(text);
  return c.ret(vm.null_object());
}
NO boot_set_class_loader(Vm& vm, NC& c) {
  NEED(1);
  vm.set_root_slot(root_class_loader, c.args[0]);
  return c.ret(vm.null_object());
}
NO boot_start_thread(Vm& vm, NC& c) {
  NEED(1);
  Ref target = c.args[0];
  if (vm.is_null(target)) return vm.throw_string(c, "startThread: the object is null");
  if (!vm.defines_method(target, 8))
    return vm.throw_string(c, fmt::format("startThread: class {} has no method 8", vm.class_name(vm.class_of(target))));
  vm.start_thread(target, 8, vm.root_slot(root_bootstrap), vm.class_name(vm.class_of(target)));
  return c.ret(vm.null_object());
}
NO boot_create_binary(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, n);
  if (n < 0) return vm.throw_string(c, "createBinary: the size is negative");
  return c.ret(vm.new_binary(static_cast<std::uint32_t>(n)));
}
NO boot_sleep(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, msec);
  return vm.sleep(c, msec);
}
NO boot_set_os_interface(Vm& vm, NC& c) {
  NEED(1);
  vm.set_root_slot(root_os_entry, c.args[0]);
  return c.ret(vm.null_object());
}
NO boot_kernel_environment(Vm& vm, NC& c) { return c.ret(vm.root_slot(root_kernel_environment)); }
NO boot_to_string(Vm& vm, NC& c) { return c.ret(vm.new_string("bootstrap")); }
NO boot_reboot(Vm& vm, NC& c) { return vm.throw_string(c, "reboot: a hosted world cannot reset its machine"); }

// ---- threads and the world ----
NO thread_pause(Vm& vm, NC& c) {
  return vm.throw_string(c, c.self == c.thread ? "Not this way" : "Thread can pause itself only");
}
NO thread_unpause(Vm& vm, NC& c) { return vm.throw_string(c, "Not this way"); }
NO thread_environment(Vm& vm, NC& c) {
  ThreadData* td = vm.thread_data(c.self);
  if (!vm.is_null(td->environment)) return c.ret(td->environment);
  auto cls = vm.lookup_class(".phantom.environment");
  if (!cls.ok()) return vm.throw_string(c, fmt::format("getEnvironment: {}", cls.error().message));
  Ref env = vm.new_instance(*cls);
  vm.set_ref(vm.thread_data(c.self)->environment, env);
  return c.ret(env);
}
NO thread_user(Vm& vm, NC& c) { return c.ret(vm.thread_data(c.self)->owner); }
NO thread_os_interface(Vm& vm, NC& c) { return c.ret(vm.root_slot(root_os_entry)); }
NO world_my_thread(Vm&, NC& c) { return c.ret(c.thread); }

// ---- mutex, cond, sema (pvm.md §4.3.9; LIFO hand-over as in the original) ----
MutexData* sync(Vm& vm, Ref o) { return vm.heap().as<MutexData>(o); }
Ref pop_waiter(Vm& vm, Ref o) {
  Ref waiters = sync(vm, o)->waiters;
  std::uint32_t n = vm.array_size(waiters);
  if (n == 0) return raw_null;
  Ref t = vm.array_get(waiters, n - 1);
  vm.array_remove(waiters, t);
  return t;
}
void release_mutex(Vm& vm, Ref m) {
  Ref next = pop_waiter(vm, m);
  if (next == raw_null) {
    vm.set_ref(sync(vm, m)->owner, raw_null);
    return;
  }
  vm.set_ref(sync(vm, m)->owner, next);
  vm.set_ref(vm.thread_data(next)->granted, m);
  vm.make_runnable(next);
}
// Takes `m` for the calling thread or queues it; true when it owns m now.
bool acquire_mutex(Vm& vm, Ref m, Ref thread) {
  ThreadData* td = vm.thread_data(thread);
  if (td->granted == m) {
    vm.set_ref(td->granted, raw_null);
    return true;
  }
  if (vm.is_null(sync(vm, m)->owner)) {
    vm.set_ref(sync(vm, m)->owner, thread);
    return true;
  }
  vm.array_push(sync(vm, m)->waiters, thread);
  td = vm.thread_data(thread);
  td->state = ThreadState::wait_mutex;
  vm.set_ref(td->waiting_on, m);
  return false;
}
NO mutex_lock(Vm& vm, NC& c) {
  if (sync(vm, c.self)->owner == c.thread && vm.thread_data(c.thread)->granted != c.self)
    return vm.throw_string(c, "mutex lock: this thread already holds the mutex");  // B22: no self-deadlock
  return acquire_mutex(vm, c.self, c.thread) ? c.ret(vm.null_object()) : NO::blocked;
}
NO mutex_unlock(Vm& vm, NC& c) {
  if (sync(vm, c.self)->owner != c.thread) return vm.throw_string(c, "mutex unlock - not owner");
  release_mutex(vm, c.self);
  return c.ret(vm.null_object());
}
NO mutex_trylock(Vm& vm, NC& c) {
  if (!vm.is_null(sync(vm, c.self)->owner)) return c.ret(vm.new_int(0));
  vm.set_ref(sync(vm, c.self)->owner, c.thread);
  return c.ret(vm.new_int(1));
}
NO cond_wait_common(Vm& vm, NC& c, std::int64_t timeout_ms) {
  NEED(1);
  Ref m = c.args[0];
  if (!vm.is_a(m, cid_mutex)) return vm.throw_string(c, "cond wait: the argument is not a mutex");
  ThreadData* td = vm.thread_data(c.thread);
  if (td->wait_phase == 0) {
    if (sync(vm, m)->owner != c.thread) return vm.throw_string(c, "cond wait: the mutex is not held by this thread");
    vm.array_push(sync(vm, c.self)->waiters, c.thread);
    release_mutex(vm, m);
    td = vm.thread_data(c.thread);
    td->wait_phase = 1;
    td->state = ThreadState::wait_cond;
    vm.set_ref(td->waiting_on, c.self);
    if (timeout_ms >= 0) {
      td->wake_ns = vm.wall_now() + timeout_ms * 1'000'000;
      vm.wake_at(c.thread, td->wake_ns);
    }
    return NO::blocked;
  }
  // Woken (signal, broadcast or the timeout): leave the waiters, then take the mutex back.
  if (td->wait_phase == 1) {
    vm.array_remove(sync(vm, c.self)->waiters, c.thread);
    td = vm.thread_data(c.thread);
    td->wait_phase = 2;
    td->wake_ns = 0;
  }
  if (!acquire_mutex(vm, m, c.thread)) return NO::blocked;
  td = vm.thread_data(c.thread);
  td->wait_phase = 0;
  return c.ret(vm.null_object());
}
NO cond_wait(Vm& vm, NC& c) { return cond_wait_common(vm, c, -1); }
NO cond_twait(Vm& vm, NC& c) {
  NEED(2);
  INT_ARG(1, msec);
  return cond_wait_common(vm, c, std::max(msec, 0));
}
NO cond_signal(Vm& vm, NC& c) {
  Ref t = pop_waiter(vm, c.self);
  if (t != raw_null) vm.make_runnable(t);
  return c.ret(vm.null_object());
}
NO cond_broadcast(Vm& vm, NC& c) {
  for (Ref t; (t = pop_waiter(vm, c.self)) != raw_null;) vm.make_runnable(t);
  return c.ret(vm.null_object());
}
NO sema_acquire_common(Vm& vm, NC& c, std::int64_t timeout_ms) {
  ThreadData* td = vm.thread_data(c.thread);
  if (td->granted == c.self) {
    vm.set_ref(td->granted, raw_null);
    td->wait_phase = 0;
    td->wake_ns = 0;
    return c.ret(timeout_ms >= 0 ? vm.new_int(1) : vm.null_object());
  }
  if (td->wait_phase == 1) {  // the timeout fired before a release
    vm.array_remove(sync(vm, c.self)->waiters, c.thread);
    td = vm.thread_data(c.thread);
    td->wait_phase = 0;
    td->wake_ns = 0;
    return c.ret(vm.new_int(0));
  }
  if (sync(vm, c.self)->count > 0) {
    --sync(vm, c.self)->count;
    return c.ret(timeout_ms >= 0 ? vm.new_int(1) : vm.null_object());
  }
  vm.array_push(sync(vm, c.self)->waiters, c.thread);
  td = vm.thread_data(c.thread);
  td->state = ThreadState::wait_sema;
  vm.set_ref(td->waiting_on, c.self);
  if (timeout_ms >= 0) {
    td->wait_phase = 1;
    td->wake_ns = vm.wall_now() + timeout_ms * 1'000'000;
    vm.wake_at(c.thread, td->wake_ns);
  }
  return NO::blocked;
}
NO sema_acquire(Vm& vm, NC& c) { return sema_acquire_common(vm, c, -1); }
NO sema_tacquire(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, msec);
  return sema_acquire_common(vm, c, std::max(msec, 0));
}
NO sema_release(Vm& vm, NC& c) {
  Ref t = pop_waiter(vm, c.self);
  if (t == raw_null) {
    ++sync(vm, c.self)->count;
  } else {
    vm.set_ref(vm.thread_data(t)->granted, c.self);
    vm.make_runnable(t);
  }
  return c.ret(vm.null_object());
}
NO sema_zero(Vm& vm, NC& c) {
  if (sync(vm, c.self)->count > 0) sync(vm, c.self)->count = 0;
  return c.ret(vm.null_object());
}

// ---- binary ----
NO binary_get(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, index);
  auto* b = vm.heap().as<BinaryData>(c.self);
  if (static_cast<std::uint32_t>(index) >= b->length) return vm.throw_string(c, "binary index out of bounds");
  return c.ret(vm.new_int(static_cast<unsigned char>(b->bytes[index])));
}
NO binary_set(Vm& vm, NC& c) {
  NEED(2);
  INT_ARG(0, index);
  INT_ARG(1, value);
  auto* b = vm.heap().as<BinaryData>(c.self);
  if (static_cast<std::uint32_t>(index) >= b->length) return vm.throw_string(c, "binary index out of bounds");
  b->bytes[index] = static_cast<char>(value);
  return c.ret(vm.null_object());
}
NO binary_set_range(Vm& vm, NC& c) {
  NEED(4);
  INT_ARG(1, to);
  INT_ARG(2, from);
  INT_ARG(3, len);
  Ref src = c.args[0];
  if (!vm.is_a(src, cid_binary) && !vm.is_a(src, cid_string)) return vm.throw_string(c, "binary copy: the source is not a binary");
  auto* d = vm.heap().as<BinaryData>(c.self);
  auto* s = vm.heap().as<BinaryData>(src);
  if (to < 0 || len < 0 || std::int64_t(to) + len > d->length) return vm.throw_string(c, "binary copy dest index/len out of bounds");
  if (from < 0 || std::int64_t(from) + len > s->length) return vm.throw_string(c, "binary copy src index/len out of bounds");
  std::memmove(d->bytes + to, s->bytes + from, static_cast<std::size_t>(len));
  return c.ret(vm.null_object());
}

// ---- closure, weakref ----
NO closure_get_ordinal(Vm& vm, NC& c) { return c.ret(vm.new_int(vm.heap().as<ClosureData>(c.self)->ordinal)); }
NO closure_set_ordinal(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, ordinal);
  vm.heap().as<ClosureData>(c.self)->ordinal = ordinal;
  return c.ret(vm.null_object());
}
NO closure_set_object(Vm& vm, NC& c) {
  NEED(1);
  vm.set_ref(vm.heap().as<ClosureData>(c.self)->object, c.args[0]);
  return c.ret(vm.null_object());
}
NO weakref_get(Vm& vm, NC& c) { return c.ret(vm.read_weak(vm.heap().as<WeakrefData>(c.self)->target)); }
NO weakref_set(Vm& vm, NC& c) {
  NEED(1);
  vm.heap().as<WeakrefData>(c.self)->target = c.args[0];
  return c.ret(vm.null_object());
}

// ---- time, statistics ----
NO time_uptime(Vm& vm, NC& c) { return c.ret(vm.new_long(static_cast<std::int64_t>(vm.clock().monotonic_ns() / 1000))); }
NO time_now(Vm& vm, NC& c) { return c.ret(vm.new_long(vm.wall_now() / 1'000'000)); }
NO stat_classes(Vm& vm, NC& c) {
  Ref out = vm.new_array();
  for (const std::string& name : vm.loaded_class_names()) vm.array_push(out, vm.new_string(name));
  return c.ret(out);
}
NO stat_threads(Vm& vm, NC& c) {
  Ref out = vm.new_array();
  Ref list = vm.root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < vm.array_size(list); ++i) {
    Ref t = vm.array_get(list, i);
    if (!vm.is_null(t)) vm.array_push(out, vm.new_string(vm.thread_summary(t)));
  }
  return c.ret(out);
}
NO stat_request_snapshot(Vm& vm, NC& c) { return c.ret(vm.new_int(vm.request_snapshot() ? 1 : 0)); }
NO stat_kill_thread(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, id);
  auto killed = vm.kill_thread(static_cast<std::uint32_t>(id));
  if (!killed.ok()) return vm.throw_string(c, killed.error().message);
  return c.ret(vm.new_string(*killed));
}
NO stat_resume_thread(Vm& vm, NC& c) {
  NEED(1);
  INT_ARG(0, id);
  auto released = vm.release_quarantined(static_cast<std::uint32_t>(id));
  if (!released.ok()) return vm.throw_string(c, released.error().message);
  return c.ret(vm.new_string(*released));
}
NO stat_snapshot(Vm& vm, NC& c) {
  WorldHeader* h = vm.heap().header();
  Ref dir = vm.new_directory();
  auto put = [&](const char* name, std::int64_t value) { vm.dir_put(dir, vm.new_string(name), vm.new_long(value), true); };
  put("boots", static_cast<std::int64_t>(h->boots));
  put("gc_runs", static_cast<std::int64_t>(h->gc_runs));
  put("heap_used", static_cast<std::int64_t>(vm.heap().heap_used()));
  put("heap_capacity", static_cast<std::int64_t>(vm.heap().heap_capacity()));
  put("live_bytes", static_cast<std::int64_t>(h->live_bytes));
  // This process's incremental collector: cycles begun, steps, and the longest step.
  GcStats gc = vm.gc_stats();
  put("gc_cycles", static_cast<std::int64_t>(gc.cycles));
  put("gc_steps", static_cast<std::int64_t>(gc.steps));
  put("gc_step_max_us", static_cast<std::int64_t>(gc.step_max_ns / 1000));
  put("threads", static_cast<std::int64_t>(vm.array_size(vm.root_slot(root_thread_list))));
  vm.add_stat_figures(put);
  return c.ret(dir);
}

// ---- console (tty): output to stdout, keyboard from stdin ----
NO tty_getwc(Vm& vm, NC& c) {
  int ch = vm.console().poll_input();
  if (ch == Console::input_none) {
    vm.thread_data(c.thread)->state = ThreadState::wait_input;
    return NO::blocked;
  }
  if (ch == Console::input_eof) return c.ret(vm.new_string(""));
  char byte = static_cast<char>(ch);
  return c.ret(vm.new_string(std::string_view(&byte, 1)));
}
NO tty_putws(Vm& vm, NC& c) {
  NEED(1);
  STRING_ARG(0);
  vm.console().write_output(vm.string_of(c.args[0]));
  return c.ret(vm.null_object());
}
NO tty_debug(Vm& vm, NC& c) {
  NEED(1);
  vm.console().write_diagnostic(fmt::format("phantom: tty debug: {}\n", vm.to_display(c.args[0])));
  return c.ret(vm.null_object());
}
NO tty_not_implemented(Vm& vm, NC& c) { return vm.throw_string(c, "not implemented"); }

template <const char* text>
NO constant_string(Vm& vm, NC& c) { return c.ret(vm.new_string(text)); }

}  // namespace

// The wake-up time is kept in the thread (a wall-clock instant), so a sleep that a restart
// interrupted ends when it would have, and the call, run again from the start, finds it.
NativeOutcome Vm::sleep(NativeCall& call, std::int32_t msec) {
  ThreadData* td = thread_data(call.thread);
  if (td->wait_phase == 0) {
    td->wait_phase = 1;
    td->wake_ns = wall_now() + std::int64_t(std::max(msec, 0)) * 1'000'000;
  }
  if (wall_now() >= td->wake_ns) {
    td->wait_phase = 0;
    td->wake_ns = 0;
    return call.ret(null_object());
  }
  td->state = ThreadState::sleeping;
  wake_at(call.thread, td->wake_ns);
  return NativeOutcome::blocked;
}

NativeOutcome Vm::throw_string(NativeCall& call, std::string_view text) {
  call.result = new_string(text);
  return NativeOutcome::thrown;
}

namespace {
constexpr char s_array[] = "array", s_directory[] = "(directory)", s_thread[] = "thread", s_world[] = "(world)",
               s_mutex[] = "mutex", s_cond[] = ".internal.cond", s_sema[] = ".internal.sema", s_binary[] = "(binary)",
               s_closure[] = "closure", s_time[] = "time", s_stat[] = "stat", s_tty[] = "tty window",
               s_call_frame[] = "call_frame", s_istack[] = "istack", s_ostack[] = "ostack", s_estack[] = "estack",
               s_code[] = "code", s_interface[] = "interface", s_page[] = "page", s_class[] = "class",
               s_weakref[] = "weakref", s_void_xml[] = "<void>";
}

void Vm::build_natives() {
  natives_.assign(cid_count, {});
  std::vector<Native> base(16, &invalid);
  base[0] = &null_result;
  base[1] = &null_result;
  base[2] = &void_get_class;
  base[3] = &void_clone;
  base[4] = &void_equals;
  base[5] = &void_to_string;
  base[6] = &void_to_xml;
  base[7] = &void_to_string;
  base[14] = &void_set_immutable;
  base[15] = &void_hash_code;
  for (int id = 0; id < cid_count; ++id) {
    natives_[id] = base;
    natives_[id].resize(internal_class_info(id).natives, &invalid);
  }
  auto set = [&](ClassId id, std::uint32_t ordinal, Native fn) { natives_[id][ordinal] = fn; };
  for (ClassId id : {cid_int, cid_long, cid_float, cid_double}) {
    set(id, 5, &number_to_string);
    set(id, 6, &number_to_xml);
  }
  set(cid_int, 3, &number_clone<cid_int>); set(cid_int, 4, &number_equals<cid_int>);
  set(cid_long, 3, &number_clone<cid_long>); set(cid_long, 4, &number_equals<cid_long>);
  set(cid_float, 3, &number_clone<cid_float>); set(cid_float, 4, &number_equals<cid_float>);
  set(cid_double, 3, &number_clone<cid_double>); set(cid_double, 4, &number_equals<cid_double>);

  set(cid_string, 3, &string_clone); set(cid_string, 4, &string_equals); set(cid_string, 5, &string_to_string);
  set(cid_string, 6, &constant_string<s_void_xml>);
  set(cid_string, 8, &string_substring); set(cid_string, 9, &string_char_at); set(cid_string, 10, &string_concat);
  set(cid_string, 11, &string_length); set(cid_string, 12, &string_strstr); set(cid_string, 16, &string_to_int);
  set(cid_string, 17, &string_to_long); set(cid_string, 18, &string_to_float); set(cid_string, 19, &string_to_double);
  set(cid_string, 20, &string_parse_json);

  set(cid_array, 5, &constant_string<s_array>); set(cid_array, 8, &array_iterator); set(cid_array, 9, &array_subarray);
  set(cid_array, 10, &native_array_get); set(cid_array, 11, &native_array_set); set(cid_array, 12, &native_array_size);

  set(cid_directory, 4, &dir_equals); set(cid_directory, 5, &constant_string<s_directory>);
  set(cid_directory, 8, &native_dir_put); set(cid_directory, 9, &native_dir_get); set(cid_directory, 10, &native_dir_remove);
  set(cid_directory, 11, &native_dir_size); set(cid_directory, 12, &dir_iterate);

  set(cid_boot, 5, &boot_to_string); set(cid_boot, 8, &boot_load_class); set(cid_boot, 16, &boot_print);
  set(cid_boot, 17, &boot_set_class_loader); set(cid_boot, 18, &boot_start_thread); set(cid_boot, 19, &boot_create_binary);
  set(cid_boot, 20, &not_available); set(cid_boot, 21, &boot_sleep); set(cid_boot, 22, &boot_set_os_interface);
  set(cid_boot, 23, &boot_kernel_environment); set(cid_boot, 24, &boot_reboot);

  set(cid_thread, 5, &constant_string<s_thread>); set(cid_thread, 10, &thread_pause); set(cid_thread, 11, &thread_unpause);
  set(cid_thread, 12, &thread_environment); set(cid_thread, 13, &thread_user); set(cid_thread, 14, &thread_os_interface);
  set(cid_world, 5, &constant_string<s_world>); set(cid_world, 8, &world_my_thread);

  set(cid_mutex, 5, &constant_string<s_mutex>); set(cid_mutex, 8, &mutex_lock); set(cid_mutex, 9, &mutex_unlock);
  set(cid_mutex, 10, &mutex_trylock);
  set(cid_cond, 5, &constant_string<s_cond>); set(cid_cond, 8, &cond_wait); set(cid_cond, 9, &cond_twait);
  set(cid_cond, 10, &cond_broadcast); set(cid_cond, 11, &cond_signal);
  set(cid_sema, 5, &constant_string<s_sema>); set(cid_sema, 8, &sema_acquire); set(cid_sema, 9, &sema_tacquire);
  set(cid_sema, 10, &sema_zero); set(cid_sema, 11, &sema_release);

  set(cid_binary, 5, &constant_string<s_binary>); set(cid_binary, 8, &binary_get); set(cid_binary, 9, &binary_set);
  set(cid_binary, 10, &binary_set_range);
  set(cid_closure, 5, &constant_string<s_closure>); set(cid_closure, 9, &closure_get_ordinal);
  set(cid_closure, 10, &closure_set_ordinal); set(cid_closure, 11, &closure_set_object);
  set(cid_weakref, 5, &constant_string<s_weakref>); set(cid_weakref, 8, &weakref_get); set(cid_weakref, 9, &weakref_set);
  set(cid_time, 5, &constant_string<s_time>); set(cid_time, 9, &time_uptime); set(cid_time, 16, &time_now);
  set(cid_stat, 5, &constant_string<s_stat>); set(cid_stat, 16, &stat_snapshot);
  set(cid_stat, 17, &stat_classes); set(cid_stat, 18, &stat_threads); set(cid_stat, 19, &stat_request_snapshot);
  set(cid_stat, 20, &stat_kill_thread); set(cid_stat, 21, &stat_resume_thread);

  set(cid_tty, 5, &constant_string<s_tty>); set(cid_tty, 16, &tty_getwc); set(cid_tty, 17, &tty_putws);
  set(cid_tty, 18, &tty_debug);
  for (std::uint32_t i : {19u, 20u, 21u, 24u, 25u, 26u}) set(cid_tty, i, &null_result);  // cursor, colours, window: no-ops
  set(cid_tty, 22, &tty_not_implemented); set(cid_tty, 23, &tty_not_implemented);

  set(cid_class, 5, &constant_string<s_class>);
  set(cid_call_frame, 5, &constant_string<s_call_frame>); set(cid_istack, 5, &constant_string<s_istack>);
  set(cid_ostack, 5, &constant_string<s_ostack>); set(cid_estack, 5, &constant_string<s_estack>);
  set(cid_code, 5, &constant_string<s_code>); set(cid_interface, 5, &constant_string<s_interface>);
  set(cid_page, 5, &constant_string<s_page>);

  // Classes that need a display, a network or WebAssembly: every call says so (later issues).
  for (ClassId id : {cid_window, cid_bitmap, cid_tcp, cid_udp, cid_wasm, cid_connection, cid_net, cid_http, cid_port,
                     cid_ui_control, cid_ui_font, cid_io})
    for (std::uint32_t i = 0; i < natives_[id].size(); ++i)
      if (i != 0 && i != 2 && i != 4 && i != 5 && i != 15) natives_[id][i] = &not_available;
  add_byte_natives(*this);  // int.toByteString (byte_natives.h)
}

}  // namespace phantom::vm

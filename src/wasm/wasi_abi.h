// WASI preview 1 ABI (wasm layer, internal to wasi*.cc): the numbers and struct layouts of
// "wasi_snapshot_preview1" as wasi-libc's <wasi/api.h> defines them, and bounded access to the guest's
// linear memory. Every guest pointer is checked before anything is read or written: a pointer or a
// length outside memory gives ERRNO_FAULT, never a host access outside the buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "util/bytes.h"
#include "wasm/runtime.h"

namespace phantom::wasm::wasi {

using vm::raw_null;

enum Errno : std::uint16_t {
  ERRNO_SUCCESS = 0, ERRNO_2BIG = 1, ERRNO_ACCES = 2, ERRNO_AGAIN = 6, ERRNO_BADF = 8, ERRNO_BUSY = 10,
  ERRNO_EXIST = 20, ERRNO_FAULT = 21, ERRNO_FBIG = 22, ERRNO_ILSEQ = 25, ERRNO_INVAL = 28, ERRNO_IO = 29,
  ERRNO_ISDIR = 31, ERRNO_MFILE = 33, ERRNO_NAMETOOLONG = 37, ERRNO_NOENT = 44, ERRNO_NOMEM = 48,
  ERRNO_NOSPC = 51, ERRNO_NOSYS = 52, ERRNO_NOTDIR = 54, ERRNO_NOTEMPTY = 55, ERRNO_NOTSUP = 58,
  ERRNO_OVERFLOW = 61, ERRNO_PERM = 63, ERRNO_SPIPE = 68, ERRNO_NOTCAPABLE = 76,
};

enum Clockid : std::uint32_t { CLOCKID_REALTIME = 0, CLOCKID_MONOTONIC = 1, CLOCKID_PROCESS_CPUTIME = 2, CLOCKID_THREAD_CPUTIME = 3 };

enum Filetype : std::uint8_t {
  FILETYPE_UNKNOWN = 0, FILETYPE_CHARACTER_DEVICE = 2, FILETYPE_DIRECTORY = 3, FILETYPE_REGULAR_FILE = 4,
};

enum Whence : std::uint8_t { WHENCE_SET = 0, WHENCE_CUR = 1, WHENCE_END = 2 };

enum Oflags : std::uint16_t { OFLAGS_CREAT = 1, OFLAGS_DIRECTORY = 2, OFLAGS_EXCL = 4, OFLAGS_TRUNC = 8 };

enum Fdflags : std::uint16_t {
  FDFLAGS_APPEND = 1, FDFLAGS_DSYNC = 2, FDFLAGS_NONBLOCK = 4, FDFLAGS_RSYNC = 8, FDFLAGS_SYNC = 16,
};

enum Eventtype : std::uint8_t { EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2 };
constexpr std::uint16_t SUBCLOCKFLAGS_ABSTIME = 1;

// Rights (wasi "rights" flags).
enum : std::uint64_t {
  RIGHT_FD_DATASYNC = 1ull << 0, RIGHT_FD_READ = 1ull << 1, RIGHT_FD_SEEK = 1ull << 2,
  RIGHT_FD_FDSTAT_SET_FLAGS = 1ull << 3, RIGHT_FD_SYNC = 1ull << 4, RIGHT_FD_TELL = 1ull << 5,
  RIGHT_FD_WRITE = 1ull << 6, RIGHT_FD_ADVISE = 1ull << 7, RIGHT_FD_ALLOCATE = 1ull << 8,
  RIGHT_PATH_CREATE_DIRECTORY = 1ull << 9, RIGHT_PATH_CREATE_FILE = 1ull << 10, RIGHT_PATH_OPEN = 1ull << 13,
  RIGHT_FD_READDIR = 1ull << 14, RIGHT_PATH_RENAME_SOURCE = 1ull << 16, RIGHT_PATH_RENAME_TARGET = 1ull << 17,
  RIGHT_PATH_FILESTAT_GET = 1ull << 18, RIGHT_FD_FILESTAT_GET = 1ull << 21, RIGHT_FD_FILESTAT_SET_SIZE = 1ull << 22,
  RIGHT_PATH_REMOVE_DIRECTORY = 1ull << 25, RIGHT_PATH_UNLINK_FILE = 1ull << 26,
  RIGHT_POLL_FD_READWRITE = 1ull << 27,
  RIGHTS_ALL = (1ull << 30) - 1,
};
// What a regular file can be asked for; directories and character devices get their own sets.
constexpr std::uint64_t RIGHTS_FILE = RIGHT_FD_DATASYNC | RIGHT_FD_READ | RIGHT_FD_SEEK | RIGHT_FD_FDSTAT_SET_FLAGS |
                                      RIGHT_FD_SYNC | RIGHT_FD_TELL | RIGHT_FD_WRITE | RIGHT_FD_ADVISE |
                                      RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_GET | RIGHT_FD_FILESTAT_SET_SIZE |
                                      RIGHT_POLL_FD_READWRITE;
constexpr std::uint64_t RIGHTS_TTY = RIGHT_FD_READ | RIGHT_FD_WRITE | RIGHT_FD_FDSTAT_SET_FLAGS |
                                     RIGHT_FD_FILESTAT_GET | RIGHT_POLL_FD_READWRITE;

// Struct sizes and field offsets (wasm32).
constexpr std::uint32_t IOVEC_SIZE = 8;         // buf u32 @0, buf_len u32 @4
constexpr std::uint32_t FDSTAT_SIZE = 24;       // filetype u8 @0, flags u16 @2, rights_base u64 @8, inheriting u64 @16
constexpr std::uint32_t FILESTAT_SIZE = 64;     // dev @0, ino @8, filetype u8 @16, nlink @24, size @32, atim @40, mtim @48, ctim @56
constexpr std::uint32_t PRESTAT_SIZE = 8;       // tag u8 @0 (0: directory), name_len u32 @4
constexpr std::uint32_t DIRENT_SIZE = 24;       // next u64 @0, ino u64 @8, namlen u32 @16, type u8 @20
constexpr std::uint32_t SUBSCRIPTION_SIZE = 48; // userdata u64 @0, tag u8 @8; clock: id u32 @16, timeout u64 @24,
                                                // precision u64 @32, flags u16 @40; fd: fd u32 @16
constexpr std::uint32_t EVENT_SIZE = 32;        // userdata u64 @0, error u16 @8, type u8 @10, nbytes u64 @16, flags u16 @24

// The guest's linear memory as the call sees it. Addresses are wasm32 pointers; the checks use 64-bit
// arithmetic, so no sum of a pointer and a length can wrap.
class GuestMemory {
 public:
  explicit GuestMemory(const HostCall& call) : base_(call.memory), size_(call.memory ? call.memory_size : 0) {}
  bool fits(std::uint64_t at, std::uint64_t length) const { return base_ && at <= size_ && length <= size_ - at; }
  std::uint8_t* at(std::uint64_t offset) const { return base_ + offset; }  // after fits()
  std::uint32_t u32(std::uint64_t at) const { return load<std::uint32_t>(at); }
  std::uint64_t u64(std::uint64_t at) const { return load<std::uint64_t>(at); }
  void put8(std::uint64_t at, std::uint8_t v) const { base_[at] = v; }
  void put16(std::uint64_t at, std::uint16_t v) const { store(at, v); }
  void put32(std::uint64_t at, std::uint32_t v) const { store(at, v); }
  void put64(std::uint64_t at, std::uint64_t v) const { store(at, v); }
  void put_bytes(std::uint64_t at, std::string_view bytes) const {
    if (!bytes.empty()) std::memcpy(base_ + at, bytes.data(), bytes.size());
  }
  std::string_view bytes(std::uint64_t at, std::uint64_t length) const {
    return {reinterpret_cast<const char*>(base_ + at), static_cast<std::size_t>(length)};
  }

 private:
  // Little-endian like wasm itself (the hosts we build for are little-endian); unaligned is allowed.
  template <typename T>
  T load(std::uint64_t at) const { return load_unaligned<T>(base_ + at); }
  template <typename T>
  void store(std::uint64_t at, T v) const { store_unaligned<T>(base_ + at, v); }
  std::uint8_t* base_;
  std::uint64_t size_;
};

// A filestat (FILESTAT_SIZE bytes at `at`, already checked). There are no times: the sandbox does not
// report them, so they read as the epoch.
inline void put_filestat(const GuestMemory& mem, std::uint64_t at, std::uint8_t filetype, std::uint64_t ino,
                         std::uint64_t size) {
  std::memset(mem.at(at), 0, FILESTAT_SIZE);
  mem.put64(at + 8, ino);
  mem.put8(at + 16, filetype);
  mem.put64(at + 24, 1);
  mem.put64(at + 32, size);
}

// Argument accessors: pointers and 32-bit values are the low half of the cell, 64-bit values all of it.
inline std::uint32_t arg32(const HostCall& call, std::size_t i) { return static_cast<std::uint32_t>(call.args[i]); }
inline std::uint64_t arg64(const HostCall& call, std::size_t i) { return call.args[i]; }

// Completes a WASI function: its one result is the errno.
inline HostOutcome answer(HostCall& call, std::uint16_t err) {
  if (!call.results.empty()) call.results[0] = err;
  return HostOutcome::done;
}

}  // namespace phantom::wasm::wasi

// WASI preview 1: the fd functions (wasm layer). fd 0 reads console input, fd 1 and 2 write console
// output; file fds read the sandbox at their offset and write at it, through the outbox when writes are
// committed (wasi.h). Every guest pointer is checked first; a call that fails has changed nothing.
#include <algorithm>
#include <limits>

#include "connections/outbox.h"
#include "wasm/wasi_calls.h"
#include "wasm/wasi_state.h"

namespace phantom::wasm::wasi {
namespace {

constexpr std::uint64_t max_io = 16u << 20;  // bytes moved by one read or write call, at most

struct Buffer {
  std::uint32_t at, length;
};

// The iovec array at `at`: false when it or one of its buffers is outside memory. The buffers are
// cut so that together they hold at most max_io bytes (a short read or write, as POSIX allows).
bool iovecs(const GuestMemory& mem, std::uint32_t at, std::uint32_t count, std::vector<Buffer>& out, std::uint64_t& total) {
  if (!mem.fits(at, std::uint64_t(count) * IOVEC_SIZE)) return false;
  total = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t buf = mem.u32(at + 8ull * i), length = mem.u32(at + 8ull * i + 4);
    if (!mem.fits(buf, length)) return false;
    std::uint64_t take = std::min<std::uint64_t>(length, max_io - total);
    if (take) out.push_back({buf, static_cast<std::uint32_t>(take)});
    total += take;
  }
  return true;
}

void scatter(const GuestMemory& mem, const std::vector<Buffer>& buffers, std::string_view data) {
  for (const Buffer& b : buffers) {
    if (data.empty()) break;
    std::size_t n = std::min<std::size_t>(b.length, data.size());
    mem.put_bytes(b.at, data.substr(0, n));
    data.remove_prefix(n);
  }
}

std::uint8_t filetype_of(const FdRecord& rec) {
  switch (rec.kind()) {
    case kind_file: return FILETYPE_REGULAR_FILE;
    case kind_directory: return FILETYPE_DIRECTORY;
    default: return FILETYPE_CHARACTER_DEVICE;
  }
}

// fd_read and fd_pread.
HostOutcome read(HostCall& call, bool positional) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), iovs = arg32(call, 1), count = arg32(call, 2);
  std::uint64_t position = positional ? arg64(call, 3) : 0;
  std::uint32_t nread_at = arg32(call, positional ? 4 : 3);
  std::vector<Buffer> buffers;
  std::uint64_t total = 0;
  if (!mem.fits(nread_at, 4) || !iovecs(mem, iovs, count, buffers, total)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  std::string data;
  switch (rec->kind()) {
    case kind_stdin: {
      if (positional) return answer(call, ERRNO_SPIPE);
      if (!rec->has(RIGHT_FD_READ)) return answer(call, ERRNO_NOTCAPABLE);
      if (total == 0) break;
      // Console input comes a byte at a time; nothing ready: wait for it, having changed nothing.
      int c = call.vm.console().poll_input();
      if (c == vm::Console::input_none) {
        call.wait_input = true;
        return HostOutcome::block;
      }
      while (c >= 0) {  // from here on the bytes are taken: the call completes
        data += static_cast<char>(c);
        if (data.size() == total || c == '\n') break;  // a line at a time, like a terminal
        c = call.vm.console().poll_input();
      }
      break;
    }
    case kind_file: {
      if (!rec->has(RIGHT_FD_READ)) return answer(call, ERRNO_NOTCAPABLE);
      host::File* file = file_of(call, state, *rec);
      if (!file) return answer(call, ERRNO_IO);
      std::uint64_t offset = positional ? position : rec->offset();
      if (offset > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return answer(call, ERRNO_INVAL);
      data.resize(total);
      connections::Outbox* outbox = context_of(call).options().outbox;
      auto n = outbox ? outbox->read_visible(rec->path(), *file, offset, data) : file->read_at(offset, data);
      if (!n.ok()) return answer(call, errno_of(n.error().code));
      data.resize(*n);
      if (!positional) rec->set_offset(offset + *n);
      break;
    }
    case kind_directory: return answer(call, ERRNO_ISDIR);
    default: return answer(call, ERRNO_BADF);
  }
  scatter(mem, buffers, data);
  mem.put32(nread_at, static_cast<std::uint32_t>(data.size()));
  return answer(call, ERRNO_SUCCESS);
}

// fd_write and fd_pwrite.
HostOutcome write(HostCall& call, bool positional) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), iovs = arg32(call, 1), count = arg32(call, 2);
  std::uint64_t position = positional ? arg64(call, 3) : 0;
  std::uint32_t nwritten_at = arg32(call, positional ? 4 : 3);
  std::vector<Buffer> buffers;
  std::uint64_t total = 0;
  if (!mem.fits(nwritten_at, 4) || !iovecs(mem, iovs, count, buffers, total)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  std::string data;
  data.reserve(total);
  for (const Buffer& b : buffers) data.append(mem.bytes(b.at, b.length));
  switch (rec->kind()) {
    case kind_stdout:
    case kind_stderr:
      if (positional) return answer(call, ERRNO_SPIPE);
      if (!rec->has(RIGHT_FD_WRITE)) return answer(call, ERRNO_NOTCAPABLE);
      // The console's program output, like a Phantom program's print: with --console-commit it waits
      // for the commit too. May throw vm::OutOfMemory with nothing printed.
      if (!data.empty()) call.vm.console().write_output(data);
      break;
    case kind_file: {
      if (!rec->has(RIGHT_FD_WRITE)) return answer(call, ERRNO_NOTCAPABLE);
      host::File* file = file_of(call, state, *rec);
      if (!file) return answer(call, ERRNO_IO);
      std::uint64_t offset = positional ? position : rec->offset();
      if (!positional && (rec->fdflags() & FDFLAGS_APPEND)) {
        auto size = visible_size(call, *file, rec->path());
        if (!size.ok()) return answer(call, errno_of(size.error().code));
        offset = *size;
      }
      if (offset > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) - data.size())
        return answer(call, ERRNO_FBIG);
      if (auto* outbox = context_of(call).options().outbox) {
        outbox->append_file(rec->path(), offset, data);  // may throw vm::OutOfMemory: nothing done
      } else if (auto w = file->write_at(offset, data); !w.ok()) {
        return answer(call, errno_of(w.error().code));
      }
      if (!positional) rec->set_offset(offset + data.size());
      break;
    }
    case kind_directory: return answer(call, ERRNO_ISDIR);
    default: return answer(call, ERRNO_BADF);
  }
  mem.put32(nwritten_at, static_cast<std::uint32_t>(data.size()));
  return answer(call, ERRNO_SUCCESS);
}

// The preopened directory as the guest may see it: only with a sandbox behind it.
bool is_preopen(HostCall& call, const std::optional<FdRecord>& rec) {
  return rec && rec->is_directory() && (rec->state() & fd_preopen) && context_of(call).options().files;
}
constexpr std::string_view preopen_name = "/";

}  // namespace

HostOutcome fd_read(HostCall& call) { return read(call, false); }
HostOutcome fd_pread(HostCall& call) { return read(call, true); }
HostOutcome fd_write(HostCall& call) { return write(call, false); }
HostOutcome fd_pwrite(HostCall& call) { return write(call, true); }

HostOutcome fd_seek(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0);
  auto delta = static_cast<std::int64_t>(arg64(call, 1));
  std::uint32_t whence = arg32(call, 2) & 0xff, result_at = arg32(call, 3);
  if (!mem.fits(result_at, 8)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  if (!rec->is_file()) return answer(call, rec->is_directory() ? ERRNO_BADF : ERRNO_SPIPE);
  // A seek by 0 from the current position is how libc asks for the position: fd_tell's right is enough.
  bool tell = delta == 0 && whence == WHENCE_CUR;
  if (!rec->has(RIGHT_FD_SEEK) && !(tell && rec->has(RIGHT_FD_TELL))) return answer(call, ERRNO_NOTCAPABLE);
  std::int64_t base;
  switch (whence) {
    case WHENCE_SET: base = 0; break;
    case WHENCE_CUR: base = static_cast<std::int64_t>(rec->offset()); break;
    case WHENCE_END: {
      host::File* file = file_of(call, state, *rec);
      if (!file) return answer(call, ERRNO_IO);
      auto size = visible_size(call, *file, rec->path());
      if (!size.ok()) return answer(call, errno_of(size.error().code));
      base = static_cast<std::int64_t>(std::min<std::uint64_t>(*size, std::numeric_limits<std::int64_t>::max()));
      break;
    }
    default: return answer(call, ERRNO_INVAL);
  }
  if ((delta > 0 && base > std::numeric_limits<std::int64_t>::max() - delta)) return answer(call, ERRNO_OVERFLOW);
  std::int64_t to = base + delta;
  if (to < 0) return answer(call, ERRNO_INVAL);
  rec->set_offset(static_cast<std::uint64_t>(to));
  mem.put64(result_at, static_cast<std::uint64_t>(to));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_tell(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), result_at = arg32(call, 1);
  if (!mem.fits(result_at, 8)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  if (!rec->is_file()) return answer(call, rec->is_directory() ? ERRNO_BADF : ERRNO_SPIPE);
  if (!rec->has(RIGHT_FD_TELL)) return answer(call, ERRNO_NOTCAPABLE);
  mem.put64(result_at, rec->offset());
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_close(HostCall& call) {
  std::uint32_t fd = arg32(call, 0);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  // Writes still in the outbox go on to the file by its name: closing need not wait for them.
  if (rec->is_file()) forget_file(call, state, rec->serial());
  state.set_fd(fd, raw_null);
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_renumber(HostCall& call) {
  std::uint32_t from = arg32(call, 0), to = arg32(call, 1);
  WASI_STATE(state);
  auto a = state.fd(from), b = state.fd(to);
  if (!a || !b) return answer(call, ERRNO_BADF);
  if (from == to) return answer(call, ERRNO_SUCCESS);
  if (b->is_file()) forget_file(call, state, b->serial());
  state.set_fd(to, a->ref());
  state.set_fd(from, raw_null);
  return answer(call, ERRNO_SUCCESS);
}

// fd_sync and fd_datasync: returns once the file's writes are durable. Committed writes are made
// durable by their release, so this waits for it, like fio:'s sync.
HostOutcome fd_sync(HostCall& call) {
  std::uint32_t fd = arg32(call, 0);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  if (!rec->is_file()) return answer(call, ERRNO_SUCCESS);
  if (writes_pending(call, rec->path())) return wait_for_release(call);
  host::File* file = file_of(call, state, *rec);
  if (!file) return answer(call, ERRNO_IO);
  if (auto s = file->sync(); !s.ok()) return answer(call, errno_of(s.error().code));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_advise(HostCall& call) {
  std::uint32_t fd = arg32(call, 0), advice = arg32(call, 3);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  if (!rec->is_file()) return answer(call, ERRNO_SPIPE);
  if (advice > 5) return answer(call, ERRNO_INVAL);
  return answer(call, ERRNO_SUCCESS);  // advice only: nothing to do
}

HostOutcome fd_fdstat_get(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), out = arg32(call, 1);
  if (!mem.fits(out, FDSTAT_SIZE)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  std::memset(mem.at(out), 0, FDSTAT_SIZE);
  mem.put8(out, filetype_of(*rec));
  mem.put16(out + 2, rec->fdflags());
  mem.put64(out + 8, rec->rights_base());
  mem.put64(out + 16, rec->rights_inheriting());
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_fdstat_set_flags(HostCall& call) {
  std::uint32_t fd = arg32(call, 0), flags = arg32(call, 1) & 0xffff;
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  constexpr std::uint32_t known = FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK | FDFLAGS_RSYNC | FDFLAGS_SYNC;
  if (flags & ~known) return answer(call, ERRNO_INVAL);
  // APPEND is honoured; the sync flags need nothing (committed writes are durable when released,
  // immediate ones are written at once); NONBLOCK is kept for fdstat (no call here blocks the host).
  rec->set_fdflags(static_cast<std::uint16_t>(flags));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_fdstat_set_rights(HostCall& call) {
  std::uint32_t fd = arg32(call, 0);
  std::uint64_t base = arg64(call, 1), inheriting = arg64(call, 2);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  if ((base & ~rec->rights_base()) || (inheriting & ~rec->rights_inheriting())) return answer(call, ERRNO_NOTCAPABLE);
  rec->set_rights(base, inheriting);
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_filestat_get(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), out = arg32(call, 1);
  if (!mem.fits(out, FILESTAT_SIZE)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  std::uint64_t size = 0;
  if (rec->is_file()) {
    host::File* file = file_of(call, state, *rec);
    if (!file) return answer(call, ERRNO_IO);
    auto s = visible_size(call, *file, rec->path());
    if (!s.ok()) return answer(call, errno_of(s.error().code));
    size = *s;
  }
  std::uint64_t ino = rec->kind() <= kind_stderr ? rec->kind() : fingerprint(rec->path(), 1);
  put_filestat(mem, out, filetype_of(*rec), ino, size);
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_filestat_set_size(HostCall& call) {
  std::uint32_t fd = arg32(call, 0);
  std::uint64_t size = arg64(call, 1);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  if (!rec->is_file()) return answer(call, ERRNO_INVAL);
  if (!rec->has(RIGHT_FD_FILESTAT_SET_SIZE)) return answer(call, ERRNO_NOTCAPABLE);
  if (size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return answer(call, ERRNO_INVAL);
  // Immediate, so writes still waiting for their commit go first (or they would land after it).
  if (writes_pending(call, rec->path())) return wait_for_release(call);
  host::File* file = file_of(call, state, *rec);
  if (!file) return answer(call, ERRNO_IO);
  if (auto t = file->truncate(size); !t.ok()) return answer(call, errno_of(t.error().code));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_prestat_get(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), out = arg32(call, 1);
  if (!mem.fits(out, PRESTAT_SIZE)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  // wasi-libc asks fd 3, 4, ... until ERRNO_BADF: every fd that is no preopen answers that.
  if (!is_preopen(call, state.fd(fd))) return answer(call, ERRNO_BADF);
  std::memset(mem.at(out), 0, PRESTAT_SIZE);
  mem.put32(out + 4, static_cast<std::uint32_t>(preopen_name.size()));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome fd_prestat_dir_name(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), out = arg32(call, 1), length = arg32(call, 2);
  if (!mem.fits(out, length)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  if (!is_preopen(call, state.fd(fd))) return answer(call, ERRNO_BADF);
  if (length < preopen_name.size()) return answer(call, ERRNO_NAMETOOLONG);
  mem.put_bytes(out, preopen_name);
  return answer(call, ERRNO_SUCCESS);
}

// Entries in name order, without "." and ".."; the cookie of an entry is its index + 1, so reading
// on from a cookie is stateless. A last entry that does not fit is cut: the guest sees a full buffer
// and reads again with a larger one (as wasi-libc's readdir does).
HostOutcome fd_readdir(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t fd = arg32(call, 0), buffer = arg32(call, 1), length = arg32(call, 2), used_at = arg32(call, 4);
  std::uint64_t cookie = arg64(call, 3);
  if (!mem.fits(used_at, 4) || !mem.fits(buffer, length)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  auto rec = state.fd(fd);
  if (!rec) return answer(call, ERRNO_BADF);
  if (!rec->is_directory()) return answer(call, ERRNO_NOTDIR);
  if (!rec->has(RIGHT_FD_READDIR)) return answer(call, ERRNO_NOTCAPABLE);
  host::Directory* files = context_of(call).options().files;
  if (!files) return answer(call, ERRNO_NOTCAPABLE);
  auto entries = files->list(rec->path());
  if (!entries.ok()) return answer(call, errno_of(entries.error().code));
  std::string out;
  for (std::uint64_t i = cookie; i < entries->size() && out.size() < length; ++i) {
    const host::DirectoryEntry& e = (*entries)[i];
    std::string full = rec->path().empty() ? e.name : std::string(rec->path()) + "/" + e.name;
    char header[DIRENT_SIZE] = {};
    std::uint64_t next = i + 1, ino = fingerprint(full, 1);
    auto namlen = static_cast<std::uint32_t>(e.name.size());
    std::memcpy(header, &next, 8);
    std::memcpy(header + 8, &ino, 8);
    std::memcpy(header + 16, &namlen, 4);
    header[20] = static_cast<char>(e.is_directory ? FILETYPE_DIRECTORY : FILETYPE_REGULAR_FILE);
    out.append(header, DIRENT_SIZE);
    out += e.name;
  }
  if (out.size() > length) out.resize(length);
  mem.put_bytes(buffer, out);
  mem.put32(used_at, static_cast<std::uint32_t>(out.size()));
  return answer(call, ERRNO_SUCCESS);
}

}  // namespace phantom::wasm::wasi

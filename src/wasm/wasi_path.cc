// WASI preview 1: the path functions (wasm layer). A path is resolved against a directory fd to a name
// in the world's sandbox (host/files.h), which refuses again whatever would leave it. Metadata changes
// are immediate; those that touch a file with committed writes still pending wait for their release
// first (wasi.h). Probes (open read-only, list) come before any change, so a failed call changed nothing.
#include <algorithm>

#include "wasm/wasi_calls.h"
#include "wasm/wasi_state.h"

namespace phantom::wasm::wasi {
namespace {

constexpr std::uint32_t max_path = 4096;

// The name in the sandbox of `path` relative to directory fd `dirfd`: `.` and empty components are
// dropped and `..` steps back. Above a directory opened by name `..` is another capability
// (ERRNO_NOTCAPABLE, as for an absolute path); above the preopened root it is the root itself, as `/..`
// is `/` on POSIX (and in Node's uvwasi): the guest sees the sandbox as its whole file system. Lexical,
// like wasi-libc's own resolution; the sandbox then follows symlinks, beneath its root only.
std::uint16_t resolve(HostCall& call, State& state, std::uint32_t dirfd, std::string_view path, std::string& name) {
  auto dir = state.fd(dirfd);
  if (!dir) return ERRNO_BADF;
  if (!dir->is_directory()) return ERRNO_NOTDIR;
  if (!context_of(call).options().files) return ERRNO_NOTCAPABLE;
  if (path.size() > max_path) return ERRNO_NAMETOOLONG;
  if (path.find('\0') != std::string_view::npos) return ERRNO_INVAL;
  if (!path.empty() && path.front() == '/') return ERRNO_NOTCAPABLE;
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      else if (!(dir->state() & fd_preopen)) return ERRNO_NOTCAPABLE;
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  name = std::string(dir->path());
  for (std::string_view part : parts) {
    if (!name.empty()) name += '/';
    name += part;
  }
  if (name.size() >= 1024) return ERRNO_NAMETOOLONG;  // the sandbox's limit (host/files.h)
  return ERRNO_SUCCESS;
}

// resolve() of a name the guest passes as (pointer, length); ERRNO_FAULT when it is outside memory.
std::uint16_t resolve_guest_path(HostCall& call, const GuestMemory& mem, State& state, std::uint32_t dirfd,
                                 std::uint32_t at, std::uint32_t length, std::string& name) {
  if (!mem.fits(at, length)) return ERRNO_FAULT;
  return resolve(call, state, dirfd, mem.bytes(at, length), name);
}

struct Stat {
  std::uint16_t error = ERRNO_SUCCESS;
  std::uint8_t filetype = FILETYPE_UNKNOWN;
  std::uint64_t size = 0;
  std::unique_ptr<host::File> file;  // the read-only handle the probe opened, for a regular file
};

// What `name` is, without changing anything: a regular file opens read-only; what the sandbox refuses
// to open may be a directory, which it lists.
Stat stat(HostCall& call, std::string_view name) {
  host::Directory& files = *context_of(call).options().files;
  Stat st;
  if (name.empty()) {
    st.filetype = FILETYPE_DIRECTORY;
    return st;
  }
  auto opened = files.open(name, host::FileOpen::read_only);
  if (opened.ok()) {
    st.file = std::move(opened).value();
    auto size = visible_size(call, *st.file, name);
    if (!size.ok()) {
      st.error = errno_of(size.error().code);
      return st;
    }
    st.filetype = FILETYPE_REGULAR_FILE;
    st.size = *size;
    return st;
  }
  if (opened.error().code == Errc::denied) {
    auto listed = files.list(name);
    if (listed.ok()) {
      st.filetype = FILETYPE_DIRECTORY;
      return st;
    }
  }
  st.error = errno_of(opened.error().code);
  return st;
}

// Open fds of files at `name`, which was just removed or replaced: their name now means another file
// or none, so they would read other data after a restart. They are dead from now on (design.md rule 6).
void bury(HostCall& call, State& state, std::string_view name) {
  for (std::uint32_t fd = 0; fd < state.fd_capacity(); ++fd) {
    auto rec = state.fd(fd);
    if (rec && rec->is_file() && rec->path() == name) {
      rec->set_state(rec->state() | fd_gone);
      forget_file(call, state, rec->serial());
    }
  }
}

bool under(std::string_view name, std::string_view dir) {
  return name == dir || (name.size() > dir.size() && name.starts_with(dir) && name[dir.size()] == '/');
}

}  // namespace

HostOutcome path_open(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t dirfd = arg32(call, 0), path_at = arg32(call, 2), path_length = arg32(call, 3);
  std::uint32_t oflags = arg32(call, 4) & 0xffff, fdflags = arg32(call, 7) & 0xffff, fd_at = arg32(call, 8);
  std::uint64_t base = arg64(call, 5), inheriting = arg64(call, 6);
  if (!mem.fits(fd_at, 4)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  std::string name;
  if (auto e = resolve_guest_path(call, mem, state, dirfd, path_at, path_length, name)) return answer(call, e);
  constexpr std::uint32_t known_flags = FDFLAGS_APPEND | FDFLAGS_DSYNC | FDFLAGS_NONBLOCK | FDFLAGS_RSYNC | FDFLAGS_SYNC;
  if ((fdflags & ~known_flags) || (oflags & ~0xfu)) return answer(call, ERRNO_INVAL);
  bool want_dir = oflags & OFLAGS_DIRECTORY, create = oflags & OFLAGS_CREAT, exclusive = oflags & OFLAGS_EXCL;
  bool truncate = oflags & OFLAGS_TRUNC;
  if (want_dir && (create || truncate)) return answer(call, ERRNO_INVAL);
  // The new fd has at most what the directory passes on.
  auto dir = state.fd(dirfd);
  base &= dir->rights_inheriting();
  inheriting &= dir->rights_inheriting();
  // Asking for a directory with every right (what some guests do) just does not get the file ones;
  // asking to write what turns out to be a directory is POSIX's EISDIR.
  if (want_dir) base &= ~(RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_SET_SIZE);
  bool writes = (base & (RIGHT_FD_WRITE | RIGHT_FD_FILESTAT_SET_SIZE)) || truncate;

  Stat st = stat(call, name);
  if (st.error && st.error != ERRNO_NOENT) return answer(call, st.error);
  bool exists = st.error == ERRNO_SUCCESS;
  bool is_dir = exists && st.filetype == FILETYPE_DIRECTORY;
  if (exists && create && exclusive) return answer(call, ERRNO_EXIST);
  if (!exists && (want_dir || !create)) return answer(call, ERRNO_NOENT);
  if (is_dir && writes) return answer(call, ERRNO_ISDIR);
  if (exists && !is_dir && want_dir) return answer(call, ERRNO_NOTDIR);
  if (!is_dir && truncate && writes_pending(call, name)) return wait_for_release(call);

  // Arena first (may throw vm::OutOfMemory), the host's file system last.
  auto fd = state.free_fd();
  if (!fd) return answer(call, ERRNO_MFILE);
  std::uint64_t serial = is_dir ? 0 : state.take_serial();
  Ref rec = FdRecord::make(state.vm(), is_dir ? kind_directory : kind_file, name,
                           is_dir ? base : base & RIGHTS_FILE, is_dir ? inheriting : 0,
                           static_cast<std::uint16_t>(fdflags), 0, serial);
  if (!is_dir) {
    std::unique_ptr<host::File> file = std::move(st.file);
    if (!exists || writes) {
      auto opened = context_of(call).options().files->open(
          name, exists ? host::FileOpen::read_write_existing : host::FileOpen::read_write_create);
      if (!opened.ok()) return answer(call, errno_of(opened.error().code));
      file = std::move(opened).value();
    }
    if (truncate)
      if (auto t = file->truncate(0); !t.ok()) return answer(call, errno_of(t.error().code));
    keep_file(call, state, serial, std::move(file));
  }
  state.set_fd(*fd, rec);
  mem.put32(fd_at, *fd);
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome path_filestat_get(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t dirfd = arg32(call, 0), path_at = arg32(call, 2), path_length = arg32(call, 3), out = arg32(call, 4);
  if (!mem.fits(out, FILESTAT_SIZE)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  std::string name;
  if (auto e = resolve_guest_path(call, mem, state, dirfd, path_at, path_length, name)) return answer(call, e);
  Stat st = stat(call, name);
  if (st.error) return answer(call, st.error);
  put_filestat(mem, out, st.filetype, fingerprint(name, 1), st.size);
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome path_create_directory(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t dirfd = arg32(call, 0), path_at = arg32(call, 1), path_length = arg32(call, 2);
  WASI_STATE(state);
  std::string name;
  if (auto e = resolve_guest_path(call, mem, state, dirfd, path_at, path_length, name)) return answer(call, e);
  if (name.empty()) return answer(call, ERRNO_EXIST);
  if (auto made = context_of(call).options().files->make_directory(name); !made.ok())
    return answer(call, errno_of(made.error().code));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome path_unlink_file(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t dirfd = arg32(call, 0), path_at = arg32(call, 1), path_length = arg32(call, 2);
  WASI_STATE(state);
  std::string name;
  if (auto e = resolve_guest_path(call, mem, state, dirfd, path_at, path_length, name)) return answer(call, e);
  Stat st = stat(call, name);
  if (st.error) return answer(call, st.error);
  if (st.filetype == FILETYPE_DIRECTORY) return answer(call, ERRNO_ISDIR);
  // Pending writes would make the file again when they are released: they go first.
  if (writes_pending(call, name)) return wait_for_release(call);
  st.file.reset();
  if (auto removed = context_of(call).options().files->remove(name); !removed.ok())
    return answer(call, errno_of(removed.error().code));
  bury(call, state, name);
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome path_remove_directory(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t dirfd = arg32(call, 0), path_at = arg32(call, 1), path_length = arg32(call, 2);
  WASI_STATE(state);
  std::string name;
  if (auto e = resolve_guest_path(call, mem, state, dirfd, path_at, path_length, name)) return answer(call, e);
  if (name.empty()) return answer(call, ERRNO_BUSY);  // the preopened directory itself
  Stat st = stat(call, name);
  if (st.error) return answer(call, st.error);
  if (st.filetype != FILETYPE_DIRECTORY) return answer(call, ERRNO_NOTDIR);
  if (auto removed = context_of(call).options().files->remove(name); !removed.ok())
    return answer(call, removed.error().code == Errc::exists ? std::uint16_t(ERRNO_NOTEMPTY) : errno_of(removed.error().code));
  return answer(call, ERRNO_SUCCESS);
}

HostOutcome path_rename(HostCall& call) {
  GuestMemory mem(call);
  std::uint32_t from_fd = arg32(call, 0), from_at = arg32(call, 1), from_length = arg32(call, 2);
  std::uint32_t to_fd = arg32(call, 3), to_at = arg32(call, 4), to_length = arg32(call, 5);
  // Both names are checked before either is resolved: a bad pointer is ERRNO_FAULT whatever the fds.
  if (!mem.fits(from_at, from_length) || !mem.fits(to_at, to_length)) return answer(call, ERRNO_FAULT);
  WASI_STATE(state);
  std::string from, to;
  if (auto e = resolve_guest_path(call, mem, state, from_fd, from_at, from_length, from)) return answer(call, e);
  if (auto e = resolve_guest_path(call, mem, state, to_fd, to_at, to_length, to)) return answer(call, e);
  if (from.empty() || to.empty()) return answer(call, ERRNO_BUSY);
  if (from == to) {
    Stat st = stat(call, from);
    return answer(call, st.error);
  }
  // Pending writes go to the names they were written under: the rename waits for them.
  if (writes_pending(call, from) || writes_pending(call, to)) return wait_for_release(call);
  // Open fds under the old name follow it (their name is what a restart opens again): their new
  // records are made before the rename, so an OutOfMemory changes nothing.
  std::vector<std::pair<std::uint32_t, Ref>> moved;
  for (std::uint32_t fd = 0; fd < state.fd_capacity(); ++fd) {
    auto rec = state.fd(fd);
    if (!rec || rec->kind() < kind_file || !under(rec->path(), from) || (rec->state() & fd_preopen)) continue;
    std::string renamed = to + std::string(rec->path().substr(from.size()));
    moved.emplace_back(fd, FdRecord::renamed(state.vm(), *rec, renamed));
  }
  if (auto r = context_of(call).options().files->rename(from, to); !r.ok())
    return answer(call, r.error().code == Errc::exists ? std::uint16_t(ERRNO_NOTEMPTY) : errno_of(r.error().code));
  bury(call, state, to);  // a file replaced by the rename
  for (const auto& [fd, rec] : moved) state.set_fd(fd, rec);
  return answer(call, ERRNO_SUCCESS);
}

}  // namespace phantom::wasm::wasi

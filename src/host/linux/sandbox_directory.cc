// Sandbox directories on Linux (host layer, Linux). Every name is resolved with openat2 and
// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so the kernel itself refuses `..` above the root, absolute
// names and symlinks that lead out, with no window between a check and the use (without openat2: one
// component at a time with the same rules; open_beneath_by_components). Files are first opened
// O_PATH and checked to be regular before they are opened for I/O (through /proc/self/fd, which names
// the very inode checked), so a device node or a FIFO is never opened at all.
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <deque>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "host/files.h"

namespace phantom::host {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Error from_errno(int err, std::string_view what, std::string_view name) {
  Errc code = Errc::io;
  const char* why = std::strerror(err);
  switch (err) {
    case ENOENT: code = Errc::not_found; break;
    case EEXIST: case ENOTEMPTY: code = Errc::exists; break;
    case EXDEV: code = Errc::denied; why = "the name leads out of the world's file directory"; break;
    case ELOOP: code = Errc::denied; why = "too many symbolic links, or a link that leads out"; break;
    case EACCES: case EPERM: case EROFS: code = Errc::denied; break;
    case ENOSPC: case EDQUOT: case EFBIG: code = Errc::no_space; break;
    case EISDIR: case ENOTDIR: case EINVAL: case ENAMETOOLONG: code = Errc::invalid_argument; break;
    case EBUSY: code = Errc::busy; break;
    case ENOSYS: code = Errc::unsupported; break;
    default: break;
  }
  return Error{code, fmt::format("{} '{}': {}", what, name, why)};
}

// Where openat2 is missing (kernels before 5.6, and qemu-user, which does not emulate it), the name is
// walked one component at a time with openat and O_NOFOLLOW, as RESOLVE_BENEATH would: `..` may not
// climb above the root, absolute names and absolute symlink targets are refused, a relative symlink
// is followed by splicing its target into the rest of the walk (40 at most, then ELOOP). A final
// component is opened with O_NOFOLLOW, so an entry swapped for a symlink after it was looked at is
// refused rather than followed.
int open_beneath_by_components(int root, const std::string& path, int flags, mode_t mode) {
  auto fail = [](int err) {
    errno = err;
    return -1;
  };
  auto split = [](const std::string& name, std::deque<std::string>& into, bool front) {
    std::vector<std::string> parts;
    for (std::size_t at = 0; at <= name.size();) {
      std::size_t slash = std::min(name.find('/', at), name.size());
      if (slash > at) parts.push_back(name.substr(at, slash - at));
      at = slash + 1;
    }
    if (front) into.insert(into.begin(), parts.begin(), parts.end());
    else into.insert(into.end(), parts.begin(), parts.end());
  };
  if (path.starts_with('/')) return fail(EXDEV);
  std::deque<std::string> todo;
  split(path, todo, false);
  std::vector<Fd> below;  // the directories walked into under the root, innermost last
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {
      if (below.empty()) return fail(EXDEV);
      below.pop_back();
      continue;
    }
    int dir = below.empty() ? root : below.back().get();
    Fd entry(::openat(dir, part.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (entry.get() >= 0 && ::fstat(entry.get(), &st) != 0) return -1;
    bool last = todo.empty();
    if (entry.get() >= 0 && S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      if (++links > 40) return fail(ELOOP);
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(entry.get(), "", target, sizeof target - 1);
      if (n < 0) return -1;
      target[n] = 0;
      if (target[0] == '/') return fail(EXDEV);
      split(target, todo, true);
      continue;
    }
    if (last) return ::openat(dir, part.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
    if (entry.get() < 0) return -1;
    if (!S_ISDIR(st.st_mode)) return fail(ENOTDIR);
    below.push_back(std::move(entry));
  }
  // The name ended in `.` or `..` (or was only that): the directory the walk stands in.
  return ::openat(below.empty() ? root : below.back().get(), ".", flags | O_CLOEXEC, mode);
}

// openat2 beneath `root`; Debian 12's C library has no wrapper.
// PHANTOM_SANDBOX_WALK=components takes the walk of kernels without openat2 on any kernel, so that its
// tests run everywhere (tests/CMakeLists.txt).
int open_beneath(int root, std::string_view name, int flags, mode_t mode = 0) {
  static std::atomic<bool> no_openat2{[] {
    const char* walk = std::getenv("PHANTOM_SANDBOX_WALK");
    return walk != nullptr && std::string_view(walk) == "components";
  }()};
  std::string path(name.empty() ? std::string_view(".") : name);
  if (no_openat2.load(std::memory_order_relaxed)) return open_beneath_by_components(root, path, flags, mode);
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root, path.c_str(), &how, sizeof how));
  if (fd < 0 && errno == ENOSYS) {
    no_openat2.store(true, std::memory_order_relaxed);
    return open_beneath_by_components(root, path, flags, mode);
  }
  return fd;
}

// Splits "a/b/c" into the directory part "a/b" ("" for none) and the last component "c".
std::pair<std::string, std::string> split_parent(std::string_view name) {
  std::string n(name);
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  auto slash = n.rfind('/');
  if (slash == std::string::npos) return {"", n};
  return {n.substr(0, slash), n.substr(slash + 1)};
}

class LinuxFile final : public File {
 public:
  LinuxFile(Fd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}
  Result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) override {
    for (;;) {
      ssize_t n = ::pread(fd_.get(), out.data(), out.size(), static_cast<off_t>(offset));
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) return from_errno(errno, "cannot read", name_);
    }
  }
  Status write_at(std::uint64_t offset, std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = ::pwrite(fd_.get(), bytes.data(), bytes.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return from_errno(errno, "cannot write", name_);
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
      offset += static_cast<std::uint64_t>(n);
    }
    return ok_status();
  }
  Result<std::uint64_t> size() override {
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0) return from_errno(errno, "cannot stat", name_);
    return static_cast<std::uint64_t>(st.st_size);
  }
  Status truncate(std::uint64_t size) override {
    if (size > static_cast<std::uint64_t>(INT64_MAX)) return make_error(Errc::invalid_argument, "'{}': size {} is too large", name_, size);
    while (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0)
      if (errno != EINTR) return from_errno(errno, "cannot truncate", name_);
    return ok_status();
  }
  Status sync() override {
    if (::fdatasync(fd_.get()) != 0) return from_errno(errno, "cannot sync", name_);
    return ok_status();
  }

 private:
  Fd fd_;
  std::string name_;
};

class LinuxSandbox final : public Directory {
 public:
  LinuxSandbox(Fd root, std::string path) : root_(std::move(root)), path_(std::move(path)) {}
  const std::string& path() const override { return path_; }

  Result<std::unique_ptr<File>> open(std::string_view name, FileOpen how) override {
    if (auto problem = sandbox_name_problem(name); !problem.empty())
      return make_error(Errc::denied, "'{}': {}", printable(name), problem);
    if (how == FileOpen::read_write_create) {
      // Create it if missing, without following a final symlink (O_NOFOLLOW) and without opening
      // an existing non-regular file for I/O (O_PATH cannot create, so O_EXCL first).
      Fd created(open_beneath(root_.get(), name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0644));
      if (created.get() >= 0) return std::unique_ptr<File>(new LinuxFile(std::move(created), std::string(name)));
      if (errno != EEXIST) return from_errno(errno, "cannot create", name);
    }
    // A final symlink is followed, still beneath the root (RESOLVE_BENEATH): links inside work.
    Fd path_fd(open_beneath(root_.get(), name, O_PATH));
    if (path_fd.get() < 0) return from_errno(errno, "cannot open", name);
    struct stat st {};
    if (::fstat(path_fd.get(), &st) != 0) return from_errno(errno, "cannot stat", name);
    if (!S_ISREG(st.st_mode))
      return make_error(Errc::denied, "'{}' is not a regular file ({})", name,
                        S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
    int flags = (how == FileOpen::read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY;
    std::string proc = fmt::format("/proc/self/fd/{}", path_fd.get());
    Fd fd(::open(proc.c_str(), flags));
    if (fd.get() < 0) return from_errno(errno, "cannot open", name);
    return std::unique_ptr<File>(new LinuxFile(std::move(fd), std::string(name)));
  }

  Result<std::vector<DirectoryEntry>> list(std::string_view name) override {
    if (!name.empty() && name != ".")
      if (auto problem = sandbox_name_problem(name); !problem.empty())
        return make_error(Errc::denied, "'{}': {}", printable(name), problem);
    Fd fd(open_beneath(root_.get(), name, O_RDONLY | O_DIRECTORY));
    if (fd.get() < 0) return from_errno(errno, "cannot list", name.empty() ? "." : name);
    DIR* dir = ::fdopendir(fd.get());
    if (!dir) return from_errno(errno, "cannot list", name);
    int dfd = fd.release();
    std::vector<DirectoryEntry> out;
    while (dirent* e = ::readdir(dir)) {
      if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
      struct stat st {};
      if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
      out.push_back({e->d_name, S_ISDIR(st.st_mode), static_cast<std::uint64_t>(st.st_size)});
    }
    ::closedir(dir);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
  }

  Status rename(std::string_view from, std::string_view to) override {
    PHANTOM_ASSIGN(auto a, parent_of(from));
    PHANTOM_ASSIGN(auto b, parent_of(to));
    if (::renameat(a.first.get(), a.second.c_str(), b.first.get(), b.second.c_str()) != 0)
      return from_errno(errno, "cannot rename", from);
    return ok_status();
  }
  Status remove(std::string_view name) override {
    PHANTOM_ASSIGN(auto p, parent_of(name));
    if (::unlinkat(p.first.get(), p.second.c_str(), 0) == 0) return ok_status();
    if (errno == EISDIR && ::unlinkat(p.first.get(), p.second.c_str(), AT_REMOVEDIR) == 0) return ok_status();
    return from_errno(errno, "cannot delete", name);
  }
  Status make_directory(std::string_view name) override {
    PHANTOM_ASSIGN(auto p, parent_of(name));
    if (::mkdirat(p.first.get(), p.second.c_str(), 0755) != 0) return from_errno(errno, "cannot make directory", name);
    return ok_status();
  }

 private:
  static std::string printable(std::string_view name) {
    std::string out;
    for (char c : name.substr(0, 80)) out += (c >= 32 && c < 127) ? c : '?';
    return name.size() > 80 ? out + "..." : out;
  }
  // The directory holding `name`'s last component, opened beneath the root, and that component.
  Result<std::pair<Fd, std::string>> parent_of(std::string_view name) {
    if (auto problem = sandbox_name_problem(name); !problem.empty())
      return make_error(Errc::denied, "'{}': {}", printable(name), problem);
    auto [dir, last] = split_parent(name);
    if (last.empty() || last == "." || last == "..") return make_error(Errc::denied, "'{}': not a file name", name);
    Fd fd(open_beneath(root_.get(), dir, O_PATH | O_DIRECTORY));
    if (fd.get() < 0) return from_errno(errno, "cannot open the directory of", name);
    return std::pair<Fd, std::string>(std::move(fd), last);
  }

  Fd root_;
  std::string path_;
};

}  // namespace

std::string sandbox_name_problem(std::string_view name) {
  if (name.empty()) return "an empty file name";
  if (name.size() >= 1024) return fmt::format("a name of {} bytes (at most 1023)", name.size());
  if (name.front() == '/') return "an absolute name; names are relative to the world's file directory";
  if (name.find('\0') != std::string_view::npos) return "a NUL byte in the name";
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return "'..' would leave the world's file directory";
    start = end + 1;
  }
  return {};
}

Result<std::unique_ptr<Directory>> open_sandbox(const std::string& path, bool create) {
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return make_error(Errc::io, "cannot create the directory {}: {}", path, ec.message());
  }
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return from_errno(errno, "cannot open the directory", path);
  return std::unique_ptr<Directory>(new LinuxSandbox(std::move(fd), path));
}

}  // namespace phantom::host

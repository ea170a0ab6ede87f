// Files confined to a directory (host layer interface): what a world's `fio:` connections and the
// output-commit cursor reach of the host's file system. A Directory is a sandbox: every name is
// resolved beneath it, and a name that would leave it (`..`, an absolute path, a symlink pointing
// out) or that names anything but a regular file or a directory (a device node, a FIFO, a socket)
// is refused with Errc::denied. Names use '/' between components.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace phantom::host {

// An open regular file. Positions are explicit: the caller keeps the offset (a world keeps it in
// its arena, so that it survives restarts).
class File {
 public:
  virtual ~File() = default;
  // Reads up to out.size() bytes at `offset`; 0 at the end of the file.
  virtual Result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) = 0;
  // Writes all of `bytes` at `offset` (the file grows as needed).
  virtual Status write_at(std::uint64_t offset, std::string_view bytes) = 0;
  virtual Result<std::uint64_t> size() = 0;
  // Cuts the file to `size` bytes, or extends it with zeros (WASI's O_TRUNC and fd_filestat_set_size).
  virtual Status truncate(std::uint64_t size) = 0;
  // Makes the written data durable (fdatasync).
  virtual Status sync() = 0;
};

struct DirectoryEntry {
  std::string name;
  bool is_directory = false;
  std::uint64_t size = 0;
};

enum class FileOpen { read_write_create, read_write_existing, read_only };

class Directory {
 public:
  virtual ~Directory() = default;
  virtual const std::string& path() const = 0;  // for messages
  virtual Result<std::unique_ptr<File>> open(std::string_view name, FileOpen how) = 0;
  // The entries of the directory `name` beneath this one ("" or "." for this one), sorted by name.
  virtual Result<std::vector<DirectoryEntry>> list(std::string_view name) = 0;
  virtual Status rename(std::string_view from, std::string_view to) = 0;
  virtual Status remove(std::string_view name) = 0;  // a file, or an empty directory
  virtual Status make_directory(std::string_view name) = 0;
};

// Opens (creating it and its parents when `create`) the directory at `path` as a sandbox.
Result<std::unique_ptr<Directory>> open_sandbox(const std::string& path, bool create);

// A name as a sandbox accepts it: not empty, at most 1023 bytes, relative, no NUL byte, no `..`
// component. Returns the reason it is refused, or an empty string. Symlinks are checked on open.
std::string sandbox_name_problem(std::string_view name);

}  // namespace phantom::host

// Outbox: output commit, design.md rule 5 (connections layer). Output to the outside produced after
// snapshot N (file writes of committed connections, console output in committed mode) is not done at
// once: it is appended to the outbox, which lives in the arena (root_outbox), and is released only
// after a snapshot that contains it has committed. So the outside never sees an effect of state that
// a crash could take back, and output that a committed snapshot owes is released again after a
// restore (file writes idempotently at their offsets; console text at least once, see below).
//
// Threads: append_*, overlay and attach run on the VM executor; capture runs while the VM is stopped
// for a snapshot; release runs on the snapshot policy's thread after the commit. A host-memory mirror
// of the entries (under mutex_) lets release write without touching the arena; the arena entries are
// dropped later by a task posted to the executor.
//
// Console text is a stream: it cannot be written twice idempotently. The sequence number of the last
// console entry released is kept in a cursor file beside the world, so after a restore only text after
// the cursor is printed. With an OutputRelay (host/output_relay.h, the terminal of `phantom run
// --console-commit`) the text and the cursor are written by another process, so a kill -9 of the world
// cannot fall between them; without one (an attachable daemon console) the cursor is written right
// after the text, and a repeat needs a kill in the microseconds between (docs/connections.md).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "host/files.h"
#include "host/output_relay.h"
#include "vm/vm.h"

namespace phantom::connections {

struct OutboxFigures {
  std::uint64_t pending_writes = 0, pending_bytes = 0;
  std::uint64_t released_writes = 0, released_bytes = 0;
  std::uint64_t release_errors = 0;
};

class Outbox {
 public:
  // `files`: the world's sandbox (file entries are written there); `console`: the device that console
  // entries are written to; `cursor`: the console cursor file (may be null: then no repeat suppression).
  // `relay`, when given, replaces `console` and `cursor` for console entries.
  Outbox(vm::Vm& vm, host::Directory* files, vm::Console& console, std::unique_ptr<host::File> cursor,
         host::OutputRelay* relay = nullptr);

  // After boot or attach, on the executor: rebuilds the mirror from the arena (entries that a
  // committed snapshot holds and that may not have been released) and moves the sequence counter
  // past the console cursor.
  void attach();
  // Executor. Throw vm::OutOfMemory with nothing changed.
  void append_file(std::string_view name, std::uint64_t offset, std::string_view bytes);
  void append_console(std::string_view bytes);
  // Executor. Output kept only in host memory (a socket's bytes): `release` runs on the snapshot policy's
  // thread once a snapshot that holds the state behind it has committed (in order with every other entry);
  // it never runs if the process dies first (a stream's peer has lost its connection then anyway). Like
  // any pending output it makes the next snapshot come early. `release` must be quick (post the real
  // work to the event loop). `bytes` is only counted in the figures.
  void append_transient(std::function<void()> release, std::size_t bytes = 0);
  // While the VM is stopped for a snapshot: the highest sequence number the snapshot holds.
  std::uint64_t capture();
  // After the snapshot that captured `upto` committed: writes every entry up to it, in order, syncs
  // the files written, and posts the removal of the entries from the arena. Returns the entries released.
  std::size_t release(std::uint64_t upto);
  // Called (from the executor) when output becomes pending, so that the policy snapshots early.
  void on_pending(std::function<void()> fn) { on_pending_ = std::move(fn); }
  // Whether an entry for file `name` waits for its commit.
  bool has_pending_file(std::string_view name);
  // Reads see their own writes: reads `file` (the host file of `name`) at `offset` into `out`, lays the
  // pending entries for `name` over it, and returns how many bytes are valid. A release that writes
  // and forgets a batch between the read and the overlay would leave a hole: then it reads again.
  Result<std::size_t> read_visible(std::string_view name, host::File& file, std::uint64_t offset, std::span<char> out);
  // Where the pending data of file `name` ends, at least (0 when none is pending).
  std::uint64_t pending_end(std::string_view name);
  // The size of file `name` as the world sees it: the host file's size, or past it where pending writes
  // reach. Use this rather than max(file.size(), pending_end()) taken in that order, which can miss a
  // batch that a release writes and forgets between the two (the world would then write over it).
  Result<std::uint64_t> visible_size(std::string_view name, host::File& file);
  OutboxFigures figures();
  // Called after each release (from the policy thread), e.g. to wake threads waiting for it.
  void on_released(std::function<void()> fn) { on_released_ = std::move(fn); }
  // Where the files written by a release are synced before the arena forgets their entries (the
  // event loop's thread, so that the next snapshot need not wait for the sync); unset: at once.
  void sync_elsewhere(std::function<void(std::function<void()>)> run) { sync_elsewhere_ = std::move(run); }

 private:
  struct Entry {
    std::uint64_t seq;
    std::uint32_t kind;  // entry_file or entry_console
    std::string name;
    std::uint64_t offset;
    std::string data;
    std::function<void()> transient;  // entry_transient: what release does; not in the arena
    std::size_t transient_bytes = 0;
  };
  void append(std::uint32_t kind, std::string_view name, std::uint64_t offset, std::string_view bytes);
  std::uint64_t next_seq();  // executor: the counter in root_output_state
  void drop_released(std::uint64_t upto);  // executor
  std::uint64_t read_cursor();
  void write_cursor(std::uint64_t seq);

  vm::Vm& vm_;
  host::Directory* files_;
  vm::Console& console_;
  std::unique_ptr<host::File> cursor_;
  host::OutputRelay* relay_;
  std::function<void()> on_pending_, on_released_;
  std::function<void(std::function<void()>)> sync_elsewhere_;

  std::mutex mutex_;
  std::map<std::uint64_t, Entry> mirror_;  // seq -> entry, not yet released
  // Per file name: how many of its entries are pending and where the furthest one ends, so that a
  // size or a rename does not scan every pending entry (a logger asks for the size before each write).
  struct PendingFile {
    std::uint64_t entries = 0, end = 0;
  };
  std::map<std::string, PendingFile, std::less<>> pending_files_;
  void mirror_add(Entry entry);      // mutex_ held
  void mirror_remove(std::uint64_t seq);  // mutex_ held
  // Applies pending entries for `name` to `out`, read at `offset`; raises `valid` to the end of what
  // they cover. mutex_ held.
  void overlay(std::string_view name, std::uint64_t offset, std::span<char> out, std::size_t& valid);
  std::uint64_t forgotten_ = 0;  // entries removed from the mirror so far: read_visible() looks for a change
  std::uint64_t console_cursor_ = 0;
  OutboxFigures figures_;
};

}  // namespace phantom::connections

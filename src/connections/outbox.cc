// Outbox (connections layer): see outbox.h.
#include "connections/outbox.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "vm/objects.h"

namespace phantom::connections {
namespace {

enum EntryKind : std::uint32_t { entry_file = 1, entry_console = 2, entry_transient = 3 };

// The arena form of one entry: this header, the file name, the data (a binary object).
struct EntryHeader {
  std::uint64_t seq;
  std::uint32_t kind;
  std::uint32_t name_length;
  std::uint64_t offset;
  std::uint32_t data_length;
  std::uint32_t reserved;
};
static_assert(sizeof(EntryHeader) == 32);

struct OutputState {  // root_output_state
  std::uint64_t next_seq;
};

}  // namespace

Outbox::Outbox(vm::Vm& vm, host::Directory* files, vm::Console& console, std::unique_ptr<host::File> cursor,
               host::OutputRelay* relay)
    : vm_(vm), files_(files), console_(console), cursor_(std::move(cursor)), relay_(relay) {}

std::uint64_t Outbox::read_cursor() {
  if (relay_) return relay_->cursor();
  if (!cursor_) return 0;
  std::uint64_t value = 0;
  auto n = cursor_->read_at(0, std::span<char>(reinterpret_cast<char*>(&value), sizeof value));
  return n.ok() && *n == sizeof value ? value : 0;
}

void Outbox::write_cursor(std::uint64_t seq) {
  if (!cursor_) return;
  // No sync: the cursor only has to outlive this process (kill -9); after a power cut the terminal
  // that saw the text is gone too.
  auto written = cursor_->write_at(0, std::string_view(reinterpret_cast<const char*>(&seq), sizeof seq));
  if (!written.ok()) vm_.console().write_diagnostic("phantom: output cursor: " + written.error().message + "\n");
}

void Outbox::attach() {
  vm::Ref box = vm_.root_slot(vm::root_outbox);
  if (vm_.is_null(box) || !vm_.is_a(box, vm::cid_array)) vm_.set_root_slot(vm::root_outbox, box = vm_.new_array());
  vm::Ref st = vm_.root_slot(vm::root_output_state);
  if (vm_.is_null(st) || !vm_.is_a(st, vm::cid_binary) || vm_.heap().as<vm::BinaryData>(st)->length < sizeof(OutputState)) {
    st = vm_.new_binary(sizeof(OutputState));
    reinterpret_cast<OutputState*>(vm_.heap().as<vm::BinaryData>(st)->bytes)->next_seq = 1;
    vm_.set_root_slot(vm::root_output_state, st);
  }
  std::lock_guard lock(mutex_);
  console_cursor_ = read_cursor();
  auto* state = reinterpret_cast<OutputState*>(vm_.heap().as<vm::BinaryData>(st)->bytes);
  // A world resumed from an older snapshot than the one whose text was printed last (a fallback or
  // a rollback) numbers its new output after the cursor, so none of it is taken for a repeat.
  if (state->next_seq <= console_cursor_) state->next_seq = console_cursor_ + 1;
  mirror_.clear();
  pending_files_.clear();
  for (std::uint32_t i = 0; i < vm_.array_size(box); ++i) {
    vm::Ref b = vm_.array_get(box, i);
    if (!vm_.is_a(b, vm::cid_binary)) continue;
    auto* bin = vm_.heap().as<vm::BinaryData>(b);
    if (bin->length < sizeof(EntryHeader)) continue;
    EntryHeader h;
    std::memcpy(&h, bin->bytes, sizeof h);
    if (sizeof h + std::uint64_t(h.name_length) + h.data_length > bin->length) continue;
    const char* p = bin->bytes + sizeof h;
    mirror_add(Entry{h.seq, h.kind, std::string(p, h.name_length), h.offset, std::string(p + h.name_length, h.data_length)});
  }
  figures_.pending_writes = mirror_.size();
  figures_.pending_bytes = 0;
  for (const auto& [seq, e] : mirror_) figures_.pending_bytes += e.data.size();
}

std::uint64_t Outbox::next_seq() {
  vm::Ref st = vm_.root_slot(vm::root_output_state);
  return reinterpret_cast<OutputState*>(vm_.heap().as<vm::BinaryData>(st)->bytes)->next_seq;
}

void Outbox::append(std::uint32_t kind, std::string_view name, std::uint64_t offset, std::string_view bytes) {
  if (bytes.empty()) return;
  std::uint64_t size = sizeof(EntryHeader) + name.size() + bytes.size();
  if (size > (1u << 30)) throw vm::OutOfMemory{};
  vm::Ref bin = vm_.new_binary(static_cast<std::uint32_t>(size));  // may throw: nothing changed yet
  std::uint64_t seq = next_seq();
  EntryHeader h{seq, kind, static_cast<std::uint32_t>(name.size()), offset, static_cast<std::uint32_t>(bytes.size()), 0};
  char* p = vm_.heap().as<vm::BinaryData>(bin)->bytes;
  std::memcpy(p, &h, sizeof h);
  std::memcpy(p + sizeof h, name.data(), name.size());
  std::memcpy(p + sizeof h + name.size(), bytes.data(), bytes.size());
  // No collection runs inside a native, so `bin` stays valid unrooted until it is in the outbox.
  vm_.array_push(vm_.root_slot(vm::root_outbox), bin);  // may throw: `bin` is then garbage
  vm::Ref st = vm_.root_slot(vm::root_output_state);
  reinterpret_cast<OutputState*>(vm_.heap().as<vm::BinaryData>(st)->bytes)->next_seq = seq + 1;
  {
    std::lock_guard lock(mutex_);
    mirror_add(Entry{seq, kind, std::string(name), offset, std::string(bytes)});
    figures_.pending_writes++;
    figures_.pending_bytes += bytes.size();
  }
  if (on_pending_) on_pending_();
}

void Outbox::append_file(std::string_view name, std::uint64_t offset, std::string_view bytes) {
  append(entry_file, name, offset, bytes);
}
void Outbox::append_console(std::string_view bytes) { append(entry_console, "", 0, bytes); }

void Outbox::append_transient(std::function<void()> release, std::size_t bytes) {
  // Only the counter is in the arena: capture() then tells which snapshot holds this entry.
  std::uint64_t seq = next_seq();
  vm::Ref st = vm_.root_slot(vm::root_output_state);
  reinterpret_cast<OutputState*>(vm_.heap().as<vm::BinaryData>(st)->bytes)->next_seq = seq + 1;
  {
    std::lock_guard lock(mutex_);
    Entry e{seq, entry_transient, {}, 0, {}};
    e.transient = std::move(release);
    e.transient_bytes = bytes;
    mirror_add(std::move(e));
    figures_.pending_writes++;
    figures_.pending_bytes += bytes;
  }
  if (on_pending_) on_pending_();
}

std::uint64_t Outbox::capture() {
  // The VM is stopped: the counter is exactly what the snapshot holds.
  return next_seq() - 1;
}

std::size_t Outbox::release(std::uint64_t upto) {
  std::vector<Entry> batch;
  std::uint64_t cursor;
  {
    std::lock_guard lock(mutex_);
    for (auto it = mirror_.begin(); it != mirror_.end() && it->first <= upto; ++it) batch.push_back(it->second);
    cursor = console_cursor_;
  }
  if (batch.empty()) return 0;
  // Opened by name for each batch: the world may rename or delete a file between two batches.
  std::map<std::string, std::unique_ptr<host::File>> open_files;
  std::set<std::string> written_files;
  std::uint64_t errors = 0, console_upto = 0;
  std::string relay_text;  // consecutive console entries go to the relay as one piece
  std::uint64_t relay_seq = 0;
  auto flush_relay = [&] {
    if (relay_text.empty()) return;
    if (auto sent = relay_->send(relay_seq, relay_text); !sent.ok()) {
      ++errors;
      vm_.console().write_diagnostic("phantom: console output lost: " + sent.error().message + "\n");
    }
    relay_text.clear();
  };
  bool arena_entries = false;
  for (const Entry& e : batch) {
    if (e.kind == entry_transient) {
      if (e.transient) e.transient();
      continue;
    }
    arena_entries = true;
    if (e.kind == entry_console) {
      if (e.seq <= cursor) continue;  // printed before the restart
      console_upto = e.seq;
      if (!relay_) {
        console_.write_output(e.data);
        continue;
      }
      if (relay_text.size() + e.data.size() > host::OutputRelay::max_piece) flush_relay();
      if (e.data.size() > host::OutputRelay::max_piece) {  // one huge print: in pieces, the last one counts
        for (std::size_t at = 0; at < e.data.size(); at += host::OutputRelay::max_piece) {
          relay_text = e.data.substr(at, host::OutputRelay::max_piece);
          relay_seq = at + host::OutputRelay::max_piece >= e.data.size() ? e.seq : 0;
          flush_relay();
        }
        continue;
      }
      relay_text += e.data;
      relay_seq = e.seq;
      continue;
    }
    flush_relay();
    auto& file = open_files[e.name];
    if (!file) {
      auto opened = files_ ? files_->open(e.name, host::FileOpen::read_write_create)
                           : Result<std::unique_ptr<host::File>>(make_error(Errc::unsupported, "no file directory"));
      if (!opened.ok()) {
        ++errors;
        vm_.console().write_diagnostic(fmt::format("phantom: committed write to {} lost: {}\n", e.name, opened.error().message));
        open_files.erase(e.name);
        continue;
      }
      file = std::move(opened).value();
    }
    if (auto w = file->write_at(e.offset, e.data); !w.ok()) {
      ++errors;
      vm_.console().write_diagnostic(fmt::format("phantom: committed write to {} failed: {}\n", e.name, w.error().message));
    }
    written_files.insert(e.name);
  }
  if (relay_) flush_relay();
  else if (console_upto) {
    console_.flush();
    write_cursor(console_upto);
  }
  {
    std::lock_guard lock(mutex_);
    if (console_upto) console_cursor_ = std::max(console_cursor_, console_upto);
    for (const Entry& e : batch) {
      std::size_t bytes = e.kind == entry_transient ? e.transient_bytes : e.data.size();
      figures_.pending_writes--;
      figures_.pending_bytes -= bytes;
      figures_.released_writes++;
      figures_.released_bytes += bytes;
      mirror_remove(e.seq);
    }
    figures_.release_errors += errors;
  }
  if (on_released_) on_released_();
  // Durable before the arena forgets them: after a power cut the files hold what the world thinks.
  // Syncs run in order (one thread), so entries are forgotten in order too.
  auto files = std::make_shared<std::map<std::string, std::unique_ptr<host::File>>>(std::move(open_files));
  auto finish = [this, upto, files, written_files, arena_entries] {
    std::uint64_t failed = 0;
    for (const std::string& name : written_files)
      if (auto s = (*files)[name]->sync(); !s.ok()) ++failed;
    if (failed) {
      std::lock_guard lock(mutex_);
      figures_.release_errors += failed;
    }
    if (arena_entries) vm_.post([this, upto] { drop_released(upto); });
  };
  if (sync_elsewhere_ && !written_files.empty()) sync_elsewhere_(std::move(finish));
  else finish();
  return batch.size();
}

void Outbox::drop_released(std::uint64_t upto) {
  vm::Ref box = vm_.root_slot(vm::root_outbox);
  std::uint32_t n = vm_.array_size(box), keep = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    vm::Ref b = vm_.array_get(box, i);
    EntryHeader h{};
    if (vm_.is_a(b, vm::cid_binary) && vm_.heap().as<vm::BinaryData>(b)->length >= sizeof h)
      std::memcpy(&h, vm_.heap().as<vm::BinaryData>(b)->bytes, sizeof h);
    if (h.seq != 0 && h.seq <= upto) continue;
    if (keep != i) vm_.array_set(box, keep, b);  // in place: no allocation
    ++keep;
  }
  if (keep == n) return;
  // Shrink by removing from the end; the entries kept are in order at the front.
  vm::Ref fresh = vm_.new_array();
  for (std::uint32_t i = 0; i < keep; ++i) vm_.array_push(fresh, vm_.array_get(box, i));
  vm_.set_root_slot(vm::root_outbox, fresh);
}

void Outbox::mirror_add(Entry entry) {
  if (entry.kind == entry_file) {
    PendingFile& f = pending_files_[entry.name];
    ++f.entries;
    f.end = std::max<std::uint64_t>(f.end, entry.offset + entry.data.size());
  }
  std::uint64_t seq = entry.seq;
  mirror_[seq] = std::move(entry);
}

void Outbox::mirror_remove(std::uint64_t seq) {
  auto it = mirror_.find(seq);
  if (it == mirror_.end()) return;
  if (it->second.kind == entry_file) {
    // `end` may now overstate what is pending; the released part is in the file, so a size taken as
    // max(file size, end) stays right.
    auto f = pending_files_.find(it->second.name);
    if (f != pending_files_.end() && --f->second.entries == 0) pending_files_.erase(f);
  }
  mirror_.erase(it);
  ++forgotten_;
}

bool Outbox::has_pending_file(std::string_view name) {
  std::lock_guard lock(mutex_);
  return pending_files_.find(name) != pending_files_.end();
}

Result<std::size_t> Outbox::read_visible(std::string_view name, host::File& file, std::uint64_t offset, std::span<char> out) {
  for (;;) {
    std::uint64_t forgotten;
    {
      std::lock_guard lock(mutex_);
      forgotten = forgotten_;
    }
    PHANTOM_ASSIGN(std::size_t valid, file.read_at(offset, out));
    std::lock_guard lock(mutex_);
    if (forgotten_ != forgotten) continue;  // a release forgot entries meanwhile: they may be in neither
    overlay(name, offset, out, valid);
    return valid;
  }
}

void Outbox::overlay(std::string_view name, std::uint64_t offset, std::span<char> out, std::size_t& valid) {
  if (pending_files_.find(name) == pending_files_.end()) return;
  for (const auto& [seq, e] : mirror_) {
    if (e.kind != entry_file || e.name != name) continue;
    std::uint64_t e_end = e.offset + e.data.size();
    std::uint64_t lo = std::max(offset, e.offset), hi = std::min<std::uint64_t>(offset + out.size(), e_end);
    if (lo >= hi) continue;
    std::memcpy(out.data() + (lo - offset), e.data.data() + (lo - e.offset), hi - lo);
    valid = std::max<std::size_t>(valid, hi - offset);
  }
}

std::uint64_t Outbox::pending_end(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto f = pending_files_.find(name);
  return f == pending_files_.end() ? 0 : f->second.end;
}

Result<std::uint64_t> Outbox::visible_size(std::string_view name, host::File& file) {
  // Pending first: release() writes an entry to the file before it forgets it, so an entry missed
  // here has already reached the file whose size is read next.
  std::uint64_t pending = pending_end(name);
  PHANTOM_ASSIGN(std::uint64_t size, file.size());
  return std::max(size, pending);
}

OutboxFigures Outbox::figures() {
  std::lock_guard lock(mutex_);
  return figures_;
}

}  // namespace phantom::connections

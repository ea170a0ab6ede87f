// fio: files of the world's sandbox directory (connections layer, subsystems.md §3.3). The name after
// "fio:" is relative to the sandbox (HubConfig::files_directory); host/files.h refuses names that would
// leave it. The offset and the mode are persistent state: after a restore the file is open again at
// the offset the program had at the snapshot (the original re-opened at 0). A file that cannot be
// opened again after a restore (deleted or moved while the world was down) is not re-created: every
// operation then answers an error that names the restart (design.md rule 6).
//
// Writes of a committed connection (the default) go to the outbox (outbox.h) and reach the file when
// the snapshot that holds them has committed; reads see them before that. Immediate connections write
// at once.
#include <algorithm>

#include "connections/backends.h"
#include "connections/hub.h"

namespace phantom::connections {
namespace {

struct FileState {  // in the connection's state binary
  std::int64_t offset;
  std::uint32_t mode;  // mode_committed or mode_immediate
  std::uint32_t reserved;
};
enum FileMode : std::uint32_t { mode_committed = 0, mode_immediate = 1 };

struct FileLink final : LinkState {
  std::unique_ptr<host::File> file;
  std::string path;
  std::string gone;  // why the file is no longer usable (deleted), or empty
};

enum FileOp {
  op_read = 0, op_write = 1, op_seek = 2, op_size = 3, op_tell = 4, op_list = 5, op_rename = 6,
  op_delete = 7, op_mode = 8, op_sync = 9, op_bind = 16,
};
constexpr std::int32_t max_read = 16 << 20;

class FileBackend final : public Backend {
 public:
  std::string_view prefix() const override { return "fio:"; }
  std::uint32_t state_size() const override { return sizeof(FileState); }

  OpenResult open(Hub& hub, ConnectionView conn, Link& link, std::string_view suffix, bool restart) override {
    auto fl = std::make_unique<FileLink>();
    fl->path = std::string(suffix);
    if (!hub.files()) return {p_ENOSYS, "this world has no file directory"};
    if (!conn.state<FileState>()) return {p_EINVAL, "the connection's state is damaged"};
    auto opened = hub.files()->open(suffix, restart ? host::FileOpen::read_write_existing : host::FileOpen::read_write_create);
    if (!opened.ok()) {
      // After a restart a missing file is not made again empty: the program would read stale offsets.
      bool pending = restart && hub.outbox().has_pending_file(suffix);
      if (!pending || opened.error().code != Errc::not_found)
        return {phantom_errno(opened.error().code), opened.error().message};
      opened = hub.files()->open(suffix, host::FileOpen::read_write_create);  // its first writes are owed
      if (!opened.ok()) return {phantom_errno(opened.error().code), opened.error().message};
    }
    fl->file = std::move(opened).value();
    link.state = std::move(fl);
    return {};
  }

  vm::NativeOutcome block(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op) override {
    vm::Vm& vm = hub.vm();
    auto* fl = static_cast<FileLink*>(link.state.get());
    FileState* st = conn.state<FileState>();
    auto fail = [&](int err, std::string message) {
      hub.set_error(conn, fmt::format("fio:{}: {}", fl->path, message));
      return call.ret(vm.new_int(-err));
    };
    auto failed = [&](const Error& e) { return fail(phantom_errno(e.code), e.message); };
    if (!fl->gone.empty() && op != op_list) return fail(p_ENOENT, fl->gone);
    switch (op) {
      case op_read: {
        if (!vm.is_int(arg) || vm.int_of(arg) < 0) return fail(p_EINVAL, "read: the argument is the byte count, an int >= 0");
        std::int32_t want = std::min(vm.int_of(arg), max_read);
        std::string buffer(static_cast<std::size_t>(want), '\0');
        auto n = hub.outbox().read_visible(fl->path, *fl->file, static_cast<std::uint64_t>(st->offset), buffer);
        if (!n.ok()) return failed(n.error());
        std::size_t valid = *n;
        vm::Ref out = vm.new_string(std::string_view(buffer).substr(0, valid));  // may throw: offset unchanged
        st = conn.state<FileState>();
        st->offset += static_cast<std::int64_t>(valid);
        hub.statistics().add(stat_file_reads, valid);
        return call.ret(out);
      }
      case op_write: {
        if (!vm.is_a(arg, vm::cid_string)) return fail(p_EINVAL, "write: the argument must be a string");
        std::string data(vm.string_of(arg));
        if (st->mode == mode_immediate) {
          if (auto w = fl->file->write_at(static_cast<std::uint64_t>(st->offset), data); !w.ok()) return failed(w.error());
        } else {
          hub.outbox().append_file(fl->path, static_cast<std::uint64_t>(st->offset), data);  // may throw: nothing done
        }
        vm::Ref count = vm.new_int(static_cast<std::int32_t>(data.size()));
        st = conn.state<FileState>();
        st->offset += static_cast<std::int64_t>(data.size());
        hub.statistics().add(stat_file_writes, data.size());
        return call.ret(count);
      }
      case op_seek: {
        std::int64_t to;
        if (vm.is_int(arg)) to = vm.int_of(arg);
        else if (vm.is_a(arg, vm::cid_long)) std::memcpy(&to, vm.heap().data(arg), 8);
        else return fail(p_EINVAL, "seek: the argument is the position, an int or a long");
        if (to < 0) return fail(p_EINVAL, fmt::format("seek: position {} is negative", to));
        st->offset = to;
        return call.ret(number(vm, to));
      }
      case op_size: {
        auto size = hub.outbox().visible_size(fl->path, *fl->file);
        if (!size.ok()) return failed(size.error());
        return call.ret(number(vm, static_cast<std::int64_t>(*size)));
      }
      case op_tell: return call.ret(number(vm, st->offset));
      case op_list: {
        std::string dir;
        if (vm.is_a(arg, vm::cid_string)) dir = std::string(vm.string_of(arg));
        else if (!vm.is_null(arg)) return fail(p_EINVAL, "list: the argument is a directory name (a string) or null");
        auto entries = hub.files()->list(dir);
        if (!entries.ok()) return failed(entries.error());
        vm::Ref out = vm.new_array();
        for (const auto& e : *entries) vm.array_push(out, vm.new_string(e.is_directory ? e.name + "/" : e.name));
        return call.ret(out);
      }
      case op_rename: {
        if (!vm.is_a(arg, vm::cid_string)) return fail(p_EINVAL, "rename: the argument is the new name, a string");
        std::string to(vm.string_of(arg));
        if (auto problem = host::sandbox_name_problem(to); !problem.empty()) return fail(p_EACCES, "rename: " + problem);
        // Writes still waiting for their commit go to the old name: the rename waits for them.
        if (hub.outbox().has_pending_file(fl->path) || hub.outbox().has_pending_file(to)) return hub.park(call);
        if (auto r = hub.files()->rename(fl->path, to); !r.ok()) return failed(r.error());
        vm::Ref name = vm.new_string("fio:" + to);
        conn.set_slot(slot_name, name);
        fl->path = to;
        return call.ret(vm.new_int(0));
      }
      case op_delete: {
        if (hub.outbox().has_pending_file(fl->path)) return hub.park(call);
        if (auto r = hub.files()->remove(fl->path); !r.ok()) return failed(r.error());
        fl->gone = "the file was deleted through this connection";
        return call.ret(vm.new_int(0));
      }
      case op_mode: {
        if (!vm.is_int(arg) || (vm.int_of(arg) != 0 && vm.int_of(arg) != 1))
          return fail(p_EINVAL, "mode: 0 is committed (written when durable), 1 is immediate");
        std::uint32_t before = st->mode;
        st->mode = static_cast<std::uint32_t>(vm.int_of(arg));
        return call.ret(vm.new_int(static_cast<std::int32_t>(before)));
      }
      case op_sync:  // returns once every write of this file has reached it
        if (hub.outbox().has_pending_file(fl->path)) return hub.park(call);
        return call.ret(vm.new_int(0));
      case op_bind: return fail(p_ENOSYS, "bind is not an operation of files");
      default:
        return fail(p_EINVAL, fmt::format("no operation {} (0 read, 1 write, 2 seek, 3 size, 4 tell, 5 list, 6 rename, "
                                          "7 delete, 8 mode, 9 sync)", op));
    }
  }

 private:
  static vm::Ref number(vm::Vm& vm, std::int64_t v) {
    return v >= INT32_MIN && v <= INT32_MAX ? vm.new_int(static_cast<std::int32_t>(v)) : vm.new_long(v);
  }
};

}  // namespace

std::unique_ptr<Backend> make_file_backend() { return std::make_unique<FileBackend>(); }

}  // namespace phantom::connections

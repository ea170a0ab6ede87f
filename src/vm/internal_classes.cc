// Internal classes: the table (VM layer).
#include "vm/internal_classes.h"

namespace phantom::vm {
namespace {

constexpr std::uint32_t I = flag_internal, CF = flag_childfree, IM = flag_immutable;

const InternalClassInfo table[cid_count] = {
    {".internal.void", 0, 16, I | CF | IM, Kind::bytes, 0},
    {".internal.class", 1, 16, I | flag_class, Kind::klass, sizeof(ClassData)},
    {".internal.interface", 2, 16, flag_interface, Kind::refs, 0},
    {".internal.code", 3, 16, I | flag_code | CF, Kind::code, sizeof(CodeData) + 1},
    {".internal.int", 4, 16, I | flag_int | CF | IM, Kind::bytes, 4},
    {".internal.long", 13, 16, I | CF | IM, Kind::bytes, 8},
    {".internal.string", 5, 21, I | flag_string | CF | IM, Kind::bytes, 4},
    {".internal.container.array", 6, 16, I | flag_decomposeable | flag_resizeable, Kind::array, sizeof(ArrayData)},
    {".internal.container.page", 7, 16, 0, Kind::refs, 0},
    {".internal.thread", 8, 16, I | flag_thread, Kind::thread, sizeof(ThreadData)},
    {".internal.call_frame", 9, 16, I | flag_call_frame, Kind::bytes, 0},
    {".internal.istack", 10, 16, I | flag_stack_frame, Kind::bytes, 0},
    {".internal.ostack", 11, 16, I | flag_stack_frame, Kind::bytes, 0},
    {".internal.estack", 12, 16, I | flag_stack_frame, Kind::bytes, 0},
    {".internal.boot", 16, 25, I | CF, Kind::bytes, 0},
    {".internal.io.tty", 17, 32, I, Kind::refs, 8 * sizeof(Ref)},  // a window (ui/window_object.h)
    {".internal.mutex", 20, 16, I | CF, Kind::mutex, sizeof(MutexData)},
    {".internal.cond", 21, 16, I | CF, Kind::mutex, sizeof(MutexData)},
    {".internal.sema", 32, 16, I | CF, Kind::mutex, sizeof(MutexData)},
    {".internal.binary", 22, 16, I | CF, Kind::bytes, 4},
    {".internal.bitmap", 23, 16, I, Kind::refs, 4 * sizeof(Ref)},  // ui/window_object.h
    {".internal.closure", 25, 16, I, Kind::closure, sizeof(ClosureData)},
    {".internal.world", 24, 16, I | CF, Kind::bytes, 0},
    // Sockets: the connection's eight slots, served by tcp: and udp: (connections/socket_natives.cc).
    {".internal.udp", 26, 26, I | flag_finalizer, Kind::refs, 8 * sizeof(Ref)},
    {".internal.tcp", 27, 25, I | flag_finalizer, Kind::refs, 8 * sizeof(Ref)},
    {".internal.window", 29, 48, I, Kind::refs, 8 * sizeof(Ref)},  // ui/window_object.h; ours from 38
    {".internal.directory", 30, 16, I, Kind::directory, sizeof(DirectoryData)},
    {".internal.connection", 31, 18, I | flag_finalizer, Kind::refs, 8 * sizeof(Ref)},  // connections/connection.h
    {".internal.float", 14, 16, I | CF | IM, Kind::bytes, 4},
    {".internal.double", 15, 16, I | CF | IM, Kind::bytes, 8},
    {".internal.net", 33, 18, I | CF | flag_finalizer, Kind::bytes, 0},
    {".internal.http", 34, 18, I | CF | flag_finalizer, Kind::bytes, 0},
    {".internal.time", 35, 18, I | CF, Kind::bytes, 0},
    {".internal.stat", 36, 22, I | CF, Kind::bytes, 0},
    {".internal.io", 37, 16, I | CF | flag_finalizer, Kind::bytes, 0},
    {".internal.port", 38, 18, I | CF | flag_finalizer, Kind::bytes, 0},
    {".internal.ui.control", 39, 18, I | CF | flag_finalizer, Kind::bytes, 0},
    {".internal.ui.font", 40, 24, I | CF, Kind::bytes, 8},  // ui/font_natives.cc: a typeface and a size
    {".internal.wasm", 41, 20, I, Kind::refs, 8 * sizeof(Ref)},  // wasm/wasm_natives.cc
    {".internal.weakref", 28, 16, I, Kind::weakref, sizeof(WeakrefData)},
};

}  // namespace

const InternalClassInfo& internal_class_info(std::int32_t id) { return table[id]; }

}  // namespace phantom::vm

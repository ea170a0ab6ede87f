// Control client (system layer). May call: util/, host/ (local sockets, the terminal).
#include "system/control_client.h"
#ifndef PHANTOM_LEAN
#include "wasm/wasm_service.h"
#endif

#include <chrono>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "host/local_socket.h"
#include "system/control_input.h"
#include "system/control_server.h"
#include "system/lean.h"

namespace phantom::system {
namespace {

constexpr int reply_timeout_ms = 60'000;  // a snapshot of a large world takes a while to commit

Result<host::LocalStream> connect(const ControlTarget& target) {
  auto stream = host::connect_local(target.socket);
  if (stream.ok()) return stream;
  Error error = stream.take_error();
  if (error.code == Errc::not_found || error.code == Errc::busy)
    return make_error(error.code, "{}: the world is not running, or not with this control socket ({})", target.world, error.message);
  return make_error(error.code, "{}: {}", target.world, error.message);
}

// Sends `request` and reads the one-line reply; a refusal becomes an error carrying the server's words.
Result<nlohmann::json> exchange(host::LocalStream& stream, const ControlTarget& target, const nlohmann::json& request) {
  if (auto sent = stream.write_all(request.dump() + "\n", 5'000); !sent.ok())
    return make_error(Errc::io, "{}: cannot send the request: {}", target.world, sent.error().message);
  auto line = stream.read_line(reply_timeout_ms);
  if (!line.ok()) return make_error(Errc::io, "{}: {}", target.world, line.error().message);
  if (!line->has_value()) return make_error(Errc::io, "{}: the world closed the control connection without an answer", target.world);
  nlohmann::json reply = nlohmann::json::parse(**line, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) return make_error(Errc::io, "{}: unreadable answer: {}", target.world, **line);
  if (!reply.value("ok", false)) return make_error(Errc::failed_state, "{}: {}", target.world, reply.value("error", std::string("refused")));
  return reply;
}

Result<nlohmann::json> request_once(const ControlTarget& target, const nlohmann::json& request) {
  PHANTOM_ASSIGN(host::LocalStream stream, connect(target));
  return exchange(stream, target, request);
}

}  // namespace

std::string default_control_path(const std::string& world) { return world + ".sock"; }

Result<std::string> start_in_running_world(const ControlTarget& target, const std::string& class_name,
                                           const std::vector<std::string>& extra_class_path) {
  // Absolute: the world's process resolves them, and it may run in another directory.
  std::vector<std::string> class_path;
  for (const std::string& entry : extra_class_path) {
    std::error_code ec;
    auto absolute = std::filesystem::absolute(entry, ec);
    class_path.push_back(ec ? entry : absolute.lexically_normal().string());
  }
  PHANTOM_ASSIGN(nlohmann::json reply, request_once(target, {{"verb", "start"}, {"class", class_name}, {"classpath", class_path}}));
  return reply.value("thread", std::string("a new thread")) + " (" + class_name + ")";
}

#ifdef PHANTOM_LEAN
Result<std::string> start_wasm_in_running_world(const ControlTarget&, const wasm::WasmCommand&) {
  return make_error(Errc::unsupported, "{}", lean_no_wasm);
}
#else
Result<std::string> start_wasm_in_running_world(const ControlTarget& target, const wasm::WasmCommand& command) {
  std::string_view bytes(reinterpret_cast<const char*>(command.module.data()), command.module.size());
  nlohmann::json request = {{"verb", "start_wasm"}, {"name", command.name}, {"module_base64", base64_encode(bytes)},
                            {"args", command.args}, {"env", command.env}};
  PHANTOM_ASSIGN(nlohmann::json reply, request_once(target, request));
  return reply.value("thread", std::string("a new thread")) + " (" + command.name + ")";
}
#endif

Result<std::string> resume_thread_in_running_world(const ControlTarget& target, std::uint32_t id) {
  PHANTOM_ASSIGN(nlohmann::json reply, request_once(target, {{"verb", "resume_thread"}, {"thread", id}}));
  return reply.value("thread", std::string("the thread"));
}

Result<std::uint64_t> snapshot_running_world(const ControlTarget& target) {
  PHANTOM_ASSIGN(nlohmann::json reply, request_once(target, {{"verb", "snapshot"}}));
  return reply.value("seq", std::uint64_t{0});
}

Result<std::string> screenshot_running_world(const ControlTarget& target) {
  PHANTOM_ASSIGN(nlohmann::json reply, request_once(target, {{"verb", "screenshot"}}));
  auto png = base64_decode(reply.value("png_base64", std::string()));
  if (!png.ok() || png->empty()) return make_error(Errc::io, "{}: the screenshot reply is damaged", target.world);
  return png;
}

Result<std::size_t> input_to_running_world(const ControlTarget& target, const nlohmann::json& events) {
  PHANTOM_ASSIGN(nlohmann::json reply, request_once(target, {{"verb", "input"}, {"events", events}}));
  return reply.value("events", std::size_t{0});
}

Result<WorldStatus> running_world_status(const ControlTarget& target) {
  PHANTOM_ASSIGN(nlohmann::json reply, request_once(target, {{"verb", "status"}}));
  return status_from_json(reply.value("status", nlohmann::json::object()));
}

Result<StopOutcome> stop_running_world(const ControlTarget& target, int timeout_ms) {
  PHANTOM_ASSIGN(host::LocalStream stream, connect(target));
  PHANTOM_ASSIGN(nlohmann::json reply, exchange(stream, target, {{"verb", "stop"}}));
  StopOutcome outcome;
  outcome.pid = reply.value("pid", std::int64_t{0});
  // The server keeps this connection open until its process exits (control_server.h).
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    int left = timeout_ms - static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count());
    if (left <= 0) return outcome;
    auto bytes = stream.read_some(left);
    if (!bytes.ok() && bytes.error().code == Errc::busy) return outcome;
    if (!bytes.ok() || bytes->empty()) break;
  }
  outcome.exited = true;
  return outcome;
}

Result<host::RelayEnd> attach_to_console(const ControlTarget& target, const std::function<void()>& on_attached) {
  PHANTOM_ASSIGN(host::LocalStream stream, connect(target));
  PHANTOM_ASSIGN(nlohmann::json reply, exchange(stream, target, {{"verb", "attach"}}));
  (void)reply;
  on_attached();
  auto relayed = host::relay_terminal(stream, detach_key);
  if (!relayed.ok()) return make_error(relayed.error().code, "{}: {}", target.world, relayed.error().message);
  return relayed;
}

}  // namespace phantom::system

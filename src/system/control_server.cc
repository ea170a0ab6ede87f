// Control server (system layer). May call: util/, host/ (local sockets, service notification), and the
// running world through RunningWorld (wasm/ only for the WasmCommand that start_wasm hands it).
#include "system/control_server.h"
#include "system/control_input.h"

#include "host/service.h"
#include "system/lean.h"
#ifndef PHANTOM_LEAN
#include "wasm/wasm_service.h"  // WasmCommand, the request of start_wasm
#endif

namespace phantom::system {
namespace {

constexpr int request_timeout_ms = 10'000;  // a client that connects and says nothing is dropped
constexpr int send_timeout_ms = 2'000;      // an attached client that stops reading is detached

nlohmann::json failure(const std::string& message) { return {{"ok", false}, {"error", message}}; }

std::string describe(const host::PeerCredentials& peer) {
  return fmt::format("pid {} (user {})", peer.pid, host::user_name(peer.uid));
}

}  // namespace

nlohmann::json status_to_json(const WorldStatus& s) {
  return {{"world", s.world},
          {"pid", s.pid},
          {"uptime_ms", s.uptime_ms},
          {"boots", s.boots},
          {"threads", s.threads},
          {"heap_used", s.heap_used},
          {"heap_capacity", s.heap_capacity},
          {"live_bytes", s.live_bytes},
          {"last_snapshot_seq", s.last_snapshot_seq},
          {"last_snapshot_wall_ns", s.last_snapshot_wall_ns},
          {"snapshots_this_run", s.snapshots_this_run},
          {"pause_p50_ms", s.pause_p50_ms},
          {"pause_p99_ms", s.pause_p99_ms},
          {"pause_max_ms", s.pause_max_ms},
          {"pending_output_bytes", s.pending_output_bytes},
          {"pending_output_writes", s.pending_output_writes},
          {"connections", s.connections},
          {"display", s.display}};
}

WorldStatus status_from_json(const nlohmann::json& j) {
  WorldStatus s;
  // value() with defaults: a client reads the status of an older or newer server without failing.
  s.world = j.value("world", "");
  s.pid = j.value("pid", std::int64_t{0});
  s.uptime_ms = j.value("uptime_ms", std::uint64_t{0});
  s.boots = j.value("boots", std::uint64_t{0});
  s.threads = j.value("threads", std::uint64_t{0});
  s.heap_used = j.value("heap_used", std::uint64_t{0});
  s.heap_capacity = j.value("heap_capacity", std::uint64_t{0});
  s.live_bytes = j.value("live_bytes", std::uint64_t{0});
  s.last_snapshot_seq = j.value("last_snapshot_seq", std::uint64_t{0});
  s.last_snapshot_wall_ns = j.value("last_snapshot_wall_ns", std::uint64_t{0});
  s.snapshots_this_run = j.value("snapshots_this_run", std::uint64_t{0});
  s.pause_p50_ms = j.value("pause_p50_ms", 0.0);
  s.pause_p99_ms = j.value("pause_p99_ms", 0.0);
  s.pause_max_ms = j.value("pause_max_ms", 0.0);
  s.pending_output_bytes = j.value("pending_output_bytes", std::uint64_t{0});
  s.pending_output_writes = j.value("pending_output_writes", std::uint64_t{0});
  s.connections = j.value("connections", std::uint64_t{0});
  s.display = j.value("display", std::string());
  return s;
}

Result<std::unique_ptr<ControlServer>> ControlServer::start(RunningWorld& world, AttachableConsole* console, const std::string& path) {
  PHANTOM_ASSIGN(host::LocalListener listener, host::LocalListener::listen(path));
  std::unique_ptr<ControlServer> server(new ControlServer(world, console, std::move(listener)));
  server->acceptor_ = std::thread([s = server.get()] { s->accept_loop(); });
  return server;
}

ControlServer::ControlServer(RunningWorld& world, AttachableConsole* console, host::LocalListener listener)
    : world_(world), console_(console), listener_(std::move(listener)), uid_(host::current_uid()) {}

ControlServer::~ControlServer() {
  listener_.close();
  acceptor_.join();
  std::lock_guard lock(connections_mutex_);
  for (auto& c : connections_) c->stream.shut_down();
  for (auto& c : connections_) c->thread.join();
}

void ControlServer::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!(*it)->done) {
      ++it;
      continue;
    }
    (*it)->thread.join();
    it = connections_.erase(it);
  }
}

void ControlServer::accept_loop() {
  for (;;) {
    auto accepted = listener_.accept();
    if (!accepted.ok()) {
      std::fprintf(stderr, "phantom: control socket: %s\n", accepted.error().message.c_str());
      return;
    }
    if (!accepted->has_value()) return;  // closed
    std::lock_guard lock(connections_mutex_);
    reap_finished();
    auto connection = std::make_unique<Connection>();
    connection->stream = std::move(**accepted);
    Connection* c = connection.get();
    connections_.push_back(std::move(connection));
    c->thread = std::thread([this, c] {
      serve(*c);
      c->done = true;
    });
  }
}

void ControlServer::serve(Connection& connection) {
  host::PeerCredentials peer = connection.stream.peer();
  if (peer.uid != uid_) {
    // Refused before reading anything: the socket's mode keeps other users out already, unless the
    // directory or a copy of the path lets them reach it; the check here does not depend on that.
    std::string message = fmt::format("permission denied: user {} (uid {}) may not control this world; it runs as user {} (uid {})",
                                      host::user_name(peer.uid), peer.uid, host::user_name(uid_), uid_);
    std::fprintf(stderr, "phantom: control socket: refused %s: %s\n", describe(peer).c_str(), message.c_str());
    (void)connection.stream.write_all(failure(message).dump() + "\n", send_timeout_ms).ok();
    return;
  }
  auto line = connection.stream.read_line(request_timeout_ms);
  if (!line.ok() || !line->has_value()) return;
  nlohmann::json request = nlohmann::json::parse(**line, nullptr, false);
  if (request.is_discarded() || !request.is_object() || !request.contains("verb") || !request["verb"].is_string()) {
    (void)connection.stream.write_all(failure("a request is one JSON object with a \"verb\" on one line").dump() + "\n", send_timeout_ms).ok();
    return;
  }
  if (request["verb"] == "attach") {
    serve_attach(connection, describe(peer));
    return;
  }
  nlohmann::json reply = answer(request);
  (void)connection.stream.write_all(reply.dump() + "\n", send_timeout_ms).ok();
  if (request["verb"] == "stop" && reply.value("ok", false)) {
    // Closed by the kernel when this process exits: that is the client's sign that the stop is done.
    connection.stream.keep_open_until_exit();
  }
}

nlohmann::json ControlServer::answer(const nlohmann::json& request) {
  const std::string verb = request["verb"];
  try {
    if (verb == "status") return {{"ok", true}, {"status", status_to_json(world_.status())}};
    if (verb == "snapshot") {
      auto seq = world_.snapshot_now();
      if (!seq.ok()) return failure(seq.error().message);
      return {{"ok", true}, {"seq", *seq}};
    }
    if (verb == "start") {
      if (!request.contains("class") || !request["class"].is_string()) return failure("start needs a \"class\" string");
      std::vector<std::string> class_path = request.value("classpath", std::vector<std::string>{});
      auto started = world_.start_class(request["class"], class_path);
      if (!started.ok()) return failure(started.error().message);
      return {{"ok", true}, {"thread", *started}};
    }
    if (verb == "resume_thread") {
      if (!request.contains("thread") || !request["thread"].is_number_unsigned())
        return failure("resume_thread needs a \"thread\" number");
      auto released = world_.resume_thread(request["thread"].get<std::uint32_t>());
      if (!released.ok()) return failure(released.error().message);
      return {{"ok", true}, {"thread", *released}};
    }
    if (verb == "start_wasm") {
#ifdef PHANTOM_LEAN
      return failure(lean_no_wasm);
#else
      if (!request.contains("module_base64") || !request["module_base64"].is_string())
        return failure("start_wasm needs a \"module_base64\" string");
      auto bytes = base64_decode(request["module_base64"].get<std::string>());
      if (!bytes.ok()) return failure("start_wasm: the module is not valid base64");
      wasm::WasmCommand command;
      command.module.assign(bytes->begin(), bytes->end());
      command.name = request.value("name", std::string("module.wasm"));
      command.args = request.value("args", std::vector<std::string>{command.name});
      command.env = request.value("env", std::vector<std::string>{});
      auto started = world_.start_wasm(command);
      if (!started.ok()) return failure(started.error().message);
      return {{"ok", true}, {"thread", *started}};
#endif
    }
    if (verb == "screenshot") {
      auto png = world_.screenshot_png();
      if (!png.ok()) return failure(png.error().message);
      return {{"ok", true}, {"png_base64", base64_encode(*png)}};
    }
    if (verb == "input") {
      if (!request.contains("events") || !request["events"].is_array()) return failure("input needs an \"events\" array");
      auto events = input_events_from_json(request["events"]);
      if (!events.ok()) return failure(events.error().message);
      auto done = world_.inject_input(*events);
      if (!done.ok()) return failure(done.error().message);
      return {{"ok", true}, {"events", events->size()}};
    }
    if (verb == "stop") {
      host::notify_service_manager("STOPPING=1");
      std::fprintf(stderr, "phantom: stop requested through the control socket\n");
      world_.request_stop();
      return {{"ok", true}, {"pid", world_.status().pid}};
    }
  } catch (const nlohmann::json::exception& e) {
    return failure(fmt::format("malformed {} request: {}", verb, e.what()));
  }
  return failure(fmt::format("unknown verb '{}' (known: start, snapshot, stop, status, attach, screenshot, input)", verb));
}

void ControlServer::serve_attach(Connection& connection, const std::string& who) {
  if (!console_) {
    (void)connection.stream.write_all(
        failure("this world's console is its terminal; only a world started with --detach or --foreground can be attached").dump() + "\n",
        send_timeout_ms).ok();
    return;
  }
  host::LocalStream& stream = connection.stream;
  nlohmann::json welcome = {{"ok", true}, {"detach_key", detach_key_name}};
  auto token = console_->attach(
      who, [&stream](std::string_view bytes) { return stream.write_all(bytes, send_timeout_ms).ok(); }, welcome.dump() + "\n");
  if (!token.ok()) {
    (void)stream.write_all(failure(token.error().message).dump() + "\n", send_timeout_ms).ok();
    return;
  }
  std::fprintf(stderr, "phantom: console attached by %s\n", who.c_str());
  for (;;) {
    auto bytes = stream.read_some(-1);
    if (!bytes.ok() || bytes->empty()) break;
    console_->input(*bytes);
  }
  console_->detach(*token);
  std::fprintf(stderr, "phantom: console detached by %s\n", who.c_str());
}

}  // namespace phantom::system

// The module loader (plugin_loader.h), and start_http_client (host/http_client.h): the front of the
// libcurl module, which answers every request with the load error when the module is missing.
// May call: Linux (dlopen, /proc/self/exe, the environment).
#include "host/linux/plugin_loader.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "host/http_client.h"

#ifndef PHANTOM_PLUGIN_BUILD_DIR
#define PHANTOM_PLUGIN_BUILD_DIR ""
#endif

namespace phantom::host {
namespace {

std::string executable_directory() {
  std::error_code error;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return {};
  // A binary replaced while it runs reads "/dir/phantom (deleted)"; its directory is still the one.
  return exe.parent_path().string();
}

}  // namespace

std::vector<std::string> plugin_directories() {
  std::vector<std::string> directories;
  auto add = [&](std::string directory) {
    while (directory.size() > 1 && directory.back() == '/') directory.pop_back();
    if (!directory.empty() && std::find(directories.begin(), directories.end(), directory) == directories.end())
      directories.push_back(std::move(directory));
  };
  add(executable_directory());
  if (const char* variable = std::getenv("PHANTOM_PLUGIN_DIR")) add(variable);
  add(PHANTOM_PLUGIN_BUILD_DIR);
  return directories;
}

Result<void*> load_plugin_symbol(const std::string& file, const char* symbol, const std::vector<std::string>& directories) {
  std::string searched;
  for (const std::string& directory : directories) {
    if (!searched.empty()) searched += ", ";
    searched += directory;
    std::string path = directory + "/" + file;
    if (::access(path.c_str(), F_OK) != 0) continue;
    // The first one found is the one: a broken module is reported, not skipped for another that may be
    // from a different build.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = ::dlerror();
      return make_error(Errc::unsupported, "cannot load {} (searched {}): {}", file, searched, why ? why : "dlopen failed");
    }
    ::dlerror();  // clear, so that a null symbol is told from an error
    void* address = ::dlsym(handle, symbol);
    if (const char* why = ::dlerror())
      return make_error(Errc::unsupported, "cannot load {} (searched {}): {} (a module from another build?)", file, searched, why);
    if (!address)
      return make_error(Errc::unsupported, "cannot load {} (searched {}): {} is null in {}", file, searched, symbol, path);
    return address;  // never dlclose: what the module made may live until exit
  }
  if (searched.empty()) searched = "nowhere: no directory is known";
  return make_error(Errc::not_found, "cannot load {} (searched {}): no such file in any of them", file, searched);
}

Result<void*> load_plugin_symbol(const std::string& file, const char* symbol) {
  return load_plugin_symbol(file, symbol, plugin_directories());
}

namespace {

// Stands in for the libcurl client when its module cannot be loaded: every request fails with the reason,
// on a thread of its own (HttpClient promises `done` never runs inside start()).
class UnavailableHttpClient final : public HttpClient {
 public:
  explicit UnavailableHttpClient(std::string why) : why_(std::move(why)), thread_([this] { run(); }) {}

  ~UnavailableHttpClient() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  RequestId start(HttpRequest request, Done done) override {
    std::lock_guard lock(mutex_);
    RequestId id = next_id_++;
    queue_.push_back(Pending{id, std::move(request.url), std::move(done)});
    wake_.notify_one();
    return id;
  }

  void cancel(RequestId id) override {
    std::lock_guard done_lock(done_mutex_);  // waits for a running `done`
    std::lock_guard lock(mutex_);
    auto it = std::find_if(queue_.begin(), queue_.end(), [id](const Pending& p) { return p.id == id; });
    if (it != queue_.end()) queue_.erase(it);
  }

 private:
  struct Pending {
    RequestId id;
    std::string url;
    Done done;
  };

  void run() {
    for (;;) {
      std::unique_lock done_lock(done_mutex_, std::defer_lock);
      Pending p;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        lock.unlock();
        done_lock.lock();  // cancel() takes done_mutex_ first, then mutex_: the same order here
        lock.lock();
        if (queue_.empty()) continue;  // cancelled meanwhile
        p = std::move(queue_.front());
        queue_.pop_front();
      }
      HttpResult r;
      r.error = HttpErrc::failed;
      r.message = fmt::format("{}: no HTTP client: {}", p.url, why_);
      if (p.done) p.done(std::move(r));
    }
  }

  const std::string why_;
  std::mutex done_mutex_;  // held while `done` runs, so cancel() waits for a running one
  std::mutex mutex_;       // queue_, stop_, next_id_
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  RequestId next_id_ = 1;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest is built
};

}  // namespace

std::unique_ptr<HttpClient> unavailable_http_client(std::string why) {
  return std::make_unique<UnavailableHttpClient>(std::move(why));
}

std::unique_ptr<HttpClient> start_http_client() {
  auto factory = load_plugin_symbol("phantom-http-curl.so", "phantom_http_curl_start_v1");
  if (!factory.ok()) return unavailable_http_client(factory.error().message);
  auto start = reinterpret_cast<decltype(&phantom_http_curl_start_v1)>(*factory);
  return std::unique_ptr<HttpClient>(start());
}

}  // namespace phantom::host

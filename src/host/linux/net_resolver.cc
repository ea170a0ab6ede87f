// Name resolution off the executor (host layer, Linux): one host thread that calls getaddrinfo
// (through resolve(), net_socket.cc) for queued names, one at a time. See host/net.h.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "host/net.h"

namespace phantom::host {
namespace {

class ThreadResolver final : public Resolver {
 public:
  ThreadResolver() : thread_([this] { loop(); }) {}
  ~ThreadResolver() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      queue_.clear();
    }
    cv_.notify_one();
    thread_.join();
  }
  void resolve(std::string host, std::uint16_t port, Done done) override {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back({std::move(host), port, std::move(done)});
    }
    cv_.notify_one();
  }

 private:
  struct Job {
    std::string host;
    std::uint16_t port;
    Done done;
  };
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      Job job = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      job.done(host::resolve(job.host, job.port));
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the rest is built
};

}  // namespace

std::unique_ptr<Resolver> start_resolver() { return std::make_unique<ThreadResolver>(); }

}  // namespace phantom::host

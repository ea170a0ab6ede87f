// EventLoop on Linux (host layer, Linux): epoll over an eventfd (wake-ups and posted work), one
// timerfd on CLOCK_REALTIME armed at the earliest timer (absolute, so a changed wall clock is
// followed), and the descriptors that callers watch.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "host/event_loop.h"

namespace phantom::host {
namespace {

class EpollEventLoop final : public EventLoop {
 public:
  EpollEventLoop() {
    epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    timer_ = ::timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
    add_fd(wake_, EPOLLIN);
    add_fd(timer_, EPOLLIN);
    thread_ = std::thread([this] { loop(); });
  }
  ~EpollEventLoop() override {
    stopping_ = true;
    wake();
    thread_.join();
    ::close(epoll_);
    ::close(wake_);
    ::close(timer_);
  }

  TimerId add_timer(std::int64_t wall_ns, std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    TimerId id = ++next_id_;
    timers_.emplace(std::make_pair(wall_ns, id), std::move(fn));
    if (timers_.begin()->first.second == id) arm_locked();
    return id;
  }
  bool cancel_timer(TimerId id) override {
    std::lock_guard lock(mutex_);
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->first.second == id) {
        timers_.erase(it);
        return true;
      }
    return false;
  }
  // One wake-up per batch: the loop reads the eventfd before it takes posted_, so work posted to a
  // non-empty list is taken with the work already there (an HTTP server posts one answer per request).
  void post(std::function<void()> fn) override {
    bool was_empty;
    {
      std::lock_guard lock(mutex_);
      was_empty = posted_.empty();
      posted_.push_back(std::move(fn));
    }
    if (was_empty) wake();
  }
  bool watch(int fd, std::uint32_t events, std::function<void(std::uint32_t)> fn) override {
    {
      std::lock_guard lock(mutex_);
      watchers_[fd] = std::make_shared<std::function<void(std::uint32_t)>>(std::move(fn));
    }
    return add_fd(fd, events);
  }
  void unwatch(int fd) override {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    std::lock_guard lock(mutex_);
    watchers_.erase(fd);
  }

 private:
  bool add_fd(int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    return ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) == 0;
  }
  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
  }
  void arm_locked() {
    itimerspec spec{};
    if (!timers_.empty()) {
      std::int64_t at = std::max<std::int64_t>(timers_.begin()->first.first, 1);
      spec.it_value.tv_sec = at / 1'000'000'000;
      spec.it_value.tv_nsec = at % 1'000'000'000;
    }
    ::timerfd_settime(timer_, TFD_TIMER_ABSTIME, &spec, nullptr);
  }
  // Re-arms the timerfd only when it fired or a timer ran: a syscall per loop turn otherwise.
  void fire_due(bool timer_fired) {
    std::vector<std::function<void()>> due;
    {
      std::lock_guard lock(mutex_);
      if (timers_.empty() && !timer_fired) return;
      timespec ts{};
      ::clock_gettime(CLOCK_REALTIME, &ts);
      std::int64_t now = std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
      while (!timers_.empty() && timers_.begin()->first.first <= now) {
        due.push_back(std::move(timers_.begin()->second));
        timers_.erase(timers_.begin());
      }
      if (timer_fired || !due.empty()) arm_locked();
    }
    for (auto& fn : due) fn();
  }
  void loop() {
    epoll_event events[16];
    while (!stopping_) {
      int n = ::epoll_wait(epoll_, events, 16, -1);
      bool timer_fired = false;
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == wake_) {
          std::uint64_t v;
          [[maybe_unused]] auto r = ::read(wake_, &v, sizeof v);
          std::vector<std::function<void()>> work;
          {
            std::lock_guard lock(mutex_);
            work.swap(posted_);
          }
          for (auto& fn : work) fn();
        } else if (fd == timer_) {
          std::uint64_t v;
          [[maybe_unused]] auto r = ::read(timer_, &v, sizeof v);
          timer_fired = true;
        } else {
          std::shared_ptr<std::function<void(std::uint32_t)>> fn;
          {
            std::lock_guard lock(mutex_);
            auto it = watchers_.find(fd);
            if (it != watchers_.end()) fn = it->second;
          }
          if (fn) (*fn)(events[i].events);
        }
      }
      fire_due(timer_fired);  // also catches a timer due while the loop was busy with other events
    }
  }

  int epoll_ = -1, wake_ = -1, timer_ = -1;
  std::mutex mutex_;
  std::map<std::pair<std::int64_t, TimerId>, std::function<void()>> timers_;
  std::vector<std::function<void()>> posted_;
  std::unordered_map<int, std::shared_ptr<std::function<void(std::uint32_t)>>> watchers_;
  TimerId next_id_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<EventLoop> start_event_loop() { return std::make_unique<EpollEventLoop>(); }

}  // namespace phantom::host

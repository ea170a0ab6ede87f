// EventLoop: one host thread that waits for everything outside the world (host layer interface):
// wall-clock timers now, sockets and other descriptors next. Callbacks run on the loop's thread, one
// at a time; they must be short and must not touch the arena (they hand work to the VM executor,
// see Vm::post). Every member is safe to call from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

namespace phantom::host {

class EventLoop {
 public:
  using TimerId = std::uint64_t;
  virtual ~EventLoop() = default;
  // Calls `fn` once at `wall_ns` (nanoseconds since the Unix epoch; at once if that has passed).
  // Wall time, not monotonic: a timer armed by a world keeps its wall-clock instant across restarts.
  virtual TimerId add_timer(std::int64_t wall_ns, std::function<void()> fn) = 0;
  // Returns whether the timer was still pending (it will not fire now).
  virtual bool cancel_timer(TimerId id) = 0;
  // Runs `fn` on the loop's thread soon.
  virtual void post(std::function<void()> fn) = 0;
  // Calls `fn(events)` whenever `fd` is ready (EPOLLIN/EPOLLOUT bits), until unwatch(fd).
  virtual bool watch(int fd, std::uint32_t events, std::function<void(std::uint32_t)> fn) = 0;
  virtual void unwatch(int fd) = 0;
};

// Starts the loop's thread; it stops when the loop is destroyed (pending timers are dropped).
std::unique_ptr<EventLoop> start_event_loop();

}  // namespace phantom::host

// MprotectPageTracker: PROT_READ + SIGSEGV write tracking (host layer, Linux).
// Ordering that makes it race-free: the handler unprotects a unit *before* it sets the unit's bit, and
// collect() clears bits *before* it protects the units again. A write racing with collect() then either
// faults again after the re-protect (next report) or lands before it, in a unit this report names and
// whose contents the caller reads only after collect() returns.
#include "host/linux/mprotect_page_tracker.h"

#include <signal.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace phantom::host::linux_impl {
namespace {

// The signal handler needs to find the trackers without a context argument: the only mutable global in
// Phantom, and it lives here in the host layer. Slots are claimed under a mutex and read lock-free.
constexpr int max_trackers = 8;
std::atomic<MprotectPageTracker*> trackers[max_trackers];
std::mutex install_mutex;
struct sigaction previous_action;
bool handler_installed = false;

void on_segv(int signo, siginfo_t* info, void* context) {
  auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  for (auto& slot : trackers) {
    MprotectPageTracker* tracker = slot.load(std::memory_order_acquire);
    if (tracker && tracker->on_write_fault(address)) return;
  }
  // Not ours: behave as if we were never installed.
  if (previous_action.sa_flags & SA_SIGINFO) {
    previous_action.sa_sigaction(signo, info, context);
    return;
  }
  if (previous_action.sa_handler == SIG_IGN) return;
  if (previous_action.sa_handler != SIG_DFL) {
    previous_action.sa_handler(signo);
    return;
  }
  ::signal(SIGSEGV, SIG_DFL);  // returning re-executes the access, which now kills the process normally
}

}  // namespace

MprotectPageTracker::MprotectPageTracker(Arena& arena)
    : arena_(arena),
      units_((arena.pages() + unit_pages - 1) / unit_pages),
      written_(new std::atomic<std::uint64_t>[(units_ + 63) / 64]) {
  for (std::uint64_t i = 0; i < (units_ + 63) / 64; ++i) written_[i].store(0, std::memory_order_relaxed);
}

Result<std::unique_ptr<MprotectPageTracker>> MprotectPageTracker::start(Arena& arena) {
  std::unique_ptr<MprotectPageTracker> tracker(new MprotectPageTracker(arena));
  {
    std::lock_guard lock(install_mutex);
    if (!handler_installed) {
      struct sigaction action {};
      action.sa_sigaction = on_segv;
      action.sa_flags = SA_SIGINFO | SA_NODEFER;
      sigemptyset(&action.sa_mask);
      if (::sigaction(SIGSEGV, &action, &previous_action) != 0)
        return make_error(Errc::unsupported, "cannot install the SIGSEGV handler: {}", std::strerror(errno));
      handler_installed = true;
    }
    bool placed = false;
    for (auto& slot : trackers) {
      if (slot.load() == nullptr) {
        slot.store(tracker.get(), std::memory_order_release);
        placed = true;
        break;
      }
    }
    if (!placed) return make_error(Errc::busy, "more than {} arenas tracked with mprotect", max_trackers);
  }
  if (::mprotect(arena.base(), arena.size(), PROT_READ) != 0) {
    int err = errno;
    return make_error(Errc::io, "cannot write-protect the arena: {}", std::strerror(err));
  }
  return tracker;
}

MprotectPageTracker::~MprotectPageTracker() {
  ::mprotect(arena_.base(), arena_.size(), PROT_READ | PROT_WRITE);
  std::lock_guard lock(install_mutex);
  for (auto& slot : trackers)
    if (slot.load() == this) slot.store(nullptr, std::memory_order_release);
}

bool MprotectPageTracker::on_write_fault(std::uintptr_t address) {
  auto base = reinterpret_cast<std::uintptr_t>(arena_.base());
  if (address < base || address >= base + arena_.size()) return false;
  std::uint64_t unit = (address - base) / (unit_pages * page_size);
  std::uint64_t unit_bytes = std::min<std::uint64_t>(unit_pages * page_size, arena_.size() - unit * unit_pages * page_size);
  if (::mprotect(arena_.base() + unit * unit_pages * page_size, unit_bytes, PROT_READ | PROT_WRITE) != 0)
    return false;  // out of VMAs or similar: let the fault kill the process rather than lose a write
  written_[unit / 64].fetch_or(1ull << (unit % 64), std::memory_order_release);
  return true;
}

Status MprotectPageTracker::collect(std::vector<PageRun>& out) {
  const std::uint64_t pages = arena_.pages();
  std::uint64_t run_first = 0, run_units = 0;
  auto protect_run = [&]() -> Status {
    if (run_units == 0) return ok_status();
    std::uint64_t first_page = run_first * unit_pages;
    std::uint64_t count = std::min(run_units * unit_pages, pages - first_page);
    if (::mprotect(arena_.page(first_page), count * page_size, PROT_READ) != 0)
      return make_error(Errc::io, "cannot write-protect arena pages {}..{}: {}", first_page, first_page + count,
                        std::strerror(errno));
    if (!out.empty() && out.back().first + out.back().count == first_page)
      out.back().count += count;
    else
      out.push_back({first_page, count});
    run_units = 0;
    return ok_status();
  };
  for (std::uint64_t word = 0; word < (units_ + 63) / 64; ++word) {
    std::uint64_t bits = written_[word].exchange(0, std::memory_order_acq_rel);
    for (std::uint64_t bit = 0; bit < 64; ++bit) {
      std::uint64_t unit = word * 64 + bit;
      if (bits & (1ull << bit)) {
        if (run_units == 0) run_first = unit;
        ++run_units;
      } else if (run_units > 0) {
        PHANTOM_TRY(protect_run());
      }
    }
  }
  PHANTOM_TRY(protect_run());
  return ok_status();
}

}  // namespace phantom::host::linux_impl

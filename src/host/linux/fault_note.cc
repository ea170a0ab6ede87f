// Fault note on Linux: sigaction handlers for the fatal signals and one pwrite (host layer, Linux).
// Layout of the note (512 bytes, little-endian):
//   0  8 magic "PHRUNNT1"     8  8 boot          16  8 resumed snapshot   24  8 start, wall ns
//  32  8 pid                 40  2 fault kind    42  2 text length        44  4 signal
//  48  4 VM thread id        52  4 reserved, 0   56  8 fault time, wall ns 64 .. text
#include "host/fault_note.h"

#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "util/bytes.h"

namespace phantom::host {
namespace {

constexpr std::size_t note_bytes = 512;
constexpr std::size_t text_offset = 64;
constexpr std::size_t max_text = 300;
constexpr char magic[8] = {'P', 'H', 'R', 'U', 'N', 'N', 'T', '1'};
constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};

// Prepared by begin_fault_note(), read by the handlers: only lock-free atomics and a buffer that is
// complete before note_fd is published.
std::array<std::byte, note_bytes> prepared{};
std::atomic<int> note_fd{-1};
std::atomic<const std::atomic<std::uint32_t>*> running_thread{nullptr};
std::atomic<bool> fault_taken{false};
std::string note_path;

std::uint64_t wall_now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);  // async-signal-safe
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint32_t current_thread_id() {
  const std::atomic<std::uint32_t>* id = running_thread.load();
  return id ? id->load(std::memory_order_relaxed) : 0;
}

// Writes the prepared note with a fault filled in; only the first fault of a run is written.
void write_fault(FaultKind kind, std::int32_t signo, std::uint32_t thread, const char* text, std::size_t length) {
  int fd = note_fd.load();
  if (fd < 0 || fault_taken.exchange(true)) return;
  std::array<std::byte, note_bytes> note = prepared;
  length = std::min(length, max_text);
  put_u16(note.data() + 40, static_cast<std::uint16_t>(kind));
  put_u16(note.data() + 42, static_cast<std::uint16_t>(length));
  put_u32(note.data() + 44, static_cast<std::uint32_t>(signo));
  put_u32(note.data() + 48, thread);
  put_u64(note.data() + 56, wall_now_ns());
  if (length) std::memcpy(note.data() + text_offset, text, length);
  ssize_t written = ::pwrite(fd, note.data(), note.size(), 0);
  (void)written;  // nothing to do about it in a dying process
}

void on_fatal_signal(int signo, siginfo_t*, void*) {
  int saved = errno;
  write_fault(FaultKind::signal, signo, current_thread_id(), nullptr, 0);
  // Let the signal end the process as it would have: the default action, raised again. It is blocked
  // while this handler runs, so it arrives as the handler returns (a hardware fault would also recur).
  ::signal(signo, SIG_DFL);
  ::raise(signo);
  errno = saved;
}

}  // namespace

void install_fault_handlers() {
  static bool installed = false;
  if (installed) return;
  installed = true;
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int signo : fatal_signals) ::sigaction(signo, &action, nullptr);
}

Status begin_fault_note(const std::string& path, const FaultNote& run) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_error(Errc::io, "{}: cannot create the fault note: {}", path, std::strerror(errno));
  std::array<std::byte, note_bytes> note{};
  std::memcpy(note.data(), magic, sizeof magic);
  put_u64(note.data() + 8, run.boot);
  put_u64(note.data() + 16, run.resumed_seq);
  put_u64(note.data() + 24, run.started_ns);
  put_u64(note.data() + 32, static_cast<std::uint64_t>(run.pid));
  if (::pwrite(fd, note.data(), note.size(), 0) != static_cast<ssize_t>(note.size())) {
    int error = errno;
    ::close(fd);
    return make_error(Errc::io, "{}: cannot write the fault note: {}", path, std::strerror(error));
  }
  prepared = note;
  note_path = path;
  fault_taken = false;
  int old = note_fd.exchange(fd);
  if (old >= 0) ::close(old);
  return ok_status();
}

void watch_running_thread(const std::atomic<std::uint32_t>* id) { running_thread = id; }

void record_fatal_fault(FaultKind kind, std::uint32_t thread_id, std::string_view text) {
  write_fault(kind, 0, thread_id ? thread_id : current_thread_id(), text.data(), text.size());
}

void end_fault_note() {
  int fd = note_fd.exchange(-1);
  if (fd < 0) return;
  ::close(fd);
  ::unlink(note_path.c_str());
}

Result<std::optional<FaultNote>> read_fault_note(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<FaultNote>{};
    return make_error(Errc::io, "{}: cannot read the fault note: {}", path, std::strerror(errno));
  }
  std::array<std::byte, note_bytes> note{};
  ssize_t got = ::pread(fd, note.data(), note.size(), 0);
  ::close(fd);
  if (got != static_cast<ssize_t>(note.size()) || std::memcmp(note.data(), magic, sizeof magic) != 0)
    return make_error(Errc::corrupt, "{}: not a fault note of this build ({} bytes)", path, got < 0 ? 0 : got);
  FaultNote out;
  out.boot = get_u64(note.data() + 8);
  out.resumed_seq = get_u64(note.data() + 16);
  out.started_ns = get_u64(note.data() + 24);
  out.pid = static_cast<std::int64_t>(get_u64(note.data() + 32));
  std::uint16_t kind = get_u16(note.data() + 40);
  if (kind > static_cast<std::uint16_t>(FaultKind::store_damage))
    return make_error(Errc::corrupt, "{}: unknown fault kind {}", path, kind);
  out.fault = static_cast<FaultKind>(kind);
  std::size_t length = std::min<std::size_t>(get_u16(note.data() + 42), max_text);
  out.signal = static_cast<std::int32_t>(get_u32(note.data() + 44));
  out.thread_id = get_u32(note.data() + 48);
  out.fault_ns = get_u64(note.data() + 56);
  out.text.assign(reinterpret_cast<const char*>(note.data() + text_offset), length);
  return std::optional<FaultNote>{std::move(out)};
}

}  // namespace phantom::host

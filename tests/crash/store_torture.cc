// store_torture: the child process of the kill test (tests/crash/kill_test.cc).
// Opens or creates a world, checks the invariants of what it restored, then mutates the arena from a
// mutator thread while the main thread snapshots continuously, until it is killed.
// Arena layout (pages of a 16 MiB arena):
//   page 0         header: magic, ops, sum, list head, list length, free head, node high-water mark
//   pages 1..1024  524,288 u64 counters; invariant: their sum equals header.sum
//   pages 1025..   list nodes {next, value, check}; the list holds values in strictly decreasing
//                  order, each node's check is value ^ node_check; popped nodes go to a free list
// Output, one line each, flushed: "restored SEQ OPS" at start, "durable SEQ OPS" after every commit
// (OPS as of the cut). Exit 3 with "invariant: ..." on stderr when a restored world is inconsistent.
// With a third argument, the store's current state (StoreState as a byte) is kept in that file,
// mapped shared, so the killer can tell in which phase of a snapshot each kill landed.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "store/store.h"

using namespace phantom;

namespace {

constexpr std::uint64_t magic = 0x5054'4F52'5455'5245ull;
constexpr std::uint64_t node_check = 0x9E37'79B9'7F4A'7C15ull;
constexpr std::uint64_t counter_count = 1024 * 512;
constexpr std::uint64_t nodes_offset = 1025 * 4096;

struct Header {
  std::uint64_t magic, ops, sum, list_head, list_length, free_head, node_top;
};
struct ListNode {
  std::uint64_t next, value, check;
};

class World final : public store::WorldControl {
 public:
  explicit World(host::Arena& arena)
      : base_(arena.base()), size_(arena.size()), header_(reinterpret_cast<Header*>(arena.base())),
        counters_(reinterpret_cast<std::uint64_t*>(arena.page(1))) {}

  ListNode* node(std::uint64_t offset) { return reinterpret_cast<ListNode*>(base_ + offset); }
  bool valid_node_offset(std::uint64_t off) const {
    return off >= nodes_offset && off + sizeof(ListNode) <= size_ && (off - nodes_offset) % sizeof(ListNode) == 0;
  }

  std::string check_invariants() {
    if (header_->magic == 0) {
      if (header_->ops != 0) return "no magic but ops is set";
      header_->magic = magic;
      header_->node_top = nodes_offset;
      return {};
    }
    if (header_->magic != magic) return "bad magic";
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < counter_count; ++i) sum += counters_[i];
    if (sum != header_->sum) return "sum of counters " + std::to_string(sum) + " != recorded " + std::to_string(header_->sum);
    if (sum != header_->ops) return "sum " + std::to_string(sum) + " != ops " + std::to_string(header_->ops);
    std::uint64_t length = 0, previous = ~0ull;
    for (std::uint64_t at = header_->list_head; at != 0; at = node(at)->next) {
      if (!valid_node_offset(at) || at >= header_->node_top) return "list node offset out of range";
      if ((node(at)->value ^ node_check) != node(at)->check) return "list node check mismatch";
      if (node(at)->value >= previous) return "list values not decreasing";
      previous = node(at)->value;
      if (++length > header_->list_length) return "list longer than recorded";
    }
    if (length != header_->list_length) return "list shorter than recorded";
    return {};
  }

  void step(std::mt19937_64& random) {
    Header& h = *header_;
    ++h.ops;
    counters_[random() % counter_count] += 1;
    h.sum += 1;
    if (h.ops % 8 != 0) return;
    if (h.list_length > 0 && random() % 3 == 0) {
      std::uint64_t at = h.list_head;
      h.list_head = node(at)->next;
      --h.list_length;
      node(at)->next = h.free_head;
      h.free_head = at;
      return;
    }
    std::uint64_t at = h.free_head;
    if (at != 0) {
      h.free_head = node(at)->next;
    } else {
      if (h.node_top + sizeof(ListNode) > size_) return;
      at = h.node_top;
      h.node_top += sizeof(ListNode);
    }
    *node(at) = {h.list_head, h.ops, h.ops ^ node_check};
    h.list_head = at;
    ++h.list_length;
  }

  // The safepoint protocol: the mutator checks for a stop request between batches of steps.
  void mutate_forever() {
    std::mt19937_64 random(header_->ops + 1);
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (stop_requested_) {
          at_safepoint_ = true;
          changed_.notify_all();
          changed_.wait(lock, [&] { return !stop_requested_; });
          at_safepoint_ = false;
        }
      }
      for (int i = 0; i < 256; ++i) step(random);
    }
  }
  void stop() override {
    std::unique_lock lock(mutex_);
    stop_requested_ = true;
    changed_.wait(lock, [&] { return at_safepoint_; });
    ops_at_cut_ = header_->ops;
  }
  void resume() override {
    {
      std::lock_guard lock(mutex_);
      stop_requested_ = false;
    }
    changed_.notify_all();
  }
  std::uint64_t ops_at_cut() const { return ops_at_cut_; }
  std::uint64_t ops() const { return header_->ops; }

 private:
  std::byte* base_;
  std::uint64_t size_;
  Header* header_;
  std::uint64_t* counters_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_requested_ = false;
  bool at_safepoint_ = false;
  std::uint64_t ops_at_cut_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_torture WORLD [uffd|mprotect]\n");
    return 2;
  }
  auto env = host::make_host_env();
  store::CreateOptions create;
  create.arena_base = 0x3200'0000'0000ull;
  create.arena_size = 16ull << 20;
  store::StoreOptions options;
  if (argc > 2 && std::string(argv[2]) == "mprotect") options.tracking = host::TrackingMode::mprotect;
  if (argc > 3) {
    int fd = ::open(argv[3], O_RDWR | O_CREAT, 0644);
    if (fd < 0 || ::ftruncate(fd, 4096) != 0) return 1;
    void* shared = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shared == MAP_FAILED) return 1;
    auto* phase = static_cast<volatile std::uint8_t*>(shared);
    *phase = static_cast<std::uint8_t>(store::StoreState::idle);
    options.on_state_change = [phase](store::StoreState state) { *phase = static_cast<std::uint8_t>(state); };
  }
  auto opened = store::Store::open_or_create(*env, argv[1], create, options);
  if (!opened.ok()) {
    std::fprintf(stderr, "open: %s\n", opened.error().message.c_str());
    return 1;
  }
  store::Store& store = *opened.value();
  World world(store.arena());
  std::string broken = world.check_invariants();
  if (!broken.empty()) {
    std::fprintf(stderr, "invariant: %s (snapshot %lu)\n", broken.c_str(), store.restore_report().restored_seq);
    return 3;
  }
  std::printf("restored %lu %lu\n", store.restore_report().restored_seq, world.ops());
  std::fflush(stdout);
  std::thread mutator([&] { world.mutate_forever(); });
  mutator.detach();
  for (;;) {
    auto report = store.snapshot(world);
    if (!report.ok()) {
      std::fprintf(stderr, "snapshot: %s\n", report.error().message.c_str());
      return 1;
    }
    std::printf("durable %lu %lu\n", report->seq, world.ops_at_cut());
    std::fflush(stdout);
  }
}

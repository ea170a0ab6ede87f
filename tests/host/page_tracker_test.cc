// Tests for the write trackers (uffd-async and mprotect) and the fixed-address arena: every write is
// reported once, tracking re-arms, and a writer racing with collect() never loses a write.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <random>
#include <set>
#include <thread>

#include "host/env.h"

namespace phantom {
namespace {

constexpr std::uint64_t base = 0x3100'0000'0000ull;
constexpr std::uint64_t size = 16ull << 20;

std::set<std::uint64_t> pages_of(const std::vector<host::PageRun>& runs) {
  std::set<std::uint64_t> pages;
  for (const auto& r : runs)
    for (std::uint64_t p = r.first; p < r.first + r.count; ++p) pages.insert(p);
  return pages;
}

class PageTrackerTest : public ::testing::TestWithParam<host::TrackingMode> {
 protected:
  void SetUp() override {
    env_ = host::make_host_env();
    auto arena = env_->reserve_arena(base, size);
    ASSERT_TRUE(arena.ok()) << arena.error().message;
    arena_ = std::move(arena).value();
    auto tracker = env_->track_writes(*arena_, GetParam());
    if (!tracker.ok() && GetParam() == host::TrackingMode::uffd_async)
      GTEST_SKIP() << "kernel lacks async userfaultfd: " << tracker.error().message;
    ASSERT_TRUE(tracker.ok()) << tracker.error().message;
    tracker_ = std::move(tracker).value();
  }
  void TearDown() override { tracker_.reset(); }
  // Pages the tracker reports for a write to `page`: the page, or its whole 64 KiB unit.
  std::uint64_t granule() const { return GetParam() == host::TrackingMode::mprotect ? 16 : 1; }

  std::unique_ptr<host::Env> env_;
  std::unique_ptr<host::Arena> arena_;
  std::unique_ptr<host::PageTracker> tracker_;
};

TEST_P(PageTrackerTest, ReportsWrittenPagesOnceAndRearms) {
  EXPECT_EQ(tracker_->mode(), GetParam());
  std::vector<host::PageRun> runs;
  ASSERT_TRUE(tracker_->collect(runs).ok());
  EXPECT_TRUE(runs.empty());
  arena_->page(100)[1] = std::byte{1};
  arena_->page(2000)[4095] = std::byte{2};
  volatile std::byte read = arena_->page(3000)[0];  // reads are not writes
  (void)read;
  ASSERT_TRUE(tracker_->collect(runs).ok());
  std::set<std::uint64_t> pages = pages_of(runs);
  EXPECT_TRUE(pages.count(100));
  EXPECT_TRUE(pages.count(2000));
  EXPECT_FALSE(pages.count(3000));
  EXPECT_EQ(pages.size(), 2 * granule());
  runs.clear();
  ASSERT_TRUE(tracker_->collect(runs).ok());
  EXPECT_TRUE(runs.empty()) << "a page must be reported once per write";
  arena_->page(100)[2] = std::byte{3};
  ASSERT_TRUE(tracker_->collect(runs).ok());
  EXPECT_TRUE(pages_of(runs).count(100)) << "tracking must re-arm after collect";
}

TEST_P(PageTrackerTest, ManyRunsAreAllReported) {
  // More separate runs than one PAGEMAP_SCAN vector holds (4096), so the scan must continue.
  std::vector<host::PageRun> runs;
  for (std::uint64_t p = 0; p < arena_->pages(); p += 2 * granule()) arena_->page(p)[0] = std::byte{1};
  ASSERT_TRUE(tracker_->collect(runs).ok());
  EXPECT_EQ(pages_of(runs).size(), arena_->pages() / 2);
}

// A writer keeps changing random pages while a collector copies what is reported; after a final
// collect with the writer stopped, the copy must equal the arena: no write was lost.
TEST_P(PageTrackerTest, RacingWriterLosesNothing) {
  std::vector<std::byte> shadow(size);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::mt19937_64 random(7);
    std::uint64_t value = 0;
    while (!stop) {
      std::uint64_t page = random() % arena_->pages();
      std::uint64_t offset = (random() % 512) * 8;
      std::memcpy(arena_->page(page) + offset, &++value, 8);
    }
  });
  std::vector<host::PageRun> runs;
  for (int round = 0; round < 200; ++round) {
    runs.clear();
    ASSERT_TRUE(tracker_->collect(runs).ok());
    for (std::uint64_t p : pages_of(runs)) std::memcpy(shadow.data() + p * 4096, arena_->page(p), 4096);
  }
  stop = true;
  writer.join();
  runs.clear();
  ASSERT_TRUE(tracker_->collect(runs).ok());
  for (std::uint64_t p : pages_of(runs)) std::memcpy(shadow.data() + p * 4096, arena_->page(p), 4096);
  EXPECT_EQ(std::memcmp(shadow.data(), arena_->base(), size), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, PageTrackerTest,
                         ::testing::Values(host::TrackingMode::uffd_async, host::TrackingMode::mprotect),
                         [](const auto& info) { return std::string(info.param == host::TrackingMode::mprotect ? "mprotect" : "uffd"); });

TEST(Arena, IsReservedExactlyAndRefusesOverlap) {
  auto env = host::make_host_env();
  auto arena = env->reserve_arena(base, size);
  ASSERT_TRUE(arena.ok()) << arena.error().message;
  EXPECT_EQ(reinterpret_cast<std::uint64_t>((*arena)->base()), base);
  EXPECT_EQ((*arena)->pages(), size / 4096);
  auto overlap = env->reserve_arena(base + 4096, size);
  ASSERT_FALSE(overlap.ok());
  EXPECT_EQ(overlap.error().code, Errc::busy);
  auto unaligned = env->reserve_arena(base + 1, size);
  ASSERT_FALSE(unaligned.ok());
  EXPECT_EQ(unaligned.error().code, Errc::invalid_argument);
}

TEST(ArenaDeathTest, WritesOutsideTrackedArenasStillCrash) {
  // The mprotect tracker's SIGSEGV handler must not swallow faults that are not its own.
  EXPECT_DEATH(
      {
        auto env = host::make_host_env();
        auto arena = env->reserve_arena(base, size);
        auto tracker = env->track_writes(*arena.value(), host::TrackingMode::mprotect);
        (void)tracker.ok();
        *reinterpret_cast<volatile int*>(16) = 1;
      },
      "");
}

}  // namespace
}  // namespace phantom

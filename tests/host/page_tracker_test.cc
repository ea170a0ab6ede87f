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
    auto arena = env_->reserve_arena(arena_base(), arena_bytes());
    ASSERT_TRUE(arena.ok()) << arena.error().message;
    arena_ = std::move(arena).value();
    auto tracker = env_->track_writes(*arena_, GetParam());
    if (!tracker.ok() && GetParam() == host::TrackingMode::uffd_async)
      GTEST_SKIP() << "kernel lacks async userfaultfd: " << tracker.error().message;
    ASSERT_TRUE(tracker.ok()) << tracker.error().message;
    tracker_ = std::move(tracker).value();
  }
  void TearDown() override { tracker_.reset(); }
  virtual std::uint64_t arena_base() const { return base; }
  virtual std::uint64_t arena_bytes() const { return size; }
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

// An arena large enough that the uffd tracker walks it in two halves at once (from 128 MiB on):
// runs on either side and across the middle come back exact, in order, joined across the seam, and a
// writer racing around the seam loses nothing.
class LargePageTrackerTest : public PageTrackerTest {
 protected:
  std::uint64_t arena_base() const override { return 0x3200'0000'0000ull; }
  std::uint64_t arena_bytes() const override { return 256ull << 20; }
  static constexpr std::uint64_t middle = (128ull << 20) / 4096;  // the first page of the second half
};

TEST_P(LargePageTrackerTest, HalvesComeBackExactAndJoinedAcrossTheMiddle) {
  std::vector<host::PageRun> runs;
  ASSERT_TRUE(tracker_->collect(runs).ok());
  ASSERT_TRUE(runs.empty());
  std::set<std::uint64_t> written = {0, 1000, arena_->pages() - 1, middle + 5000};
  for (std::uint64_t p = middle - 5; p < middle + 5; ++p) written.insert(p);
  for (std::uint64_t p : written) arena_->page(p)[p % 4096] = std::byte{7};
  ASSERT_TRUE(tracker_->collect(runs).ok());
  if (granule() == 1) {
    ASSERT_EQ(runs.size(), 5u);
    EXPECT_EQ(runs[0].first, 0u);
    EXPECT_EQ(runs[1].first, 1000u);
    EXPECT_EQ(runs[2].first, middle - 5);
    EXPECT_EQ(runs[2].count, 10u) << "the run across the middle must come back as one";
    EXPECT_EQ(runs[3].first, middle + 5000);
    EXPECT_EQ(runs[4].first, arena_->pages() - 1);
  }
  std::set<std::uint64_t> reported = pages_of(runs);
  for (std::uint64_t p : written) EXPECT_TRUE(reported.count(p)) << "page " << p;
  EXPECT_EQ(reported.size(), granule() == 1 ? written.size() : reported.size());
  for (std::size_t i = 1; i < runs.size(); ++i) EXPECT_LT(runs[i - 1].first + runs[i - 1].count, runs[i].first);
  runs.clear();
  ASSERT_TRUE(tracker_->collect(runs).ok());
  EXPECT_TRUE(runs.empty()) << "both halves must re-arm";
}

TEST_P(LargePageTrackerTest, RacingWriterAroundTheMiddleLosesNothing) {
  constexpr std::uint64_t window = 4096;  // pages on each side of the middle
  const std::uint64_t first = middle - window;
  std::vector<std::byte> shadow(2 * window * 4096);
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    std::mt19937_64 random(11);
    std::uint64_t value = 0;
    while (!stop) {
      std::uint64_t page = first + random() % (2 * window);
      std::memcpy(arena_->page(page) + (random() % 512) * 8, &++value, 8);
    }
  });
  auto copy_reported = [&](const std::vector<host::PageRun>& runs) {
    for (std::uint64_t p : pages_of(runs)) {
      ASSERT_GE(p, first);
      ASSERT_LT(p, first + 2 * window);
      std::memcpy(shadow.data() + (p - first) * 4096, arena_->page(p), 4096);
    }
  };
  std::vector<host::PageRun> runs;
  for (int round = 0; round < 100; ++round) {
    runs.clear();
    ASSERT_TRUE(tracker_->collect(runs).ok());
    copy_reported(runs);
  }
  stop = true;
  writer.join();
  runs.clear();
  ASSERT_TRUE(tracker_->collect(runs).ok());
  copy_reported(runs);
  EXPECT_EQ(std::memcmp(shadow.data(), arena_->page(first), shadow.size()), 0);
}

INSTANTIATE_TEST_SUITE_P(Modes, LargePageTrackerTest,
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

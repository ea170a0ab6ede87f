// Power-loss test: the store runs a fixed workload on a device that models a volatile write cache and
// loses power at every write or flush of several commits (SQLite crash tests). Every resulting image
// must open to the last acknowledged snapshot or the one before it, and be clean afterwards.
#include <gtest/gtest.h>

#include <cstring>

#include "store/fsck.h"
#include "support/memory_block_device.h"
#include "support/test_world.h"

namespace phantom::store {
namespace {

using testing::BorrowedDevice;

constexpr int commits = 4;

// Page p of commit c holds the value c in every byte of its first 64 bytes, for a c-dependent set:
// every page or every second or third one, but only the first 40 in even commits, which are then
// small enough to flush once (store.h, commit rule 2).
std::uint64_t mutated_pages(std::uint64_t arena_pages, int commit) { return commit % 2 == 0 ? 40 : arena_pages; }
void mutate(host::Arena& arena, int commit) {
  for (std::uint64_t p = 0; p < mutated_pages(arena.pages(), commit); p += 1 + commit % 3)
    std::memset(arena.page(p), commit, 64);
}

// Runs the workload on `device` until it fails; returns how many commits were acknowledged. Counts
// the one-flush commits (store.h, commit rule 2) in `one_flush` when given.
int run_workload(host::Env& env, host::BlockDevice& device, int* one_flush = nullptr) {
  auto store = Store::create(env, BorrowedDevice::of(device), testing::small_world(), {});
  if (!store.ok()) return -1;  // lost power while creating: nothing was acknowledged
  testing::CountingControl control;
  for (int c = 1; c <= commits; ++c) {
    mutate((*store)->arena(), c);
    auto report = (*store)->snapshot(control);
    if (!report.ok()) return c - 1;
    if (one_flush && report->one_flush) ++*one_flush;
  }
  return commits;
}

// The arena contents after `acknowledged` commits of the workload.
std::vector<std::byte> expected_arena(int acknowledged) {
  std::vector<std::byte> arena(testing::test_arena_size);
  for (int c = 1; c <= acknowledged; ++c)
    for (std::uint64_t p = 0; p < mutated_pages(arena.size() / 4096, c); p += 1 + c % 3)
      std::memset(arena.data() + p * 4096, c, 64);
  return arena;
}

// Every crash point of the workload, `seeds` times each, on a device that loses or tears what it
// has not flushed (by sector, or by whole write).
void check_every_crash_point(std::uint64_t seeds, bool whole_writes) {
  auto env = host::make_host_env();
  testing::CrashSimDevice dry_run(0, 0);
  int one_flush = 0;
  ASSERT_EQ(run_workload(*env, dry_run, &one_flush), commits);
  // Both kinds of commit meet every crash point: a one-flush commit's crash leaves its record
  // without some of its pages, which open must find (Store::verify_newest_changes).
  EXPECT_GE(one_flush, 1);
  EXPECT_LT(one_flush, commits);
  const std::uint64_t operations = dry_run.operations();
  ASSERT_GT(operations, 4u * commits);
  int crashes = 0;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    for (std::uint64_t crash_at = 1; crash_at <= operations; ++crash_at) {
      testing::CrashSimDevice device(crash_at, seed * 1000 + crash_at, whole_writes);
      int acknowledged = run_workload(*env, device);
      ASSERT_TRUE(device.crashed());
      ++crashes;
      testing::MemoryBlockDevice after(device.disk_image(), "crashed.img");
      auto store = Store::open(*env, BorrowedDevice::of(after), {});
      if (acknowledged < 0) {
        // Power was lost while the world was being created: a clear error or an empty world.
        if (store.ok()) {
          EXPECT_EQ((*store)->restore_report().restored_seq, 0u);
        }
        continue;
      }
      ASSERT_TRUE(store.ok()) << "crash at op " << crash_at << " seed " << seed << ": " << store.error().message;
      std::uint64_t restored = (*store)->restore_report().restored_seq;
      // Never older than what was acknowledged; the commit in flight may have made it to the disk.
      EXPECT_TRUE(restored == std::uint64_t(acknowledged) || restored == std::uint64_t(acknowledged) + 1)
          << "crash at op " << crash_at << " seed " << seed << ": acknowledged " << acknowledged << ", restored " << restored;
      auto expected = expected_arena(static_cast<int>(restored));
      ASSERT_EQ(std::memcmp((*store)->arena().base(), expected.data(), expected.size()), 0)
          << "crash at op " << crash_at << " seed " << seed << ": arena is not exactly snapshot " << restored;
      // The world keeps working after the crash.
      testing::CountingControl control;
      ASSERT_TRUE((*store)->snapshot(control).ok());
      store.value().reset();
      auto report = fsck(after, {});
      ASSERT_TRUE(report.ok());
      for (auto& e : report->errors) ADD_FAILURE() << "crash at op " << crash_at << " seed " << seed << ": " << e;
    }
  }
  ::testing::Test::RecordProperty("crash_points", crashes);
}

TEST(PowerLoss, EveryCrashPointOpensToTheLastOrPreviousCommit) { check_every_crash_point(3, false); }

// Whole writes landing or not: a commit record lands half the time, often without a page or node
// written before it. Only the verification at open keeps a one-flush commit's record from naming
// them (Store::verify_newest_changes; without it this test fails).
TEST(PowerLoss, EveryCrashPointWithWholeWritesLandingOrNot) { check_every_crash_point(8, true); }

// A workload that records events as a world does: one queued with each snapshot, one recorded between
// snapshots by record_events(). Appends the text of every acknowledged event to `acknowledged`.
void run_event_workload(host::Env& env, host::BlockDevice& device, std::vector<std::string>& acknowledged) {
  auto store = Store::create(env, BorrowedDevice::of(device), testing::small_world(), {});
  if (!store.ok()) return;
  testing::CountingControl control;
  for (int c = 1; c <= 3; ++c) {
    mutate((*store)->arena(), c);
    Event queued;
    queued.text = fmt::format("with snapshot {}", c);
    (*store)->queue_event(queued);
    if (!(*store)->snapshot(control).ok()) return;
    acknowledged.push_back(queued.text);
    Event recorded;
    recorded.text = fmt::format("after snapshot {}", c);
    recorded.detail = static_cast<std::uint64_t>(c);
    if (!(*store)->record_events({recorded}).ok()) return;
    acknowledged.push_back(recorded.text);
  }
}

// Every crash point of that workload: each acknowledged event is back, in order and numbered from 1;
// at most the event of the commit in flight is there too; and the image is clean after the next commit.
TEST(PowerLoss, EveryAcknowledgedEventSurvivesEveryCrashPoint) {
  auto env = host::make_host_env();
  testing::CrashSimDevice dry_run(0, 0);
  std::vector<std::string> all;
  run_event_workload(*env, dry_run, all);
  ASSERT_EQ(all.size(), 6u);
  const std::uint64_t operations = dry_run.operations();
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    for (std::uint64_t crash_at = 1; crash_at <= operations; ++crash_at) {
      testing::CrashSimDevice device(crash_at, seed * 7919 + crash_at);
      std::vector<std::string> acknowledged;
      run_event_workload(*env, device, acknowledged);
      ASSERT_TRUE(device.crashed());
      testing::MemoryBlockDevice after(device.disk_image(), "crashed.img");
      auto store = Store::open(*env, BorrowedDevice::of(after), {});
      if (!store.ok()) {
        EXPECT_TRUE(acknowledged.empty()) << "crash at op " << crash_at << ": " << store.error().message;
        continue;  // lost power while creating
      }
      std::vector<Event> events = (*store)->events();
      ASSERT_GE(events.size(), acknowledged.size()) << "crash at op " << crash_at << " seed " << seed;
      ASSERT_LE(events.size(), acknowledged.size() + 1) << "crash at op " << crash_at << " seed " << seed;
      for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(events[i].number, i + 1) << "crash at op " << crash_at << " seed " << seed;
        EXPECT_EQ(events[i].text, all[i]) << "crash at op " << crash_at << " seed " << seed;
      }
      testing::CountingControl control;
      (*store)->queue_event(Event{});
      ASSERT_TRUE((*store)->snapshot(control).ok());
      auto next = (*store)->record_events({Event{}});
      ASSERT_TRUE(next.ok());
      EXPECT_EQ(next->front().number, events.size() + 2) << "crash at op " << crash_at << " seed " << seed;
      store.value().reset();
      auto report = fsck(after, {});
      ASSERT_TRUE(report.ok());
      for (auto& e : report->errors) ADD_FAILURE() << "crash at op " << crash_at << " seed " << seed << ": " << e;
    }
  }
}

}  // namespace
}  // namespace phantom::store

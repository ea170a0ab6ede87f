// Tests for store/store and the snapshot cycle: restore equals the last commit, retention and free-space
// reuse, pre-copy, fallback from damaged snapshots, recovery of torn records, and failed state.
#include "store/store.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <random>

#include "host/fault_note.h"
#include "store/fsck.h"
#include "store/world_info.h"
#include "support/memory_block_device.h"
#include "support/store_fixture.h"
#include "support/test_world.h"

namespace phantom::store {
namespace {

using testing::BorrowedDevice;
using testing::CountingControl;
using testing::MemoryBlockDevice;
using testing::small_world;

// Tests that count pages exactly need a tracker that tracks single pages. The mprotect tracker (chosen
// by itself where userfaultfd write-protection is missing, as under qemu-aarch64) tracks 64 KiB units:
// one written byte makes 16 pages to write. Its snapshots are checked by MprotectTrackingGivesTheSameSnapshots.
#define REQUIRE_PAGE_EXACT_TRACKING(store)                                                    \
  if ((store).tracking_mode() == host::TrackingMode::mprotect)                                \
  GTEST_SKIP() << "page counts here assume single-page tracking; this kernel offers mprotect, " \
                  "which tracks 64 KiB units"

class StoreTest : public testing::StoreFixture {
 protected:
  bool fsck_clean() {
    auto report = fsck(device_, {});
    if (!report.ok()) return false;
    for (auto& e : report->errors) ADD_FAILURE() << e;
    return report->clean();
  }

  // The block that holds `page` in the current record's newest snapshot on `device` (0: none, or the
  // image could not be read, which the test reports).
  std::uint64_t newest_block_of(host::BlockDevice& device, std::uint64_t page) {
    Image image(device);
    auto slots = image.read_slots();
    EXPECT_TRUE(slots.ok());
    if (!slots.ok()) return 0;
    auto table = PageTable::load(image, 2048, slots->record[*slots->current]->snapshots.back().root);
    EXPECT_TRUE(table.ok());
    return table.ok() ? table->page(page).block : 0;
  }

  // Snapshots 1 and 2 write page 1; a byte of snapshot 2's copy is then damaged. A lazy restore finds it
  // in the background, drops snapshot 2 from both slots and stops the process; the next start resumes
  // from snapshot 1. With retention 1 snapshot 1 is named only by the other slot's record. With
  // record_at_boot an event is recorded at once after the open, as the system layer does at boot: that
  // must not cost the fallback (with retention 1 record_events() waits for the verification).
  void damaged_lazy_restore(std::uint32_t retention, bool record_at_boot = false) {

    {  // Is lazy restore available here at all?
      auto probe = create();
      probe->arena().page(0)[0] = std::byte{1};
      snapshot(*probe);
      probe.reset();
      auto reopened = reopen();
      if (!reopened->restore_report().lazy) GTEST_SKIP() << reopened->restore_report().eager_reason;
    }
    store::CreateOptions options = testing::small_world();
    options.retention = retention;
    // A file-backed world, so what the dying process writes is what the next one reads.
    std::string path = (std::filesystem::temp_directory_path() / ("phantom-lazy-" + std::to_string(::getpid()) + ".img")).string();
    std::filesystem::remove(path);
    std::uint64_t damaged_block = 0;
    {
      auto store = Store::open_or_create(*env_, path, options, {});
      ASSERT_TRUE(store.ok());
      (*store)->arena().page(1)[0] = std::byte{1};
      snapshot(**store);
      // More pages than a one-flush commit may write, so that open does not read snapshot 2's pages
      // back (Store::verify_newest_changes): the damage is the lazy restore's to find.
      for (std::uint64_t p = 1; p <= 300; ++p) (*store)->arena().page(p)[0] = std::byte{2};
      EXPECT_FALSE(snapshot(**store).one_flush);
    }
    {
      auto device = env_->open_block_device(path, host::OpenMode::read_only);
      ASSERT_TRUE(device.ok());
      damaged_block = newest_block_of(**device, 1);
      ASSERT_NE(damaged_block, 0u);
    }
    {
      std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(static_cast<std::streamoff>(damaged_block * 4096 + 17));
      file.put('\x5a');
    }
    // The dying process leaves its reason in the run's fault note (host/fault_note.h, docs/faults.md).
    std::string note_path = path + ".run";
    std::filesystem::remove(note_path);
    EXPECT_DEATH(
        {
          host::FaultNote run;
          run.boot = 7;
          (void)host::begin_fault_note(note_path, run).ok();
          auto lazy = Store::open_or_create(*env_, path, options, {});
          if (lazy.ok() && record_at_boot) (void)(*lazy)->record_events({Event{}}).ok();
          if (lazy.ok()) (*lazy)->wait_until_restored();
          std::_Exit(0);  // reaching this means the damage went unnoticed: the death test fails
        },
        "snapshot 2 is damaged.*dropped.*resume from snapshot 1");
    auto note = host::read_fault_note(note_path);
    ASSERT_TRUE(note.ok() && note->has_value()) << "no fault note";
    EXPECT_EQ((*note)->boot, 7u);
    EXPECT_EQ((*note)->fault, host::FaultKind::store_damage);
    EXPECT_NE((*note)->text.find("snapshot 2 is damaged"), std::string::npos) << (*note)->text;
    std::filesystem::remove(note_path);
    auto store = Store::open_or_create(*env_, path, options, {});
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ((*store)->restore_report().restored_seq, 1u);
    (*store)->wait_until_restored();
    EXPECT_EQ((*store)->arena().page(1)[0], std::byte{1});
    store.value().reset();
    auto device = env_->open_block_device(path, host::OpenMode::read_only);
    auto report = fsck(**device, {});
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->clean());
    std::filesystem::remove(path);
  }

};

TEST_F(StoreTest, NewWorldIsEmptyAndRestoresItsLastCommit) {
  auto store = create();
  ASSERT_TRUE(store);
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  EXPECT_EQ(store->restore_report().restored_seq, 0u);
  host::Arena& arena = store->arena();
  EXPECT_EQ(reinterpret_cast<std::uint64_t>(arena.base()), testing::test_arena_base);
  std::strcpy(reinterpret_cast<char*>(arena.page(3)), "hello, persistent world");
  arena.page(2047)[4095] = std::byte{0x5A};
  SnapshotReport first = snapshot(*store);
  EXPECT_EQ(first.seq, 1u);
  EXPECT_EQ(first.data_blocks, 2u);
  EXPECT_EQ(control_.stops, 1);
  EXPECT_EQ(control_.resumes, 1);
  arena.page(3)[0] = std::byte{'J'};  // written after the commit: must not survive a restart
  store.reset();

  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  EXPECT_EQ(store->restore_report().pages_restored, 2u);
  EXPECT_STREQ(reinterpret_cast<char*>(store->arena().page(3)), "hello, persistent world");
  EXPECT_EQ(store->arena().page(2047)[4095], std::byte{0x5A});
  EXPECT_EQ(store->arena().page(4)[0], std::byte{0});
  EXPECT_TRUE(fsck_clean());
}

TEST_F(StoreTest, SnapshotWritesOnlyWhatChanged) {
  auto store = create();
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  for (std::uint64_t p = 0; p < 100; ++p) store->arena().page(p)[0] = std::byte{1};
  EXPECT_EQ(snapshot(*store).data_blocks, 100u);
  SnapshotReport idle = snapshot(*store);
  EXPECT_EQ(idle.data_blocks, 0u);
  EXPECT_EQ(idle.node_blocks, 0u);
  store->arena().page(42)[7] = std::byte{9};
  SnapshotReport one = snapshot(*store);
  EXPECT_EQ(one.data_blocks, 1u);
  EXPECT_EQ(one.node_blocks, 2u);  // the leaf and the root of a two-level tree
}

// A small commit flushes once and marks its record; open reads back the pages it wrote (and only
// those: not the pages the snapshot shares with the one before) before it uses the snapshot.
TEST_F(StoreTest, ASmallCommitFlushesOnceAndOpenVerifiesWhatItWrote) {
  auto store = create();
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  for (std::uint64_t p = 0; p < 300; ++p) store->arena().page(p)[0] = std::byte{1};
  EXPECT_FALSE(snapshot(*store).one_flush);  // 300 pages, and the image grew
  for (std::uint64_t p = 0; p < 5; ++p) store->arena().page(p)[0] = std::byte{2};
  SnapshotReport small = snapshot(*store);
  EXPECT_TRUE(small.one_flush);
  EXPECT_EQ(small.data_blocks, 5u);
  store.reset();
  store = reopen();
  EXPECT_EQ(store->restore_report().restored_seq, 2u);
  EXPECT_EQ(store->restore_report().pages_verified_at_open, 5u);
  EXPECT_EQ(store->restore_report().snapshots_skipped, 0u);
  store->wait_until_restored();
  EXPECT_EQ(store->arena().page(4)[0], std::byte{2});
  EXPECT_EQ(store->arena().page(5)[0], std::byte{1});
  EXPECT_TRUE(fsck_clean());
}

// A one-flush commit's own record must name a snapshot to fall back to: never the world's first
// snapshot, and never with retention 1 (docs/verification.md, what the model found).
TEST_F(StoreTest, OnlyARecordWithAFallbackOfItsOwnFlushesOnce) {
  auto store = create();
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  store->arena().page(1)[0] = std::byte{1};
  EXPECT_FALSE(snapshot(*store).one_flush);  // the first snapshot
  store->arena().page(1)[0] = std::byte{2};
  EXPECT_TRUE(snapshot(*store).one_flush);  // the same small change, with snapshot 1 to fall back to
  store.reset();
  store::CreateOptions single = testing::small_world();
  single.retention = 1;
  testing::MemoryBlockDevice device;
  auto lone = Store::create(*env_, testing::BorrowedDevice::of(device), single, {});
  ASSERT_TRUE(lone.ok()) << lone.error().message;
  for (int c = 1; c <= 3; ++c) {
    (*lone)->arena().page(1)[0] = std::byte(c);
    EXPECT_FALSE(snapshot(**lone).one_flush) << "snapshot " << c << " with retention 1";
  }
}

// The crash a one-flush commit allows: its record landed and one of its pages did not. Open finds the
// page wrong, skips that snapshot (never acknowledged) and resumes from the one before, intact.
TEST_F(StoreTest, AOneFlushCommitWhosePageDidNotLandIsSkippedAtOpen) {
  auto store = create();
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  store->arena().page(7)[0] = std::byte{1};
  snapshot(*store);
  store->arena().page(7)[0] = std::byte{2};
  store->arena().page(8)[0] = std::byte{2};
  SnapshotReport second = snapshot(*store);
  ASSERT_TRUE(second.one_flush);
  {
    auto slots = Image(device_).read_slots();
    ASSERT_TRUE(slots.ok());
    ASSERT_TRUE(slots->record[*slots->current]->verify_newest);
  }
  const std::uint64_t block = newest_block_of(device_, 8);
  ASSERT_NE(block, 0u);
  store.reset();
  // What the block held before: a crash lost the page's write.
  std::array<std::byte, 4096> zero{};
  host::WritePiece piece{zero.data(), zero.size()};
  ASSERT_TRUE(device_.write(block, std::span<const host::WritePiece>(&piece, 1)).ok());
  {
    auto report = fsck(device_, {});
    ASSERT_TRUE(report.ok());
    EXPECT_FALSE(report->clean());
    bool explained = false;
    for (const std::string& e : report->errors) explained |= e.find("one-flush commit that did not finish") != std::string::npos;
    EXPECT_TRUE(explained) << "fsck does not say what the damage is";
  }
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  EXPECT_EQ(store->restore_report().snapshots_skipped, 1u);
  EXPECT_TRUE(store->restore_report().recovered);
  store->wait_until_restored();
  EXPECT_EQ(store->arena().page(7)[0], std::byte{1});
  EXPECT_EQ(store->arena().page(8)[0], std::byte{0});
  // Both records now name snapshot 1 only, without the bit; the image is clean.
  EXPECT_TRUE(fsck_clean());
  store.reset();
  store = reopen();
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  EXPECT_EQ(store->restore_report().pages_verified_at_open, 0u);
}

TEST_F(StoreTest, PreCopyTakesMostPagesBeforeThePause) {
  StoreOptions options;
  options.precopy_target_pages = 10;
  auto store = create(options);
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  // The "world" writes pages during the pre-copy rounds; the control sees the cut.
  for (std::uint64_t p = 0; p < 500; ++p) store->arena().page(p)[0] = std::byte{1};
  SnapshotReport report = snapshot(*store);
  EXPECT_EQ(report.precopy_pages, 500u);
  EXPECT_EQ(report.residual_pages, 0u);
  EXPECT_EQ(report.data_blocks, 500u);
  store.reset();
  store = reopen();
  EXPECT_EQ(store->restore_report().pages_restored, 500u);
}

// A control that writes into the arena while stopped would be a bug; one that writes before
// stopping shows pages written between the last pre-copy round and the cut land in the snapshot.
struct WritingControl final : WorldControl {
  host::Arena* arena;
  void stop() override { arena->page(1234)[0] = std::byte{0x77}; }
  void resume() override {}
};

TEST_F(StoreTest, PagesWrittenJustBeforeTheCutAreInTheSnapshot) {
  StoreOptions options;
  auto store = create(options);
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  WritingControl control;
  control.arena = &store->arena();
  auto report = store->snapshot(control);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->residual_pages, 1u);
  store.reset();
  store = reopen();
  EXPECT_EQ(store->arena().page(1234)[0], std::byte{0x77});
}

TEST_F(StoreTest, RetentionKeepsKSnapshotsAndReusesSpace) {
  CreateOptions c = small_world();
  c.retention = 2;
  auto store = create({}, c);
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  std::mt19937 random(1);
  for (std::uint64_t p = 0; p < 2048; ++p) store->arena().page(p)[0] = std::byte{1};  // a constant live set
  snapshot(*store);
  for (int i = 0; i < 99; ++i) {  // the image grows in steps until the cleaner's steady state
    for (int k = 0; k < 200; ++k) store->arena().page(random() % 2048)[0] = std::byte(i);
    snapshot(*store);
  }
  std::uint64_t size_after_100 = device_.size_blocks();
  for (int i = 0; i < 100; ++i) {
    for (int k = 0; k < 200; ++k) store->arena().page(random() % 2048)[0] = std::byte(i);
    snapshot(*store);
  }
  EXPECT_EQ(device_.size_blocks(), size_after_100) << "freed blocks must be reused, not appended";
  EXPECT_LE(device_.size_blocks(), 4 * 2048u) << "space beyond the live pages must stay bounded";
  EXPECT_EQ(store->record().snapshots.size(), 2u);
  EXPECT_EQ(store->record().snapshots.back().seq, 200u);
  // Used blocks stay bounded by what the two slots reach: at most (retention + 1) trees.
  EXPECT_LE(store->statistics().used_blocks, 2 + 3 * (2048 + 9));
  EXPECT_TRUE(fsck_clean());
}

// At open the free map learns the older retained snapshots as their difference from the restored one
// (PageTable::collect_blocks_beyond). Their own blocks must stay used until they are dropped: every
// retained snapshot stays intact (fsck) through heavy block reuse after each reopen, also after a
// reopen that follows a rollback to the oldest.
TEST_F(StoreTest, OlderSnapshotsLearntAtOpenKeepTheirBlocks) {
  CreateOptions c = small_world();
  c.retention = 3;
  auto store = create({}, c);
  std::mt19937 random(7);
  for (std::uint64_t p = 0; p < 2048; ++p) store->arena().page(p)[0] = std::byte{1};
  snapshot(*store);
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 3; ++i) {  // three snapshots, each rewriting a different share of the pages
      for (int k = 0; k < 300; ++k) store->arena().page(random() % 2048)[3] = std::byte(round * 3 + i);
      snapshot(*store);
    }
    store.reset();
    if (round % 2 == 1) {  // make the oldest current: the newest, restored next, is gone
      std::uint64_t oldest = 0;
      {
        auto info = read_world_info(device_, false);
        ASSERT_TRUE(info.ok());
        oldest = info->current.snapshots.front().seq;
      }
      ASSERT_TRUE(rollback(device_, oldest, 0).ok());
    }
    store = reopen();
    ASSERT_TRUE(store);
    for (int i = 0; i < 5; ++i) {  // reuse: whatever was freed wrongly gets overwritten here
      for (int k = 0; k < 600; ++k) store->arena().page(random() % 2048)[5] = std::byte(i + 1);
      snapshot(*store);
      ASSERT_TRUE(fsck_clean()) << "round " << round << ", snapshot " << i << " after the reopen";
    }
  }
}

// A small world that writes a few pages per snapshot (a service allocating through its heap) is not
// cleaned all the time: the cleaner keeps one spare free segment for it, not four. With four, such an
// image of about ten segments was cleaned constantly (copied 11,809 pages here for 3,731 written;
// the counter service wrote 45 pages per snapshot for the world's 11).
TEST_F(StoreTest, ASmallWorldWritingLittleIsNotCleanedAllTheTime) {
  auto store = create();
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  for (std::uint64_t p = 0; p < 1100; ++p) store->arena().page(p)[0] = std::byte{1};  // code and data
  snapshot(*store);
  std::uint64_t world_pages = 0, cleaned = 0, next = 100;
  for (int i = 0; i < 600; ++i) {
    for (std::uint64_t p = 0; p < 4; ++p) store->arena().page(p)[1] = std::byte(i);  // always written
    for (int k = 0; k < 10; ++k, next = next == 899 ? 100 : next + 1) store->arena().page(next)[1] = std::byte(i);
    SnapshotReport report = snapshot(*store);
    if (i >= 300) {
      world_pages += report.data_blocks - report.cleaned_pages;
      cleaned += report.cleaned_pages;
    }
  }
  EXPECT_LE(cleaned * 4, world_pages) << "cleaning copied " << cleaned << " pages for " << world_pages << " written";
  EXPECT_LE(device_.size_blocks(), 16 * segment_blocks) << "the image stays small";
  EXPECT_TRUE(fsck_clean());
}

// Write-back between snapshots: the next snapshot carries only what was written after it, a page
// written again after its write-back holds its newest content, the blocks are reused (the free map
// counts blocks that write-back replaced), and blocks that no record names vanish at a crash.
TEST_F(StoreTest, WriteBackLeavesTheSnapshotOnlyTheNewestPages) {
  CreateOptions c = small_world();
  c.retention = 2;
  auto store = create({}, c);
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  std::mt19937 random(2);
  for (std::uint64_t p = 0; p < 1024; ++p) store->arena().page(p)[0] = std::byte{1};
  snapshot(*store);
  std::uint64_t size_after_warmup = 0;
  for (int i = 0; i < 200; ++i) {
    for (int k = 0; k < 100; ++k) store->arena().page(random() % 1024)[0] = std::byte(i);
    auto written = store->write_back(control_);
    ASSERT_TRUE(written.ok());
    for (int k = 0; k < 5; ++k) store->arena().page(random() % 1024)[1] = std::byte(i);
    SnapshotReport report = snapshot(*store);
    EXPECT_EQ(report.written_back_pages, *written);
    EXPECT_LE(report.data_blocks, 5u + report.cleaned_pages);
    if (i == 99) size_after_warmup = device_.size_blocks();
  }
  EXPECT_EQ(device_.size_blocks(), size_after_warmup) << "blocks replaced after a write-back must be freed";
  std::vector<std::byte> expected(1024 * 4096);
  std::memcpy(expected.data(), store->arena().page(0), expected.size());
  // Written back, never committed: gone after the crash.
  store->arena().page(7)[2] = std::byte{0xEE};
  ASSERT_TRUE(store->write_back(control_).ok());
  store.reset();
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(std::memcmp(store->arena().page(0), expected.data(), expected.size()), 0);
  EXPECT_TRUE(fsck_clean());
}

// Cut first: soon after a small write-back the snapshot stops the world at once (no pre-copy scan);
// when the cut then finds more than a pre-copy round would leave, the world resumes, pre-copy runs
// and a second cut follows. Both keep every page.
TEST_F(StoreTest, CutFirstAfterASmallWriteBackAndResumesWhenTheCutFindsTooMuch) {
  StoreOptions options;
  options.precopy_target_pages = 16;
  auto store = create(options);
  REQUIRE_PAGE_EXACT_TRACKING(*store);
  for (std::uint64_t p = 0; p < 64; ++p) store->arena().page(p)[0] = std::byte{1};
  SnapshotReport first = snapshot(*store);  // the first collection: nothing recent, so pre-copy
  EXPECT_FALSE(first.cut_first);
  EXPECT_GE(first.precopy_rounds, 1u);

  store->arena().page(3)[1] = std::byte{2};
  ASSERT_TRUE(store->write_back(control_).ok());
  store->arena().page(4)[1] = std::byte{3};
  int stops = control_.stops;
  SnapshotReport small = snapshot(*store);
  EXPECT_TRUE(small.cut_first);
  EXPECT_EQ(small.precopy_rounds, 0u);
  EXPECT_EQ(small.cuts_abandoned, 0u);
  EXPECT_EQ(small.residual_pages, 1u);
  EXPECT_EQ(control_.stops, stops + 1);

  store->arena().page(5)[1] = std::byte{4};
  ASSERT_TRUE(store->write_back(control_).ok());
  for (std::uint64_t p = 100; p < 200; ++p) store->arena().page(p)[2] = std::byte{5};
  stops = control_.stops;
  SnapshotReport large = snapshot(*store);
  EXPECT_TRUE(large.cut_first);
  EXPECT_EQ(large.cuts_abandoned, 1u);
  EXPECT_EQ(large.precopy_pages, 100u);
  EXPECT_EQ(large.residual_pages, 0u);
  EXPECT_EQ(control_.stops, stops + 2);
  EXPECT_EQ(control_.resumes, control_.stops);

  store.reset();
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->arena().page(3)[1], std::byte{2});
  EXPECT_EQ(store->arena().page(4)[1], std::byte{3});
  EXPECT_EQ(store->arena().page(5)[1], std::byte{4});
  for (std::uint64_t p = 100; p < 200; ++p) EXPECT_EQ(store->arena().page(p)[2], std::byte{5}) << p;
  EXPECT_TRUE(fsck_clean());
}

TEST_F(StoreTest, DamagedNewestSnapshotFallsBackAndRecovers) {
  auto store = create();
  store->arena().page(1)[0] = std::byte{1};
  snapshot(*store);
  store->arena().page(1)[0] = std::byte{2};
  snapshot(*store);
  Ref newest = store->record().snapshots.back().root;
  store.reset();
  // Damage the data block of page 1 in snapshot 2 (found through its tree).
  Image image(device_);
  auto table = PageTable::load(image, 2048, newest);
  ASSERT_TRUE(table.ok());
  device_.bytes()[table->page(1).block * 4096 + 17] ^= std::byte{0x10};
  EXPECT_FALSE(fsck(device_, {})->clean());

  StoreOptions eager;  // an eager restore verifies every page before choosing a snapshot
  eager.lazy_restore = false;
  store = reopen(eager);
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->restore_report().lazy);
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  EXPECT_TRUE(store->restore_report().recovered);
  EXPECT_EQ(store->arena().page(1)[0], std::byte{1});
  ASSERT_FALSE(store->restore_report().warnings.empty());
  EXPECT_NE(store->restore_report().warnings[0].find("snapshot 2 is damaged"), std::string::npos);
  // Recovery dropped snapshot 2 from both records: the image is clean again, and work continues.
  store->arena().page(1)[0] = std::byte{3};
  EXPECT_EQ(snapshot(*store).seq, 3u);  // sequence numbers are never reused
  store.reset();
  EXPECT_TRUE(fsck_clean());
  store = reopen();
  EXPECT_EQ(store->arena().page(1)[0], std::byte{3});
}

// A power cut or a kill during create, before its flush, can leave an empty file (cut between the
// file's creation and its growth) or an image of its two record blocks, zero or with a torn record. No
// snapshot was ever acknowledged in it, so the next start creates it again instead of refusing it
// forever. A file that holds anything else is never taken over, nor is a short non-empty one.
TEST_F(StoreTest, AnImageLeftHalfCreatedByACrashIsCreatedAgain) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("phantom-halfmade-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto try_open = [&](const std::string& name, const std::string& contents, bool* created) {
    std::string path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << contents;
    return Store::open_or_create(*env_, path, testing::small_world(), {}, created);
  };
  std::string torn(8192, '\0');
  std::memcpy(torn.data(), "PHWORLD", 8);  // the magic of a record whose other bytes never landed
  torn[200] = '\x17';
  for (const auto& [name, contents] : std::vector<std::pair<std::string, std::string>>{
           {"empty.img", ""}, {"zero.img", std::string(8192, '\0')}, {"torn.img", torn}}) {
    bool created = false;
    auto store = try_open(name, contents, &created);
    ASSERT_TRUE(store.ok()) << name << ": " << store.error().message;
    EXPECT_TRUE(created) << name;
    (*store)->arena().page(5)[0] = std::byte{9};
    EXPECT_EQ(snapshot(**store).seq, 1u) << name;
  }
  bool created = true;
  EXPECT_FALSE(try_open("short.img", "abc", &created).ok());
  EXPECT_FALSE(try_open("other.bin", std::string(8191, '\0') + "x", &created).ok());
  auto text = try_open("notes.txt", "my notes, not a world\n", &created);
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("not a Phantom world"), std::string::npos) << text.error().message;
  std::ifstream notes(dir / "notes.txt");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(notes), {}), "my notes, not a world\n");  // untouched
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_F(StoreTest, LazyRestoreIsUsableAtOnceAndVerifiesInTheBackground) {
  auto store = create();
  for (std::uint64_t p = 0; p < 2048; ++p) std::memcpy(store->arena().page(p), &p, 8);
  snapshot(*store);
  store.reset();
  store = reopen();
  ASSERT_TRUE(store);
  if (!store->restore_report().lazy) GTEST_SKIP() << "lazy restore unavailable: " << store->restore_report().eager_reason;
  // Touch pages in an order the prefetcher does not use: each read is served on first touch.
  for (std::uint64_t p = 2048; p-- > 0;) {
    std::uint64_t v;
    std::memcpy(&v, store->arena().page(p), 8);
    ASSERT_EQ(v, p);
  }
  store->wait_until_restored();
  // Filling pages is not writing them: the next snapshot writes only what changed since.
  store->arena().page(77)[100] = std::byte{1};
  EXPECT_EQ(snapshot(*store).data_blocks, 1u);
}

// phantom run opens with the prefetcher held back until the world runs. Nothing may then wait for it
// forever: a snapshot (which waits for the restore) starts it, and a store closed before it began
// closes at once. Until it begins, pages still come on first touch. The snapshot writes the one page
// written, not the 1,536 zero pages of the arena nothing touched (the write scan once counted them).
TEST_F(StoreTest, ADeferredBackgroundRestoreStartsWhenAnythingWaitsForIt) {
  auto store = create();
  for (std::uint64_t p = 0; p < 512; ++p) std::memcpy(store->arena().page(p), &p, 8);
  snapshot(*store);
  store.reset();
  store::StoreOptions deferred;
  deferred.defer_background_restore = true;

  store = reopen(deferred);  // closed before the prefetcher began
  ASSERT_TRUE(store);
  if (!store->restore_report().lazy) GTEST_SKIP() << "lazy restore unavailable: " << store->restore_report().eager_reason;
  store.reset();

  store = reopen(deferred);
  ASSERT_TRUE(store);
  for (std::uint64_t p = 0; p < 512; p += 61) {
    std::uint64_t v;
    std::memcpy(&v, store->arena().page(p), 8);
    ASSERT_EQ(v, p);
  }
  store->arena().page(3)[100] = std::byte{1};
  EXPECT_EQ(snapshot(*store).data_blocks, 1u);  // waited for the restore, which it started
  for (std::uint64_t p = 0; p < 512; ++p) {
    std::uint64_t v;
    std::memcpy(&v, store->arena().page(p), 8);
    ASSERT_EQ(v, p);
  }

  store.reset();
  store = reopen(deferred);
  ASSERT_TRUE(store);
  store->start_background_restore();
  store->start_background_restore();  // any number of times
  store->wait_until_restored();
  EXPECT_EQ(store->arena().page(3)[100], std::byte{1});
}

TEST_F(StoreTest, LazyRestoreOfADamagedPageDropsTheSnapshotAndStops) { damaged_lazy_restore(3); }

// The current record names only the damaged snapshot: the fallback comes from the other slot's record,
// as an eager restore's would (before, both slots were rewritten empty and the world restarted blank).
TEST_F(StoreTest, LazyRestoreFallsBackToASnapshotOnlyTheOtherRecordNames) { damaged_lazy_restore(1); }

// An event recorded at boot, while the damaged snapshot is still being verified, keeps that fallback.
TEST_F(StoreTest, AnEventRecordedDuringALazyRestoreKeepsTheFallback) { damaged_lazy_restore(1, true); }

TEST_F(StoreTest, TornCommitRecordFallsBackToTheOtherSlot) {
  auto store = create();
  store->arena().page(5)[0] = std::byte{1};
  snapshot(*store);
  store->arena().page(5)[0] = std::byte{2};
  SnapshotReport second = snapshot(*store);
  store.reset();
  // Tear the newest record: half of its sectors hold garbage.
  std::uint64_t slot = second.generation % 2;
  for (int i = 2048; i < 4096; ++i) device_.bytes()[slot * 4096 + i] = std::byte(i);
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  EXPECT_EQ(store->arena().page(5)[0], std::byte{1});
  EXPECT_TRUE(store->restore_report().recovered);
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

TEST_F(StoreTest, WriteFailureMovesToFailedStateAndKeepsTheLastCommit) {
  auto store = create();
  store->arena().page(9)[0] = std::byte{1};
  snapshot(*store);
  device_.fail_write_at = device_.writes + 1;
  store->arena().page(9)[0] = std::byte{2};
  auto failed = store->snapshot(control_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::io);
  EXPECT_EQ(store->state(), StoreState::failed);
  EXPECT_EQ(control_.stops, control_.resumes) << "the world must run again after a failure";
  device_.fail_write_at.reset();
  auto refused = store->snapshot(control_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::failed_state);
  store.reset();
  store = reopen();
  EXPECT_EQ(store->arena().page(9)[0], std::byte{1});
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

TEST_F(StoreTest, FlushFailureOfTheCommitRecordIsAFailure) {
  auto store = create();
  store->arena().page(9)[0] = std::byte{1};
  device_.fail_flush_at = device_.flushes + 2;  // the flush after the commit record
  auto failed = store->snapshot(control_);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(store->state(), StoreState::failed);
}

TEST_F(StoreTest, FullDeviceIsReportedAsNoSpace) {
  device_.max_blocks = 64;
  auto store = create();
  for (std::uint64_t p = 0; p < 2048; ++p) store->arena().page(p)[0] = std::byte{1};
  auto report = store->snapshot(control_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().code, Errc::no_space);
  store.reset();
  device_.max_blocks.reset();
  store = reopen();  // the world still opens at its last commit (empty)
  EXPECT_EQ(store->restore_report().restored_seq, 0u);
}

TEST_F(StoreTest, OpeningAForeignOrTruncatedImageFailsCleanly) {
  MemoryBlockDevice foreign(4);
  std::memset(foreign.bytes().data(), 'x', foreign.bytes().size());
  auto a = Store::open(*env_, BorrowedDevice::of(foreign), {});
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error().message.find("not a Phantom world"), std::string::npos);
  MemoryBlockDevice tiny(1);
  auto b = Store::open(*env_, BorrowedDevice::of(tiny), {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::corrupt);
}

// Where the recorded address cannot be had (taken here by another mapping; on an arm64 kernel with
// 39-bit addresses it does not exist), the arena is mapped elsewhere and the world is the same: every
// reference is an offset. The image keeps its recorded address, and the next open goes back there.
TEST_F(StoreTest, AWorldWhoseArenaAddressIsTakenRunsElsewhere) {
  auto store = create();
  ASSERT_TRUE(store);
  std::strcpy(reinterpret_cast<char*>(store->arena().page(3)), "wherever it is mapped");
  store->arena().page(2047)[4095] = std::byte{0x5A};
  snapshot(*store);
  store.reset();
  {
    auto blocker = env_->reserve_arena(testing::test_arena_base, small_world().arena_size);
    ASSERT_TRUE(blocker.ok()) << blocker.error().message;
    auto moved = reopen();
    ASSERT_TRUE(moved);
    EXPECT_TRUE(moved->restore_report().arena_moved);
    EXPECT_NE(reinterpret_cast<std::uint64_t>(moved->arena().base()), testing::test_arena_base);
    ASSERT_FALSE(moved->restore_report().warnings.empty());
    EXPECT_NE(moved->restore_report().warnings.back().find("not at its recorded"), std::string::npos)
        << moved->restore_report().warnings.back();
    moved->wait_until_restored();
    EXPECT_STREQ(reinterpret_cast<char*>(moved->arena().page(3)), "wherever it is mapped");
    EXPECT_EQ(moved->arena().page(2047)[4095], std::byte{0x5A});
    moved->arena().page(5)[0] = std::byte{7};  // written while elsewhere: tracked and snapshotted there
    EXPECT_EQ(snapshot(*moved).seq, 2u);
    EXPECT_EQ(moved->record().geometry.arena_base, testing::test_arena_base) << "the image keeps its address";
    // A second world in this process while the first holds the address: it runs elsewhere too.
    MemoryBlockDevice other;
    auto second = Store::create(*env_, BorrowedDevice::of(other), small_world(), {});
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_TRUE((*second)->restore_report().arena_moved);
  }
  store = reopen();  // the address is free again
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->restore_report().arena_moved);
  EXPECT_EQ(reinterpret_cast<std::uint64_t>(store->arena().base()), testing::test_arena_base);
  store->wait_until_restored();
  EXPECT_EQ(store->arena().page(5)[0], std::byte{7});
  EXPECT_STREQ(reinterpret_cast<char*>(store->arena().page(3)), "wherever it is mapped");
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

TEST_F(StoreTest, StagingLimitWritesTheRestDuringThePause) {
  StoreOptions options;
  options.precopy_max_rounds = 0;  // everything is residual
  options.staging_limit_pages = 16;
  auto store = create(options);
  for (std::uint64_t p = 0; p < 2048; ++p) store->arena().page(p)[1] = std::byte(p);
  SnapshotReport report = snapshot(*store);
  EXPECT_EQ(report.residual_pages, 2048u);
  EXPECT_GT(report.unstaged_pages, 0u);
  store.reset();
  store = reopen(options);
  for (std::uint64_t p = 0; p < 2048; ++p) ASSERT_EQ(store->arena().page(p)[1], std::byte(p));
}

TEST_F(StoreTest, MprotectTrackingGivesTheSameSnapshots) {
  StoreOptions options;
  options.tracking = host::TrackingMode::mprotect;
  auto store = create(options);
  EXPECT_EQ(store->tracking_mode(), host::TrackingMode::mprotect);
  std::strcpy(reinterpret_cast<char*>(store->arena().page(700)), "tracked by mprotect");
  snapshot(*store);
  store.reset();
  store = reopen(options);
  EXPECT_STREQ(reinterpret_cast<char*>(store->arena().page(700)), "tracked by mprotect");
}

}  // namespace
}  // namespace phantom::store

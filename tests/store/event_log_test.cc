// Tests for store/event_log and the store's event log: the block format and its validation, durability
// through record_events() and snapshots, the bound of max_log_blocks, rollback and recovery keeping the
// newest log, the free map around log blocks, fsck and repair, the offline reader, and concurrency.
#include "store/event_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>
#include <unistd.h>

#include "store/fsck.h"
#include "store/image.h"
#include "store/store.h"
#include "store/world_info.h"
#include "support/memory_block_device.h"
#include "support/store_fixture.h"
#include "support/test_world.h"
#include "util/bytes.h"
#include "util/checksum.h"

namespace phantom::store {
namespace {

using testing::BorrowedDevice;
using testing::CountingControl;
using testing::MemoryBlockDevice;
using testing::small_world;

Event make_event(std::uint16_t kind, std::string text, std::uint64_t detail = 0) {
  Event e;
  e.time_ns = 1'700'000'000'000'000'000ull + detail;
  e.kind = kind;
  e.boot = 3;
  e.seq = detail % 7;
  e.detail = detail;
  e.text = std::move(text);
  return e;
}

// Re-seals a log block after a test edits a field, so only that field's own check can fail.
void reseal(std::array<std::byte, block_bytes>& block, std::uint64_t at) {
  put_u64(block.data() + 16, 0);
  put_u64(block.data() + 16, checksum64(block.data(), block_bytes, log_seed(at)));
}

// ----- the block format -----

TEST(EventLog, BlockRoundTrip) {
  LogBlock block;
  block.first_number = 17;
  block.link = {900, 0xfeed};
  block.events = {make_event(1, "boot", 1), make_event(2, "", 2), make_event(65535, std::string(400, 'x'), ~0ull)};
  for (std::size_t i = 0; i < block.events.size(); ++i) block.events[i].number = 17 + i;
  std::array<std::byte, block_bytes> bytes;
  std::uint64_t sum = encode_log_block(block, 1234, bytes);
  auto decoded = decode_log_block(bytes, Ref{1234, sum});
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->first_number, 17u);
  EXPECT_EQ(decoded->link, (Ref{900, 0xfeed}));
  EXPECT_EQ(decoded->events, block.events);
  // The checksum binds the block to where it lives: the same bytes read from another block fail.
  EXPECT_FALSE(decode_log_block(bytes, Ref{1235, sum}).ok());
}

TEST(EventLog, TextIsCutAtAUtf8Boundary) {
  std::string exact(max_event_text, 'a');
  limit_event_text(exact);
  EXPECT_EQ(exact.size(), max_event_text);
  // 399 ASCII bytes and a two-byte character: the cut at 400 would split it, so it goes whole.
  std::string two = std::string(max_event_text - 1, 'a') + "\xc3\xa9";
  limit_event_text(two);
  EXPECT_EQ(two, std::string(max_event_text - 1, 'a'));
  // A three-byte character straddling the limit, then more text.
  std::string three = std::string(max_event_text - 2, 'b') + "\xe2\x82\xac" + "tail";
  limit_event_text(three);
  EXPECT_EQ(three.size(), max_event_text - 2);
  // Exactly at a boundary: nothing of the character before is lost.
  std::string at = std::string(max_event_text - 2, 'c') + "\xc3\xa9" + "zz";
  limit_event_text(at);
  EXPECT_EQ(at, std::string(max_event_text - 2, 'c') + "\xc3\xa9");
}

TEST(EventLog, HostileBlocksAreRejectedWithAClearError) {
  LogBlock block;
  block.first_number = 5;
  block.events = {make_event(1, "one"), make_event(2, "two")};
  std::array<std::byte, block_bytes> good;
  const std::uint64_t at = 77;
  encode_log_block(block, at, good);
  struct Case {
    const char* name;
    std::function<void(std::array<std::byte, block_bytes>&)> edit;
    bool reseal;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"magic", [](auto& b) { b[0] = std::byte{'X'}; }, true, "bad magic"},
      {"checksum", [](auto& b) { b[300] ^= std::byte{1}; }, false, "checksum mismatch"},
      {"no events", [](auto& b) { put_u16(b.data() + 4, 0); }, true, "no event"},
      {"count too large", [](auto& b) { put_u16(b.data() + 4, 5000); }, true, "too large"},
      {"more events than bytes", [](auto& b) { put_u16(b.data() + 4, 3); }, true, "runs past"},
      {"bytes past the block", [](auto& b) { put_u16(b.data() + 6, 4090); }, true, "run past the block"},
      {"text past the bytes", [](auto& b) { put_u16(b.data() + 40 + 34, 300); }, true, "runs past"},
      {"text too long", [](auto& b) { put_u16(b.data() + 40 + 34, 401); }, true, "text length 401"},
      {"fewer bytes used", [](auto& b) { put_u16(b.data() + 6, get_u16(b.data() + 6) + 1); }, true, "the block says"},
      {"first number 0", [](auto& b) { put_u64(b.data() + 8, 0); }, true, "first event number"},
      {"number overflow", [](auto& b) { put_u64(b.data() + 8, ~0ull); }, true, "first event number"},
      {"link to a record slot", [](auto& b) { put_u64(b.data() + 24, 1); }, true, "link"},
      {"empty link with a checksum", [](auto& b) { put_u64(b.data() + 32, 9); }, true, "link"},
  };
  for (const Case& c : cases) {
    auto bytes = good;
    c.edit(bytes);
    if (c.reseal) reseal(bytes, at);
    Ref ref{at, get_u64(bytes.data() + 16)};
    auto decoded = decode_log_block(bytes, ref);
    ASSERT_FALSE(decoded.ok()) << c.name;
    EXPECT_EQ(decoded.error().code, Errc::corrupt) << c.name;
    EXPECT_NE(decoded.error().message.find(c.expect), std::string::npos) << c.name << ": " << decoded.error().message;
    EXPECT_NE(decoded.error().message.find("block 77"), std::string::npos) << c.name << ": " << decoded.error().message;
  }
  // Intact, but not what the referrer expects.
  auto wrong = decode_log_block(good, Ref{at, get_u64(good.data() + 16) + 1});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("referrer expects"), std::string::npos);
  // Random garbage never crashes the decoder.
  std::mt19937_64 random(5);
  for (int i = 0; i < 2000; ++i) {
    auto bytes = good;
    for (int k = 0; k < 8; ++k) bytes[40 + random() % 200] = std::byte(random());
    reseal(bytes, at);
    auto decoded = decode_log_block(bytes, Ref{at, get_u64(bytes.data() + 16)});
    if (decoded.ok()) {
      EXPECT_LE(decoded->events.size(), max_events_per_block);
    }
  }
}

TEST(EventLog, PackFillsEachBlockAsFarAsItGoes) {
  std::vector<Event> events;
  for (int i = 0; i < 300; ++i) events.push_back(make_event(1, std::string(i % 120, 'e'), i));
  auto runs = pack_events(events);
  std::size_t n = 0;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    LogBlock block{1, {}, runs[r]};
    EXPECT_LE(block.payload_bytes(), log_payload_bytes);
    if (r + 1 < runs.size()) {  // not even the next event would have fitted
      EXPECT_GT(block.payload_bytes() + encoded_event_bytes(runs[r + 1].front()), log_payload_bytes);
    }
    for (const Event& e : runs[r]) EXPECT_EQ(e, events[n++]);
  }
  EXPECT_EQ(n, events.size());
  std::vector<Event> empty_texts(250, make_event(1, ""));
  EXPECT_EQ(pack_events(empty_texts).front().size(), max_events_per_block);
}

// ----- the store's log -----

class EventLogStoreTest : public testing::StoreFixture {
 protected:
  std::vector<Event> record(Store& store, std::vector<Event> events) {
    auto recorded = store.record_events(std::move(events));
    EXPECT_TRUE(recorded.ok()) << (recorded.ok() ? "" : recorded.error().message);
    return recorded.ok() ? recorded.value() : std::vector<Event>{};
  }
  FsckReport fsck_report(FsckOptions options = {}) {
    auto report = fsck(device_, options);
    EXPECT_TRUE(report.ok());
    return report.ok() ? report.value() : FsckReport{};
  }
  bool fsck_clean() {
    FsckReport report = fsck_report();
    for (auto& e : report.errors) ADD_FAILURE() << e;
    return report.clean();
  }
  // The current record's log chain, as a reader follows it.
  // Retention 1, so the previous record names snapshot 1 and the current one snapshot 2; page 2 holds
  // 1 then 2; "after 1" is recorded between the snapshots and "with 2" goes with the second:
  // the records are then {1} + "after 1" and {2} + "after 1", "with 2".
  std::unique_ptr<Store> two_snapshots_with_events() {
    CreateOptions c = small_world();
    c.retention = 1;
    auto store = create({}, c);
    store->arena().page(2)[0] = std::byte{1};
    snapshot(*store);
    record(*store, {make_event(1, "after 1")});
    store->queue_event(make_event(2, "with 2"));
    store->arena().page(2)[0] = std::byte{2};
    snapshot(*store);
    return store;
  }
  LogChain current_chain() {
    Image image(device_);
    auto slots = image.read_slots();
    EXPECT_TRUE(slots.ok());
    auto chain = read_log_chain(image, slots->record[*slots->current]->event_log);
    EXPECT_TRUE(chain.ok());
    return chain.ok() ? chain.value() : LogChain{};
  }

};

std::vector<std::string> texts(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const Event& e : events) out.push_back(e.text);
  return out;
}

void expect_numbered_from(const std::vector<Event>& events, std::uint64_t first) {
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].number, first + i) << "event " << i;
}

TEST_F(EventLogStoreTest, RecordedEventsAreBackAfterReopenNumbered) {
  auto store = create();
  EXPECT_TRUE(store->events().empty());
  auto first = record(*store, {make_event(1, "created"), make_event(2, "booted", 7)});
  ASSERT_EQ(first.size(), 2u);
  expect_numbered_from(first, 1);
  auto second = record(*store, {make_event(3, std::string(450, 'L'))});  // cut to max_event_text
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].number, 3u);
  EXPECT_EQ(second[0].text.size(), max_event_text);
  auto expected = first;
  expected.push_back(second[0]);
  EXPECT_EQ(store->events(), expected);
  store.reset();

  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->events(), expected);
  EXPECT_EQ(store->restore_report().events_restored, 3u);
  EXPECT_TRUE(store->restore_report().warnings.empty());
  EXPECT_EQ(record(*store, {make_event(4, "again")})[0].number, 4u);  // numbers continue
  store.reset();
  FsckReport report = fsck_report();
  EXPECT_TRUE(report.clean());
  EXPECT_EQ(report.events_verified, 4u);
}

// The newest events are kept, the oldest dropped at max_log_blocks blocks, numbers continue, and the
// blocks of dropped and superseded log blocks are freed rather than piling up (commit rule 5).
TEST_F(EventLogStoreTest, AFullLogKeepsTheNewestBlocksAndFreesTheRest) {
  auto store = create();
  store->arena().page(3)[0] = std::byte{1};
  snapshot(*store);
  const std::uint64_t used_before = store->statistics().used_blocks;
  const std::uint64_t size_before = device_.size_blocks();
  std::uint64_t number = 0;
  for (int batch = 0; batch < 200; ++batch) {
    std::vector<Event> events;
    for (int i = 0; i < 5; ++i) events.push_back(make_event(1, fmt::format("event {:04} {}", number + i, std::string(80, '.'))));
    auto recorded = record(*store, events);
    ASSERT_EQ(recorded.size(), 5u);
    EXPECT_EQ(recorded.front().number, number + 1);
    number += 5;
    // Both slots' logs are live; the rest of the log blocks ever written are free.
    ASSERT_LE(store->statistics().used_blocks, used_before + 2 * max_log_blocks) << "batch " << batch;
  }
  EXPECT_EQ(device_.size_blocks(), size_before) << "freed log blocks must be reused";
  std::vector<Event> held = store->events();
  ASSERT_FALSE(held.empty());
  EXPECT_EQ(held.back().number, 1000u);
  EXPECT_GT(held.front().number, 1u) << "1000 events of ~120 bytes do not fit in 16 blocks";
  EXPECT_GE(held.size(), 15u * (log_payload_bytes / (event_header_bytes + 91)));
  expect_numbered_from(held, held.front().number);
  EXPECT_EQ(current_chain().blocks.size(), max_log_blocks);
  EXPECT_FALSE(current_chain().damage);
  store.reset();

  store = reopen();
  EXPECT_EQ(store->events(), held);
  EXPECT_EQ(record(*store, {make_event(1, "next")})[0].number, 1001u);
  // A batch larger than the whole log: only its newest events stay.
  std::vector<Event> flood;
  for (int i = 0; i < 2500; ++i) flood.push_back(make_event(2, fmt::format("flood {}", i)));
  auto recorded = record(*store, flood);
  ASSERT_EQ(recorded.size(), 2500u);
  EXPECT_EQ(recorded.back().number, 3501u);
  held = store->events();
  EXPECT_EQ(held.back().text, "flood 2499");
  EXPECT_LE(held.size(), max_log_blocks * max_events_per_block);
  expect_numbered_from(held, held.front().number);
  store.reset();
  store = reopen();
  EXPECT_EQ(store->events(), held);
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

// A queued event rides on the next snapshot's commit: durable with that snapshot, at no extra flush.
TEST_F(EventLogStoreTest, QueuedEventsAreDurableWithTheNextSnapshotAtNoExtraFlush) {
  auto store = create();
  store->arena().page(1)[0] = std::byte{1};
  std::uint64_t flushes = device_.flushes;
  snapshot(*store);
  const std::uint64_t plain = device_.flushes - flushes;
  EXPECT_EQ(plain, 2u);

  store->queue_event(make_event(5, "queued one"));
  store->queue_event(make_event(6, std::string(500, 'q')));
  EXPECT_TRUE(store->events().empty()) << "queued events are not in the log until a commit writes them";
  store->arena().page(1)[0] = std::byte{2};
  flushes = device_.flushes;
  SnapshotReport report = snapshot(*store);
  EXPECT_EQ(device_.flushes - flushes, plain) << "the log block must go out with the snapshot's nodes";
  auto events = store->events();
  ASSERT_EQ(events.size(), 2u);
  expect_numbered_from(events, 1);
  EXPECT_EQ(events[1].text.size(), max_event_text);

  // Queued events go first in record_events(), and an idle snapshot carries queued ones too.
  store->queue_event(make_event(7, "queued two"));
  auto recorded = record(*store, {make_event(8, "recorded")});
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].number, 4u);
  store->queue_event(make_event(9, "with an idle snapshot"));
  snapshot(*store);
  store.reset();

  store = reopen();
  EXPECT_EQ(store->restore_report().restored_seq, report.seq + 1);
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"queued one", std::string(max_event_text, 'q'), "queued two",
                                                               "recorded", "with an idle snapshot"}));
  expect_numbered_from(store->events(), 1);
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

// With retention 1 the previous record names snapshot 1 and the current one snapshot 2. Rolling back to
// 1 takes the previous record's snapshot list, but the newest log: the events recorded after snapshot 1
// (and the rollback's own place in history) are kept, and numbering continues.
TEST_F(EventLogStoreTest, RollbackKeepsTheEventsRecordedAfterThatSnapshot) {
  auto store = two_snapshots_with_events();
  store.reset();

  auto rolled = rollback(device_, 1, 0);
  ASSERT_TRUE(rolled.ok()) << rolled.error().message;
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  EXPECT_EQ(store->arena().page(2)[0], std::byte{1});
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"after 1", "with 2"}));
  EXPECT_EQ(record(*store, {make_event(3, "rolled back")})[0].number, 3u);
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

// Recovery at open that falls back to a snapshot only the previous record names keeps the newest log.
TEST_F(EventLogStoreTest, FallingBackToAnOlderSnapshotKeepsTheNewestLog) {
  auto store = two_snapshots_with_events();
  Ref newest = store->record().snapshots.back().root;
  store.reset();
  Image image(device_);
  auto table = PageTable::load(image, 2048, newest);
  ASSERT_TRUE(table.ok());
  device_.bytes()[table->page(2).block * 4096 + 100] ^= std::byte{1};

  StoreOptions eager;
  eager.lazy_restore = false;
  store = reopen(eager);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  EXPECT_TRUE(store->restore_report().recovered);
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"after 1", "with 2"}));
  store.reset();
  EXPECT_TRUE(fsck_clean());
  store = reopen();
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"after 1", "with 2"}));
}

// A torn newest record: the valid slot's log is the world's log; the torn record's head block is
// free again, and the image is clean after recovery.
TEST_F(EventLogStoreTest, ATornNewestRecordFallsBackToTheLogOfTheValidSlot) {
  auto store = create();
  store->arena().page(5)[0] = std::byte{1};
  snapshot(*store);
  record(*store, {make_event(1, "durable")});
  record(*store, {make_event(2, "in the torn record")});
  std::uint64_t slot = store->record().generation % 2;
  store.reset();
  for (int i = 2048; i < 4096; ++i) device_.bytes()[slot * 4096 + i] = std::byte(i);
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->restore_report().recovered);
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"durable"}));
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

// Log blocks are never handed out while a slot reaches them: many snapshots on a small image reuse
// blocks all the time, and the log recorded between them still reads back whole.
TEST_F(EventLogStoreTest, LogBlocksAreNeverReusedWhileReachable) {
  CreateOptions c = small_world();
  c.retention = 2;
  auto store = create({}, c);
  std::mt19937 random(3);
  for (std::uint64_t p = 0; p < 2048; ++p) store->arena().page(p)[0] = std::byte{1};
  snapshot(*store);
  std::vector<Event> expected;
  for (int i = 0; i < 150; ++i) {
    for (int k = 0; k < 200; ++k) store->arena().page(random() % 2048)[0] = std::byte(i);
    if (i % 3 == 0) {
      auto recorded = record(*store, {make_event(1, fmt::format("between snapshots {} {}", i, std::string(150, '-')))});
      expected.insert(expected.end(), recorded.begin(), recorded.end());
    }
    if (i % 5 == 0) store->queue_event(make_event(2, fmt::format("with snapshot {}", i)));
    snapshot(*store);
    if (i == 75) {  // the free map rebuilt from the slots at open must protect the log blocks too
      store.reset();
      store = reopen();
      ASSERT_TRUE(store);
    }
  }
  std::vector<Event> held = store->events();
  for (const Event& e : expected) {
    bool found = std::find(held.begin(), held.end(), e) != held.end();
    EXPECT_TRUE(found) << e.number << " " << e.text;
  }
  EXPECT_FALSE(current_chain().damage) << current_chain().damage->message;
  store.reset();
  EXPECT_TRUE(fsck_clean());
  store = reopen();
  EXPECT_EQ(store->events(), held);
  EXPECT_TRUE(store->restore_report().warnings.empty());
}

// Four blocks' worth of events, in three commits: [10][10][10][6] events of 340 bytes of text.
void fill_blocks(Store& store) {
  for (int i = 0; i < 3; ++i) {
    std::vector<Event> events;
    for (int k = 0; k < 12; ++k) events.push_back(make_event(1, fmt::format("block {} event {:02} {}", i, k, std::string(320, '#'))));
    auto recorded = store.record_events(events);
    EXPECT_TRUE(recorded.ok());
  }
}

TEST_F(EventLogStoreTest, FsckVerifiesTheLogAndOpenKeepsTheIntactNewerPart) {
  auto store = create();
  store->arena().page(1)[0] = std::byte{1};
  snapshot(*store);
  fill_blocks(*store);
  std::vector<Event> all = store->events();
  store.reset();
  LogChain chain = current_chain();
  ASSERT_GE(chain.blocks.size(), 3u);
  FsckReport clean = fsck_report();
  EXPECT_TRUE(clean.clean());
  EXPECT_EQ(clean.events_verified, all.size());
  EXPECT_GE(clean.log_blocks_verified, chain.blocks.size());

  // Damage the oldest block: fsck names it; open warns and keeps the newer blocks' events.
  const std::uint64_t damaged = chain.blocks.front().ref.block;
  const std::size_t lost = chain.blocks.front().block.events.size();
  device_.bytes()[damaged * 4096 + 1000] ^= std::byte{0x40};
  FsckReport report = fsck_report();
  EXPECT_FALSE(report.clean());
  bool named = false;
  for (auto& e : report.errors) named |= e.find(fmt::format("event log damaged at block {}", damaged)) != std::string::npos;
  EXPECT_TRUE(named) << (report.errors.empty() ? "no error" : report.errors[0]);

  store = reopen();
  ASSERT_TRUE(store) << "a damaged log must never stop a world from opening";
  bool warned = false;
  for (auto& w : store->restore_report().warnings)
    warned |= w.find(fmt::format("event log damaged at block {}", damaged)) != std::string::npos &&
              w.find("the events before it are lost") != std::string::npos;
  EXPECT_TRUE(warned);
  std::vector<Event> kept(all.begin() + lost, all.end());
  EXPECT_EQ(store->events(), kept);
  // The next commit writes the intact part afresh, numbering goes on; once the commit after it has
  // replaced the other slot's record too, nothing names the damaged block and the image is clean.
  EXPECT_EQ(record(*store, {make_event(9, "after the damage")})[0].number, all.back().number + 1);
  EXPECT_FALSE(fsck(device_, {})->clean()) << "the previous record still names the damaged log";
  snapshot(*store);
  store.reset();
  EXPECT_TRUE(fsck_clean());
  store = reopen();
  kept.push_back(store->events().back());
  EXPECT_EQ(store->events(), kept);
}

// A damaged head block: the previous record's log (the head before the last append) holds more.
TEST_F(EventLogStoreTest, ADamagedHeadFallsBackToThePreviousRecordsLog) {
  auto store = create();
  record(*store, {make_event(1, "one")});
  record(*store, {make_event(1, "two")});
  store.reset();
  LogChain chain = current_chain();
  device_.bytes()[chain.blocks.back().ref.block * 4096 + 50] ^= std::byte{1};
  store = reopen();
  ASSERT_TRUE(store);
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"one"}));
  EXPECT_FALSE(store->restore_report().warnings.empty());
  EXPECT_EQ(record(*store, {make_event(1, "three")})[0].number, 3u) << "the lost event's number is not reused";
  record(*store, {make_event(1, "four")});  // replaces the record that named the damaged head
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

TEST_F(EventLogStoreTest, FsckRepairKeepsTheIntactNewerPartOrDropsTheLog) {
  auto store = create();
  store->arena().page(1)[0] = std::byte{1};
  snapshot(*store);
  fill_blocks(*store);
  std::vector<Event> all = store->events();
  store.reset();
  LogChain chain = current_chain();
  ASSERT_GE(chain.blocks.size(), 3u);
  // Damage the middle block: the blocks after it are kept, the older ones lost.
  const StoredLogBlock& middle = chain.blocks[chain.blocks.size() - 2];
  std::size_t lost = all.size() - chain.blocks.back().block.events.size();
  device_.bytes()[middle.ref.block * 4096 + 2000] ^= std::byte{2};
  FsckOptions repair;
  repair.repair = true;
  FsckReport repaired = fsck_report(repair);
  EXPECT_FALSE(repaired.clean());
  EXPECT_TRUE(repaired.repaired);
  EXPECT_NE(repaired.repair_summary.find("event log"), std::string::npos) << repaired.repair_summary;
  EXPECT_TRUE(fsck_clean());
  auto read = read_event_log(device_);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->problems.empty());
  EXPECT_EQ(read->events, std::vector<Event>(all.begin() + lost, all.end()));

  // Now the head itself, in both records: nothing intact is left, the log is dropped, numbers go on.
  store = reopen();
  record(*store, {make_event(1, "x")});
  record(*store, {make_event(1, "y")});
  store.reset();
  Image image(device_);
  auto slots = image.read_slots();
  ASSERT_TRUE(slots.ok());
  for (const auto& record : slots->record) device_.bytes()[record->event_log.block * 4096 + 60] ^= std::byte{8};
  repaired = fsck_report(repair);
  EXPECT_TRUE(repaired.repaired);
  EXPECT_NE(repaired.repair_summary.find("starts empty"), std::string::npos) << repaired.repair_summary;
  EXPECT_TRUE(fsck_clean());
  store = reopen();
  EXPECT_TRUE(store->events().empty());
  EXPECT_EQ(record(*store, {make_event(1, "z")})[0].number, all.back().number + 3);
}

// A block that is both a page and a log block is an error, and counts against the log.
TEST_F(EventLogStoreTest, FsckFindsABlockUsedByTheLogAndASnapshot) {
  auto store = create();
  store->arena().page(1)[0] = std::byte{1};
  snapshot(*store);
  CommitRecord record = store->record();
  store.reset();
  Image image(device_);
  auto table = PageTable::load(image, 2048, record.snapshots.back().root);
  ASSERT_TRUE(table.ok());
  const std::uint64_t shared = table->page(1).block;
  // An intact log block written over the page's block, and both records naming it.
  LogBlock block;
  block.first_number = 1;
  block.events = {make_event(1, "intruder")};
  block.events[0].number = 1;
  std::array<std::byte, block_bytes> bytes;
  std::uint64_t sum = encode_log_block(block, shared, bytes);
  std::memcpy(device_.bytes().data() + shared * 4096, bytes.data(), block_bytes);
  const std::uint64_t newest = record.generation;
  for (std::uint64_t g = newest + 1; g <= newest + 2; ++g) {
    record.generation = g;
    record.event_log = {shared, sum};
    record.next_event = 2;
    ASSERT_TRUE(image.write_commit_record(record).ok());
  }
  FsckReport report = fsck_report();
  bool twice = false;
  for (auto& e : report.errors) twice |= e.find("used twice") != std::string::npos && e.find("event log block") != std::string::npos;
  EXPECT_TRUE(twice) << (report.errors.empty() ? "no error" : report.errors[0]);
  // Repair cuts the log before the shared block (here: all of it) and drops the damaged snapshot.
  FsckOptions repair;
  repair.repair = true;
  FsckReport repaired = fsck_report(repair);
  EXPECT_TRUE(repaired.repaired);
  EXPECT_NE(repaired.repair_summary.find("event log: nothing of it was intact"), std::string::npos) << repaired.repair_summary;
  EXPECT_TRUE(fsck_clean());
}

// The same conflict where both readings of the block are intact (a page whose bytes are a valid log
// block for where it lies): open leaves the block to the snapshot, cuts the log there and warns, and
// the block is never freed through the log.
TEST_F(EventLogStoreTest, OpenLeavesABlockThatIsAlsoAPageToThePage) {
  std::uint64_t lands_at = 0;
  {  // Allocation is deterministic: a first world shows which block page 1 lands in.
    MemoryBlockDevice probe;
    auto store = Store::create(*env_, BorrowedDevice::of(probe), small_world(), {});
    ASSERT_TRUE(store.ok());
    (*store)->arena().page(1)[0] = std::byte{1};
    ASSERT_TRUE((*store)->snapshot(control_).ok());
    Image image(probe);
    auto table = PageTable::load(image, 2048, (*store)->record().snapshots.back().root);
    ASSERT_TRUE(table.ok());
    lands_at = table->page(1).block;
  }
  LogBlock block;
  block.first_number = 1;
  block.events = {make_event(1, "a page in disguise")};
  block.events[0].number = 1;
  std::array<std::byte, block_bytes> bytes;
  std::uint64_t sum = encode_log_block(block, lands_at, bytes);
  auto store = create();
  std::memcpy(store->arena().page(1), bytes.data(), block_bytes);
  snapshot(*store);
  CommitRecord written = store->record();
  store.reset();
  Image image(device_);
  ASSERT_EQ(PageTable::load(image, 2048, written.snapshots.back().root)->page(1).block, lands_at);
  const std::uint64_t newest = written.generation;
  for (std::uint64_t g = newest + 1; g <= newest + 2; ++g) {
    written.generation = g;
    written.event_log = {lands_at, sum};
    written.next_event = 2;
    ASSERT_TRUE(image.write_commit_record(written).ok());
  }
  StoreOptions eager;
  eager.lazy_restore = false;
  store = reopen(eager);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->restore_report().restored_seq, 1u);
  bool warned = false;
  for (auto& w : store->restore_report().warnings) warned |= w.find("also used by a snapshot") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_TRUE(store->events().empty());
  EXPECT_EQ(record(*store, {make_event(1, "after")})[0].number, 2u);
  for (int i = 0; i < 3; ++i) record(*store, {make_event(1, "more")});  // the records no longer name the block
  store->arena().page(1)[1] = std::byte{7};
  snapshot(*store);
  store.reset();
  store = reopen(eager);
  EXPECT_EQ(std::memcmp(store->arena().page(1), bytes.data(), 1), 0);
  EXPECT_EQ(store->arena().page(1)[1], std::byte{7});
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

// A record_events() whose log block cannot be written changes nothing: the store stays usable, the
// queued events stay queued. One whose commit record fails leaves the store failed, as a snapshot does.
TEST_F(EventLogStoreTest, AFailedRecordLeavesTheStoreUsableUntilTheCommitRecord) {
  auto store = create();
  record(*store, {make_event(1, "first")});
  store->queue_event(make_event(2, "queued"));
  device_.fail_write_at = device_.writes + 1;  // the log block
  auto failed = store->record_events({make_event(3, "lost")});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::io);
  EXPECT_NE(store->state(), StoreState::failed);
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"first"}));
  device_.fail_flush_at = device_.flushes + 1;  // the flush before the record
  ASSERT_FALSE(store->record_events({make_event(3, "lost")}).ok());
  EXPECT_NE(store->state(), StoreState::failed);
  auto again = record(*store, {make_event(4, "second")});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].number, 3u) << "numbers of an event that failed are given again";
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"first", "queued", "second"}));
  store->arena().page(1)[0] = std::byte{1};
  snapshot(*store);

  device_.fail_write_at = device_.writes + 2;  // the commit record, after the log block
  ASSERT_FALSE(store->record_events({make_event(5, "record fails")}).ok());
  EXPECT_EQ(store->state(), StoreState::failed);
  auto refused = store->snapshot(control_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::failed_state);
  store.reset();
  device_.fail_write_at.reset();
  store = reopen();
  EXPECT_EQ(texts(store->events()), (std::vector<std::string>{"first", "queued", "second"}));
  store.reset();
  EXPECT_TRUE(fsck_clean());
}

// A world on a file: `phantom events` reads its log through a read-only device while it runs.
class EventLogFileTest : public EventLogStoreTest {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() / ("phantom-events-" + std::to_string(::getpid()) + ".img")).string();
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(EventLogFileTest, ReadEventLogWorksOnAReadOnlyDeviceWhileTheWorldIsOpen) {
  auto opened = Store::open_or_create(*env_, path_, small_world(), {});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Store> store = std::move(opened).value();
  auto recorded = record(*store, {make_event(1, "one"), make_event(2, "two")});
  auto device = env_->open_block_device(path_, host::OpenMode::read_only);
  ASSERT_TRUE(device.ok()) << device.error().message;
  auto read = read_event_log(**device);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_TRUE(read->problems.empty());
  EXPECT_EQ(read->events, recorded);
}

// record_events() from another thread while snapshots run in a loop (and a reader beside them): no
// crash, no damage, every acknowledged event durable and numbered in order.
TEST_F(EventLogFileTest, ConcurrentRecordsWhileSnapshotsRun) {
  auto opened = Store::open_or_create(*env_, path_, small_world(), {});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Store> store = std::move(opened).value();
  std::atomic<bool> done{false};
  std::vector<Event> acknowledged;
  std::thread recorder([&] {
    for (int i = 0; i < 200; ++i) {
      auto recorded = store->record_events({make_event(1, fmt::format("thread {}", i)), make_event(2, fmt::format("thread {}b", i))});
      EXPECT_TRUE(recorded.ok()) << recorded.error().message;
      if (!recorded.ok()) break;
      acknowledged.insert(acknowledged.end(), recorded->begin(), recorded->end());
    }
    done = true;
  });
  int reads = 0;
  std::thread reader([&] {  // as `phantom events` does: open the image read-only, read, close
    while (!done) {
      auto device = env_->open_block_device(path_, host::OpenMode::read_only);
      ASSERT_TRUE(device.ok());
      auto read = read_event_log(**device);
      ASSERT_TRUE(read.ok()) << read.error().message;
      if (read->image_grew) continue;  // grown since the open: not damage, read again
      for (auto& p : read->problems) ADD_FAILURE() << p;
      expect_numbered_from(read->events, read->events.empty() ? 1 : read->events.front().number);
      ++reads;
    }
  });
  int snapshots = 0;
  std::mt19937 random(9);
  // Up to 400 snapshots, so that everything still fits in the log and can be checked.
  while ((!done || snapshots < 20) && snapshots < 400) {
    for (int k = 0; k < 50; ++k) store->arena().page(random() % 2048)[k] = std::byte(snapshots);
    store->queue_event(make_event(3, fmt::format("snapshot {}", snapshots)));
    auto report = store->snapshot(control_);
    EXPECT_TRUE(report.ok()) << report.error().message;
    if (!report.ok()) break;
    ++snapshots;
  }
  recorder.join();
  reader.join();
  EXPECT_GT(reads, 0);
  std::vector<Event> held = store->events();
  expect_numbered_from(held, 1);
  store.reset();
  auto reopened = Store::open_or_create(*env_, path_, small_world(), {});
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ((*reopened)->events(), held);
  for (const Event& e : acknowledged) {
    ASSERT_LE(e.number, held.size());
    EXPECT_EQ(held[e.number - 1], e);
  }
  EXPECT_EQ(held.size(), acknowledged.size() + snapshots);
  reopened.value().reset();
  auto device = env_->open_block_device(path_, host::OpenMode::read_only);
  auto report = fsck(**device, {});
  ASSERT_TRUE(report.ok());
  for (auto& e : report->errors) ADD_FAILURE() << e;
}

}  // namespace
}  // namespace phantom::store

// Event log: the world's persistent record of what happened to it (store layer).
// Owns: the Event type, the byte layout of event-log blocks, packing events into blocks, and reading
// a log's chain of blocks from an image. The store keeps the log durably (Store::record_events,
// Store::queue_event); what an event means (its kind, its boot number) is the system layer's business.
// May call: util/ and Image (image.h) only. The reader's version of the layout is docs/image-format.md,
// "Event log"; the two must agree.
//
// The log lives inside the image, so it is as durable as the world and survives a rollback: a commit
// record names the newest log block (compat_event_log, image_format.h), each block links to the older
// one, and record rewrites (rollback, recovery, repair) carry the newest log of the valid slots.
// Log blocks are copy-on-write like pages and nodes (commit rule 1): appending writes a new head block,
// a copy of the old head plus the new events when they fit, otherwise new blocks linked to it.
//
// Event-log block (one block):
//   OFFSET SIZE DESCRIPTION
//        0    4 magic "PEVL"
//        4    2 event count n (at least 1)
//        6    2 bytes of events e (40 + e <= 4096)
//        8    8 number of the first event (>= 1); event i has number first + i
//       16    8 checksum64 of the block with this field zero, seed log_seed(block number)
//       24    8 link: the older block (0: none)
//       32    8 link: the older block's checksum (0 when the link is 0)
//       40    e n events back to back (layout below); the rest of the block is zero
//
// Event (36 + t bytes):
//        0    8 time, ns since the Unix epoch
//        8    8 boot: which run of the world
//       16    8 snapshot sequence number the event concerns (0: none)
//       24    8 detail: a kind-specific number
//       32    2 kind
//       34    2 text length t (<= max_event_text)
//       36    t text, UTF-8
//
// Bound: a reader follows at most max_log_blocks blocks from the head; the link of the last one it
// follows is ignored (its block may since have been freed and reused). So the log holds the newest
// 15 full blocks plus the head: at least 136 events when every text is 400 bytes long, about 800 to
// 850 with 40-byte texts, at most 1,792 with empty ones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "store/image_format.h"
#include "util/result.h"

namespace phantom::store {

class Image;

constexpr std::size_t max_event_text = 400;  // longer text is cut at a UTF-8 boundary
constexpr std::size_t max_log_blocks = 16;   // blocks a log keeps; older ones are no longer followed
constexpr std::size_t log_header_bytes = 40;
constexpr std::size_t event_header_bytes = 36;
constexpr std::size_t log_payload_bytes = block_bytes - log_header_bytes;
constexpr std::size_t max_events_per_block = log_payload_bytes / event_header_bytes;  // 112

struct Event {
  std::uint64_t number = 0;   // 1, 2, ... in the order recorded over the world's life; assigned by the store, never reused
  std::uint64_t time_ns = 0;  // wall clock, ns since the Unix epoch (the caller sets it)
  std::uint16_t kind = 0;     // meaning given by the system layer
  std::uint64_t boot = 0;     // which run of the world (the system layer numbers them)
  std::uint64_t seq = 0;      // the snapshot the event concerns (0: none)
  std::uint64_t detail = 0;   // kind-specific number (a signal number, a thread id)
  std::string text;           // human-readable, at most max_event_text bytes
  bool operator==(const Event&) const = default;
};

// Cuts `text` to at most max_event_text bytes, never inside a UTF-8 sequence.
void limit_event_text(std::string& text);
// Bytes an event takes in a log block (its text already limited).
inline std::size_t encoded_event_bytes(const Event& event) { return event_header_bytes + event.text.size(); }

// One event-log block, decoded.
struct LogBlock {
  std::uint64_t first_number = 0;  // number of events[0]
  Ref link;                        // the older block; block 0: none
  std::vector<Event> events;       // oldest first, numbered first_number, first_number + 1, ...
  std::size_t payload_bytes() const;
};

// Encodes `block` (its events must fit: pack_events() makes sure) for block number `at` and returns
// its checksum (also stored inside). Texts longer than max_event_text are cut.
std::uint64_t encode_log_block(const LogBlock& block, std::uint64_t at, std::span<std::byte, block_bytes> out);
// Decodes the block `ref` points to, checking magic, checksum (stored, computed and expected by
// `ref`), counts and every length against the block's end. The message names the block and field.
Result<LogBlock> decode_log_block(std::span<const std::byte, block_bytes> in, const Ref& ref);

// Splits events (oldest first, texts limited) into runs that each fill one block as far as they go.
std::vector<std::vector<Event>> pack_events(std::span<const Event> events);

// A log block together with where it lives.
struct StoredLogBlock {
  Ref ref;
  LogBlock block;
};

// A log as followed from its head: the intact blocks, and where it broke off, if it did.
struct LogChain {
  std::vector<StoredLogBlock> blocks;   // intact, oldest first (at most max_log_blocks)
  std::vector<std::uint64_t> reached;   // every block the chain names within the bound, damaged ones too
  std::optional<Error> damage;          // "event log damaged at block N: ...; the events before it are lost"
  std::vector<Event> events() const;    // oldest first
  std::uint64_t next_number() const;    // after the newest event; 1 for an empty log
};

// Follows the chain from `head` (at most max_log_blocks blocks). Damage (a bad block, a link out of
// the image, numbers out of order, a cycle) ends the chain and is reported in it; only an I/O error
// fails the call.
Result<LogChain> read_log_chain(Image& image, const Ref& head);

struct SlotState;

// The event log of a world, as the store opens it and `phantom events` reads it: the current record's
// chain, or its intact newer part when it is damaged; when its head block itself is damaged, the
// previous record's chain (one append older: it shares the older blocks) if any of that is intact.
struct WorldEventLog {
  LogChain chain;                                     // the chain chosen
  Ref head;                                           // its head
  std::uint64_t next_number = 1;                      // the number the next event gets (never reused)
  std::vector<std::uint64_t> reached[commit_slots];   // log blocks each valid slot's record reaches
  std::vector<std::string> problems;                  // damage found, and what was used instead
};
// Fails only on an I/O error.
Result<WorldEventLog> read_world_event_log(Image& image, const SlotState& slots);

// A log block encoded for the block it is to be written to.
struct EncodedLogBlock {
  StoredLogBlock stored;
  std::vector<std::byte> bytes;  // block_bytes
};

// Encodes `runs` (oldest first, each from pack_events(), numbered) as a chain: the first block links
// to `tail` (0: none), each later one to the block before it. `allocate` hands out the block each one
// goes to, oldest first. The caller writes them; the last is the new head.
Result<std::vector<EncodedLogBlock>> encode_log_chain(const std::vector<std::vector<Event>>& runs, const Ref& tail,
                                                      const std::function<Result<std::uint64_t>()>& allocate);

}  // namespace phantom::store

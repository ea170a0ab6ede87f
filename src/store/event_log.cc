// Event log: block encoding, validation, packing and chain reading (store layer).
// May call: util/ and the BlockDevice behind an Image only. Layout: event_log.h. The decoder treats its
// input as hostile: every count and length is checked against the block before it is used.
#include "store/event_log.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <unordered_set>

#include "store/image.h"
#include "util/bytes.h"
#include "util/checksum.h"

namespace phantom::store {
namespace {

constexpr std::uint32_t log_magic = 0x4C564550;  // "PEVL" little-endian

std::uint64_t block_checksum(std::span<const std::byte, block_bytes> in, std::uint64_t at) {
  std::array<std::byte, block_bytes> copy;
  std::memcpy(copy.data(), in.data(), block_bytes);
  put_u64(copy.data() + 16, 0);
  return checksum64(copy.data(), block_bytes, log_seed(at));
}

// The reason a block is not a valid log block, without naming the block (the callers do).
Result<LogBlock> decode(std::span<const std::byte, block_bytes> in, const Ref& ref) {
  const std::byte* p = in.data();
  auto bad = [](std::string what) { return make_error(Errc::corrupt, "{}", what); };
  if (get_u32(p) != log_magic) return bad("not an event log block (bad magic)");
  std::uint64_t stored = get_u64(p + 16);
  std::uint64_t computed = block_checksum(in, ref.block);
  if (stored != computed) return bad(fmt::format("checksum mismatch (stored {:#018x}, computed {:#018x})", stored, computed));
  if (stored != ref.checksum)
    return bad(fmt::format("checksum {:#018x} differs from the {:#018x} its referrer expects", stored, ref.checksum));
  std::uint32_t count = get_u16(p + 4);
  std::size_t bytes = get_u16(p + 6);
  LogBlock block;
  block.first_number = get_u64(p + 8);
  block.link = {get_u64(p + 24), get_u64(p + 32)};
  if (count == 0) return bad("holds no event");
  if (count > max_events_per_block) return bad(fmt::format("event count {} is too large (at most {})", count, max_events_per_block));
  if (bytes > log_payload_bytes) return bad(fmt::format("{} bytes of events run past the block", bytes));
  if (block.first_number == 0 || block.first_number > UINT64_MAX - count)
    return bad(fmt::format("first event number {} is out of range", block.first_number));
  if (block.link.block == 0 ? block.link.checksum != 0 : block.link.block < first_data_block)
    return bad(fmt::format("link to block {} is invalid", block.link.block));
  const std::byte* e = p + log_header_bytes;
  std::size_t offset = 0;
  block.events.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (bytes - offset < event_header_bytes) return bad(fmt::format("event {} runs past the {} bytes of events", i, bytes));
    Event event;
    event.number = block.first_number + i;
    event.time_ns = get_u64(e + offset);
    event.boot = get_u64(e + offset + 8);
    event.seq = get_u64(e + offset + 16);
    event.detail = get_u64(e + offset + 24);
    event.kind = get_u16(e + offset + 32);
    std::size_t length = get_u16(e + offset + 34);
    if (length > max_event_text) return bad(fmt::format("event {} has text length {} (at most {})", i, length, max_event_text));
    offset += event_header_bytes;
    if (bytes - offset < length) return bad(fmt::format("text of event {} runs past the {} bytes of events", i, bytes));
    event.text.assign(reinterpret_cast<const char*>(e + offset), length);
    offset += length;
    block.events.push_back(std::move(event));
  }
  if (offset != bytes) return bad(fmt::format("{} events take {} bytes, the block says {}", count, offset, bytes));
  return block;
}

}  // namespace

void limit_event_text(std::string& text) {
  if (text.size() <= max_event_text) return;
  std::size_t cut = max_event_text;
  // Back up over continuation bytes (10xxxxxx) so the character the cut falls in goes whole.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
}

std::size_t LogBlock::payload_bytes() const {
  std::size_t n = 0;
  for (const Event& e : events) n += encoded_event_bytes(e);
  return n;
}

std::uint64_t encode_log_block(const LogBlock& block, std::uint64_t at, std::span<std::byte, block_bytes> out) {
  std::byte* p = out.data();
  std::memset(p, 0, block_bytes);
  std::byte* e = p + log_header_bytes;
  std::size_t offset = 0;
  std::uint16_t count = 0;
  for (const Event& event : block.events) {
    std::size_t length = std::min(event.text.size(), max_event_text);
    if (event.text.size() > max_event_text) {
      std::string cut = event.text;
      limit_event_text(cut);
      length = cut.size();
    }
    assert(offset + event_header_bytes + length <= log_payload_bytes && count < max_events_per_block &&
           "events must be packed with pack_events()");
    put_u64(e + offset, event.time_ns);
    put_u64(e + offset + 8, event.boot);
    put_u64(e + offset + 16, event.seq);
    put_u64(e + offset + 24, event.detail);
    put_u16(e + offset + 32, event.kind);
    put_u16(e + offset + 34, static_cast<std::uint16_t>(length));
    std::memcpy(e + offset + event_header_bytes, event.text.data(), length);
    offset += event_header_bytes + length;
    ++count;
  }
  put_u32(p, log_magic);
  put_u16(p + 4, count);
  put_u16(p + 6, static_cast<std::uint16_t>(offset));
  put_u64(p + 8, block.first_number);
  put_u64(p + 24, block.link.block);
  put_u64(p + 32, block.link.checksum);
  std::uint64_t sum = checksum64(p, block_bytes, log_seed(at));  // the checksum field is still zero
  put_u64(p + 16, sum);
  return sum;
}

Result<LogBlock> decode_log_block(std::span<const std::byte, block_bytes> in, const Ref& ref) {
  auto block = decode(in, ref);
  if (!block.ok()) return make_error(Errc::corrupt, "block {}: event log block: {}", ref.block, block.error().message);
  return block;
}

std::vector<std::vector<Event>> pack_events(std::span<const Event> events) {
  std::vector<std::vector<Event>> runs;
  std::size_t bytes = 0;
  for (const Event& event : events) {
    std::size_t size = encoded_event_bytes(event);
    if (runs.empty() || bytes + size > log_payload_bytes || runs.back().size() == max_events_per_block) {
      runs.emplace_back();
      bytes = 0;
    }
    runs.back().push_back(event);
    bytes += size;
  }
  return runs;
}

std::vector<Event> LogChain::events() const {
  std::vector<Event> out;
  for (const StoredLogBlock& b : blocks) out.insert(out.end(), b.block.events.begin(), b.block.events.end());
  return out;
}

std::uint64_t LogChain::next_number() const {
  if (blocks.empty()) return 1;
  const LogBlock& head = blocks.back().block;
  return head.first_number + head.events.size();
}

Result<LogChain> read_log_chain(Image& image, const Ref& head) {
  LogChain chain;
  std::vector<StoredLogBlock> newest_first;
  std::unordered_set<std::uint64_t> seen;
  std::array<std::byte, block_bytes> buffer;
  auto damaged = [&](std::uint64_t block, const std::string& what) {
    chain.damage = make_error(Errc::corrupt, "{}: event log damaged at block {}: {}; the events before it are lost",
                              image.name(), block, what);
  };
  for (Ref ref = head; ref.block != 0 && chain.reached.size() < max_log_blocks;) {
    if (ref.block < first_data_block || ref.block >= image.size_blocks()) {
      damaged(ref.block, "the block is outside the image");
      break;
    }
    if (!seen.insert(ref.block).second) {
      damaged(ref.block, "the chain links back to a block it holds already");
      break;
    }
    chain.reached.push_back(ref.block);
    PHANTOM_TRY(image.device().read(ref.block, buffer));
    auto block = decode(buffer, ref);
    if (!block.ok()) {
      damaged(ref.block, block.error().message);
      break;
    }
    if (!newest_first.empty()) {
      const LogBlock& newer = newest_first.back().block;
      if (block->first_number + block->events.size() != newer.first_number) {
        damaged(ref.block, fmt::format("its events {}..{} do not precede event {} of the newer block",
                                       block->first_number, block->first_number + block->events.size() - 1,
                                       newer.first_number));
        break;
      }
    }
    Ref link = block->link;
    newest_first.push_back({ref, std::move(block).value()});
    ref = link;
  }
  chain.blocks.assign(std::make_move_iterator(newest_first.rbegin()), std::make_move_iterator(newest_first.rend()));
  return chain;
}

Result<WorldEventLog> read_world_event_log(Image& image, const SlotState& slots) {
  WorldEventLog log;
  std::optional<LogChain> chains[commit_slots];
  for (std::uint64_t slot = 0; slot < commit_slots; ++slot) {
    if (!slots.record[slot]) continue;
    const Ref& head = slots.record[slot]->event_log;
    std::uint64_t other = 1 - slot;
    if (chains[other] && slots.record[other]->event_log == head) {
      chains[slot] = chains[other];  // after a rewrite both records name the same log
    } else {
      PHANTOM_ASSIGN(chains[slot], read_log_chain(image, head));
    }
    log.reached[slot] = chains[slot]->reached;
    log.next_number = std::max(log.next_number, slots.record[slot]->next_event);
  }
  std::uint64_t chosen = *slots.current;
  const LogChain& current = *chains[chosen];
  if (current.damage) {
    log.problems.push_back(current.damage->message);
    // The intact newer part of the current log is the newest history there is; only when nothing of
    // it is intact (its head block is damaged) is the previous record's log, one append older, better.
    if (slots.previous && current.blocks.empty()) {
      const LogChain& previous = *chains[*slots.previous];
      if (!previous.blocks.empty()) {
        chosen = *slots.previous;
        log.problems.push_back(fmt::format("{}: the previous commit record's event log (events up to {}) is used instead",
                                           image.name(), previous.next_number() - 1));
        if (previous.damage) log.problems.push_back(previous.damage->message);
      }
    }
  }
  log.chain = *chains[chosen];
  log.head = slots.record[chosen]->event_log;
  log.next_number = std::max(log.next_number, log.chain.next_number());
  return log;
}

Result<std::vector<EncodedLogBlock>> encode_log_chain(const std::vector<std::vector<Event>>& runs, const Ref& tail,
                                                      const std::function<Result<std::uint64_t>()>& allocate) {
  std::vector<EncodedLogBlock> out;
  out.reserve(runs.size());
  Ref link = tail;
  for (const std::vector<Event>& run : runs) {
    assert(!run.empty());
    PHANTOM_ASSIGN(std::uint64_t at, allocate());
    EncodedLogBlock encoded;
    encoded.stored.block = LogBlock{run.front().number, link, run};
    encoded.bytes.resize(block_bytes);
    std::uint64_t sum = encode_log_block(encoded.stored.block, at, std::span<std::byte, block_bytes>(encoded.bytes.data(), block_bytes));
    encoded.stored.ref = {at, sum};
    link = encoded.stored.ref;
    out.push_back(std::move(encoded));
  }
  return out;
}

}  // namespace phantom::store

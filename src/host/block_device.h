// BlockDevice: the host's persistent storage as numbered 4 KiB blocks (host layer interface).
// A session-like interface (Genode's Block::Session): read, gather-write, flush, size, grow. Nothing
// written is durable until flush() returns; an implementation may lose, reorder or tear unflushed
// writes at a crash, and the store's commit protocol is built for exactly that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "util/result.h"

namespace phantom::host {

constexpr std::size_t block_size = 4096;

// One piece of a gather write; size is a multiple of block_size.
struct WritePiece {
  const std::byte* data;
  std::size_t size;
};

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;

  // What the device is called in messages (a path, or a test's name).
  virtual const std::string& name() const = 0;
  // Current size in blocks; reads and writes must stay below it.
  virtual std::uint64_t size_blocks() const = 0;
  // True when the device holds no byte at all. A file shorter than one block is not empty: its bytes
  // are not shown by read(), and they may be someone's data.
  virtual bool empty() const { return size_blocks() == 0; }
  // Reads out.size() / block_size whole blocks starting at `first`.
  virtual Status read(std::uint64_t first, std::span<std::byte> out) = 0;
  // Writes the pieces back to back to consecutive blocks starting at `first`.
  virtual Status write(std::uint64_t first, std::span<const WritePiece> pieces) = 0;
  // Makes every write that returned before this call durable.
  virtual Status flush() = 0;
  // A hint: start moving what was written towards the disk without waiting for it, so that a later
  // flush() has less left to do. Durability still comes only from flush().
  virtual void start_writeout() {}
  // A hint: start reading these blocks (ascending) into the host's cache without waiting, so that the
  // reads that follow find them there. A cold open reads a thousand tree nodes one after another.
  virtual void prefetch(std::span<const std::uint64_t> blocks) { (void)blocks; }
  // Makes the device at least `blocks` long (files grow; a fixed device fails with no_space).
  virtual Status grow(std::uint64_t blocks) = 0;
};

}  // namespace phantom::host

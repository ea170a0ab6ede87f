// PageTable: one snapshot's map from arena page to stored block, as a flat Merkle radix tree (store layer).
// Level arrays instead of pointer nodes: levels_[L] holds a Ref per node of level L-1 and levels_[depth]
// the single root Ref. Page Refs live in leaves_, one 254-entry chunk per leaf, allocated only where a
// leaf exists, so a large sparse arena (or a hostile image that claims one) costs little memory. A node
// is encoded straight from its slice of the level below. A copy shares the leaf chunks, and whichever
// table changes a shared chunk first takes its own copy of it: lazy restore keeps the restored table
// beside the live one, and a deep copy cost 2.5-3 ms of a 1 GiB reopen (4 MiB of fresh memory).
// Invariants: a Ref with block 0 has checksum 0 and means "all zero"; a node is marked dirty whenever
// any Ref in its slice changed since it was last written, and so is every node above it.
#pragma once

#include <cstdint>
#include <array>
#include <functional>
#include <memory>
#include <vector>

#include "store/image_format.h"
#include "util/result.h"

namespace phantom::store {

class Image;

class PageTable {
 public:
  explicit PageTable(std::uint64_t pages);
  PageTable(const PageTable& other);  // shares the leaf chunks until either side changes one
  PageTable& operator=(const PageTable&) = delete;
  PageTable(PageTable&&) = default;
  PageTable& operator=(PageTable&&) = default;

  std::uint64_t pages() const { return pages_; }
  std::uint32_t depth() const { return depth_; }
  const Ref& page(std::uint64_t index) const {
    const auto& leaf = leaves_[index / node_fanout];
    return leaf ? (*leaf)[index % node_fanout] : zero_ref_;
  }
  // Calls visit(page, ref) for every page with a block, in ascending order.
  template <typename Visit>
  void for_each_page(Visit&& visit) const {
    for (std::uint64_t leaf = 0; leaf < leaves_.size(); ++leaf) {
      if (!leaves_[leaf]) continue;
      for (std::uint64_t i = 0; i < node_fanout; ++i)
        if ((*leaves_[leaf])[i].block != 0) visit(leaf * node_fanout + i, (*leaves_[leaf])[i]);
    }
  }
  const Ref& root() const { return levels_[depth_][0]; }
  std::uint64_t node_count(unsigned level) const { return levels_[level + 1].size(); }
  const Ref& node_ref(unsigned level, std::uint64_t index) const { return levels_[level + 1][index]; }

  // Points `index` at `ref` and marks the nodes above it dirty; returns the Ref it replaced.
  Ref set_page(std::uint64_t index, const Ref& ref);
  // Marks node (level, index) and the nodes above it for rewriting, unchanged (the cleaner moves it).
  void rewrite_node(unsigned level, std::uint64_t index) { mark_dirty(level, index); }
  bool dirty() const { return dirty_count_ > 0; }
  std::uint64_t dirty_nodes() const { return dirty_count_; }

  // Writes every dirty node, leaves first: `write` stores the encoded node and returns where it went.
  // Afterwards no node is dirty and root() names the new tree. The blocks of the nodes replaced are
  // appended to `replaced`, when given.
  Status write_dirty_nodes(std::uint64_t seq, const std::function<Result<Ref>(const Node&)>& write,
                           std::vector<std::uint64_t>* replaced = nullptr);

  // Loads the tree under `root` from `image`, verifying every node on the way down.
  static Result<PageTable> load(Image& image, std::uint64_t pages, const Ref& root);

  // Appends to `out` the blocks of the tree under `root` that `reference` does not have at the same
  // place, reading only the nodes that differ: a subtree whose Ref equals the reference's is the same
  // blocks (the tree is a Merkle tree) and is skipped unread. With `out` joined to the reference's own
  // blocks, that is everything the tree reaches: at open, the free map learns an older retained
  // snapshot from the few hundred nodes it does not share with the restored one, instead of all of them.
  static Status collect_blocks_beyond(Image& image, std::uint64_t pages, const Ref& root, const PageTable& reference,
                                      std::vector<std::uint64_t>& out);

  // Appends to `out` the pages that hold a block in this tree and another Ref (or none) in the tree
  // under `older_root`, reading only the older tree's nodes that differ from this one's (root.block 0:
  // an empty older tree, every stored page differs). With copy-on-write these are the pages written
  // since the older snapshot: what open verifies after a one-flush commit (Store::verify_newest_changes).
  Status changed_pages_since(Image& image, const Ref& older_root, std::vector<std::uint64_t>& out) const;

  // Calls visit(block) for every block this tree references: data pages, then nodes.
  template <typename Visit>
  void for_each_block(Visit&& visit) const {
    for_each_page([&](std::uint64_t, const Ref& r) { visit(r.block); });
    for (unsigned level = 1; level <= depth_; ++level)
      for (const Ref& r : levels_[level])
        if (r.block != 0) visit(r.block);
  }
  // Appends every block this tree references (data pages and nodes) to `out`.
  void collect_blocks(std::vector<std::uint64_t>& out) const;
  std::uint64_t pages_in_use() const { return pages_in_use_; }

 private:
  Node make_node(unsigned level, std::uint64_t index, std::uint64_t seq) const;
  void mark_dirty(unsigned level, std::uint64_t index);

  using Leaf = std::array<Ref, node_fanout>;
  // The Refs below node (level, index): a leaf chunk for level 0, else a slice of levels_[level].
  const Ref* below(unsigned level, std::uint64_t index) const;

  std::uint64_t pages_;
  std::uint32_t depth_;
  // Page Refs; null: every page of that leaf is zero. A chunk with more than one owner is never
  // written (set_page copies it first). Copies are made only of a table nobody writes meanwhile (the
  // store's own, under its locks), so a chunk with one owner cannot gain another while it is written.
  std::vector<std::shared_ptr<Leaf>> leaves_;
  std::vector<std::vector<Ref>> levels_;       // levels_[0] is unused; see above
  std::vector<std::vector<bool>> dirty_;  // dirty_[L][i]: node i of level L needs writing
  std::uint64_t dirty_count_ = 0;
  std::uint64_t pages_in_use_ = 0;
  static constexpr Ref zero_ref_{};
};

}  // namespace phantom::store

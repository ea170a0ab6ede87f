// PageTable: building, writing and loading the per-snapshot page tree (store layer).
#include "store/page_table.h"

#include <algorithm>
#include <vector>

#include "store/image.h"

namespace phantom::store {

PageTable::PageTable(std::uint64_t pages) : pages_(pages), depth_(tree_depth_for(pages)) {
  levels_.resize(depth_ + 1);
  dirty_.resize(depth_);
  leaves_.resize(nodes_at_level(pages, 0));
  for (unsigned level = 0; level < depth_; ++level) {
    levels_[level + 1].resize(nodes_at_level(pages, level));
    dirty_[level].resize(nodes_at_level(pages, level));
  }
}

PageTable::PageTable(const PageTable& other)
    : pages_(other.pages_),
      depth_(other.depth_),
      leaves_(other.leaves_),
      levels_(other.levels_),
      dirty_(other.dirty_),
      dirty_count_(other.dirty_count_),
      pages_in_use_(other.pages_in_use_) {}

void PageTable::mark_dirty(unsigned level, std::uint64_t index) {
  for (; level < depth_; ++level, index /= node_fanout) {
    if (dirty_[level][index]) return;  // everything above is dirty already
    dirty_[level][index] = true;
    ++dirty_count_;
  }
}

Ref PageTable::set_page(std::uint64_t index, const Ref& ref) {
  std::shared_ptr<Leaf>& leaf = leaves_[index / node_fanout];
  if (!leaf) leaf = std::make_shared<Leaf>();
  else if (leaf.use_count() > 1) leaf = std::make_shared<Leaf>(*leaf);  // shared with a copy: ours now
  Ref& slot = (*leaf)[index % node_fanout];
  Ref old = slot;
  slot = ref;
  pages_in_use_ += (ref.block != 0) - (old.block != 0);
  mark_dirty(0, index / node_fanout);
  return old;
}

const Ref* PageTable::below(unsigned level, std::uint64_t index) const {
  if (level == 0) return leaves_[index] ? leaves_[index]->data() : nullptr;
  return levels_[level].data() + index * node_fanout;
}

Node PageTable::make_node(unsigned level, std::uint64_t index, std::uint64_t seq) const {
  Node node;
  node.level = level;
  node.index = index;
  node.seq = seq;
  const Ref* entries = below(level, index);
  if (!entries) return node;
  std::uint64_t count = level == 0 ? node_fanout : std::min<std::uint64_t>(node_fanout, levels_[level].size() - index * node_fanout);
  for (std::uint64_t i = 0; i < count; ++i) node.entries[i] = entries[i];
  return node;
}

Status PageTable::write_dirty_nodes(std::uint64_t seq, const std::function<Result<Ref>(const Node&)>& write,
                                   std::vector<std::uint64_t>* replaced) {
  for (unsigned level = 0; level < depth_; ++level) {
    for (std::uint64_t index = 0; index < dirty_[level].size(); ++index) {
      if (!dirty_[level][index]) continue;
      Node node = make_node(level, index, seq);
      bool empty = true;
      for (const Ref& r : node.entries) empty = empty && r.block == 0;
      Ref ref;  // a node with nothing below it is not stored: its Ref stays zero
      if (!empty) {
        PHANTOM_ASSIGN(ref, write(node));
      } else if (level == 0) {
        leaves_[index].reset();
      }
      if (replaced && levels_[level + 1][index].block != 0) replaced->push_back(levels_[level + 1][index].block);
      levels_[level + 1][index] = ref;
      dirty_[level][index] = false;
      --dirty_count_;
    }
  }
  return ok_status();
}

Result<PageTable> PageTable::load(Image& image, std::uint64_t pages, const Ref& root) {
  PageTable table(pages);
  table.levels_[table.depth_][0] = root;
  // Top-down: each node's entries fill the slice of the level below it.
  for (unsigned level = table.depth_; level-- > 0;) {
    const std::vector<Ref>& refs = table.levels_[level + 1];
    std::vector<std::pair<std::uint64_t, Ref>> present;
    for (std::uint64_t index = 0; index < refs.size(); ++index) {
      if (refs[index].block != 0) present.push_back({index, refs[index]});
      else if (refs[index].checksum != 0)
        return make_error(Errc::corrupt, "tree node (level {}, index {}): absent node with a checksum", level, index);
    }
    // Entries that exist below this level: pages for leaves, else the nodes of the level below.
    const std::uint64_t below_count = level == 0 ? pages : table.levels_[level].size();
    PHANTOM_TRY(image.read_nodes(level, std::move(present), [&](std::uint64_t index, const Node& node) -> Status {
      const Ref& at = table.levels_[level + 1][index];
      std::uint64_t first = index * node_fanout;
      Ref* out;
      if (level == 0) {
        table.leaves_[index] = std::make_shared<Leaf>();
        out = table.leaves_[index]->data();
      } else {
        out = table.levels_[level].data() + first;
      }
      for (std::uint64_t i = 0; i < node_fanout; ++i) {
        const Ref& r = node.entries[i];
        if (first + i >= below_count) {
          if (r.block != 0)
            return make_error(Errc::corrupt, "block {}: tree node (level {}, index {}): entry {} lies beyond the arena",
                              at.block, level, index, i);
          continue;
        }
        if (r.block == 0 && r.checksum != 0)
          return make_error(Errc::corrupt, "block {}: tree node (level {}, index {}): entry {} is absent but has a checksum",
                            at.block, level, index, i);
        if (r.block != 0 && (r.block < first_data_block || r.block >= image.size_blocks()))
          return make_error(Errc::corrupt, "block {}: tree node (level {}, index {}): entry {} points outside the image (block {})",
                            at.block, level, index, i, r.block);
        out[i] = r;
        if (level == 0 && r.block != 0) ++table.pages_in_use_;
      }
      return ok_status();
    }));
  }
  return table;
}

Status PageTable::collect_blocks_beyond(Image& image, std::uint64_t pages, const Ref& root, const PageTable& reference,
                                        std::vector<std::uint64_t>& out) {
  if (reference.pages_ != pages) return make_error(Errc::invalid_argument, "the reference tree has another geometry");
  // Depth first from the root; (level, index, ref) of the nodes still to compare.
  struct Pending {
    unsigned level;
    std::uint64_t index;
    Ref ref;
  };
  std::vector<Pending> stack{{reference.depth_ - 1, 0, root}};
  while (!stack.empty()) {
    Pending at = stack.back();
    stack.pop_back();
    if (at.ref.block == 0 || at.ref == reference.node_ref(at.level, at.index)) continue;  // nothing, or shared
    if (at.ref.block < first_data_block || at.ref.block >= image.size_blocks())
      return make_error(Errc::corrupt, "tree node (level {}, index {}) points outside the image (block {})", at.level,
                        at.index, at.ref.block);
    out.push_back(at.ref.block);
    PHANTOM_ASSIGN(Node node, image.read_node(at.level, at.index, at.ref));
    const std::uint64_t first = at.index * node_fanout;
    const std::uint64_t below = at.level == 0 ? pages : nodes_at_level(pages, at.level - 1);
    for (std::uint64_t i = 0; i < node_fanout && first + i < below; ++i) {
      const Ref& r = node.entries[i];
      if (at.level > 0) {
        stack.push_back({at.level - 1, first + i, r});
      } else if (r.block != 0 && !(r == reference.page(first + i))) {
        if (r.block < first_data_block || r.block >= image.size_blocks())
          return make_error(Errc::corrupt, "page {} points outside the image (block {})", first + i, r.block);
        out.push_back(r.block);
      }
    }
  }
  return ok_status();
}

Status PageTable::changed_pages_since(Image& image, const Ref& older_root, std::vector<std::uint64_t>& out) const {
  // Depth first; an older subtree that is absent (block 0) is compared as one whose entries are all absent.
  struct Pending {
    unsigned level;
    std::uint64_t index;
    Ref older;
  };
  std::vector<Pending> stack{{depth_ - 1, 0, older_root}};
  Node older;
  while (!stack.empty()) {
    Pending at = stack.back();
    stack.pop_back();
    const Ref& here = node_ref(at.level, at.index);
    if (at.older == here || here.block == 0) continue;  // the same blocks below (Merkle tree), or none here
    if (at.older.block != 0) {
      if (at.older.block < first_data_block || at.older.block >= image.size_blocks())
        return make_error(Errc::corrupt, "tree node (level {}, index {}) points outside the image (block {})", at.level,
                          at.index, at.older.block);
      PHANTOM_ASSIGN(older, image.read_node(at.level, at.index, at.older));
    }
    const std::uint64_t first = at.index * node_fanout;
    const std::uint64_t below = at.level == 0 ? pages_ : nodes_at_level(pages_, at.level - 1);
    for (std::uint64_t i = 0; i < node_fanout && first + i < below; ++i) {
      const Ref was = at.older.block != 0 ? older.entries[i] : Ref{};
      if (at.level > 0) {
        stack.push_back({at.level - 1, first + i, was});
      } else if (const Ref& now = page(first + i); now.block != 0 && !(now == was)) {
        out.push_back(first + i);
      }
    }
  }
  return ok_status();
}

void PageTable::collect_blocks(std::vector<std::uint64_t>& out) const {
  // Sized once: grown by doubling, the 2 MB list of a 1 GiB world touched 4 MB of fresh memory and
  // copied it (17-30 ms of a reopen, when open still built such a list, on a VM whose page faults
  // cost up to 10 us).
  std::size_t nodes = 0;
  for (unsigned level = 1; level <= depth_; ++level) nodes += levels_[level].size();
  out.reserve(out.size() + pages_in_use_ + nodes);
  for_each_block([&](std::uint64_t block) { out.push_back(block); });
}

}  // namespace phantom::store

// Cleaner: choosing segments to empty and what to copy out of them (store layer).
#include "store/cleaner.h"

#include <algorithm>

namespace phantom::store {

CleaningPlan plan_cleaning(const PageTable& table, const BlockAllocator& allocator, std::uint64_t reserve,
                           std::uint64_t budget) {
  CleaningPlan plan;
  const std::uint64_t segments = allocator.segments();
  std::uint64_t free = allocator.free_segments();
  if (free >= reserve) return plan;

  // How many blocks of the current snapshot each segment holds.
  std::vector<std::uint32_t> current(segments, 0);
  auto count = [&](std::uint64_t block) {
    if (block / segment_blocks < segments) ++current[block / segment_blocks];
  };
  table.for_each_page([&](std::uint64_t, const Ref& ref) { count(ref.block); });
  for (unsigned level = 0; level < table.depth(); ++level)
    for (std::uint64_t i = 0; i < table.node_count(level); ++i)
      if (table.node_ref(level, i).block) count(table.node_ref(level, i).block);

  // Segments only older snapshots still use become free by themselves once retention drops those
  // snapshots; they need no copying, but they are not free yet, so they do not count. The others are
  // candidates, sparsest first.
  std::vector<std::uint64_t> candidates;
  for (std::uint64_t s = 0; s < segments; ++s) {
    if (allocator.used_in_segment(s) == 0 || s == allocator.open_segment() || s == 0 || current[s] == 0) continue;
    if (current[s] <= segment_blocks * 3 / 4) candidates.push_back(s);
  }
  std::sort(candidates.begin(), candidates.end(), [&](auto a, auto b) { return current[a] < current[b]; });
  std::vector<bool> chosen(segments, false);
  std::uint64_t cost = 0;
  for (std::uint64_t s : candidates) {
    if (free >= reserve || cost + current[s] > budget) break;
    chosen[s] = true;
    cost += current[s];
    ++free;
    ++plan.segments;
  }
  if (plan.segments == 0) return plan;

  auto in_chosen = [&](std::uint64_t block) { return block / segment_blocks < segments && chosen[block / segment_blocks]; };
  table.for_each_page([&](std::uint64_t page, const Ref& ref) {
    if (in_chosen(ref.block)) plan.pages.push_back(page);
  });
  for (unsigned level = 0; level < table.depth(); ++level)
    for (std::uint64_t i = 0; i < table.node_count(level); ++i)
      if (table.node_ref(level, i).block && in_chosen(table.node_ref(level, i).block)) plan.nodes.push_back({level, i});
  return plan;
}

}  // namespace phantom::store

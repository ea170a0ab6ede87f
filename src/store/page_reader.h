// Page reader: reads every stored page of a snapshot in block order, verifying each (store layer).
// Shared by eager restore and the lazy-restore prefetcher: sorting by block turns a snapshot's
// scattered pages into long sequential reads of up to 1 MiB.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "store/image.h"
#include "store/page_table.h"

namespace phantom::store {

// Calls visit(page, data) for every page of `table` whose block verified; stops at the first damaged
// page or read error (returning it) or when `cancel` becomes true.
Status read_pages_in_block_order(Image& image, const PageTable& table,
                                 const std::function<Status(std::uint64_t page, const std::byte* data)>& visit,
                                 const std::atomic<bool>* cancel = nullptr);

// A page and where it is stored (block never 0).
struct PageAt {
  std::uint64_t page;
  Ref ref;
};

// The same for the given pages only, in any order.
Status read_pages_in_block_order(Image& image, std::vector<PageAt> pages,
                                 const std::function<Status(std::uint64_t page, const std::byte* data)>& visit,
                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace phantom::store

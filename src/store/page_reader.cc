// Page reader: sorted, batched, verified reads of a snapshot's pages (store layer).
// May call: host::BlockDevice (through Image) only.
#include "store/page_reader.h"

#include <algorithm>
#include <vector>

namespace phantom::store {

Status read_pages_in_block_order(Image& image, const PageTable& table,
                                 const std::function<Status(std::uint64_t, const std::byte*)>& visit,
                                 const std::atomic<bool>* cancel) {
  constexpr std::size_t batch_blocks = 256;  // 1 MiB per read
  struct Item {
    std::uint64_t block, page, checksum;
  };
  std::vector<Item> items;
  items.reserve(table.pages_in_use());
  table.for_each_page([&](std::uint64_t page, const Ref& ref) { items.push_back({ref.block, page, ref.checksum}); });
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.block < b.block; });
  std::vector<std::byte> buffer(batch_blocks * block_bytes);
  for (std::size_t i = 0; i < items.size();) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return ok_status();
    // The longest run of consecutive blocks from here; one page per block (a block is never shared
    // by two pages of the same snapshot), so a run maps to consecutive items.
    std::size_t run = 1;
    while (i + run < items.size() && run < batch_blocks && items[i + run].block == items[i].block + run) ++run;
    if (items[i].block < first_data_block || items[i].block + run > image.size_blocks())
      return make_error(Errc::corrupt, "{}: page {} points outside the image (block {})", image.name(), items[i].page,
                        items[i].block);
    PHANTOM_TRY(image.device().read(items[i].block, std::span(buffer.data(), run * block_bytes)));
    for (std::size_t k = 0; k < run; ++k) {
      const Item& item = items[i + k];
      const std::byte* data = buffer.data() + k * block_bytes;
      PHANTOM_TRY(image.verify_page(item.page, Ref{item.block, item.checksum}, data));
      PHANTOM_TRY(visit(item.page, data));
    }
    i += run;
  }
  return ok_status();
}

}  // namespace phantom::store

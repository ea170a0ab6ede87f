// Page reader: sorted, batched, verified reads of a snapshot's pages (store layer).
// May call: host::BlockDevice (through Image) only.
#include "store/page_reader.h"

#include <algorithm>
#include <vector>

namespace phantom::store {

Status read_pages_in_block_order(Image& image, const PageTable& table,
                                 const std::function<Status(std::uint64_t, const std::byte*)>& visit,
                                 const std::atomic<bool>* cancel) {
  std::vector<PageAt> pages;
  pages.reserve(table.pages_in_use());
  table.for_each_page([&](std::uint64_t page, const Ref& ref) { pages.push_back({page, ref}); });
  return read_pages_in_block_order(image, std::move(pages), visit, cancel);
}

Status read_pages_in_block_order(Image& image, std::vector<PageAt> pages,
                                 const std::function<Status(std::uint64_t, const std::byte*)>& visit,
                                 const std::atomic<bool>* cancel) {
  constexpr std::size_t batch_blocks = 256;  // 1 MiB per read
  std::sort(pages.begin(), pages.end(), [](const PageAt& a, const PageAt& b) { return a.ref.block < b.ref.block; });
  std::vector<std::byte> buffer(std::min(pages.size(), batch_blocks) * block_bytes);
  for (std::size_t i = 0; i < pages.size();) {
    if (cancel && cancel->load(std::memory_order_relaxed)) return ok_status();
    // The longest run of consecutive blocks from here; one page per block (a block is never shared
    // by two pages of the same snapshot), so a run maps to consecutive items.
    std::size_t run = 1;
    while (i + run < pages.size() && run < batch_blocks && pages[i + run].ref.block == pages[i].ref.block + run) ++run;
    if (pages[i].ref.block < first_data_block || pages[i].ref.block + run > image.size_blocks())
      return make_error(Errc::corrupt, "{}: page {} points outside the image (block {})", image.name(), pages[i].page,
                        pages[i].ref.block);
    PHANTOM_TRY(image.device().read(pages[i].ref.block, std::span(buffer.data(), run * block_bytes)));
    for (std::size_t k = 0; k < run; ++k) {
      const PageAt& item = pages[i + k];
      const std::byte* data = buffer.data() + k * block_bytes;
      PHANTOM_TRY(image.verify_page(item.page, item.ref, data));
      PHANTOM_TRY(visit(item.page, data));
    }
    i += run;
  }
  return ok_status();
}

}  // namespace phantom::store

// Name section: function names from the "name" custom section (wasm layer).
// May call: util/ only.
#include "wasm/name_section.h"

namespace phantom::wasm {

Result<std::vector<FunctionName>> read_function_names(BinaryReader& reader, std::uint8_t function_names_id,
                                                      std::uint32_t max_names) {
  while (!reader.at_end()) {
    PHANTOM_ASSIGN(std::uint8_t id, reader.byte("name subsection id"));
    PHANTOM_ASSIGN(std::uint32_t size, reader.u32("name subsection size"));
    PHANTOM_ASSIGN(BinaryReader subsection, reader.window(size, reader.context(), "name subsection"));
    if (id != function_names_id) continue;
    PHANTOM_ASSIGN(std::uint32_t count, subsection.count("function name count", max_names, 2));
    std::vector<FunctionName> names;
    names.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
      FunctionName entry;
      PHANTOM_ASSIGN(entry.function, subsection.u32("function index"));
      PHANTOM_ASSIGN(entry.name, subsection.name("function name"));
      names.push_back(std::move(entry));
    }
    if (!subsection.at_end()) return subsection.error("bytes after the function names");
    return names;
  }
  return std::vector<FunctionName>{};
}

}  // namespace phantom::wasm

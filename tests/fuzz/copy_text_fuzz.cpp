// A row of PostgreSQL COPY text: split into fields, unescaped; each field
// escaped again must split back to the same value.
#include "copy_text.hpp"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string row(reinterpret_cast<const char*>(data), size);
  std::vector<ingestd::plugins::postgres::CopyField> fields;
  std::string scratch;
  ingestd::plugins::postgres::split_copy_row(row, fields, scratch);
  for (const auto& f : fields) {
    if (f.null) continue;
    std::string value(f.text), escaped, scratch2;
    ingestd::plugins::postgres::append_copy_escaped(escaped, value);
    std::vector<ingestd::plugins::postgres::CopyField> again;
    ingestd::plugins::postgres::split_copy_row(escaped, again, scratch2);
    if (again.size() != 1 || again[0].null || again[0].text != value) __builtin_trap();
  }
  return 0;
}

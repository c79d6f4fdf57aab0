// Row images of the binary log against a table map, both from the input:
// [n][n column types][m][m metadata bytes][kind][bitmap][bitmap][rows...].
// Malformed input is refused with an exception, never read past its end.
#include "binlog_rows.hpp"

#include <cstdint>
#include <stdexcept>
#include <string_view>

namespace binlog = ingestd::plugins::mysql::binlog;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto take = [&](std::size_t n) {
    n = std::min(n, in.size());
    const std::string_view out = in.substr(0, n);
    in.remove_prefix(n);
    return out;
  };
  auto byte = [&] { return in.empty() ? 0u : static_cast<unsigned>(static_cast<uint8_t>(take(1)[0])); };
  const std::string_view types = take(byte());
  const std::string_view metadata = take(byte());
  const auto kind = static_cast<binlog::RowChange::Kind>(byte() % 3);
  const std::size_t bitmap = (types.size() + 7) / 8;
  const std::string_view present = take(bitmap), present_after = take(bitmap);
  std::vector<binlog::ColumnHint> hints(types.size());
  for (std::size_t i = 0; i < hints.size(); ++i) {
    hints[i].is_unsigned = i % 2;
    hints[i].labels = {"a", "b", "c"};
  }
  try {
    const binlog::TableMap map = binlog::table_map(types, metadata);
    binlog::decode_rows(map, hints, kind, present, present_after, in);
  } catch (const std::runtime_error&) {
  }
  binlog::labels_of(std::string(in));
  return 0;
}

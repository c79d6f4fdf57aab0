#include "monitor/touched_keys.hpp"

#include "util/time.hpp"

#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/values.hpp>

namespace ingestd {

namespace {

// FNV-1a, 64 bits: key texts are short, and a collision in 2^64 only
// undercounts one key.
void mix(uint64_t& h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
}

}  // namespace

std::vector<uint64_t> key_hashes(const RecordBatch& batch, const std::vector<std::string>& key) {
  if (!batch.schema || key.empty() || batch.rows == 0) return {};
  std::vector<std::size_t> columns;
  for (const auto& k : key) {
    const int at = batch.schema->index_of(k);
    if (at < 0) return {};
    columns.push_back(static_cast<std::size_t>(at));
  }
  const sdk::BatchReader reader(*batch.array.get(), *batch.schema);
  std::vector<uint64_t> out;
  out.reserve(static_cast<std::size_t>(batch.rows));
  std::string text;
  for (int64_t r = 0; r < reader.rows(); ++r) {
    uint64_t h = 14695981039346656037ull;
    for (std::size_t c : columns) {
      const sdk::ColumnReader& column = reader.column(c);
      text.clear();
      if (column.is_null(r)) {
        text = "\x1e";  // NULL, unlike any text
      } else {
        sdk::append_text(column, r, text);
      }
      mix(h, text);
      mix(h, "\x1f");
    }
    out.push_back(h);
  }
  return out;
}

std::string utc_month() { return utc_timestamp().substr(0, 7); }

}  // namespace ingestd

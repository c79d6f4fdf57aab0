// JSON Lines through the typing path the files, http and connector sources
// share: each line sampled into columns, appended as a row (widening and
// adding columns as they come), and the finished batch checked.
#include <ingestd/kit/typing/json_rows.hpp>

#include <ingestd/sdk/builder.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace {

void finish(std::unique_ptr<ingestd::sdk::BatchBuilder>& rows, const ingestd::kit::typing::ColumnSet& columns) {
  ingestd::sdk::OwnedArray array = rows->finish();
  (void)array;
  rows = std::make_unique<ingestd::sdk::BatchBuilder>(columns.schema());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  simdjson::dom::parser parser;
  ingestd::kit::typing::ColumnSet columns;
  ingestd::kit::typing::JsonRowAppender appender;
  auto rows = std::make_unique<ingestd::sdk::BatchBuilder>(columns.schema());
  std::size_t start = 0;
  int lines = 0;
  while (start < text.size() && lines++ < 1000) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    simdjson::dom::element e;
    if (parser.parse(line).get(e) || !e.is_object()) continue;
    if (lines < 4) ingestd::kit::typing::sample_object(simdjson::dom::object(e), columns);
    for (int attempt = 0; attempt < 4; ++attempt) {
      auto r = appender.append(simdjson::dom::object(e), columns, *rows);
      if (r != ingestd::kit::typing::JsonRowAppender::Result::ColumnsChanged) break;
      finish(rows, columns);
    }
  }
  finish(rows, columns);
  return 0;
}

// Singer and Airbyte message lines as a connector prints them (the first byte
// picks the protocol): decoded, and each decoded message taken as far as the
// source would take it (a schema into columns, a record into a row, a state
// into the checkpoint and back into a --state argument).
#include "airbyte/message.hpp"
#include "singer/message.hpp"

#include <ingestd/kit/typing/json_rows.hpp>
#include <ingestd/kit/typing/json_schema.hpp>

#include <ingestd/sdk/builder.hpp>

#include <cstdint>
#include <memory>
#include <string_view>

namespace {

struct Rows {
  ingestd::kit::typing::ColumnSet columns;
  ingestd::kit::typing::JsonRowAppender appender;
  std::unique_ptr<ingestd::sdk::BatchBuilder> builder = std::make_unique<ingestd::sdk::BatchBuilder>(columns.schema());

  void declare(const std::string& schema) {
    columns = columns.redeclared(ingestd::kit::typing::columns_from_json_schema(ingestd::json::Value::parse(schema)));
    builder = std::make_unique<ingestd::sdk::BatchBuilder>(columns.schema());
  }
  void record(const simdjson::dom::object& record) {
    for (int attempt = 0; attempt < 4; ++attempt) {
      if (appender.append(record, columns, *builder) !=
          ingestd::kit::typing::JsonRowAppender::Result::ColumnsChanged)
        break;
      builder->finish();
      builder = std::make_unique<ingestd::sdk::BatchBuilder>(columns.schema());
    }
  }
};

void singer_line(std::string_view line, simdjson::dom::parser& parser, Rows& rows) {
  try {
    ingestd::plugins::singer::Message m = ingestd::plugins::singer::decode_message(line, parser);
    if (m.type == ingestd::plugins::singer::Message::Type::Schema) rows.declare(m.json);
    if (m.type == ingestd::plugins::singer::Message::Type::Record) rows.record(m.record);
    if (m.type == ingestd::plugins::singer::Message::Type::State) (void)ingestd::json::Value::parse(m.json).dump();
  } catch (const ingestd::plugins::singer::MalformedMessage&) {
  } catch (const std::exception&) {  // a schema or state the SDK's JSON refuses
  }
}

void airbyte_line(std::string_view line, simdjson::dom::parser& parser, Rows& rows,
                  ingestd::plugins::airbyte::StateKeeper& states) {
  try {
    ingestd::plugins::airbyte::Message m = ingestd::plugins::airbyte::decode_message(line, parser);
    if (m.type == ingestd::plugins::airbyte::Message::Type::Record) rows.record(m.record);
    if (m.type == ingestd::plugins::airbyte::Message::Type::State)
      (void)ingestd::plugins::airbyte::state_argument(states.keep(ingestd::json::Value::parse(m.json)));
  } catch (const ingestd::plugins::airbyte::MalformedMessage&) {
  } catch (const std::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool singer = (data[0] & 1) == 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  simdjson::dom::parser parser;
  Rows rows;
  ingestd::plugins::airbyte::StateKeeper states;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    if (singer) singer_line(line, parser, rows);
    else airbyte_line(line, parser, rows, states);
  }
  rows.builder->finish();
  return 0;
}

#include "singer/singer_target.hpp"

#include "loader/host_api.hpp"
#include "log/logging.hpp"

#include <ingestd/kit/typing/json_rows.hpp>
#include <ingestd/kit/typing/json_schema.hpp>

#include <map>
#include <memory>
#include <stdexcept>

namespace ingestd {

namespace {

namespace dom = simdjson::dom;

class TargetTable {
 public:
  TargetTable(std::string stream, PluginInstance& destination, const SingerTargetOptions& options)
      : stream_(std::move(stream)), destination_(destination), options_(options) {
    context_.component = "singer-target/" + stream_;
  }

  void declare(std::vector<kit::typing::DeclaredColumn> declared, std::vector<std::string> key) {
    if (!key.empty()) key_ = std::move(key);
    kit::typing::ColumnSet next = columns_.redeclared(std::move(declared));
    if (next.schema() == columns_.schema()) return;
    if (builder_) write_batch();
    columns_ = std::move(next);
    if (builder_) restart();
  }

  void activate_version() { version_seen_ = true; }

  void record(dom::object record, int64_t line) {
    if (!table_) open();
    for (;;) {
      switch (appender_.append(record, columns_, *builder_)) {
        case kit::typing::JsonRowAppender::Result::Appended:
          if (builder_->rows() >= options_.batch_rows) write_batch();
          return;
        case kit::typing::JsonRowAppender::Result::Rejected:
          throw std::runtime_error("line " + std::to_string(line) + ": " + appender_.reason());
        case kit::typing::JsonRowAppender::Result::ColumnsChanged:
          write_batch();
          restart();
          break;
      }
    }
  }

  // Writes what is built and commits everything written.
  void commit() {
    if (!table_) return;
    write_batch();
    if (sequence_ > committed_) table_->commit(sequence_);
    committed_ = sequence_;
  }

  void close(bool complete) {
    if (!table_) return;
    if (complete) commit();
    table_->close(complete);
    table_.reset();
  }

  uint32_t load_mode() const { return load_mode_; }

 private:
  void open() {
    columns_.add_declared();
    if (options_.load_mode) load_mode_ = *options_.load_mode;
    else if (version_seen_) load_mode_ = INGESTD_LOAD_REPLACE;
    else load_mode_ = key_.empty() ? INGESTD_LOAD_APPEND : INGESTD_LOAD_MERGE;
    if (!options_.load_mode && !(options_.supported_loads & load_mode_)) {
      log::warn("singer-target/" + stream_ + ": the destination cannot " +
                std::string(load_mode_ == INGESTD_LOAD_MERGE ? "merge" : "replace") +
                "; appending (records sent again are loaded again)");
      load_mode_ = INGESTD_LOAD_APPEND;
    }
    schema_ = std::make_shared<const sdk::Schema>(columns_.schema());
    sdk::OwnedSchema arrow = sdk::export_schema(*schema_);
    TableOpenRequest req;
    req.stream = stream_;
    req.table = stream_;
    req.load_mode = load_mode_;
    req.primary_key = key_;
    req.schema = arrow.get();
    req.run_id = options_.run_id;
    req.context = &context_;
    table_ = destination_.open_table(req);
    builder_ = std::make_unique<sdk::BatchBuilder>(*schema_);
  }

  void restart() {
    auto now = std::make_shared<const sdk::Schema>(columns_.schema());
    if (*now != *schema_) {
      schema_ = std::move(now);
      schema_changed_ = true;
    }
    builder_ = std::make_unique<sdk::BatchBuilder>(*schema_);
  }

  void write_batch() {
    if (!builder_ || (builder_->rows() == 0 && !schema_changed_)) return;
    RecordBatch b;
    b.rows = builder_->rows();
    b.array = builder_->finish();
    b.schema = schema_;
    if (schema_changed_) b.schema_change = std::make_shared<sdk::OwnedSchema>(sdk::export_schema(*schema_));
    schema_changed_ = false;
    b.bytes = check_batch(*b.array.get(), *schema_);
    b.sequence = ++sequence_;
    table_->write(b);
    builder_ = std::make_unique<sdk::BatchBuilder>(*schema_);
  }

  std::string stream_;
  PluginInstance& destination_;
  const SingerTargetOptions& options_;
  ingestd_host_context context_;
  kit::typing::ColumnSet columns_;
  std::vector<std::string> key_;
  bool version_seen_ = false;
  uint32_t load_mode_ = INGESTD_LOAD_APPEND;
  std::shared_ptr<const sdk::Schema> schema_;
  bool schema_changed_ = false;
  std::unique_ptr<OpenTable> table_;
  std::unique_ptr<sdk::BatchBuilder> builder_;
  kit::typing::JsonRowAppender appender_;
  uint64_t sequence_ = 0, committed_ = 0;
};

std::vector<std::string> string_array(dom::element e) {
  std::vector<std::string> out;
  dom::array a;
  if (e.get(a)) return out;
  for (dom::element v : a) {
    std::string_view s;
    if (!v.get(s)) out.emplace_back(s);
  }
  return out;
}

}  // namespace

SingerTargetResult run_singer_target(PluginInstance& destination, std::istream& in, std::FILE* out,
                                     const SingerTargetOptions& options) {
  std::map<std::string, std::unique_ptr<TargetTable>, std::less<>> tables;
  SingerTargetResult result;
  auto table = [&](std::string_view stream) -> TargetTable& {
    auto it = tables.find(stream);
    if (it == tables.end()) {
      it = tables.emplace(std::string(stream), std::make_unique<TargetTable>(std::string(stream), destination, options))
               .first;
      ++result.streams;
    }
    return *it->second;
  };
  dom::parser parser;
  std::string line;
  int64_t line_number = 0;
  try {
    while (std::getline(in, line)) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto fail = [&](const std::string& why) {
        throw std::runtime_error("line " + std::to_string(line_number) + ": " + why + ": " + line.substr(0, 200));
      };
      dom::element msg;
      if (parser.parse(line).get(msg) || !msg.is_object()) fail("not a JSON object");
      std::string_view type, stream;
      if (msg["type"].get(type)) fail("no \"type\"");
      const bool has_stream = !msg["stream"].get(stream);
      if (type == "RECORD") {
        dom::object rec;
        if (!has_stream || msg["record"].get(rec)) fail("RECORD needs \"stream\" and a \"record\" object");
        table(stream).record(rec, line_number);
        ++result.records;
      } else if (type == "SCHEMA") {
        dom::element schema;
        if (!has_stream || msg["schema"].get(schema)) fail("SCHEMA needs \"stream\" and \"schema\"");
        table(stream).declare(kit::typing::columns_from_json_schema(json::Value::parse(simdjson::minify(schema))),
                              string_array(msg["key_properties"]));
      } else if (type == "STATE") {
        if (msg["value"].error()) fail("STATE without a \"value\"");
        // Everything before this STATE is committed before it is passed on.
        for (auto& [name, t] : tables) t->commit();
        std::fprintf(out, "%s\n", line.c_str());
        std::fflush(out);
        ++result.states;
      } else if (type == "ACTIVATE_VERSION") {
        if (!has_stream) fail("ACTIVATE_VERSION without \"stream\"");
        table(stream).activate_version();
      }
      // Other message types (BATCH, newer ones) are not this target's.
    }
    for (auto& [name, t] : tables) t->close(true);
  } catch (...) {
    for (auto& [name, t] : tables) {
      try {
        t->close(false);
      } catch (const std::exception& e) {
        log::write(log::Level::Warn, "singer-target/" + name, e.what());
      }
    }
    throw;
  }
  return result;
}

}  // namespace ingestd

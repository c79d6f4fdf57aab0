#include "tap_stream.hpp"

#include <typing/json_rows.hpp>
#include <typing/json_schema.hpp>

#include <chrono>
#include <deque>
#include <optional>

namespace singer {

namespace {

using namespace ingestd::sdk;
using ingestd::child::Process;
using ingestd::child::PrivateFile;
namespace dom = simdjson::dom;
using Clock = std::chrono::steady_clock;

std::string excerpt(std::string_view line) {
  return std::string(line.substr(0, 200)) + (line.size() > 200 ? "…" : "");
}

class TapStream : public SourceStream {
 public:
  TapStream(const TapRun& run, const StreamRequest& r, const Instance& owner)
      : run_(run), host_(r.host), owner_(owner), batch_rows_(r.batch_rows) {
    const auto& c = *run_.connector;
    config_ = std::make_unique<PrivateFile>("config", c.config.dump());
    catalog_ = std::make_unique<PrivateFile>("catalog", run_.catalog_json);
    std::vector<std::string> args{"--config", config_->path(), "--catalog", catalog_->path()};
    if (run_.incremental && r.state && !r.state->empty()) {
      state_ = std::make_unique<PrivateFile>("state", *r.state);
      args.insert(args.end(), {"--state", state_->path()});
    }
    std::vector<DeclaredColumn> declared;
    for (const auto& f : run_.catalog_fields) declared.push_back({f.name, f.type});
    columns_ = ColumnSet(declared);
    columns_.add_declared();
    tap_ = std::make_unique<Process>(c.process_options(args, host_, &relay));
    // The tap's first SCHEMA for the stream, when it sends one before any
    // record, is the stream's schema from the start.
    read_until_first_record();
    schema_ = columns_.schema();
    builder_ = std::make_unique<BatchBuilder>(schema_);
  }

  Schema schema() override { return schema_; }

  bool next(Batch& out) override {
    while (ready_.empty()) {
      if (failure_) throw io_error(*failure_);
      if (ended_) return false;
      pump();
    }
    out = std::move(ready_.front());
    ready_.pop_front();
    return true;
  }

 private:
  using DeclaredColumn = typing::DeclaredColumn;
  using ColumnSet = typing::ColumnSet;

  // Singer taps log to stderr; METRIC lines are counted as debug noise.
  static void relay(const Host& host, std::string_view line) {
    if (line.rfind("INFO METRIC", 0) == 0 || line.find(" METRIC: ") != std::string_view::npos) host.debug(line);
    else host.info(line);
  }

  void read_until_first_record() {
    std::string line;
    while (pending_.empty() && !ended_) {
      if (!read_message(line)) continue;
      if (!pending_.empty()) break;
    }
  }

  // Reads and handles one line; false when none came within the poll interval.
  bool read_message(std::string& line) {
    if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
    switch (tap_->read_line(line, std::chrono::milliseconds(100))) {
      case Process::Read::Timeout: return false;
      case Process::Read::End: finish_tap(); return true;
      case Process::Read::Line: break;
    }
    ++line_number_;
    handle(line);
    return true;
  }

  void pump() {
    std::string line;
    read_message(line);
    const bool old = first_row_at_ && Clock::now() - *first_row_at_ > std::chrono::milliseconds(run_.max_batch_age_ms);
    if (static_cast<int64_t>(pending_.size()) >= batch_rows_ || old || ended_) {
      // A batch leaves without a checkpoint: no STATE yet covers these rows.
      emit_ready();
      take_pending();
      emit(std::nullopt);
    }
  }

  void handle(const std::string& line) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) return;
    dom::element msg;
    if (parser_.parse(line).get(msg) || !msg.is_object()) malformed(line, "not a JSON object");
    std::string_view type;
    if (msg["type"].get(type)) malformed(line, "no \"type\"");
    std::string_view stream;
    if (msg["stream"].get(stream)) stream = {};
    if (type == "RECORD") {
      if (stream != run_.stream) {
        host_.count("records_other_streams", 1);
        return;
      }
      dom::object record;
      if (msg["record"].get(record)) malformed(line, "RECORD without a \"record\" object");
      if (!first_row_at_) first_row_at_ = Clock::now();
      pending_.push_back({line, line_number_});
    } else if (type == "STATE") {
      dom::element value;
      if (msg["value"].get(value)) malformed(line, "STATE without a \"value\"");
      std::string state = simdjson::minify(value);  // before the parser is reused below
      take_pending();
      state_text_ = std::move(state);
      if (builder_ && builder_->rows() >= batch_rows_) emit_ready();
    } else if (type == "SCHEMA") {
      if (stream == run_.stream) schema_message(msg, line);
    } else if (type == "ACTIVATE_VERSION") {
      if (stream != run_.stream) return;
      host_.count("activate_versions", 1);
      if (run_.incremental && !warned_version_) {
        host_.warn("the tap sent ACTIVATE_VERSION (a full table) to an incremental flow: older rows are kept; "
                   "use extract = \"snapshot\" with load = \"replace\" (or merge with delete_stale) for this stream");
        warned_version_ = true;
      }
    } else {
      host_.count("messages_ignored", 1);  // BATCH and types newer than this reader
    }
  }

  void schema_message(dom::element msg, const std::string& line) {
    dom::element schema;
    if (msg["schema"].get(schema)) malformed(line, "SCHEMA without a \"schema\"");
    const auto declared =
        typing::columns_from_json_schema(ingestd::json::Value::parse(simdjson::minify(schema)));
    ColumnSet next(declared);
    next.add_declared();
    for (std::size_t i = 0; i < columns_.size(); ++i) next.index_or_add(columns_[i].name);
    for (std::size_t i = 0; i < next.size(); ++i) {
      int old = columns_.find(next[i].name);
      if (old >= 0 && !next[i].declared) next[i] = columns_[static_cast<std::size_t>(old)];
    }
    if (next.schema() == columns_.schema()) return;
    if (!builder_) {  // before the first record: the schema the stream opens with
      columns_ = std::move(next);
      return;
    }
    // Rows so far go out under the old schema; the next batch says the new one.
    take_pending();
    emit_ready();
    columns_ = std::move(next);
    restart_builder();
  }

  // Appends the records waiting since the last STATE to the batch.
  void take_pending() {
    for (const auto& p : pending_) append(p);
    pending_.clear();
  }

  void append(const std::pair<std::string, int64_t>& p) {
    dom::element msg;
    dom::object record;
    if (parser_.parse(p.first).get(msg) || msg["record"].get(record)) malformed(p.first, "unreadable RECORD");
    for (;;) {
      switch (appender_.append(record, columns_, *builder_)) {
        case typing::JsonRowAppender::Result::Appended: return;
        case typing::JsonRowAppender::Result::Rejected:
          throw data_error("tap output line " + std::to_string(p.second) + ": " + appender_.reason());
        case typing::JsonRowAppender::Result::ColumnsChanged:
          // A key the schema did not name: rows so far go out, then the wider schema.
          emit(std::nullopt);
          restart_builder();
          break;
      }
    }
  }

  void restart_builder() {
    Schema now = columns_.schema();
    if (now != schema_) {
      schema_ = std::move(now);
      schema_changed_ = true;
    }
    builder_ = std::make_unique<BatchBuilder>(schema_);
  }

  // The rows up to the last STATE, with that STATE.
  void emit_ready() {
    if (builder_->rows() > 0 || state_text_) emit(std::move(state_text_));
    state_text_.reset();
  }

  void emit(std::optional<std::string> checkpoint) {
    if (builder_->rows() == 0 && !checkpoint && !schema_changed_) return;
    Batch b;
    b.array = builder_->finish();
    b.checkpoint = std::move(checkpoint);
    if (schema_changed_) b.new_schema = schema_;
    schema_changed_ = false;
    ready_.push_back(std::move(b));
    builder_ = std::make_unique<BatchBuilder>(schema_);
    first_row_at_.reset();
  }

  void finish_tap() {
    const int status = tap_->wait();
    if (!builder_) builder_ = std::make_unique<BatchBuilder>(columns_.schema());
    if (status != 0) {
      // What the last STATE covers still goes out with it; the records after
      // it do not. Then the stream fails and the host reruns it from there.
      emit_ready();
      pending_.clear();
      failure_ = run_.connector->failure(*tap_, status, "the tap failed");
      ended_ = true;
      return;
    }
    take_pending();
    emit_ready();
    ended_ = true;
  }

  [[noreturn]] void malformed(std::string_view line, const std::string& why) {
    throw data_error(run_.connector->redact("tap output line " + std::to_string(line_number_) + ": " + why + ": " +
                                            excerpt(line) + "\n" + tap_->stderr_tail()));
  }

  const TapRun& run_;
  Host host_;
  const Instance& owner_;
  int64_t batch_rows_;
  std::unique_ptr<PrivateFile> config_, catalog_, state_;
  std::unique_ptr<Process> tap_;
  ColumnSet columns_;
  Schema schema_;
  bool schema_changed_ = false;
  std::unique_ptr<BatchBuilder> builder_;  // rows up to the last STATE
  std::vector<std::pair<std::string, int64_t>> pending_;  // RECORD lines after it
  std::optional<std::string> state_text_;
  std::optional<Clock::time_point> first_row_at_;
  std::deque<Batch> ready_;
  dom::parser parser_;
  typing::JsonRowAppender appender_;
  int64_t line_number_ = 0;
  bool ended_ = false;
  std::optional<std::string> failure_;  // the tap failed: thrown once ready_ is delivered
  bool warned_version_ = false;
};

}  // namespace

std::unique_ptr<SourceStream> open_tap_stream(const TapRun& run, const StreamRequest& r, const Instance& owner) {
  return std::make_unique<TapStream>(run, r, owner);
}

}  // namespace singer

#include "airbyte_stream.hpp"

#include "message.hpp"

#include <ingestd/kit/child/connector_stream.hpp>

namespace ingestd::plugins::airbyte {

namespace {

using namespace ingestd::sdk;
using ingestd::json::Value;
int32_t log_level(std::string_view level) {
  if (level == "FATAL" || level == "ERROR") return INGESTD_LOG_ERROR;
  if (level == "WARN") return INGESTD_LOG_WARN;
  if (level == "DEBUG" || level == "TRACE") return INGESTD_LOG_DEBUG;
  return INGESTD_LOG_INFO;
}

class ReadStream : public ingestd::kit::child::ConnectorStream {
 public:
  ReadStream(const ReadRun& run, const StreamRequest& r, const Instance& owner)
      : ConnectorStream(*run.connector, r, owner, run.fields), run_(run) {
    std::optional<std::string> state;
    if (run_.incremental && r.state && !r.state->empty()) {
      Value saved = Value::parse(*r.state);
      state = state_argument(*r.state);
      restore_at_cursor(saved["at_cursor"]);
      states_ = StateKeeper(std::move(saved));
    }
    std::vector<std::string> args{"read"};
    for (auto& a : file_arguments(run_.configured_catalog, state)) args.push_back(std::move(a));
    start(args);
  }

 private:
  // A config_error TRACE will not pass on a rerun; anything else may.
  Error failure(int status) override {
    std::string why = trace_error_.empty() ? "the Airbyte source failed" : trace_error_;
    why = connector().failure(*process(), status, why);
    return trace_failure_type_ == "config_error" ? config_error(why) : io_error(why);
  }

  void handle(std::string_view line) override {
    Message m;
    try {
      m = decode_message(line, parser_, true);  // read_line leaves padding after the line
    } catch (const MalformedMessage& e) {
      malformed(line, e.what());
    }
    switch (m.type) {
      case Message::Type::NotJson: host().info(connector().redact(line)); return;  // the protocol allows it
      case Message::Type::Record: record_of(m.stream, run_.stream, m.record); return;
      case Message::Type::State: state(states_.keep(Value::parse(m.json))); return;
      case Message::Type::TraceError:
        trace_failure_type_ = m.kind;
        trace_error_ = "the Airbyte source reported a " + m.kind + ": " + m.text;
        host().error(connector().redact(trace_error_));
        return;
      case Message::Type::TraceEstimate: host().count("estimated_rows", m.rows); return;
      case Message::Type::Log: host().log(log_level(m.kind), connector().redact(m.text)); return;
      case Message::Type::Other: host().count("messages_ignored", 1); return;  // CONTROL, newer types
    }
  }

  // With a cursor, the checkpoint also remembers the records delivered at
  // the newest cursor, which the source sends again when it resumes from it.
  std::string checkpoint_of(std::string state, const Value& at_cursor) override {
    if (at_cursor.is_null()) return state;
    Value v = Value::parse(state);
    v.as_object().set("at_cursor", at_cursor);
    return v.dump();
  }

  const ReadRun& run_;
  simdjson::dom::parser parser_;
  StateKeeper states_;
  std::string trace_error_, trace_failure_type_;
};

}  // namespace

std::unique_ptr<SourceStream> open_read_stream(const ReadRun& run, const StreamRequest& r, const Instance& owner) {
  return std::make_unique<ReadStream>(run, r, owner);
}

}  // namespace ingestd::plugins::airbyte

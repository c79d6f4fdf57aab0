#include "airbyte_stream.hpp"

#include <ingestd/child/connector_stream.hpp>

namespace airbyte {

namespace {

using namespace ingestd::sdk;
using ingestd::json::Array;
using ingestd::json::Object;
using ingestd::json::Value;
namespace dom = simdjson::dom;

int32_t log_level(std::string_view level) {
  if (level == "FATAL" || level == "ERROR") return INGESTD_LOG_ERROR;
  if (level == "WARN") return INGESTD_LOG_WARN;
  if (level == "DEBUG" || level == "TRACE") return INGESTD_LOG_DEBUG;
  return INGESTD_LOG_INFO;
}

class ReadStream : public ingestd::child::ConnectorStream {
 public:
  ReadStream(const ReadRun& run, const StreamRequest& r, const Instance& owner)
      : ConnectorStream(*run.connector, r, owner, run.fields), run_(run) {
    std::optional<std::string> state;
    if (run_.incremental && r.state && !r.state->empty()) {
      saved_ = Value::parse(*r.state);
      state = state_argument(*r.state);
      restore_at_cursor(saved_["at_cursor"]);
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

  void handle(const std::string& line) override {
    dom::element msg;
    // The protocol lets sources print other lines on stdout; they are logged.
    if (parser_.parse(line).get(msg) || !msg.is_object()) {
      host().info(connector().redact(line));
      return;
    }
    std::string_view type;
    if (msg["type"].get(type)) type = {};
    if (type == "RECORD") {
      std::string_view stream;
      dom::object data;
      if (msg["record"]["stream"].get(stream) || msg["record"]["data"].get(data))
        malformed(line, "RECORD without record.stream and record.data");
      if (stream != run_.stream) {
        host().count("records_other_streams", 1);
        return;
      }
      record(simdjson::minify(data));
    } else if (type == "STATE") {
      dom::object s;
      if (msg["state"].get(s)) malformed(line, "STATE without a \"state\" object");
      state(keep_state(ingestd::json::Value::parse(simdjson::minify(s))));
    } else if (type == "TRACE") {
      trace(msg, line);
    } else if (type == "LOG") {
      std::string_view level, message;
      if (msg["log"]["level"].get(level)) level = "INFO";
      if (msg["log"]["message"].get(message)) message = {};
      host().log(log_level(level), connector().redact(message));
    } else {
      host().count("messages_ignored", 1);  // CONTROL, and types newer than this reader
    }
  }

  void trace(dom::element msg, const std::string& line) {
    std::string_view kind;
    if (msg["trace"]["type"].get(kind)) malformed(line, "TRACE without trace.type");
    if (kind == "ERROR") {
      std::string_view message, failure_type;
      if (msg["trace"]["error"]["message"].get(message)) message = "(no message)";
      if (msg["trace"]["error"]["failure_type"].get(failure_type)) failure_type = "system_error";
      trace_failure_type_ = failure_type;
      trace_error_ = "the Airbyte source reported a " + std::string(failure_type) + ": " + std::string(message);
      host().error(connector().redact(trace_error_));
    } else if (kind == "ESTIMATE") {
      int64_t rows = 0;
      if (!msg["trace"]["estimate"]["row_estimate"].get(rows)) host().count("estimated_rows", rows);
    }
  }

  // The checkpoint after a STATE message: per-stream states by descriptor,
  // else the last GLOBAL or LEGACY one; each as the source emitted it.
  std::string keep_state(Value s) {
    std::string kind = s["type"].is_string() ? s["type"].as_string() : "LEGACY";
    if (kind == "STREAM") {
      const std::string descriptor = s["stream"]["stream_descriptor"].dump();
      if (!saved_["streams"].is_array() || saved_["kind"].as_string() != "STREAM") {
        Object o;
        o.set("kind", "STREAM");
        o.set("streams", Value(Array{}));
        saved_ = Value(std::move(o));
      }
      Array& streams = saved_.as_object()["streams"].as_array();
      bool replaced = false;
      for (auto& existing : streams)
        if (existing["stream"]["stream_descriptor"].dump() == descriptor) existing = s, replaced = true;
      if (!replaced) streams.push_back(std::move(s));
    } else {
      Object o;
      o.set("kind", kind);
      o.set("state", std::move(s));
      saved_ = Value(std::move(o));
    }
    return saved_.dump();
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
  dom::parser parser_;
  Value saved_;
  std::string trace_error_, trace_failure_type_;
};

}  // namespace

std::string state_argument(const std::string& checkpoint) {
  const Value saved = Value::parse(checkpoint);
  const std::string kind = saved["kind"].is_string() ? saved["kind"].as_string() : "";
  if (kind == "STREAM") return saved["streams"].dump();
  // LEGACY sources read the bare data object (possibly compressed) back.
  if (kind == "LEGACY") return saved["state"]["data"].dump();
  return Value(Array{saved["state"]}).dump();
}

std::unique_ptr<SourceStream> open_read_stream(const ReadRun& run, const StreamRequest& r, const Instance& owner) {
  return std::make_unique<ReadStream>(run, r, owner);
}

}  // namespace airbyte

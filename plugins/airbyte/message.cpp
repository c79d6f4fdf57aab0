#include "message.hpp"

namespace ingestd::plugins::airbyte {

namespace dom = simdjson::dom;
using ingestd::json::Array;
using ingestd::json::Object;
using ingestd::json::Value;

Message decode_message(std::string_view line, dom::parser& parser, bool padded) {
  Message m;
  dom::element msg;
  if (parser.parse(line.data(), line.size(), !padded).get(msg) || !msg.is_object()) {
    m.type = Message::Type::NotJson;
    return m;
  }
  std::string_view type;
  if (msg["type"].get(type)) type = {};
  if (type == "RECORD") {
    std::string_view stream;
    if (msg["record"]["stream"].get(stream) || msg["record"]["data"].get(m.record))
      throw MalformedMessage("RECORD without record.stream and record.data");
    m.type = Message::Type::Record;
    m.stream = std::string(stream);
  } else if (type == "STATE") {
    dom::object s;
    if (msg["state"].get(s)) throw MalformedMessage("STATE without a \"state\" object");
    m.type = Message::Type::State;
    m.json = simdjson::minify(s);
  } else if (type == "TRACE") {
    std::string_view kind;
    if (msg["trace"]["type"].get(kind)) throw MalformedMessage("TRACE without trace.type");
    if (kind == "ERROR") {
      std::string_view message, failure_type;
      if (msg["trace"]["error"]["message"].get(message)) message = "(no message)";
      if (msg["trace"]["error"]["failure_type"].get(failure_type)) failure_type = "system_error";
      m.type = Message::Type::TraceError;
      m.text = std::string(message);
      m.kind = std::string(failure_type);
    } else if (kind == "ESTIMATE") {
      m.type = Message::Type::TraceEstimate;
      if (msg["trace"]["estimate"]["row_estimate"].get(m.rows)) m.rows = 0;
    }
  } else if (type == "LOG") {
    std::string_view level, message;
    if (msg["log"]["level"].get(level)) level = "INFO";
    if (msg["log"]["message"].get(message)) message = {};
    m.type = Message::Type::Log;
    m.kind = std::string(level);
    m.text = std::string(message);
  }
  return m;  // CONTROL, and types newer than this reader: Other
}

std::string StateKeeper::keep(Value s) {
  std::string kind = s["type"].is_string() ? s["type"].as_string() : "LEGACY";
  if (kind == "STREAM") {
    const std::string descriptor = s["stream"]["stream_descriptor"].dump();
    if (!saved_["streams"].is_array() || !saved_["kind"].is_string() || saved_["kind"].as_string() != "STREAM") {
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

std::string state_argument(const std::string& checkpoint) {
  const Value saved = Value::parse(checkpoint);
  const std::string kind = saved["kind"].is_string() ? saved["kind"].as_string() : "";
  if (kind == "STREAM") return saved["streams"].dump();
  // LEGACY sources read the bare data object (possibly compressed) back.
  if (kind == "LEGACY") return saved["state"]["data"].dump();
  return Value(Array{saved["state"]}).dump();
}

}  // namespace ingestd::plugins::airbyte

#include "tap_stream.hpp"

#include "message.hpp"

#include <ingestd/kit/child/connector_stream.hpp>
#include <ingestd/kit/typing/json_schema.hpp>

namespace ingestd::plugins::singer {

namespace {

using namespace ingestd::sdk;

class TapStream : public ingestd::kit::child::ConnectorStream {
 public:
  TapStream(const TapRun& run, const StreamRequest& r, const Instance& owner)
      : ConnectorStream(*run.connector, r, owner, run.catalog_fields), run_(run) {
    std::optional<std::string> tap_state;
    if (run_.incremental && r.state && !r.state->empty()) tap_state = unwrap(*r.state);
    start(file_arguments(run_.catalog_json, tap_state), &relay);
  }

  // The checkpoint holds the tap's state as the tap wrote it and, with a
  // cursor, the records delivered at the newest cursor:
  // {"tap_state": ..., "at_cursor": {...}}. A checkpoint that is the tap's
  // state alone (untracked, or saved by an older ingestd) is passed as it is.
  std::string unwrap(const std::string& checkpoint) {
    ingestd::json::Value v;
    try {
      v = ingestd::json::Value::parse(checkpoint);
    } catch (const std::exception&) {
      return checkpoint;
    }
    if (!v.is_object() || v["tap_state"].is_null()) return checkpoint;
    restore_at_cursor(v["at_cursor"]);
    return v["tap_state"].dump();
  }

  std::string checkpoint_of(std::string tap_state, const ingestd::json::Value& at_cursor) override {
    if (at_cursor.is_null()) return tap_state;
    ingestd::json::Object o;
    o.set("tap_state", ingestd::json::Value::parse(tap_state));
    o.set("at_cursor", at_cursor);
    return ingestd::json::Value(std::move(o)).dump();
  }

 private:
  // Singer taps log to stderr; METRIC lines are debug noise.
  static void relay(const Host& host, std::string_view line) {
    if (line.find("METRIC") != std::string_view::npos) host.debug(line);
    else host.info(line);
  }

  Error failure(int status) override {
    return io_error(connector().failure(*process(), status, "the tap failed"));
  }

  void handle(std::string_view line) override {
    Message m;
    try {
      m = decode_message(line, parser_, true);  // read_line leaves padding after the line
    } catch (const MalformedMessage& e) {
      malformed(line, e.what());
    }
    switch (m.type) {
      case Message::Type::Record: record_of(m.stream, run_.stream, m.record); return;
      case Message::Type::State: state(std::move(m.json)); return;
      case Message::Type::Schema:
        if (m.stream != run_.stream) return;
        declare(kit::typing::columns_from_json_schema(ingestd::json::Value::parse(m.json)));
        return;
      case Message::Type::ActivateVersion:
        if (m.stream != run_.stream) return;
        host().count("activate_versions", 1);
        if (run_.incremental && !warned_version_) {
          host().warn("the tap sent ACTIVATE_VERSION (a full table) to an incremental flow: older rows are kept; "
                      "use extract = \"snapshot\" with load = \"replace\" (or merge with delete_stale) for this stream");
          warned_version_ = true;
        }
        return;
      case Message::Type::Other: host().count("messages_ignored", 1); return;  // BATCH, newer types
    }
  }

  const TapRun& run_;
  simdjson::dom::parser parser_;
  bool warned_version_ = false;
};

}  // namespace

std::unique_ptr<SourceStream> open_tap_stream(const TapRun& run, const StreamRequest& r, const Instance& owner) {
  return std::make_unique<TapStream>(run, r, owner);
}

}  // namespace ingestd::plugins::singer

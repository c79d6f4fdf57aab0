// airbyte: runs an Airbyte-protocol source (spec, check, discover, read) as a
// child process, one `read` per stream, with the last committed STATE passed
// back with --state. See README.md.
#include "airbyte_stream.hpp"

#include <ingestd/kit/child/connector.hpp>
#include <ingestd/kit/child/private_file.hpp>
#include <ingestd/kit/typing/json_schema.hpp>

#include <algorithm>
#include <mutex>
#include <optional>

namespace ingestd::plugins::airbyte {
namespace {

using namespace ingestd::sdk;
using ingestd::kit::child::Connector;
using ingestd::kit::child::PrivateFile;
using ingestd::json::Array;
using ingestd::json::Object;
using ingestd::json::Value;

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class AirbyteSource : public Instance {
 public:
  explicit AirbyteSource(const CreateContext& ctx)
      : connector_(Connector::from_options(ctx)),
        host_(ctx.host) {}

  // The config against the source's spec, then its own connection check.
  void check() override {
    const Value spec = message("spec", false, "SPEC")["spec"];
    check_against_spec(spec["connectionSpecification"]);
    host_.info("the source's options: " + join(spec_options(spec["connectionSpecification"])));
    const Value status = message("check", true, "CONNECTION_STATUS")["connectionStatus"];
    if (status["status"].is_string() && status["status"].as_string() == "SUCCEEDED") return;
    throw config_error(connector_.redact("the Airbyte source's check failed: " +
                                         (status["message"].is_string() ? status["message"].as_string()
                                                                        : status.dump())));
  }

  std::vector<StreamInfo> discover() override {
    std::vector<StreamInfo> out;
    for (const auto& s : catalog()["streams"].as_array()) {
      StreamInfo info;
      info.name = s["name"].as_string();
      info.schema = kit::typing::schema_from_json_schema(s["json_schema"]);
      for (const auto& path : s["source_defined_primary_key"].is_array() ? s["source_defined_primary_key"].as_array()
                                                                          : Array{})
        if (path.is_array() && !path.as_array().empty()) info.primary_key.push_back(path.as_array()[0].as_string());
      if (s["default_cursor_field"].is_array() && !s["default_cursor_field"].as_array().empty())
        info.cursor_candidates.push_back(s["default_cursor_field"].as_array()[0].as_string());
      info.extract_modes = supports(s, "incremental") ? 0 : INGESTD_EXTRACT_SNAPSHOT;
      info.catalog_entry = s.dump();  // a later run reads with it, without a discover
      out.push_back(std::move(info));
    }
    return out;
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    const Value* stream = nullptr;
    // The stream's entry as a discover gave it (kept by the host), else the source's catalog now.
    Value kept;
    if (!r.settings.catalog_entry.empty()) {
      try {
        kept = Value::parse(r.settings.catalog_entry);
        if (kept["name"].is_string() && kept["name"].as_string() == r.stream && kept["json_schema"].is_object())
          stream = &kept;
      } catch (const std::exception&) {
      }
    }
    if (!stream) {
      std::vector<std::string> names;
      for (const auto& s : catalog()["streams"].as_array()) {
        names.push_back(s["name"].as_string());
        if (s["name"].as_string() == r.stream) stream = &s;
      }
      if (!stream)
        throw config_error("the Airbyte source has no stream '" + r.stream + "' (its streams: " + join(names) + ")");
    }
    auto run = std::make_unique<ReadRun>();
    run->connector = &connector_;
    run->stream = r.stream;
    run->incremental = r.extract_mode != INGESTD_EXTRACT_SNAPSHOT && supports(*stream, "incremental");
    run->configured_catalog = configured_catalog(*stream, r, run->incremental);
    run->fields = kit::typing::schema_from_json_schema((*stream)["json_schema"]).fields;
    std::lock_guard lock(mutex_);
    runs_.push_back(std::move(run));
    return open_read_stream(*runs_.back(), r, *this);
  }

 private:
  static bool supports(const Value& stream, const std::string& mode) {
    if (!stream["supported_sync_modes"].is_array()) return mode == "full_refresh";
    for (const auto& m : stream["supported_sync_modes"].as_array())
      if (m.is_string() && m.as_string() == mode) return true;
    return false;
  }

  static std::string configured_catalog(const Value& stream, const StreamRequest& r, bool incremental) {
    Object c;
    c.set("stream", stream);
    c.set("sync_mode", incremental ? "incremental" : "full_refresh");
    c.set("destination_sync_mode", r.primary_key.empty() ? "append" : "append_dedup");
    Array cursor;
    if (!r.cursor_field.empty()) cursor.push_back(r.cursor_field);
    else if (stream["default_cursor_field"].is_array()) cursor = stream["default_cursor_field"].as_array();
    c.set("cursor_field", Value(std::move(cursor)));
    Array key;
    for (const auto& k : r.primary_key) key.push_back(Value(Array{Value(k)}));
    c.set("primary_key", Value(std::move(key)));
    Object out;
    out.set("streams", Value(Array{Value(std::move(c))}));
    return Value(std::move(out)).dump();
  }

  // "name (required, secret)" for each option of a connectionSpecification.
  static std::vector<std::string> spec_options(const Value& spec) {
    std::vector<std::string> options;
    if (!spec["properties"].is_object()) return options;
    std::vector<std::string> required;
    if (spec["required"].is_array())
      for (const auto& r : spec["required"].as_array())
        if (r.is_string()) required.push_back(r.as_string());
    for (const auto& [name, p] : spec["properties"].as_object()) {
      std::vector<std::string> notes;
      if (std::find(required.begin(), required.end(), name) != required.end()) notes.push_back("required");
      if (p["airbyte_secret"].is_bool() && p["airbyte_secret"].as_bool()) notes.push_back("secret");
      options.push_back(name + (notes.empty() ? "" : " (" + join(notes) + ")"));
    }
    return options;
  }

  // Required options missing, and names the spec does not have, are config
  // errors that list the source's options.
  void check_against_spec(const Value& spec) const {
    const Value& props = spec["properties"];
    if (!props.is_object()) return;
    const std::vector<std::string> options = spec_options(spec);
    std::vector<std::string> missing, unknown;
    if (spec["required"].is_array())
      for (const auto& r : spec["required"].as_array())
        if (r.is_string() && connector_.config[r.as_string()].is_null()) missing.push_back(r.as_string());
    const bool closed = spec["additionalProperties"].is_bool() && !spec["additionalProperties"].as_bool();
    for (const auto& [name, v] : connector_.config.as_object())
      if (!props.as_object().contains(name) && closed) unknown.push_back(name);
    if (missing.empty() && unknown.empty()) return;
    std::string why = !missing.empty() ? "config lacks required option(s) " + join(missing)
                                       : "config has unknown option(s) " + join(unknown);
    throw config_error(why + " (the source's options: " + join(options) + ")");
  }

  const Value& catalog() {
    std::lock_guard lock(mutex_);
    if (!catalog_) catalog_ = message("discover", true, "CATALOG")["catalog"];
    if (!(*catalog_)["streams"].is_array()) throw config_error("the Airbyte source's catalog has no streams");
    return *catalog_;
  }

  // Runs `command verb [--config file]` and returns its first message of
  // `type`; LOG lines go to the log, a TRACE error fails with its type.
  Value message(const std::string& verb, bool with_config, const std::string& type) const {
    std::unique_ptr<PrivateFile> config;
    std::vector<std::string> args{verb};
    if (with_config) {
      config = std::make_unique<PrivateFile>("config", connector_.config.dump());
      args.insert(args.end(), {"--config", config->path()});
    }
    std::optional<Value> found;
    std::string error;
    auto on_line = [&](const std::string& line) {
      Value m;
      try {
        m = Value::parse(line);
      } catch (const std::exception&) {
        return;  // not a message: sources may print other lines
      }
      const std::string t = m["type"].is_string() ? m["type"].as_string() : "";
      if (t == type && !found) found = m;
      const Value& log = m["log"]["message"];
      if (t == "LOG" && log.is_string()) host_.debug(connector_.redact(log.as_string()));
      const Value& e = m["trace"]["error"];
      if (t == "TRACE" && m["trace"]["type"].is_string() && m["trace"]["type"].as_string() == "ERROR")
        error = "a " + (e["failure_type"].is_string() ? e["failure_type"].as_string() : std::string("system_error")) +
                ": " + (e["message"].is_string() ? e["message"].as_string() : "");
    };
    const std::string what = "the Airbyte source's " + verb;
    const std::string failed = connector_.run_to_end(args, host_, *this, on_line, what);
    if (found) return *found;
    if (!error.empty()) throw config_error(connector_.redact(what + " reported " + error));
    throw config_error(failed.empty() ? what + " printed no " + type + " message" : failed);
  }

  Connector connector_;
  Host host_;
  std::mutex mutex_;
  std::optional<Value> catalog_;
  std::vector<std::unique_ptr<ReadRun>> runs_;  // alive as long as their streams
};

PluginInfo describe() {
  PluginInfo p{.name = "airbyte", .version = "0.1.0", .kinds = INGESTD_KIND_SOURCE,
               .description = "Runs an Airbyte-protocol source; its STATE is saved as batches commit and passed back with --state",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES};
  p.options = ingestd::kit::child::connector_options();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) { return std::make_unique<AirbyteSource>(ctx); }

}  // namespace
}  // namespace ingestd::plugins::airbyte

INGESTD_PLUGIN(ingestd::plugins::airbyte::describe, ingestd::plugins::airbyte::create)

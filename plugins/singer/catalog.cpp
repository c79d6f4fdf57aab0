#include "catalog.hpp"

#include <ingestd/kit/typing/json_schema.hpp>

namespace ingestd::plugins::singer {

using ingestd::json::Array;
using ingestd::json::Object;
using ingestd::json::Value;
namespace sdk = ingestd::sdk;

namespace {

std::vector<std::string> strings(const Value& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& e : v.as_array())
      if (e.is_string()) out.push_back(e.as_string());
  return out;
}

// The metadata of the stream itself (breadcrumb []), or null.
const Value& stream_metadata(const Value& entry) {
  static const Value none;
  const Value& md = entry["metadata"];
  if (!md.is_array()) return none;
  for (const auto& m : md.as_array())
    if (m["breadcrumb"].is_array() && m["breadcrumb"].as_array().empty()) return m["metadata"];
  return none;
}

}  // namespace

std::string stream_name(const Value& entry) {
  if (entry["tap_stream_id"].is_string()) return entry["tap_stream_id"].as_string();
  return entry["stream"].is_string() ? entry["stream"].as_string() : "";
}

std::vector<std::string> key_properties(const Value& entry) {
  if (entry["key_properties"].is_array()) return strings(entry["key_properties"]);
  return strings(stream_metadata(entry)["table-key-properties"]);
}

Catalog::Catalog(Value catalog) : catalog_(std::move(catalog)) {
  if (!catalog_["streams"].is_array()) throw sdk::config_error("the Singer catalog has no \"streams\" array");
}

std::vector<std::string> Catalog::names() const {
  std::vector<std::string> out;
  for (const auto& e : catalog_["streams"].as_array()) out.push_back(stream_name(e));
  return out;
}

const Value* Catalog::find(const std::string& stream) const {
  for (const auto& e : catalog_["streams"].as_array())
    if (stream_name(e) == stream || (e["stream"].is_string() && e["stream"].as_string() == stream)) return &e;
  return nullptr;
}

std::vector<sdk::StreamInfo> Catalog::stream_infos() const {
  std::vector<sdk::StreamInfo> out;
  for (const auto& e : catalog_["streams"].as_array()) {
    sdk::StreamInfo s;
    s.name = stream_name(e);
    s.schema = kit::typing::schema_from_json_schema(e["schema"]);
    s.primary_key = key_properties(e);
    const Value& md = stream_metadata(e);
    s.cursor_candidates = strings(md["valid-replication-keys"]);
    if (e["replication_key"].is_string() && s.cursor_candidates.empty())
      s.cursor_candidates.push_back(e["replication_key"].as_string());
    const bool full_table_only =
        md["forced-replication-method"].is_string() && md["forced-replication-method"].as_string() == "FULL_TABLE";
    s.extract_modes = full_table_only ? INGESTD_EXTRACT_SNAPSHOT : 0;
    s.catalog_entry = e.dump();  // a later run reads with it, without a --discover
    out.push_back(std::move(s));
  }
  return out;
}

std::string Catalog::selecting(const std::string& stream, bool incremental, const std::string& cursor) const {
  Array streams;
  for (const auto& e : catalog_["streams"].as_array()) {
    if (stream_name(e) != stream) continue;
    Value entry = e;
    Value& md_list = entry.as_object()["metadata"];
    if (!md_list.is_array()) md_list = Value(Array{});
    Value* md = nullptr;
    for (auto& m : md_list.as_array())
      if (m["breadcrumb"].is_array() && m["breadcrumb"].as_array().empty()) md = &m.as_object()["metadata"];
    if (!md) {
      Object m;
      m.set("breadcrumb", Value(Array{}));
      m.set("metadata", Value(Object{}));
      md_list.as_array().push_back(Value(std::move(m)));
      md = &md_list.as_array().back().as_object()["metadata"];
    }
    if (!md->is_object()) *md = Value(Object{});
    md->as_object().set("selected", true);
    md->as_object().set("replication-method", incremental ? "INCREMENTAL" : "FULL_TABLE");
    if (incremental && !cursor.empty()) {
      md->as_object().set("replication-key", cursor);
      entry.as_object().set("replication_key", cursor);
    }
    entry.as_object().set("replication_method", incremental ? "INCREMENTAL" : "FULL_TABLE");
    entry.as_object().set("selected", true);
    streams.push_back(std::move(entry));
  }
  Object out;
  out.set("streams", Value(std::move(streams)));
  return Value(std::move(out)).dump();
}

}  // namespace ingestd::plugins::singer

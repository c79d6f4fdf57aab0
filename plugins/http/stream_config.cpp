#include "stream_config.hpp"

#include <ingestd/kit/typing/columns.hpp>

namespace ingestd::plugins::http {

using ingestd::sdk::config_error;
using namespace ingestd::kit::http;
namespace json = ingestd::json;

namespace {

const std::vector<std::string> kKeys = {"path",          "params",    "records", "primary_key", "cursor",
                                        "cursor_param",  "ascending", "pagination", "columns", "sample_records"};

std::string valid_keys() {
  std::string s;
  for (const auto& k : kKeys) s += (s.empty() ? "" : ", ") + k;
  return s;
}

std::string text(const json::Value& t, const char* key, const std::string& where) {
  const json::Value& v = t[key];
  if (v.is_null()) return {};
  if (!v.is_string()) throw config_error(where + "." + key + " must be a string");
  return v.as_string();
}

std::vector<std::string> names(const json::Value& t, const char* key, const std::string& where) {
  const json::Value& v = t[key];
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) return {v.as_string()};
  if (!v.is_array()) throw config_error(where + "." + key + " must be a list of column names");
  for (const auto& e : v.as_array()) {
    if (!e.is_string()) throw config_error(where + "." + key + " must be a list of column names");
    out.push_back(e.as_string());
  }
  return out;
}

// Query parameter values may be written as strings, numbers or booleans.
QueryParams params(const json::Value& t, const std::string& where) {
  QueryParams out;
  const json::Value& v = t["params"];
  if (v.is_null()) return out;
  if (!v.is_object()) throw config_error(where + ".params must be a table of query parameters");
  for (const auto& [name, value] : v.as_object()) {
    if (value.is_string()) out.emplace_back(name, value.as_string());
    else if (value.is_int() || value.is_bool() || value.is_number()) out.emplace_back(name, value.dump());
    else throw config_error(where + ".params." + name + " must be a string, number or boolean");
  }
  return out;
}

}  // namespace

std::vector<EndpointSpec> parse_streams(const ingestd::sdk::Options& o) {
  const json::Value& streams = o.get("streams");
  if (!streams.is_object() || streams.as_object().empty())
    throw config_error("streams must be a table of streams, [sources.NAME.config.streams.orders] path = \"/orders\"");
  PaginationSpec default_pagination = PaginationSpec::parse(o.get("pagination"), "pagination");
  std::vector<EndpointSpec> out;
  for (const auto& [name, t] : streams.as_object()) {
    const std::string where = "streams." + name;
    if (!t.is_object()) throw config_error(where + " must be a table with at least path");
    for (const auto& [key, value] : t.as_object()) {
      (void)value;
      bool known = false;
      for (const auto& k : kKeys) known = known || k == key;
      if (!known) throw config_error(where + ": unknown key '" + key + "' (valid: " + valid_keys() + ")");
    }
    EndpointSpec s;
    s.stream = name;
    Partition p;
    p.path = text(t, "path", where);
    if (p.path.empty()) throw config_error(where + ".path is required (the endpoint, relative to base_url)");
    p.params = params(t, where);
    s.partitions.push_back(std::move(p));
    s.records_path = text(t, "records", where);
    if (!s.records_path.empty() && s.records_path[0] != '/')
      throw config_error(where + ".records must be a JSON pointer such as \"/data\" (empty for a top-level array)");
    s.primary_key = names(t, "primary_key", where);
    s.cursor_field = text(t, "cursor", where);
    s.cursor_param = text(t, "cursor_param", where);
    if (!t["ascending"].is_null()) {
      if (!t["ascending"].is_bool()) throw config_error(where + ".ascending must be true or false");
      s.ascending = t["ascending"].as_bool();
    }
    s.pagination = t["pagination"].is_null() ? default_pagination
                                              : PaginationSpec::parse(t["pagination"], where + ".pagination");
    s.columns = kit::typing::parse_declared_columns(t["columns"], where + ".columns");
    if (t["sample_records"].is_int()) s.sample_records = t["sample_records"].as_int();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ingestd::plugins::http

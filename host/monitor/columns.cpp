#include "monitor/columns.hpp"

#include "util/strings.hpp"

#include <ingestd/sdk/json.hpp>

#include <utility>
#include <vector>

namespace ingestd {

namespace {

using Columns = std::vector<std::pair<std::string, std::string>>;

Columns parse(const std::string& text) {
  Columns out;
  try {
    const json::Value v = json::Value::parse(text);
    if (!v.is_array()) return out;
    for (const json::Value& c : v.as_array())
      if (c.is_object() && c["name"].is_string() && c["type"].is_string())
        out.emplace_back(c["name"].as_string(), c["type"].as_string());
  } catch (const std::exception&) {
    out.clear();  // history written by something else: nothing to compare
  }
  return out;
}

const std::string* type_in(const Columns& columns, const std::string& name) {
  for (const auto& [n, t] : columns)
    if (n == name) return &t;
  return nullptr;
}

}  // namespace

std::string columns_json(const sdk::Schema& schema) {
  json::Array out;
  for (const sdk::Field& f : schema.fields) {
    json::Object c;
    c.set("name", json::Value(f.name));
    c.set("type", json::Value(f.type.name()));
    out.push_back(json::Value(std::move(c)));
  }
  return json::Value(std::move(out)).dump();
}

std::string column_changes(const std::string& before_json, const std::string& after_json) {
  const Columns before = parse(before_json), after = parse(after_json);
  if (before.empty() || after.empty()) return "";
  std::vector<std::string> added, removed, changed;
  for (const auto& [name, type] : after) {
    const std::string* had = type_in(before, name);
    if (!had) added.push_back(name + " (" + type + ")");
    else if (*had != type) changed.push_back(name + " " + *had + " -> " + type);
  }
  for (const auto& [name, type] : before)
    if (!type_in(after, name)) removed.push_back(name);
  std::vector<std::string> parts;
  if (!added.empty()) parts.push_back("added " + join(added, ", "));
  if (!removed.empty()) parts.push_back("removed " + join(removed, ", "));
  if (!changed.empty()) parts.push_back(join(changed, ", "));
  return join(parts, "; ");
}

}  // namespace ingestd

#include <ingestd/kit/typing/json_schema.hpp>

#include <string>

namespace ingestd::kit::typing {

namespace {

using ingestd::json::Value;
using ingestd::sdk::DataType;
using ingestd::sdk::TypeId;

// The non-null types a property allows, following anyOf/oneOf.
void collect_types(const Value& schema, std::vector<std::string>& types, std::string& format) {
  if (!schema.is_object()) return;
  const Value& type = schema["type"];
  auto take = [&](const std::string& t) {
    if (t != "null") types.push_back(t);
  };
  if (type.is_string()) take(type.as_string());
  if (type.is_array())
    for (const auto& t : type.as_array())
      if (t.is_string()) take(t.as_string());
  if (schema["format"].is_string() && format.empty()) format = schema["format"].as_string();
  if (schema["airbyte_type"].is_string() && schema["airbyte_type"].as_string() == "integer") types = {"integer"};
  for (const char* alt : {"anyOf", "oneOf"})
    if (schema[alt].is_array())
      for (const auto& s : schema[alt].as_array()) collect_types(s, types, format);
}

DataType type_of_property(const Value& schema) {
  std::vector<std::string> types;
  std::string format;
  collect_types(schema, types, format);
  if (types.empty()) return TypeId::Utf8;
  // "integer" with "number" is a number; anything else mixed is text.
  bool all_numeric = true, any_number = false;
  for (const auto& t : types) {
    all_numeric = all_numeric && (t == "integer" || t == "number");
    any_number = any_number || t == "number";
  }
  if (all_numeric) return any_number ? TypeId::Float64 : TypeId::Int64;
  if (types.size() > 1) return TypeId::Utf8;
  const std::string& t = types[0];
  if (t == "boolean") return TypeId::Bool;
  if (t == "string" && format == "date-time") return TypeId::TimestampUs;
  if (t == "string" && format == "date") return TypeId::Date32;
  return TypeId::Utf8;  // strings, and objects and arrays as JSON text
}

}  // namespace

std::vector<DeclaredColumn> columns_from_json_schema(const Value& schema) {
  std::vector<DeclaredColumn> out;
  const Value& props = schema["properties"];
  if (!props.is_object()) return out;
  for (const auto& [name, property] : props.as_object()) out.push_back({name, type_of_property(property)});
  return out;
}

ingestd::sdk::Schema schema_from_json_schema(const Value& schema) {
  ingestd::sdk::Schema out;
  for (auto& c : columns_from_json_schema(schema)) out.fields.push_back({std::move(c.name), std::move(c.type), true});
  return out;
}

}  // namespace ingestd::kit::typing

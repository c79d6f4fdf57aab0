#include "source_options.hpp"

namespace files {

using ingestd::sdk::config_error;
using ingestd::sdk::DataType;

namespace {

char single_char(const std::string& option, const std::string& value) {
  if (value == "\\t" || value == "tab") return '\t';
  if (value.size() != 1) throw config_error(option + " must be a single character, got '" + value + "'");
  return value[0];
}

DataType type_named(const std::string& column, const std::string& type) {
  try {
    return DataType::from_name(type);
  } catch (const std::exception& e) {
    throw config_error("columns: column '" + column + "': " + e.what());
  }
}

// columns = ["id:int64", "name"] or [{ name = "id", type = "int64" }, ...]
std::vector<DeclaredColumn> parse_columns(const ingestd::json::Value& v) {
  std::vector<DeclaredColumn> out;
  if (v.is_null()) return out;
  if (!v.is_array()) throw config_error("columns must be a list of \"name:type\" strings or { name, type } tables");
  for (const auto& c : v.as_array()) {
    DeclaredColumn d;
    std::string type = "string";
    if (c.is_string()) {
      const std::string& s = c.as_string();
      auto colon = s.rfind(':');
      d.name = colon == std::string::npos ? s : s.substr(0, colon);
      if (colon != std::string::npos) type = s.substr(colon + 1);
    } else if (c.is_object() && c["name"].is_string()) {
      d.name = c["name"].as_string();
      if (c["type"].is_string()) type = c["type"].as_string();
    } else {
      throw config_error("columns: each entry is \"name:type\" or { name = \"...\", type = \"...\" }");
    }
    if (d.name.empty()) throw config_error("columns: a column has an empty name");
    for (const auto& o : out)
      if (o.name == d.name) throw config_error("columns: '" + d.name + "' is declared twice");
    d.type = type_named(d.name, type);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

const DeclaredColumn* SourceOptions::declared(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

SourceOptions parse_source_options(const ingestd::sdk::CreateContext& ctx) {
  const auto& o = ctx.options;
  SourceOptions s;
  s.files = make_file_set(ctx.resolve_path(o.string("path")));
  s.format_option = o.string("format", "auto");
  s.stream = o.string("stream");
  if (s.stream.empty()) s.stream = s.files.default_stream_name();
  s.header = o.boolean("header", true);
  s.delimiter = single_char("delimiter", o.string("delimiter", ","));
  s.quote = single_char("quote", o.string("quote", "\""));
  if (s.delimiter == s.quote) throw config_error("delimiter and quote must differ");
  if (s.delimiter == '\n' || s.delimiter == '\r') throw config_error("delimiter cannot be a line break");
  s.columns = parse_columns(o.get("columns"));
  s.null_values = o.list("null_values");
  s.sample_rows = o.integer("sample_rows", 1000);
  if (s.sample_rows < 1) throw config_error("sample_rows must be at least 1");
  s.skip_bad_records = o.string("on_error", "fail") == "skip";
  std::string dl = o.string("dead_letter");
  s.dead_letter_path = dl.empty() ? ctx.resolve_path(".ingestd/dead-letter/" + ctx.name + "/" + s.stream + ".jsonl")
                                  : ctx.resolve_path(dl);
  return s;
}

}  // namespace files

#include "source_options.hpp"

namespace ingestd::plugins::files {

using ingestd::sdk::config_error;

namespace {

char single_char(const std::string& option, const std::string& value) {
  if (value == "\\t" || value == "tab") return '\t';
  if (value.size() != 1) throw config_error(option + " must be a single character, got '" + value + "'");
  return value[0];
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
  s.files.follow_symlinks = o.boolean("follow_symlinks", false);
  s.format_option = o.string("format", "auto");
  s.stream = o.string("stream");
  if (s.stream.empty()) s.stream = s.files.default_stream_name();
  s.header = o.boolean("header", true);
  s.delimiter = single_char("delimiter", o.string("delimiter", ","));
  s.quote = single_char("quote", o.string("quote", "\""));
  if (s.delimiter == s.quote) throw config_error("delimiter and quote must differ");
  if (s.delimiter == '\n' || s.delimiter == '\r') throw config_error("delimiter cannot be a line break");
  s.columns = kit::typing::parse_declared_columns(o.get("columns"));
  s.null_values = o.list("null_values");
  s.sample_rows = o.integer("sample_rows", 1000);
  const int64_t max_record = o.integer("max_record_bytes", int64_t{16} << 20);
  if (max_record < 1024) throw config_error("max_record_bytes must be at least 1KiB");
  s.max_record_bytes = static_cast<std::size_t>(max_record);
  if (s.sample_rows < 1) throw config_error("sample_rows must be at least 1");
  s.skip_bad_records = o.string("on_error", "fail") == "skip";
  std::string dl = o.string("dead_letter");
  s.dead_letter_path = dl.empty() ? ctx.resolve_path(".ingestd/dead-letter/" + ctx.name + "/" + s.stream + ".jsonl")
                                  : ctx.resolve_path(dl);
  return s;
}

}  // namespace ingestd::plugins::files

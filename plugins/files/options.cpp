#include "options.hpp"

namespace ingestd::plugins::files {

using namespace ingestd::sdk;

namespace {

constexpr uint32_t kSource = INGESTD_KIND_SOURCE;

char single_char(const std::string& option, const std::string& value) {
  if (value == "\\t" || value == "tab") return '\t';
  if (value.size() != 1) throw config_error(option + " must be a single character, got '" + value + "'");
  return value[0];
}

}  // namespace

const BoundOptions<FileOptions>& file_options() {
  static const BoundOptions<FileOptions> o = [] {
    using F = FileOptions;
    BoundOptions<F> b;
    b.add("path", &F::path, "Source: a file, a folder or a glob (data/*.csv). Destination: the folder to write into")
        .required();
    b.add("format", &F::format, "File format; auto goes by extension (.jsonl/.ndjson/.json are JSON Lines, else CSV)")
        .one_of({"auto", "csv", "jsonl"});
    b.add("stream", &F::stream, "Stream name (default: the file stem, folder name, or the fixed part of the glob)")
        .only_for(kSource);
    b.add("header", &F::header, "CSV: the first line names the columns");
    b.add("delimiter", &F::delimiter, "CSV field separator (one character; \"\\t\" for tab)");
    b.add("quote", &F::quote, "CSV quote character");
    b.add("columns", &F::columns,
          "Declared columns, [\"id:int64\", \"name:string\"] or [{ name, type }]: names when header = false, "
          "types instead of inference otherwise")
        .only_for(kSource);
    b.add("null_values", &F::null_values,
          "Unquoted CSV values read as NULL besides the empty field (e.g. [\"NULL\", \"\\\\N\"])")
        .only_for(kSource);
    b.add("sample_rows", &F::sample_rows, "Records sampled to infer column types").only_for(kSource);
    b.add("follow_symlinks", &F::follow_symlinks,
          "Read what symbolic links in a folder or glob point to (off: they are skipped, and said so)")
        .only_for(kSource);
    b.add("max_record_bytes", &F::max_record_bytes,
          "The longest record (CSV) or line (JSON Lines) read; a longer one fails the stream naming file:line")
        .only_for(kSource);
    b.add("on_error", &F::on_error,
          "A malformed record fails the stream (naming file:line), or is skipped into the dead-letter file "
          "and counted")
        .one_of({"fail", "skip"})
        .only_for(kSource);
    b.add("dead_letter", &F::dead_letter,
          "Where skipped records go, one JSON line each (default .ingestd/dead-letter/SOURCE/STREAM.jsonl)")
        .only_for(kSource);
    return b;
  }();
  return o;
}

SourceOptions source_options(const FileOptions& o, const CreateContext& ctx) {
  SourceOptions s;
  s.files = make_file_set(o.path.string());
  s.files.follow_symlinks = o.follow_symlinks;
  s.format_option = o.format;
  s.stream = o.stream.empty() ? s.files.default_stream_name() : o.stream;
  s.header = o.header;
  s.delimiter = single_char("delimiter", o.delimiter);
  s.quote = single_char("quote", o.quote);
  if (s.delimiter == s.quote) throw config_error("delimiter and quote must differ");
  if (s.delimiter == '\n' || s.delimiter == '\r') throw config_error("delimiter cannot be a line break");
  s.columns = kit::typing::parse_declared_columns(o.columns);
  s.null_values = o.null_values;
  s.sample_rows = o.sample_rows;
  if (s.sample_rows < 1) throw config_error("sample_rows must be at least 1");
  if (o.max_record_bytes.value < 1024) throw config_error("max_record_bytes must be at least 1KiB");
  s.max_record_bytes = static_cast<std::size_t>(o.max_record_bytes.value);
  s.skip_bad_records = o.on_error == "skip";
  s.dead_letter_path = ctx.resolve_path(o.dead_letter.empty()
                                            ? ".ingestd/dead-letter/" + ctx.name + "/" + s.stream + ".jsonl"
                                            : o.dead_letter);
  return s;
}

DestinationOptions destination_options(const FileOptions& o) {
  DestinationOptions d;
  d.dir = o.path.string();
  d.format = o.format == "jsonl" ? "jsonl" : "csv";
  d.header = o.header;
  d.delimiter = single_char("delimiter", o.delimiter);
  d.quote = single_char("quote", o.quote);
  return d;
}

}  // namespace ingestd::plugins::files

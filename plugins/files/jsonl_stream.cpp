#include "jsonl_stream.hpp"

#include "dead_letter.hpp"
#include "file_progress.hpp"
#include "line_reader.hpp"
#include "stream_columns.hpp"
#include "value_typing.hpp"

#include <ingestd/sdk/values.hpp>

#include <simdjson.h>


namespace files {

using namespace ingestd::sdk;
namespace dom = simdjson::dom;

namespace {

bool blank(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

// The shape of a JSON value. Strings are only read as dates or timestamps:
// the producer chose a string, so "123" stays a string.
Shape shape_of_json(const dom::element& v) {
  switch (v.type()) {
    case dom::element_type::NULL_VALUE: return Shape::Null;
    case dom::element_type::BOOL: return Shape::Bool;
    case dom::element_type::INT64: return Shape::Int;
    case dom::element_type::UINT64: return Shape::String;  // beyond int64: keep every digit
    case dom::element_type::DOUBLE: return Shape::Float;
    case dom::element_type::STRING: {
      Shape s = classify(std::string_view(v.get_string().value_unsafe()));
      return s == Shape::Date || s == Shape::Timestamp || s == Shape::TimestampLocal ? s : Shape::String;
    }
    default: return Shape::Json;
  }
}

// Declared columns come first, in their declared order.
ColumnSet initial_columns(const SourceOptions& o) {
  ColumnSet columns(o);
  for (const auto& d : o.columns) columns.add(d.name);
  return columns;
}

// Parses a line in place (the reader leaves padding after it).
simdjson::error_code parse_line(dom::parser& parser, std::string_view line, dom::element& out) {
  return parser.parse(line.data(), line.size(), false).get(out);
}

// Widens `columns` by the first sample_rows objects of `path`.
void sample(const SourceOptions& o, const std::string& path, ColumnSet& columns) {
  LineReader reader(path);
  dom::parser parser;
  std::string_view line;
  int64_t seen = 0;
  while (seen < o.sample_rows && reader.next(line)) {
    if (blank(line)) continue;
    ++seen;
    dom::element doc;
    if (parse_line(parser, line, doc) || doc.type() != dom::element_type::OBJECT) continue;
    for (auto field : dom::object(doc)) {
      Column& col = columns[columns.index_or_add(field.key)];
      if (!col.declared) col.shape = widen(col.shape, shape_of_json(field.value));
    }
  }
}

class JsonlStream : public SourceStream {
 public:
  JsonlStream(const SourceOptions& o, std::vector<std::string> paths, const StreamRequest& r, const Instance& owner,
              FileProgress* progress)
      : o_(o), paths_(std::move(paths)), progress_(progress), batch_rows_(r.batch_rows), host_(r.host), owner_(owner), columns_(initial_columns(o)),
        dead_letter_(o.dead_letter_path, r.host) {
    if (!paths_.empty()) sample(o_, paths_[0], columns_);
    batches_ = std::make_unique<BatchAssembler>(columns_, dead_letter_, progress_);
  }

  Schema schema() override { return batches_->schema(); }

  bool next(Batch& out) override {
    for (;;) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      if (!reader_) {
        if (next_file_ >= paths_.size()) return batches_->finish(out);
        reader_ = std::make_unique<LineReader>(paths_[next_file_++]);
      }
      if (!pending_) {
        if (!reader_->next(line_)) {
          std::string done = reader_->path();
          reader_.reset();
          if (progress_) return batches_->finish_file(out, done);
          continue;
        }
        if (blank(line_)) continue;
      }
      pending_ = false;
      if (!append_line()) {
        // New or wider columns: send the rows of the old schema first.
        pending_ = true;
        if (batches_->finish(out)) return true;
        continue;
      }
      if (batches_->rows().rows() >= batch_rows_ && batches_->finish(out)) return true;
    }
  }

 private:
  // Appends the current line; false when the schema must change first.
  bool append_line() {
    BatchBuilder& rows = batches_->rows();
    const int64_t row = rows.rows();
    dom::element doc;
    if (auto err = parse_line(parser_, line_, doc)) {
      reject(std::string("malformed JSON: ") + simdjson::error_message(err));
      return true;
    }
    if (doc.type() != dom::element_type::OBJECT) {
      reject("expected a JSON object");
      return true;
    }
    present_.assign(rows.column_count(), false);
    bool grew = false;
    for (auto field : dom::object(doc)) {
      int c = columns_.find(field.key);
      if (c < 0) {
        // A key the sample did not show: add a column, then take the line again.
        columns_[columns_.add(field.key)].shape = shape_of_json(field.value);
        grew = true;
        continue;
      }
      if (grew || static_cast<std::size_t>(c) >= present_.size()) continue;
      if (present_[static_cast<std::size_t>(c)]) continue;  // a repeated key: the first wins
      present_[static_cast<std::size_t>(c)] = true;
      Column& col = columns_[static_cast<std::size_t>(c)];
      switch (append_value(rows.column(static_cast<std::size_t>(c)), field.value)) {
        case Fit::Yes: break;
        case Fit::Invalid:
          rows.truncate(row);
          reject("key '" + col.name + "': invalid UTF-8");
          return true;
        case Fit::No:
          rows.truncate(row);
          if (col.declared) {
            reject("key '" + col.name + "': " + simdjson::minify(field.value).substr(0, 100) + " is not a valid " +
                   col.declared_type.name());
            return true;
          }
          {
            Shape wider = widen(col.shape, shape_of_json(field.value));
            col.shape = wider == col.shape ? Shape::String : wider;
          }
          return false;
      }
    }
    if (grew) {
      rows.truncate(row);
      return false;
    }
    for (std::size_t c = 0; c < present_.size(); ++c)
      if (!present_[c]) rows.column(c).append_null();
    return true;
  }

  enum class Fit { Yes, No, Invalid };

  Fit append_value(ColumnBuilder& col, const dom::element& v) {
    const DataType& t = col.type();
    switch (v.type()) {
      case dom::element_type::NULL_VALUE: col.append_null(); return Fit::Yes;
      case dom::element_type::BOOL:
        if (t.id == TypeId::Bool) col.append_bool(v.get_bool().value_unsafe());
        else if (t.is_string_like()) col.append_string(v.get_bool().value_unsafe() ? "true" : "false");
        else return Fit::No;
        return Fit::Yes;
      case dom::element_type::INT64: {
        int64_t i = v.get_int64().value_unsafe();
        if (t.id == TypeId::Int64) col.append_int(i);
        else if (t.id == TypeId::Float64) col.append_double(static_cast<double>(i));
        else if (t.is_string_like()) {
          text_.clear();
          format_int(i, text_);
          col.append_string(text_);
        } else return append_text(col, std::string_view(simdjson::minify(v))) ? Fit::Yes : Fit::No;
        return Fit::Yes;
      }
      case dom::element_type::DOUBLE: {
        double d = v.get_double().value_unsafe();
        if (t.id == TypeId::Float64 || t.id == TypeId::Float32) col.append_double(d);
        else if (t.is_string_like()) col.append_string(simdjson::minify(v));
        else return Fit::No;
        return Fit::Yes;
      }
      case dom::element_type::STRING: {
        std::string_view s = v.get_string().value_unsafe();
        if (!valid_utf8(s)) return Fit::Invalid;
        return append_text(col, s) ? Fit::Yes : Fit::No;
      }
      default:  // UINT64, arrays and objects: as JSON text
        if (!t.is_string_like()) return Fit::No;
        col.append_string(simdjson::minify(v));
        return Fit::Yes;
    }
  }

  void reject(const std::string& why) {
    const std::string where = reader_->path() + ":" + std::to_string(reader_->line_number());
    if (!o_.skip_bad_records) throw data_error(where + ": " + why);
    dead_letter_.reject(reader_->path(), reader_->line_number(), why, line_);
  }

  const SourceOptions& o_;
  std::vector<std::string> paths_;
  FileProgress* progress_;  // incremental reads: checkpoints after each file
  int64_t batch_rows_;
  Host host_;
  const Instance& owner_;
  ColumnSet columns_;
  DeadLetter dead_letter_;
  std::unique_ptr<BatchAssembler> batches_;
  std::size_t next_file_ = 0;
  std::unique_ptr<LineReader> reader_;
  dom::parser parser_;
  std::string_view line_;
  std::vector<bool> present_;
  std::string text_;
  bool pending_ = false;
};

}  // namespace

Schema infer_jsonl_schema(const SourceOptions& o, const std::vector<std::string>& paths) {
  ColumnSet columns = initial_columns(o);
  if (!paths.empty()) sample(o, paths[0], columns);
  return columns.schema();
}

std::unique_ptr<SourceStream> open_jsonl_stream(const SourceOptions& o, std::vector<std::string> paths,
                                                const StreamRequest& r, const Instance& owner, FileProgress* progress) {
  return std::make_unique<JsonlStream>(o, std::move(paths), r, owner, progress);
}

}  // namespace files

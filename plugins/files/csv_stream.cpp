#include "csv_stream.hpp"

#include "csv_prefetch.hpp"
#include "csv_reader.hpp"
#include "dead_letter.hpp"
#include "file_progress.hpp"
#include "stream_columns.hpp"
#include <ingestd/kit/typing/value_typing.hpp>

#include <algorithm>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

namespace ingestd::plugins::files {

using namespace ingestd::kit::typing;

using namespace ingestd::sdk;

namespace {

// Column names of a file: its header, or declared/positional names.
std::vector<std::string> column_names(const SourceOptions& o, const std::vector<CsvField>& first_record) {
  std::vector<std::string> names;
  if (o.header) {
    // Linear in the columns, however many repeat: headers may be very wide.
    std::unordered_set<std::string> taken;
    std::unordered_map<std::string, int> next_suffix;
    for (std::size_t i = 0; i < first_record.size(); ++i) {
      std::string n(first_record[i].text);
      if (n.empty()) n = "column_" + std::to_string(i + 1);
      // Duplicate names get a suffix rather than silently sharing a column.
      std::string unique = n;
      if (taken.count(unique)) {
        int& k = next_suffix.try_emplace(n, 2).first->second;
        do unique = n + "_" + std::to_string(k++);
        while (taken.count(unique));
      }
      taken.insert(unique);
      names.push_back(std::move(unique));
    }
  } else {
    for (std::size_t i = 0; i < first_record.size(); ++i)
      names.push_back(i < o.columns.size() ? o.columns[i].name : "column_" + std::to_string(i + 1));
  }
  return names;
}

bool is_null(const SourceOptions& o, const CsvField& f) {
  if (f.quoted) return false;
  if (f.text.empty()) return true;
  for (const auto& n : o.null_values)
    if (f.text == n) return true;
  return false;
}

// A record as CSV text again, for the dead-letter file.
std::string to_csv_line(const std::vector<CsvField>& fields, char delimiter, char quote) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(delimiter);
    std::string_view t = fields[i].text;
    bool needs = fields[i].quoted || t.find_first_of(std::string{delimiter, quote, '\n', '\r'}) != std::string_view::npos;
    if (!needs) {
      out += t;
      continue;
    }
    out.push_back(quote);
    for (char c : t) {
      if (c == quote) out.push_back(quote);
      out.push_back(c);
    }
    out.push_back(quote);
  }
  return out;
}

// Widens columns by the values of one sampled record.
void observe(const SourceOptions& o, ColumnSet& columns, const std::vector<std::size_t>& map,
             const std::vector<CsvField>& fields) {
  for (std::size_t i = 0; i < fields.size() && i < map.size(); ++i) {
    const Column& c = columns[map[i]];
    if (c.declared || is_null(o, fields[i])) continue;
    const Shape wider = widen(c.shape, classify(fields[i].text));
    if (wider != c.shape) columns.widen_to(map[i], wider, fields[i].text);
  }
}

// Without a header, declared columns are the file's columns, in order.
ColumnSet initial_columns(const SourceOptions& o) {
  ColumnSet columns(o.columns);
  if (!o.header)
    for (const auto& d : o.columns) columns.add(d.name);
  return columns;
}

// Opens a file and reads its column names (the first record when header = true).
struct OpenedFile {
  std::unique_ptr<CsvReader> reader;
  std::unique_ptr<CsvPrefetcher> prefetcher;  // set when the rest is read ahead
  std::vector<std::string> names;
  std::vector<CsvField> first;  // the first data record when header = false
  std::shared_ptr<std::vector<char>> first_buffer;  // what `first` points into
  bool has_first = false;
  bool empty = false;

  // Reads the rest of a large file on a thread of its own.
  void read_ahead() {
    if (reader) prefetcher = std::make_unique<CsvPrefetcher>(std::move(reader));
  }
  bool next(std::vector<CsvField>& fields) { return prefetcher ? prefetcher->next(fields) : reader->next(fields); }
  int64_t line() const { return prefetcher ? prefetcher->line() : reader->line(); }
  bool record_is_ascii() const { return prefetcher ? prefetcher->record_is_ascii() : reader->record_is_ascii(); }
  const std::string& path() const { return prefetcher ? prefetcher->path() : reader->path(); }
  bool open() const { return reader || prefetcher; }
};

// Files at least this large are read ahead on a thread of their own; smaller
// ones are not worth a thread each.
constexpr int64_t kReadAheadBytes = int64_t{4} << 20;

OpenedFile open_file(const SourceOptions& o, const std::string& path) {
  OpenedFile f;
  f.reader = std::make_unique<CsvReader>(path, o.delimiter, o.quote, o.max_record_bytes);
  std::vector<CsvField> record;
  if (!f.reader->next(record)) {
    f.empty = true;
    return f;
  }
  f.names = column_names(o, record);
  if (!o.header) {
    f.first = record;
    f.first_buffer = f.reader->current_buffer();
    f.has_first = true;
  }
  for (const auto& n : f.names)
    if (!valid_utf8(n)) throw data_error(path + ":" + std::to_string(f.reader->line()) + ": invalid UTF-8 in the header");
  return f;
}

// With a header, every declared column must be in it (a typo would
// otherwise leave the column silently empty).
void check_declared(const SourceOptions& o, const std::vector<std::string>& names, const std::string& path) {
  if (!o.header) return;
  for (const auto& d : o.columns)
    if (std::find(names.begin(), names.end(), d.name) == names.end())
      throw config_error("columns: '" + d.name + "' is not in the header of " + path + " (header: " +
                         [&] {
                           std::string h;
                           for (const auto& n : names) h += (h.empty() ? "" : ", ") + n;
                           return h;
                         }() +
                         ")");
}

// Samples the first rows of a file into `columns`; returns the file's map
// from field position to column index.
std::vector<std::size_t> sample_file(const SourceOptions& o, const std::string& path, ColumnSet& columns) {
  OpenedFile f = open_file(o, path);
  std::vector<std::size_t> map;
  if (f.empty) return map;
  check_declared(o, f.names, path);
  for (const auto& n : f.names) map.push_back(columns.index_or_add(n));
  std::vector<CsvField> record;
  int64_t seen = 0;
  if (f.has_first) {
    observe(o, columns, map, f.first);
    ++seen;
  }
  try {
    while (seen < o.sample_rows && f.reader->next(record)) {
      if (record.size() == map.size()) observe(o, columns, map, record);
      ++seen;
    }
  } catch (const Error&) {
    // Malformed quoting past the header: the read itself reports it with its line.
  }
  return map;
}

// The columns a sample of the files implies: the first non-empty file decides.
ColumnSet infer_columns(const SourceOptions& o, const std::vector<std::string>& paths) {
  ColumnSet columns = initial_columns(o);
  for (const auto& p : paths)
    if (!sample_file(o, p, columns).empty()) break;
  return columns;
}

class CsvStream : public SourceStream {
 public:
  CsvStream(const SourceOptions& o, std::vector<std::string> paths, const std::vector<std::string>& known,
            const StreamRequest& r, const Instance& owner, FileProgress* progress)
      : o_(o), paths_(std::move(paths)), progress_(progress), batch_rows_(r.batch_rows), host_(r.host), owner_(owner),
        columns_(initial_columns(o)), dead_letter_(o.dead_letter_path, r.host) {
    // The first file's sample sets the starting schema; later files widen it.
    // With nothing to read, the files already read say what the stream holds.
    if (paths_.empty()) columns_ = infer_columns(o_, known);
    columns_.report_widenings_to(host_, r.stream);
    if (!paths_.empty()) sample_file(o_, paths_[0], columns_);
    batches_ = std::make_unique<BatchAssembler>(columns_, dead_letter_, progress_, batch_rows_);
  }

  Schema schema() override { return batches_->schema(); }

  bool next(Batch& out) override {
    for (;;) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      if (!file_.open()) {
        if (!open_next_file()) return batches_->finish(out);
        // A file with new columns or wider values: rows of the old schema go first.
        if (batches_->columns_changed() && batches_->finish(out)) return true;
        batches_->follow_columns();
      }
      if (!pending_ && !read_record()) {
        std::string done = file_.path();
        file_ = OpenedFile();
        if (progress_ && batches_->finish_file(out, done)) return true;
        continue;
      }
      pending_ = false;
      if (!append_record()) {
        // A value needs a wider column: send what was built with the old
        // schema, then take this record again with the new one.
        pending_ = true;
        if (batches_->finish(out)) return true;
        continue;
      }
      if (batches_->rows().rows() >= batch_rows_ && batches_->finish(out)) return true;
    }
  }

 private:
  bool open_next_file() {
    while (next_file_ < paths_.size()) {
      const std::string& path = paths_[next_file_++];
      if (next_file_ > 1) sample_file(o_, path, columns_);  // new columns or wider types
      file_ = open_file(o_, path);
      if (file_.empty) {
        file_ = OpenedFile();
        if (progress_) batches_->skip_file(path);
        continue;
      }
      map_.clear();
      for (const auto& n : file_.names) map_.push_back(columns_.index_or_add(n));
      check_declared(o_, file_.names, path);
      std::error_code ec;
      const auto size = std::filesystem::file_size(path, ec);
      if (!ec && size >= static_cast<std::uintmax_t>(kReadAheadBytes)) file_.read_ahead();
      return true;
    }
    return false;
  }

  bool read_record() {
    if (file_.has_first) {
      file_.has_first = false;
      record_ = file_.first;
      record_ascii_ = false;  // checked field by field
      return true;
    }
    if (!file_.next(record_)) return false;
    record_ascii_ = file_.record_is_ascii();
    return true;
  }

  // Appends the current record; false when a column must widen first.
  bool append_record() {
    BatchBuilder& rows = batches_->rows();
    const int64_t row = rows.rows();
    const int64_t line = file_.line();
    if (record_.size() != map_.size()) {
      reject(line, "expected " + std::to_string(map_.size()) + " fields, found " + std::to_string(record_.size()));
      return true;
    }
    const bool fills_every_column = map_.size() == static_cast<std::size_t>(rows.column_count());
    if (!fills_every_column) present_.assign(rows.column_count(), false);
    for (std::size_t i = 0; i < record_.size(); ++i) {
      std::size_t c = map_[i];
      if (!fills_every_column) present_[c] = true;
      ColumnBuilder& col = rows.column(c);
      const CsvField& f = record_[i];
      if (is_null(o_, f)) {
        col.append_null();
        continue;
      }
      if (!record_ascii_ && !valid_utf8(f.text)) {
        rows.truncate(row);
        reject(line, "invalid UTF-8 in column '" + columns_[c].name + "'");
        return true;
      }
      if (append_text(col, f.text)) continue;
      rows.truncate(row);
      Column& column = columns_[c];
      if (column.declared) {
        reject(line, "column '" + column.name + "': '" + std::string(f.text.substr(0, 100)) + "' is not a valid " +
                         column.declared_type.name());
        return true;
      }
      Shape wider = widen(column.shape, classify(f.text));
      if (wider == column.shape) wider = Shape::String;  // e.g. an integer out of range
      host_.debug(file_.path() + ":" + std::to_string(line) + ": column '" + column.name + "' widens from " +
                  type_of(column.shape).name() + " to " + type_of(wider).name());
      columns_.widen_to(c, wider, f.text);
      return false;
    }
    if (!fills_every_column)
      for (std::size_t c = 0; c < present_.size(); ++c)
        if (!present_[c]) rows.column(c).append_null();  // a column this file lacks
    return true;
  }

  void reject(int64_t line, const std::string& why) {
    const std::string& path = file_.path();
    if (!o_.skip_bad_records) throw data_error(path + ":" + std::to_string(line) + ": " + why);
    dead_letter_.reject(path, line, why, to_csv_line(record_, o_.delimiter, o_.quote));
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
  OpenedFile file_;
  std::vector<std::size_t> map_;
  std::vector<CsvField> record_;
  std::vector<bool> present_;
  bool record_ascii_ = false;
  bool pending_ = false;
};

}  // namespace

Schema infer_csv_schema(const SourceOptions& o, const std::vector<std::string>& paths) {
  return infer_columns(o, paths).schema();
}

std::unique_ptr<SourceStream> open_csv_stream(const SourceOptions& o, std::vector<std::string> paths,
                                              const std::vector<std::string>& known, const StreamRequest& r,
                                              const Instance& owner, FileProgress* progress) {
  return std::make_unique<CsvStream>(o, std::move(paths), known, r, owner, progress);
}

}  // namespace ingestd::plugins::files

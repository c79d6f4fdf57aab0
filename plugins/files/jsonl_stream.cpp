#include "jsonl_stream.hpp"

#include "dead_letter.hpp"
#include "file_progress.hpp"
#include "jsonl_blocks.hpp"
#include "line_reader.hpp"
#include "stream_columns.hpp"

#include <ingestd/kit/typing/json_rows.hpp>

#include <simdjson.h>

namespace ingestd::plugins::files {

using namespace ingestd::sdk;
using kit::typing::JsonRowAppender;
using kit::typing::sample_object;
namespace dom = simdjson::dom;

namespace {

// Declared columns come first, in their declared order.
ColumnSet initial_columns(const SourceOptions& o) {
  ColumnSet columns(o.columns);
  columns.add_declared();
  return columns;
}

// Parses a line in place (the reader leaves padding after it).
simdjson::error_code parse_line(dom::parser& parser, std::string_view line, dom::element& out) {
  return parser.parse(line.data(), line.size(), false).get(out);
}

// Widens `columns` by the first sample_rows objects of `path`.
void sample(const SourceOptions& o, const std::string& path, ColumnSet& columns) {
  LineReader reader(path, o.max_record_bytes);
  dom::parser parser;
  std::string_view line;
  int64_t seen = 0;
  while (seen < o.sample_rows && reader.next(line)) {
    if (blank_line(line)) continue;
    ++seen;
    dom::element doc;
    if (parse_line(parser, line, doc) || doc.type() != dom::element_type::OBJECT) continue;
    sample_object(dom::object(doc), columns);
  }
}

class JsonlStream : public SourceStream {
 public:
  JsonlStream(const SourceOptions& o, std::vector<std::string> paths, const std::vector<std::string>& known,
              const StreamRequest& r, const Instance& owner, FileProgress* progress)
      : o_(o), paths_(std::move(paths)), progress_(progress), batch_rows_(r.batch_rows), host_(r.host), owner_(owner), columns_(initial_columns(o)),
        dead_letter_(o.dead_letter_path, r.host) {
    // With nothing to read, the files already read say what the stream holds.
    columns_.report_widenings_to(host_, r.stream);
    const std::vector<std::string>& sampled = paths_.empty() ? known : paths_;
    if (!sampled.empty()) sample(o_, sampled[0], columns_);
    batches_ = std::make_unique<BatchAssembler>(columns_, dead_letter_, progress_, batch_rows_);
  }

  Schema schema() override { return batches_->schema(); }

  bool next(Batch& out) override {
    if (!blocks_) blocks_ = std::make_unique<JsonlBlocks>(paths_, o_.max_record_bytes, columns_, batch_rows_);
    for (;;) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      if (!block_) {
        block_ = blocks_->next();
        if (!block_) return batches_->finish(out);
        if (block_->first_of_file) line_number_ = 0;
        take_typed_rows();
        if (batches_->rows().rows() >= batch_rows_ && batches_->finish(out)) return true;
      }
      if (!pending_) {
        if (!block_->next_line(pos_, line_)) {
          if (block_->error) std::rethrow_exception(block_->error);
          const bool file_done = block_->last_of_file;
          const std::string done = block_->path;
          blocks_->recycle(std::move(block_));
          if (file_done && progress_ && batches_->finish_file(out, done)) return true;
          continue;
        }
        ++line_number_;
        if (blank_line(line_)) continue;
      }
      pending_ = false;
      if (!append_line()) {
        // New or wider columns: send the rows of the old schema first.
        pending_ = true;
        blocks_->publish(columns_);
        if (batches_->finish(out)) return true;
        continue;
      }
      if (batches_->rows().rows() >= batch_rows_ && batches_->finish(out)) return true;
    }
  }

 private:
  // The rows a worker typed at the start of the block join the batch, when
  // typed under the columns the batch has; otherwise they are typed here.
  void take_typed_rows() {
    pos_ = block_->begin;
    if (!block_->rows || block_->typed_under->schema != batches_->schema()) return;
    batches_->take_rows(block_->rows);
    pos_ = block_->untyped;
    line_number_ += block_->typed_lines;
  }

  // Appends the current line; false when the schema must change first.
  bool append_line() {
    if (line_.size() > o_.max_record_bytes)
      throw data_error(where() + ": a line longer than max_record_bytes (" + std::to_string(o_.max_record_bytes) +
                       " bytes); raise max_record_bytes if records are this large");
    BatchBuilder& rows = batches_->rows();
    dom::element doc;
    if (auto err = parse_line(parser_, line_, doc)) {
      reject(std::string("malformed JSON: ") + simdjson::error_message(err));
      return true;
    }
    if (doc.type() != dom::element_type::OBJECT) {
      reject("expected a JSON object");
      return true;
    }
    switch (appender_.append(dom::object(doc), columns_, rows)) {
      case JsonRowAppender::Result::Appended: return true;
      case JsonRowAppender::Result::ColumnsChanged: return false;
      case JsonRowAppender::Result::Rejected: reject(appender_.reason()); return true;
    }
    return true;
  }

  std::string where() const { return block_->path + ":" + std::to_string(line_number_); }

  void reject(const std::string& why) {
    if (!o_.skip_bad_records) throw data_error(where() + ": " + why);
    dead_letter_.reject(block_->path, line_number_, why, line_);
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
  dom::parser parser_;
  JsonRowAppender appender_;
  std::unique_ptr<JsonlBlocks> blocks_;  // after what its workers read: stops first
  std::unique_ptr<LineBlock> block_;
  std::size_t pos_ = 0;  // the next line of block_
  int64_t line_number_ = 0;  // of line_ in its file
  std::string_view line_;
  bool pending_ = false;
};

}  // namespace

Schema infer_jsonl_schema(const SourceOptions& o, const std::vector<std::string>& paths) {
  ColumnSet columns = initial_columns(o);
  if (!paths.empty()) sample(o, paths[0], columns);
  return columns.schema();
}

std::unique_ptr<SourceStream> open_jsonl_stream(const SourceOptions& o, std::vector<std::string> paths,
                                                const std::vector<std::string>& known, const StreamRequest& r,
                                                const Instance& owner, FileProgress* progress) {
  return std::make_unique<JsonlStream>(o, std::move(paths), known, r, owner, progress);
}

}  // namespace ingestd::plugins::files

#include "stream_columns.hpp"

#include "dead_letter.hpp"
#include "file_progress.hpp"

namespace ingestd::plugins::files {

using namespace ingestd::sdk;

BatchAssembler::BatchAssembler(const ColumnSet& columns, DeadLetter& dead_letter, FileProgress* progress,
                               int64_t batch_rows)
    : columns_(columns), dead_letter_(dead_letter), progress_(progress), batch_rows_(batch_rows),
      schema_(columns.schema()),
      builder_(std::make_unique<BatchBuilder>(schema_)) {}

void BatchAssembler::follow_columns() {
  Schema now = columns_.schema();
  if (now == schema_) return;
  schema_ = std::move(now);
  builder_ = std::make_unique<BatchBuilder>(schema_);
  announce_ = true;
}

void BatchAssembler::take_rows(std::unique_ptr<BatchBuilder>& rows) {
  if (builder_->rows() > 0 || rows->schema() != schema_) builder_->append_rows(*rows);  // which checks the schema
  else std::swap(builder_, rows);
}

bool BatchAssembler::finish(Batch& out) {
  if (builder_->rows() == 0 && !checkpoint_due_) {
    follow_columns();
    return false;
  }
  out.array = builder_->finish();
  if (announce_) {
    out.new_schema = schema_;
    announce_ = false;
  }
  if (checkpoint_due_ && out.array.get()->length == rows_at_file_end_) {
    out.checkpoint = progress_->checkpoint();
    checkpoint_due_ = false;
    last_checkpoint_ = std::chrono::steady_clock::now();
  }
  rows_at_file_end_ = 0;
  dead_letter_.flush();
  follow_columns();
  return true;
}

bool BatchAssembler::finish_file(Batch& out, const std::string& path) {
  skip_file(path);
  if (builder_->rows() < batch_rows_ && std::chrono::steady_clock::now() - last_checkpoint_ < kCheckpointEvery)
    return false;
  return finish(out);
}

void BatchAssembler::skip_file(const std::string& path) {
  progress_->complete(path);
  checkpoint_due_ = true;
  rows_at_file_end_ = builder_->rows();
}

}  // namespace ingestd::plugins::files

// The batches a files stream builds over its columns as they are learned
// (declared, sampled, widened, added). Shared by the CSV and JSON Lines readers.
#pragma once

#include "source_options.hpp"

#include <ingestd/kit/typing/columns.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::files {

using kit::typing::Column;
using kit::typing::ColumnSet;

class DeadLetter;
class FileProgress;

// Builds the batches a files stream emits, over a ColumnSet. When the columns
// change (a new column, a wider type), rows built so far go out under the old
// schema first and the next batch carries the new one. Every emitted batch
// makes the dead letters before it durable; on incremental reads (`progress`)
// a batch that ends a file carries the checkpoint covering it.
class BatchAssembler {
 public:
  BatchAssembler(const ColumnSet& columns, DeadLetter& dead_letter, FileProgress* progress, int64_t batch_rows);

  const ingestd::sdk::Schema& schema() const { return schema_; }
  ingestd::sdk::BatchBuilder& rows() { return *builder_; }
  // Takes `rows` (built elsewhere, of this schema) as the rows of the batch
  // when none are built yet, handing back the empty builder; otherwise
  // appends them.
  void take_rows(std::unique_ptr<ingestd::sdk::BatchBuilder>& rows);
  // True when the columns no longer match the schema of the rows being built.
  bool columns_changed() const { return columns_.schema() != schema_; }
  // Moves the rows built so far into `out` (false when there are none and no
  // checkpoint is due), then follows any column change.
  bool finish(ingestd::sdk::Batch& out);
  // `path` was read to its end: the next checkpoint covers it. Emits the
  // rows built so far with that checkpoint when a batch is full or the last
  // checkpoint is kCheckpointEvery old; otherwise the next file's rows join
  // the batch (a checkpoint per small file cost a commit and the whole file
  // list per file). Incremental reads only.
  bool finish_file(ingestd::sdk::Batch& out, const std::string& path);
  static constexpr std::chrono::seconds kCheckpointEvery{2};
  // `path` holds no records; the next checkpoint covers it.
  void skip_file(const std::string& path);
  // Follows a column change now; only valid when no rows are being built.
  void follow_columns();

 private:
  const ColumnSet& columns_;
  DeadLetter& dead_letter_;
  FileProgress* progress_;
  int64_t batch_rows_;
  bool checkpoint_due_ = false;  // files completed since the last checkpoint
  // Rows of the batch being built that belong to completed files. A
  // checkpoint rides only on a batch holding no row of a file still being
  // read: a rerun from it reads that file again from its start, so those
  // rows would arrive twice.
  int64_t rows_at_file_end_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
  ingestd::sdk::Schema schema_;
  std::unique_ptr<ingestd::sdk::BatchBuilder> builder_;
  bool announce_ = false;  // the next batch carries the schema
};

}  // namespace ingestd::plugins::files

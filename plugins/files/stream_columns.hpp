// The columns of a files stream as they are learned (declared, sampled,
// widened, added), and the batches built over them. Shared by the CSV and
// JSON Lines readers.
#pragma once

#include "source_options.hpp"
#include "value_typing.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace files {

struct Column {
  std::string name;
  Shape shape = Shape::Null;  // widened over the values seen
  bool declared = false;
  ingestd::sdk::DataType declared_type;

  ingestd::sdk::DataType type() const { return declared ? declared_type : type_of(shape); }
};

class ColumnSet {
 public:
  explicit ColumnSet(const SourceOptions& options) : o_(options) {}

  // Index of a column, or -1.
  int find(std::string_view name) const;
  // Adds a column (typed as declared, if it is).
  std::size_t add(std::string_view name);
  std::size_t index_or_add(std::string_view name);
  Column& operator[](std::size_t i) { return cols_[i]; }
  std::size_t size() const { return cols_.size(); }
  ingestd::sdk::Schema schema() const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  const SourceOptions& o_;
  std::vector<Column> cols_;
  std::unordered_map<std::string, std::size_t, Hash, std::equal_to<>> index_;
};

class DeadLetter;
class FileProgress;

// Builds the batches a files stream emits, over a ColumnSet. When the columns
// change (a new column, a wider type), rows built so far go out under the old
// schema first and the next batch carries the new one. Every emitted batch
// makes the dead letters before it durable; on incremental reads (`progress`)
// a batch that ends a file carries the checkpoint covering it.
class BatchAssembler {
 public:
  BatchAssembler(const ColumnSet& columns, DeadLetter& dead_letter, FileProgress* progress);

  const ingestd::sdk::Schema& schema() const { return schema_; }
  ingestd::sdk::BatchBuilder& rows() { return *builder_; }
  // True when the columns no longer match the schema of the rows being built.
  bool columns_changed() const { return columns_.schema() != schema_; }
  // Moves the rows built so far into `out` (false when there are none and no
  // checkpoint is due), then follows any column change.
  bool finish(ingestd::sdk::Batch& out);
  // `path` was read to its end: emits its last rows (even none) with a
  // checkpoint covering it. Incremental reads only.
  bool finish_file(ingestd::sdk::Batch& out, const std::string& path);
  // `path` holds no records; the next checkpoint covers it.
  void skip_file(const std::string& path);
  // Follows a column change now; only valid when no rows are being built.
  void follow_columns();

 private:
  const ColumnSet& columns_;
  DeadLetter& dead_letter_;
  FileProgress* progress_;
  bool checkpoint_due_ = false;  // files completed since the last checkpoint
  ingestd::sdk::Schema schema_;
  std::unique_ptr<ingestd::sdk::BatchBuilder> builder_;
  bool announce_ = false;  // the next batch carries the schema
};

}  // namespace files

// Building batches whose column types may widen midway: a value that does
// not fit its column (text in an integer column of a loosely typed source)
// widens that column instead of failing. Rows built so far go out under the
// old schema; the next batch announces the new one.
#pragma once

#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/plugin.hpp>
#include <ingestd/sdk/schema.hpp>

#include <memory>

namespace ingestd::sdk {

class EvolvingBatch {
 public:
  explicit EvolvingBatch(Schema schema)
      : schema_(std::move(schema)), builder_(std::make_unique<BatchBuilder>(schema_)) {}

  // The schema of rows from now on (wider than the rows being built, after a widen()).
  const Schema& schema() const { return schema_; }
  BatchBuilder& rows() { return *builder_; }
  // True after widen(): the rows being built must go out before more are added.
  bool widened() const { return widened_; }

  // Column `i` holds `type` from the next batch on. The caller truncates the
  // half-built row, calls finish(), and appends the row again.
  void widen(std::size_t i, DataType type) {
    schema_.fields[i].type = std::move(type);
    widened_ = true;
  }

  // Moves the rows built so far into `out` (false when there are none), then
  // starts building under the widened schema.
  bool finish(Batch& out) {
    bool any = builder_->rows() > 0;
    if (any) {
      out.array = builder_->finish();
      if (announce_) {
        out.new_schema = announced_;
        announce_ = false;
      }
    }
    if (widened_) {
      builder_ = std::make_unique<BatchBuilder>(schema_);
      announced_ = schema_;
      announce_ = true;
      widened_ = false;
    }
    return any;
  }

 private:
  Schema schema_;
  std::unique_ptr<BatchBuilder> builder_;
  Schema announced_;
  bool widened_ = false;
  bool announce_ = false;
};

}  // namespace ingestd::sdk

// A record batch as the host holds it between a source and its destinations.
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace ingestd {

struct RecordBatch {
  sdk::OwnedArray array;  // a struct array; released when the last destination is done
  // Set on the batch where the stream's schema changes: the new Arrow schema
  // (lent to destinations) and its host model.
  std::shared_ptr<sdk::OwnedSchema> schema_change;
  std::shared_ptr<const sdk::Schema> schema;  // the schema these rows follow
  std::optional<std::string> checkpoint;
  int64_t generation = 0;  // with a checkpoint: its place among the stream's checkpoints
  std::string metadata_json;
  uint32_t stream_index = 0;
  int64_t rows = 0;
  int64_t bytes = 0;      // memory the batch's buffers hold
  uint64_t sequence = 0;  // 1, 2, ... within its stream
};

using BatchPtr = std::shared_ptr<const RecordBatch>;

// Checks that `array` is a well-formed struct array of `schema` (so that a
// buggy plugin fails its stream instead of crashing a destination) and returns
// the bytes its buffers hold. Throws std::runtime_error saying what is wrong.
int64_t check_batch(const ArrowArray& array, const sdk::Schema& schema);

// Checks an Arrow schema handed over by a plugin and converts it.
// Throws std::runtime_error saying what is wrong.
sdk::Schema check_schema(const ArrowSchema& schema);

}  // namespace ingestd

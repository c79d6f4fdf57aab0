// A lent Arrow batch handed to DuckDB without copying its values: sliced
// into data chunks (DuckDB's vectors hold at most 2048 rows) whose vectors
// point into the batch's buffers.
#pragma once

#include "duck.hpp"

#include <ingestd/sdk/schema.hpp>

#include <functional>
#include <string>
#include <vector>

struct ArrowArray;

namespace ingestd::plugins::duck {

class ArrowInput {
 public:
  ArrowInput(Connection& connection, const sdk::Schema& schema);
  ~ArrowInput();
  ArrowInput(const ArrowInput&) = delete;
  ArrowInput& operator=(const ArrowInput&) = delete;

  // Calls `take` with each slice of `batch` as a data chunk. The chunk (and
  // the batch's memory under it) is valid only during the call.
  void for_each_chunk(const ArrowArray& batch, const std::function<void(duckdb_data_chunk)>& take);

  // The DuckDB types of the columns, known after the first chunk.
  const std::vector<duckdb_logical_type>& types() const { return types_; }

 private:
  Connection& connection_;
  duckdb_arrow_converted_schema converted_ = nullptr;
  std::vector<duckdb_logical_type> types_;
};

}  // namespace ingestd::plugins::duck

// The primary keys a run delivered, as `ingestd usage` counts active rows:
// a 64-bit hash of each row's key, stored per flow, stream and calendar
// month (UTC). Kept for incremental extracts only, where the rows delivered
// are the rows that changed at the source.
#pragma once

#include "arrow/record_batch.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace ingestd {

// One hash per row of `batch` (deletes included: they touch a key); empty
// when the batch lacks a key column.
std::vector<uint64_t> key_hashes(const RecordBatch& batch, const std::vector<std::string>& key);

// The current calendar month in UTC, "2026-12".
std::string utc_month();

}  // namespace ingestd

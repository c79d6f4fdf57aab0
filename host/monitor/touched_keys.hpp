// The primary keys a run delivered, as `ingestd usage` counts active rows:
// a 64-bit hash of each row's key, gathered in a KeySketch per flow, stream
// and calendar month (UTC). Kept for incremental extracts only, where the
// rows delivered are the rows that changed at the source.
#pragma once

#include "arrow/record_batch.hpp"
#include "monitor/key_sketch.hpp"

#include <chrono>
#include <mutex>

#include <cstdint>
#include <string>
#include <vector>

namespace ingestd {

// One hash per row of `batch` (deletes included: they touch a key); empty
// when the batch lacks a key column.
std::vector<uint64_t> key_hashes(const RecordBatch& batch, const std::vector<std::string>& key);

// The current calendar month in UTC, "2026-12".
std::string utc_month();

class StateStore;

// The keys a stream's saved checkpoints covered, merged into the state
// store's sketch of the month now and then (every few seconds and at the
// end), not at every checkpoint: a count for reports costs the run little.
class KeyTally {
 public:
  KeyTally(StateStore& store, std::string flow, std::string stream);
  // Thread-safe.
  void add(const std::vector<uint64_t>& hashes);
  // Writes what was added since the last write; a failure is logged only.
  void flush();

 private:
  void flush_locked();

  StateStore& store_;
  const std::string flow_, stream_;
  std::mutex mutex_;
  KeySketch pending_;
  bool any_ = false;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace ingestd

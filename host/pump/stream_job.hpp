// Moves one source stream to its destinations: this thread reads, one writer
// thread per destination table writes, a bounded queue sits between the reader
// and each writer. Checkpoints are saved only when every writer committed them.
#pragma once

#include "loader/plugin_instance.hpp"
#include "pump/bounded_queue.hpp"
#include "pump/checkpoint_tracker.hpp"
#include "config/plan.hpp"
#include "pump/run_stats.hpp"

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

struct StreamJob {
  const FlowPlan* flow = nullptr;
  PluginInstance* source = nullptr;
  Semaphore* source_slots = nullptr;  // NULL: no limit on open streams
  std::vector<PluginInstance*> destinations;
  std::vector<Semaphore*> destination_slots;
  // Applied in order to every batch before any destination sees it.
  std::vector<PluginInstance*> transforms;
  int64_t sync_time_us = 0;  // when the run started, for transforms
  std::string stream;
  uint32_t index = 0;
  const StreamSettings* settings = nullptr;
  std::string table;  // the destination table name
  std::vector<std::string> primary_key;
  std::optional<std::string> state;  // the checkpoint to resume from, if any
  int64_t base_generation = 0;       // checkpoints of this run count up from here
  std::string state_key;             // "flow/stream", for destinations that store state
  std::string run_id;
  const std::atomic<bool>* run_cancelled = nullptr;
  CheckpointTracker::SaveFn save;  // persists a checkpoint; may be empty
  // Reads `state` and `base_generation` again from the stores, before a
  // retry. Throws when a store cannot be read.
  std::function<void(StreamJob&)> resume;
  // The stream never ends by itself: a stop of the run that delivered
  // everything read is its normal end.
  bool continuous = false;
  // A source that can follow changes (CDC) keeps following (ingestd serve)
  // instead of ending once it has caught up.
  bool follow = false;
  // When set, told the key hashes of the rows each saved checkpoint covers
  // (monitor/touched_keys.hpp); a failure to record them is logged only.
  std::function<void(const std::vector<uint64_t>& hashes)> touched;
  std::function<void()> touched_end;  // the stream's attempts are over
  // The source's own catalog entry for the stream, handed back to open_stream.
  std::string catalog_entry;
  // When set, told the stream's columns once an attempt has read them.
  std::function<void(const sdk::Schema& schema)> schema_seen;
};

// Runs one attempt at the job to its end on the calling thread and says how
// it ended. Counts rows, bytes and batches into `stats`, which holds one
// LaneStats per destination. Never throws.
StreamOutcome run_stream_job(const StreamJob& job, StreamStats& stats);

}  // namespace ingestd

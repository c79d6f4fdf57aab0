// What a run did, per stream and per destination, updated live by the pump
// and read by progress display, summary and report.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "loader/host_api.hpp"

namespace ingestd {

enum class StreamStatus { Pending, Running, Completed, Failed, Stopped };

std::string status_text(StreamStatus s);

using Clock = std::chrono::steady_clock;

// Why a part of a stream failed, classified once where it was caught.
struct Failure {
  std::string message;
  bool config = false;     // the configuration's: a rerun will not help
  bool transient = false;  // may go away on a retry
  int64_t retry_after_ms = 0;
};

// Classifies an error of a plugin, the state store or the configuration.
Failure failure_of(const std::exception& e);

// A checkpoint every destination committed and the state store saved.
struct SavedCheckpoint {
  uint64_t sequence = 0;
  std::string data;
  int64_t generation = 0;
};

// How one attempt at a stream ended.
struct StreamOutcome {
  explicit StreamOutcome(std::size_t destinations = 0) : lane_failures(destinations) {}

  StreamStatus status = StreamStatus::Pending;
  std::optional<Failure> stream_failure;             // the source's, or saving its checkpoint
  std::vector<std::optional<Failure>> lane_failures;  // one per destination
  // A continuous stream ended by stopping the run, with everything it
  // delivered committed.
  bool stopped_on_request = false;
  std::optional<SavedCheckpoint> saved;  // the newest checkpoint saved

  bool failed() const { return status == StreamStatus::Failed; }
  // Failed, and every failure said it may go away.
  bool transient() const;
  // Failed, and the stream's own failure is the configuration's.
  bool config_error() const { return failed() && stream_failure && stream_failure->config; }
  int64_t retry_after_ms() const;
  // The stream's own failure ("" when none).
  std::string error() const { return stream_failure ? stream_failure->message : std::string(); }
  // Destination `lane`'s failure ("" when none).
  std::string lane_error(std::size_t lane) const;
};

// Counters of one destination table, updated live.
struct LaneStats {
  std::string destination;
  std::atomic<int64_t> rows{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> batches{0};
  std::atomic<uint64_t> committed_sequence{0};
  std::atomic<int64_t> queued_batches{0};  // in its queue now
  std::atomic<int64_t> queued_bytes{0};
  int64_t queue_peak_batches = 0;  // written once the lane ends
  int64_t queue_peak_bytes = 0;
  std::shared_ptr<Counters> counters = std::make_shared<Counters>();  // the plugin's own
};

struct StreamStats {
  std::string flow;
  std::string stream;
  bool snapshot = false;  // read whole every run (no resume point)
  bool replace = false;   // loaded by replacing the table
  bool continuous = false;  // never ends by itself (a webhook, a change stream)
  std::atomic<StreamStatus> status{StreamStatus::Pending};
  std::atomic<int64_t> rows{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> batches{0};
  // Nanoseconds on the steady clock; 0 until the stream starts / ends.
  std::atomic<int64_t> started_ns{0};
  std::atomic<int64_t> finished_ns{0};
  std::shared_ptr<Counters> counters = std::make_shared<Counters>();  // the source plugin's own
  std::vector<std::unique_ptr<LaneStats>> lanes;
  std::atomic<int> retries{0};  // attempts made after the first

  void mark_started();
  void mark_finished();
  double seconds() const;

  // The last attempt's outcome; its `saved` is the newest checkpoint of any
  // attempt. Written by the runner when an attempt ends.
  void set_outcome(StreamOutcome outcome);
  StreamOutcome outcome() const;

  // The stream's columns as the source last delivered them (JSON, see
  // monitor/columns.hpp); "[]" until known.
  void set_columns(std::string json);
  std::string columns() const;

 private:
  mutable std::mutex mutex_;
  StreamOutcome outcome_;
  std::string columns_ = "[]";
};

struct RunStats {
  std::string run_id;
  Clock::time_point started = Clock::now();
  std::vector<std::unique_ptr<StreamStats>> streams;  // appended before any thread starts
  std::mutex mutex;
  struct FlowError {
    std::string message;
    bool config = false;
    std::string flow;  // the flow it stopped; empty: not one flow's
  };
  std::vector<FlowError> flow_errors;  // failures before a flow's streams started
};

}  // namespace ingestd

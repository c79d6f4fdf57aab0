// What a run did, per stream and per destination, updated live by the pump
// and read by progress display, summary and report.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
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

struct LaneStats {
  std::string destination;
  std::atomic<int64_t> rows{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> batches{0};
  std::atomic<uint64_t> committed_sequence{0};
  int64_t queue_peak_batches = 0;  // written once the lane ends
  int64_t queue_peak_bytes = 0;
  std::shared_ptr<ingestd_host_context> context = std::make_shared<ingestd_host_context>();
  std::mutex mutex;  // guards error and transient
  std::string error;
  bool transient = false;  // the error may go away on a retry
  int64_t retry_after_ms = 0;
};

struct StreamStats {
  std::string flow;
  std::string stream;
  bool snapshot = false;  // read whole every run (no resume point)
  bool replace = false;   // loaded by replacing the table
  // A continuous stream ended by stopping the run, with everything it
  // delivered committed.
  std::atomic<bool> stopped_on_request{false};
  std::atomic<StreamStatus> status{StreamStatus::Pending};
  std::atomic<int64_t> rows{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<int64_t> batches{0};
  // Nanoseconds on the steady clock; 0 until the stream starts / ends.
  std::atomic<int64_t> started_ns{0};
  std::atomic<int64_t> finished_ns{0};
  std::shared_ptr<ingestd_host_context> context = std::make_shared<ingestd_host_context>();
  std::vector<std::unique_ptr<LaneStats>> lanes;

  std::mutex mutex;  // guards the members below
  std::string error;
  bool config_error = false;  // the failure is the configuration's
  bool transient = false;     // every failure of the attempt may go away on a retry
  int64_t retry_after_ms = 0;
  int retries = 0;            // attempts made after the first
  std::optional<uint64_t> saved_sequence;
  std::optional<std::string> saved_checkpoint;
  int64_t saved_generation = 0;

  void mark_started();
  void mark_finished();
  double seconds() const;
};

struct RunStats {
  std::string run_id;
  Clock::time_point started = Clock::now();
  std::vector<std::unique_ptr<StreamStats>> streams;  // appended before any thread starts
  std::mutex mutex;
  struct FlowError {
    std::string message;
    bool config = false;
  };
  std::vector<FlowError> flow_errors;  // failures before a flow's streams started
};

}  // namespace ingestd

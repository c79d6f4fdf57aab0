// The host contexts one attempt at a stream hands its plugins (the source
// stream's and each destination table's), and the one way to stop them all.
#pragma once

#include "loader/host_api.hpp"
#include "pump/run_stats.hpp"

#include <atomic>
#include <memory>
#include <vector>

namespace ingestd {

class StreamControl {
 public:
  // Named after `stats`, counting into its counters; the source stream also
  // stops when `run_cancelled` is set.
  StreamControl(const StreamStats& stats, const std::atomic<bool>* run_cancelled);
  StreamControl(const StreamControl&) = delete;
  StreamControl& operator=(const StreamControl&) = delete;

  ingestd_host_context* stream_context() { return &stream_; }
  ingestd_host_context* table_context(std::size_t lane) { return tables_.at(lane).get(); }

  // A part failed: the source and every table stop. Any thread.
  void abort();
  bool aborted() const { return aborted_.load(); }
  // The source should stop: abort() or the run is stopping.
  bool source_cancelled() const { return stream_.is_cancelled(); }
  // The run is stopping (a signal, a lost lease).
  bool run_stopping() const { return run_cancelled_ && run_cancelled_->load(); }

 private:
  const std::atomic<bool>* run_cancelled_;
  ingestd_host_context stream_;
  std::vector<std::unique_ptr<ingestd_host_context>> tables_;
  std::atomic<bool> aborted_{false};
};

}  // namespace ingestd

// The figures `ingestd serve` exposes on /metrics, in Prometheus's text
// format: totals of the runs that ended, plus the live figures of the runs
// going on, read at scrape time (so a continuous flow's rows show while it
// runs). Label sets stay small: flow, stream, destination, a status or kind.
#pragma once

#include "pump/run_observer.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

class ServeMetrics : public RunObserver {
 public:
  void started(const RunStats& run) override;
  void finished(const RunStats& run, const RunRecord& record) override;

  // A run of `flow` ended with `status` (ok, failed, stopped) after `seconds`.
  void run_ended(const std::string& flow, const std::string& status, double seconds);
  // A run of `flow` was due but not started: `reason` is "overlap" (its last
  // run still went on) or "busy" (another process ran the flow).
  void run_skipped(const std::string& flow, const std::string& reason);
  void reloaded(bool ok);
  // A flow with `freshness`: seconds since its last data (none: never), and whether that is too long.
  void freshness(const std::string& flow, std::optional<double> age_seconds, bool stale);
  // An alert to `sink` about `event`: sent, failed or dropped.
  void alert_delivered(const std::string& sink, const std::string& event, const std::string& result);

  // A cluster worker's figures (cluster/cluster_worker.hpp), as they are now.
  struct ClusterFigures {
    int64_t units_owned = 0, live_workers = 0, lease_lost = 0, units_run = 0, queries = 0;
  };
  void cluster(const ClusterFigures& figures);

  // What the streams of `flow`'s live run report now, for /status.
  struct LiveStream {
    std::string stream;
    int64_t rows = 0;
    std::map<std::string, double> gauges;
    std::map<std::string, std::string> texts;
  };
  std::vector<LiveStream> live_streams(const std::string& flow) const;

  // The whole exposition, Prometheus text format 0.0.4.
  std::string exposition() const;

 private:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  using Series = std::map<Labels, double>;
  struct DurationHistogram {
    std::vector<uint64_t> buckets;  // cumulative counts per bound
    uint64_t count = 0;
    double sum = 0;
  };

  // Adds what `run` counted so far into `into` (family -> series).
  static void add_stream_figures(const RunStats& run, std::map<std::string, Series>& into);

  mutable std::mutex mutex_;
  std::vector<const RunStats*> live_;
  std::map<std::string, Series> totals_;  // counters of ended runs, by family name
  std::map<std::string, DurationHistogram> durations_;  // by flow
  std::map<std::string, double> last_success_;          // flow -> Unix seconds
  std::optional<ClusterFigures> cluster_;
};

}  // namespace ingestd

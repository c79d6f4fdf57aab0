// `ingestd serve`: runs the flows of a flow file on their schedules until
// stopped. Flows due together run side by side (at most
// [serve] max_concurrent_runs at once); one flow never overlaps itself (a run
// due while the last one goes on is skipped and counted); sources that never
// end run continuously and are restarted when they fail. A reload reads the
// file again and, when it is valid, restarts only the flows whose definition
// changed; an invalid one leaves everything running as it was.
#pragma once

#include "alert/alert.hpp"
#include "alert/alert_sender.hpp"
#include "monitor/freshness.hpp"
#include "serve/metrics.hpp"
#include "serve/serve_config.hpp"
#include "serve/serve_service.hpp"

#include <ingestd/sdk/json.hpp>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace ingestd {

class StateStore;
class PluginRegistry;
class RunStop;

class Daemon : public ServeService {
 public:
  Daemon(std::string flows_path, PluginRegistry& registry, std::shared_ptr<const ServeConfig> config,
         StateStore& store);
  ~Daemon() override;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  int run() override;
  void stop() override;
  ReloadResult reload() override;
  Trigger trigger(const std::string& flow) override;
  json::Value status() const override;
  std::string metrics() const override { return metrics_.exposition(); }
  bool ready(std::string& why) const override;
  std::string token() const override;

 private:
  using TimePoint = std::chrono::system_clock::time_point;
  struct LastRun {
    std::string run_id, status, started_at, ended_at, error;
    int64_t rows = 0;
    std::string error_class;  // failed runs: config | permanent | transient | rate_limited
    std::vector<Alert> flagged;  // what the run's checks found (volume, schema drift)
  };
  struct Flow {
    std::string name;
    std::shared_ptr<const ServeConfig> config;  // the one its next run uses
    const FlowDef* def = nullptr;               // in config
    std::optional<TimePoint> due;               // the schedule's next time; none: not scheduled
    TimePoint start_at{};                       // due, plus jitter
    bool triggered = false;
    bool running = false;
    bool finished = false;  // its run thread is done and may be joined
    std::shared_ptr<RunStop> stop;
    std::thread thread;
    TimePoint run_started{};
    bool continuous = false;  // learned from its runs
    int restarts = 0;         // failed runs in a row
    bool removed = false;
    std::shared_ptr<const ServeConfig> pending;  // a changed definition, once the run ends
    std::optional<LastRun> last;
    int64_t skipped = 0;
    FlowTrouble trouble;  // what its alerts said so far
  };

  void schedule_first(Flow& f, TimePoint now);
  void advance(Flow& f, TimePoint now);
  void start(Flow& f, TimePoint now);
  void run_one(Flow& f, std::shared_ptr<const ServeConfig> config, std::shared_ptr<RunStop> stop);
  void after_run(Flow& f, int exit_code, const LastRun& last, bool continuous, bool was_stopped);
  void apply(Flow& f, std::shared_ptr<const ServeConfig> config, TimePoint now);
  // Tells the flow's alert sinks of `events` (run_failed, stale, recovered).
  void alert(const Flow& f, const std::vector<std::string>& events, const std::string& message,
             const std::string& run_id = "", const std::string& error_class = "");
  // Every second: which flows with `freshness` went stale or fresh again.
  void watch_freshness();
  int running_count() const;
  int slots_taken() const;
  // Joins finished run threads; drops removed flows that ended.
  void reap();

  const std::string flows_path_;
  PluginRegistry& registry_;
  StateStore& store_;
  ServeMetrics metrics_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const ServeConfig> config_;
  std::map<std::string, std::unique_ptr<Flow>> flows_;
  bool stopping_ = false;
  int stop_failures_ = 0;  // runs going on at the stop that did not end cleanly
  std::mutex reload_mutex_;  // one reload at a time
  std::optional<ReloadRecord> last_reload_;
  const std::string started_at_;
  const std::chrono::system_clock::time_point started_;
  AlertSender alerts_;
  std::thread freshness_thread_;
};

}  // namespace ingestd

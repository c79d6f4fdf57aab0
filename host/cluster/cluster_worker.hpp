// `ingestd serve` with [cluster] enabled: one worker of a pool that shares a
// flow file and a PostgreSQL state store. The work is cut into units, one
// per (flow, stream); a worker claims due units nobody holds (up to its fair
// share and its run slots), runs each as `ingestd run` would run that one
// stream, renews its holdings while they run and ends them after, recording
// when the unit is due next. A worker that dies stops renewing: its units
// become claimable once their lease expires. Every checkpoint a unit saves is
// fenced by the holding (cluster/cluster_store.hpp), so a worker paused past
// its lease cannot move state back behind the one that took over.
#pragma once

#include "cluster/cluster_store.hpp"
#include "serve/metrics.hpp"
#include "serve/serve_config.hpp"
#include "serve/serve_service.hpp"

#include <atomic>
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

class ClusterWorker : public ServeService {
 public:
  // Joins the pool: throws ClusterRefusedError when its live workers run
  // another version of the flow file, StateStoreError when the state store
  // cannot be reached.
  ClusterWorker(std::string flows_path, PluginRegistry& registry, std::shared_ptr<const ServeConfig> config,
                StateStore& store);
  ~ClusterWorker() override;
  ClusterWorker(const ClusterWorker&) = delete;
  ClusterWorker& operator=(const ClusterWorker&) = delete;

  int run() override;
  void stop() override;
  // A changed flow file is taken up at once by this worker, which claims
  // nothing more until every live worker of the pool runs the same one.
  ReloadResult reload() override;
  // Makes every unit of the flow due now, for whichever worker claims it.
  Trigger trigger(const std::string& flow) override;
  json::Value status() const override;
  std::string metrics() const override;
  bool ready(std::string& why) const override;
  std::string token() const override;

 private:
  struct Unit {
    LeaseFence fence;
    std::shared_ptr<const ServeConfig> config;
    std::shared_ptr<RunStop> stop;
    std::thread thread;
    double due = 0;            // when it was due (server's clock, Unix seconds)
    double claimed_at = 0;     // server's clock
    std::chrono::steady_clock::time_point claimed_steady;
    int64_t failures = 0;      // failed runs in a row before this one
    std::string since;         // RFC 3339
    std::atomic<bool> continuous{false};
    std::atomic<bool> lost{false};
    std::atomic<bool> ending{false};    // its run is over: the holding is being ended
    std::atomic<bool> finished{false};
    bool given_up = false;     // stopped to make room for other workers
  };

  // On the keeper thread: the heartbeat (live workers, whether they agree
  // on the flow file) and the renewal of the units held.
  void keep_alive();
  void heartbeat_and_renew();
  void end_keeper();
  // On run()'s thread: units synced with the flow file, surplus given up, claims.
  void tick();
  void sync_units();
  void renew_units();
  void give_up_surplus(int64_t share);
  void claim_units(int64_t share);
  void run_unit(Unit& u);
  // When the unit is due next, by the server's clock; nullopt: not again
  // unless triggered.
  std::optional<double> next_due(const Unit& u, const FlowDef* def, int exit_code, bool stopped) const;
  void reap();
  void publish_figures();

  const std::string flows_path_;
  PluginRegistry& registry_;
  StateStore& store_;
  ClusterStore cluster_;
  ServeMetrics metrics_;
  const std::string worker_id_;
  const std::string started_at_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const ServeConfig> config_;
  std::string fingerprint_;
  std::string synced_fingerprint_;  // the flow file the units were last synced for
  std::chrono::steady_clock::time_point next_sync_{};
  // Touched by the keeper thread alone.
  std::chrono::steady_clock::time_point next_heartbeat_{}, next_renewal_{};
  std::thread keeper_;
  bool keeper_done_ = false;
  std::map<std::string, std::unique_ptr<Unit>> units_;  // held, by "flow/stream@epoch"
  int64_t known_units_ = 0;
  int64_t live_workers_ = 1;
  bool agreed_ = true;
  bool said_disagreed_ = false;
  std::atomic<int64_t> lease_lost_{0};
  std::atomic<int64_t> units_run_{0};
  bool stopping_ = false;
  int stop_failures_ = 0;
  std::mutex reload_mutex_;
  std::optional<ReloadRecord> last_reload_;
};

}  // namespace ingestd

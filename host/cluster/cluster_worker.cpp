#include "cluster/cluster_worker.hpp"

#include "config/location.hpp"
#include "log/logging.hpp"
#include "pump/run_stats.hpp"
#include "pump/run_stop.hpp"
#include "pump/runner.hpp"
#include "state/state_store.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <unistd.h>

namespace ingestd {

namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// How often a worker looks for due units when nothing wakes it sooner (a
// run ending wakes it at once).
constexpr auto kPollEvery = 250ms;
// How often the units are compared with the flow file's streams again (a
// source that gained a table, a flow whose source was down).
constexpr auto kResyncEvery = 60s;
// A continuous unit that ended, or a failed unscheduled one, waits this long
// (doubling with each failure in a row, at most kLongestRestartDelay).
constexpr double kFirstRestartDelay = 1;
constexpr double kLongestRestartDelay = 60;

std::string unit_key(const LeaseFence& f) { return f.name + "/" + f.stream; }
// A run of a unit this worker lost may still be stopping when it claims the
// unit again: each holding has its own entry.
std::string holding_key(const LeaseFence& f) { return unit_key(f) + "@" + std::to_string(f.epoch); }

std::string new_worker_id() {
  std::mt19937_64 random{std::random_device{}()};
  char suffix[9];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return this_host() + "-" + std::to_string(getpid()) + "-" + suffix;
}

double unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point time_of(double unix_seconds) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(unix_seconds)));
}

// What a unit's run tells the worker: forwarded to the metrics.
class UnitWatch : public RunObserver {
 public:
  UnitWatch(ServeMetrics& metrics, std::atomic<bool>& continuous) : metrics_(metrics), continuous_(continuous) {}
  void started(const RunStats& run) override {
    for (const auto& s : run.streams) continuous_ = continuous_ || s->continuous;
    metrics_.started(run);
  }
  void finished(const RunStats& run, const RunRecord& record) override {
    metrics_.finished(run, record);
    status = record.status;
    run_id = record.run_id;
  }
  std::string status, run_id;

 private:
  ServeMetrics& metrics_;
  std::atomic<bool>& continuous_;
};

}  // namespace

ClusterWorker::ClusterWorker(std::string flows_path, PluginRegistry& registry,
                             std::shared_ptr<const ServeConfig> config, StateStore& store)
    : flows_path_(std::move(flows_path)), registry_(registry), store_(store),
      cluster_(config->plan.file.state_dsn, config->plan.file.state_schema), worker_id_(new_worker_id()),
      started_at_(utc_timestamp()), config_(std::move(config)), fingerprint_(flow_file_fingerprint(config_->definitions)) {
  const int ttl = config_->plan.file.cluster.lease_ttl_seconds;
  cluster_.join({worker_id_, this_host(), static_cast<int64_t>(getpid()), fingerprint_, "", "", true}, ttl);
  log::info("cluster: worker " + worker_id_ + " joined the pool in " + store_.describe() + " (flow file " +
            fingerprint_ + ", lease " + std::to_string(ttl) + " s)");
}

ClusterWorker::~ClusterWorker() {
  stop();
  end_keeper();
  std::unique_lock lock(mutex_);
  for (auto& [key, u] : units_)
    if (u->thread.joinable()) u->thread.join();
}

int ClusterWorker::run() {
  // Heartbeats and renewals on a thread of their own: listing a flow's
  // streams may wait on a source that is down, which must not cost the
  // units already held their leases.
  keeper_ = std::thread([this] { keep_alive(); });
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kPollEvery, [&] {
        if (stopping_) return true;
        for (const auto& [key, u] : units_)
          if (u->finished) return true;
        return false;
      });
      if (stopping_) break;
    }
    reap();
    try {
      tick();
    } catch (const std::exception& e) {  // the state store restarting: the next tick tries again
      log::warn("cluster: " + std::string(e.what()));
    }
    publish_figures();
  }
  // Stopped: the units' runs commit what they read and end their holdings.
  {
    std::unique_lock lock(mutex_);
    for (auto& [key, u] : units_) u->stop->request();
  }
  for (;;) {
    std::unique_lock lock(mutex_);
    bool all = true;
    for (auto& [key, u] : units_) all = all && u->finished;
    if (all) break;
    wake_.wait_for(lock, 100ms);
  }
  reap();
  end_keeper();
  try {
    cluster_.leave(worker_id_);
  } catch (const std::exception& e) {  // its holdings expire by themselves
    log::warn("cluster: cannot leave the pool cleanly: " + std::string(e.what()));
  }
  log::info("cluster: worker " + worker_id_ + " left the pool");
  std::lock_guard lock(mutex_);
  return stop_failures_ ? 1 : 0;
}

void ClusterWorker::keep_alive() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, 200ms, [&] { return keeper_done_; });
      if (keeper_done_) return;
    }
    try {
      heartbeat_and_renew();
    } catch (const std::exception& e) {  // the holdings outlive a few missed renewals
      log::warn("cluster: " + std::string(e.what()));
    }
  }
}

void ClusterWorker::end_keeper() {
  {
    std::lock_guard lock(mutex_);
    keeper_done_ = true;
  }
  wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
}

void ClusterWorker::heartbeat_and_renew() {
  const auto now = SteadyClock::now();
  std::string fingerprint;
  int ttl = 0;
  {
    std::lock_guard lock(mutex_);
    fingerprint = fingerprint_;
    ttl = config_->plan.file.cluster.lease_ttl_seconds;
  }
  if (now >= next_heartbeat_) {
    ClusterStore::Pool pool = cluster_.heartbeat(worker_id_, fingerprint, ttl);
    if (!pool.registered) {
      // Removed as long gone (paused for an hour, cut off): join again, as at start.
      log::warn("cluster: this worker was no longer in the pool's workers table; joining again");
      cluster_.join({worker_id_, this_host(), static_cast<int64_t>(getpid()), fingerprint, "", "", true}, ttl);
      pool = cluster_.heartbeat(worker_id_, fingerprint, ttl);
    }
    next_heartbeat_ = now + std::chrono::seconds(std::max(1, ttl / 5));
    std::lock_guard lock(mutex_);
    live_workers_ = std::max<int64_t>(1, pool.live_workers);
    agreed_ = pool.agreed;
    if (!agreed_ && !said_disagreed_)
      log::warn("cluster: the pool's live workers run different versions of the flow file; this worker claims no "
                "unit until all of them run the same one (reload them)");
    if (agreed_ && said_disagreed_) log::info("cluster: every live worker runs the same flow file again");
    said_disagreed_ = !agreed_;
  }
  if (now >= next_renewal_) {
    renew_units();
    next_renewal_ = now + std::chrono::seconds(std::max(1, ttl / 3));
  }
}

void ClusterWorker::tick() {
  const auto now = SteadyClock::now();
  bool agreed = false, sync = false;
  {
    std::lock_guard lock(mutex_);
    agreed = agreed_;
    sync = agreed && (synced_fingerprint_ != fingerprint_ || now >= next_sync_);
  }
  if (sync) sync_units();
  int64_t share = 0;
  {
    std::lock_guard lock(mutex_);
    share = (known_units_ + live_workers_ - 1) / live_workers_;
  }
  give_up_surplus(share);
  if (agreed) claim_units(share);
}

void ClusterWorker::sync_units() {
  std::shared_ptr<const ServeConfig> config;
  std::string fingerprint;
  {
    std::lock_guard lock(mutex_);
    config = config_;
    fingerprint = fingerprint_;
  }
  std::map<std::string, std::optional<std::vector<std::string>>> streams;
  std::map<std::string, std::optional<double>> first_due;
  const double now = cluster_.now();
  for (const FlowPlan& fp : config->plan.flows) {
    const FlowDef& f = *fp.def;
    try {
      streams[f.name] = flow_stream_names(config->plan, fp, store_);
    } catch (const std::exception& e) {
      streams[f.name] = std::nullopt;
      log::warn("cluster: flow " + f.name + ": cannot list its streams now (its units stay as they were): " + e.what());
    }
    if (f.schedule && !f.schedule->is_interval()) first_due[f.name] = unix_seconds(f.schedule->next_after(time_of(now)));
  }
  cluster_.sync_units(streams, first_due);
  const int64_t count = cluster_.unit_count();
  std::lock_guard lock(mutex_);
  if (synced_fingerprint_ != fingerprint)
    log::info("cluster: the pool has " + std::to_string(count) + " unit(s) of " +
              std::to_string(config->plan.flows.size()) + " flow(s)");
  known_units_ = count;
  synced_fingerprint_ = fingerprint;
  next_sync_ = SteadyClock::now() + kResyncEvery;
}

void ClusterWorker::renew_units() {
  std::vector<LeaseFence> held;
  int ttl = 0;
  {
    std::lock_guard lock(mutex_);
    ttl = config_->plan.file.cluster.lease_ttl_seconds;
    for (auto& [key, u] : units_)
      if (!u->ending && !u->lost) held.push_back(u->fence);
  }
  for (const LeaseFence& fence : held) {
    bool ours = true;
    try {
      ours = cluster_.renew(fence, ttl);
    } catch (const std::exception& e) {  // the holding outlives a few missed renewals
      log::warn("cluster: cannot renew unit " + unit_key(fence) + ": " + e.what());
      continue;
    }
    if (ours) continue;
    // Another worker holds it now (this one did not renew in time): stop at
    // once; its commits are refused by the fence in any case.
    std::lock_guard lock(mutex_);  // its run may have ended and been reaped meanwhile
    const auto it = units_.find(holding_key(fence));
    if (it == units_.end() || it->second->ending) continue;
    log::error("cluster: unit " + unit_key(fence) + " passed to another worker (this one held epoch " +
               std::to_string(fence.epoch) + "); stopping it");
    it->second->lost = true;
    ++lease_lost_;
    it->second->stop->request();
  }
}

// Continuous units run until stopped: a worker holding more than its share
// (another worker joined) stops the surplus, which commits what it read
// between batches and leaves the unit due at once for the others.
void ClusterWorker::give_up_surplus(int64_t share) {
  std::lock_guard lock(mutex_);
  int64_t held = 0;
  for (const auto& [key, u] : units_) held += !u->finished && !u->given_up && !u->lost ? 1 : 0;
  for (auto it = units_.rbegin(); it != units_.rend() && held > share; ++it) {
    Unit& u = *it->second;
    if (u.finished || u.given_up || u.lost || !u.continuous) continue;
    log::info("cluster: giving up unit " + unit_key(u.fence) + " to another worker (" + std::to_string(held) +
              " held, fair share " + std::to_string(share) + ")");
    u.given_up = true;
    u.stop->request();
    --held;
  }
}

void ClusterWorker::claim_units(int64_t share) {
  int64_t limit = 0;
  int ttl = 0;
  std::shared_ptr<const ServeConfig> config;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    config = config_;
    ttl = config->plan.file.cluster.lease_ttl_seconds;
    int64_t held = 0, slots = 0;
    for (const auto& [key, u] : units_) {
      held += u->finished || u->lost ? 0 : 1;
      slots += !u->finished && !u->continuous ? 1 : 0;  // continuous runs take no run slot
    }
    limit = std::min(config->plan.file.serve.max_concurrent_runs - slots, std::max<int64_t>(share, 1) - held);
  }
  if (limit <= 0) return;
  const std::vector<ClaimedUnit> claimed = cluster_.claim(worker_id_, static_cast<int>(limit), ttl);
  std::lock_guard lock(mutex_);
  for (const ClaimedUnit& c : claimed) {
    auto u = std::make_unique<Unit>();
    u->fence = c.fence;
    u->config = config;
    u->stop = std::make_shared<RunStop>();
    u->due = c.due;
    u->claimed_at = c.now;
    u->claimed_steady = SteadyClock::now();
    u->failures = c.failures;
    u->since = utc_timestamp();
    Unit& ref = *u;
    units_.emplace(holding_key(c.fence), std::move(u));
    ref.thread = std::thread([this, &ref] { run_unit(ref); });
  }
}

void ClusterWorker::run_unit(Unit& u) {
  const std::string key = unit_key(u.fence);
  log::info("cluster: running unit " + key + " (epoch " + std::to_string(u.fence.epoch) + ")");
  UnitWatch watch(metrics_, u.continuous);
  RunOptions options;
  options.unit = u.fence;
  options.stop = u.stop.get();
  options.observer = &watch;
  options.print_summary = false;
  options.follow = true;
  const int ttl = u.config->plan.file.cluster.lease_ttl_seconds;
  options.unit_still_held = [&] {
    if (u.lost) return false;
    try {
      return cluster_.renew(u.fence, ttl);
    } catch (const std::exception& e) {  // cannot tell: the fenced saves said what they could
      log::warn("cluster: cannot confirm the holding of unit " + key + ": " + e.what());
      return true;
    }
  };
  int code = 1;
  const auto started = SteadyClock::now();
  try {
    code = run_plan(u.config->plan, store_, options);
  } catch (const std::exception& e) {
    log::error("cluster: unit " + key + ": " + e.what());
  }
  const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
  const bool stopped = u.stop->requested();
  if (!watch.status.empty()) metrics_.run_ended(u.fence.name, watch.status, seconds);
  u.ending = true;  // no renewal from here: finish() ends the holding
  if (!u.lost) {
    const FlowDef* def = u.config->plan.file.find_flow(u.fence.name);
    try {
      cluster_.finish(u.fence, watch.status.empty() ? "failed" : watch.status, watch.run_id,
                      next_due(u, def, code, stopped), code != 0 && !stopped);
    } catch (const std::exception& e) {  // the holding expires by itself
      log::warn("cluster: cannot end the holding of unit " + key + ": " + e.what());
    }
  }
  ++units_run_;
  {
    std::lock_guard lock(mutex_);
    // A run the stop ended commits what it read: only a failed one counts.
    if (stopping_ && !u.lost && watch.status == "failed") ++stop_failures_;
    u.finished = true;
  }
  wake_.notify_all();
}

std::optional<double> ClusterWorker::next_due(const Unit& u, const FlowDef* def, int exit_code, bool stopped) const {
  const double now = u.claimed_at + std::chrono::duration<double>(SteadyClock::now() - u.claimed_steady).count();
  // Stopped before its end (a shutdown, given up to another worker): due at once, elsewhere.
  if (stopped && (u.continuous || exit_code != 0)) return now;
  const bool failed = exit_code != 0;
  const double backoff = std::min(kLongestRestartDelay, kFirstRestartDelay * std::pow(2.0, std::min<int64_t>(u.failures, 6)));
  if (!def) return std::nullopt;  // removed from the flow file meanwhile
  if (u.continuous) return now + (failed ? backoff : kFirstRestartDelay);
  if (!def->schedule) {
    if (failed && exit_code != 2) return now + backoff;
    return std::nullopt;  // once per pool, as `serve` runs it once at start
  }
  auto next = def->schedule->next_after(time_of(u.due));
  while (unix_seconds(next) <= now) next = def->schedule->next_after(next);
  return unix_seconds(next);
}

void ClusterWorker::reap() {
  std::lock_guard lock(mutex_);
  for (auto it = units_.begin(); it != units_.end();) {
    if (!it->second->finished) {
      ++it;
      continue;
    }
    if (it->second->thread.joinable()) it->second->thread.join();
    it = units_.erase(it);
  }
}

void ClusterWorker::publish_figures() {
  ServeMetrics::ClusterFigures f;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, u] : units_) f.units_owned += u->finished || u->lost ? 0 : 1;
    f.live_workers = live_workers_;
  }
  f.lease_lost = lease_lost_.load();
  f.units_run = units_run_.load();
  f.queries = cluster_.queries();
  metrics_.cluster(f);
}

void ClusterWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

ServeService::ReloadResult ClusterWorker::reload() {
  std::lock_guard serial(reload_mutex_);
  std::string error;
  const std::shared_ptr<const ServeConfig> next = reload_serve_config(flows_path_, registry_, error);
  std::unique_lock lock(mutex_);
  if (stopping_) error = "ingestd serve is stopping";
  if (next && error.empty()) {
    const FlowFile& had = config_->plan.file;
    const FlowFile& now = next->plan.file;
    if (!now.cluster.enabled || had.state_dsn != now.state_dsn || had.state_schema != now.state_schema ||
        now.state_backend != had.state_backend)
      error = "[state] or [cluster] changed; restart the worker to join another pool or leave it";
  }
  if (!error.empty()) {
    last_reload_ = ReloadRecord{false, utc_timestamp(), error};
    lock.unlock();
    metrics_.reloaded(false);
    log::error("reload refused, the previous configuration keeps running: " + error);
    return {false, error};
  }
  const std::string fingerprint = flow_file_fingerprint(next->definitions);
  std::string message = "no flow changed";
  if (fingerprint != fingerprint_) {
    // Continuous units of changed or removed flows start again under the new definition.
    for (auto& [key, u] : units_) {
      const auto was = config_->definitions.find(u->fence.name);
      const auto is = next->definitions.find(u->fence.name);
      if (u->continuous && (is == next->definitions.end() || was == config_->definitions.end() || is->second != was->second))
        u->stop->request();
    }
    message = "flow file " + fingerprint_ + " -> " + fingerprint + "; units run under it once every worker runs it";
    fingerprint_ = fingerprint;
  }
  config_ = next;
  last_reload_ = ReloadRecord{true, utc_timestamp(), message};
  lock.unlock();
  metrics_.reloaded(true);
  log::info("reload: " + message);
  wake_.notify_all();
  return {true, message};
}

ServeService::Trigger ClusterWorker::trigger(const std::string& flow) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Trigger::Stopping;
    if (!config_->plan.file.find_flow(flow)) return Trigger::NoSuchFlow;
  }
  try {
    return cluster_.trigger(flow) ? Trigger::Started : Trigger::NoSuchFlow;
  } catch (const std::exception& e) {
    log::warn("cluster: cannot trigger flow " + flow + ": " + e.what());
    return Trigger::Stopping;
  }
}

json::Value ClusterWorker::status() const {
  std::lock_guard lock(mutex_);
  json::Object out;
  out.set("flow_file", json::Value(config_->plan.file.absolute_path));
  out.set("started_at", json::Value(started_at_));
  out.set("max_concurrent_runs", json::Value(config_->plan.file.serve.max_concurrent_runs));
  json::Object cluster;
  cluster.set("worker_id", json::Value(worker_id_));
  cluster.set("fingerprint", json::Value(fingerprint_));
  cluster.set("live_workers", json::Value(live_workers_));
  cluster.set("agreed", json::Value(agreed_));
  cluster.set("lease_ttl_seconds", json::Value(static_cast<int64_t>(config_->plan.file.cluster.lease_ttl_seconds)));
  cluster.set("lease_lost_total", json::Value(lease_lost_.load()));
  cluster.set("units_run_total", json::Value(units_run_.load()));
  json::Array held;
  std::set<std::string> running;
  for (const auto& [key, u] : units_) {
    if (u->finished || u->lost) continue;
    json::Object unit;
    unit.set("flow", json::Value(u->fence.name));
    unit.set("stream", json::Value(u->fence.stream));
    unit.set("epoch", json::Value(u->fence.epoch));
    unit.set("since", json::Value(u->since));
    unit.set("continuous", json::Value(u->continuous.load()));
    held.push_back(json::Value(std::move(unit)));
    running.insert(u->fence.name);
  }
  cluster.set("units_owned", json::Value(static_cast<int64_t>(held.size())));
  cluster.set("units", json::Value(std::move(held)));
  out.set("cluster", json::Value(std::move(cluster)));
  json::Array flows;
  for (const FlowPlan& fp : config_->plan.flows) {
    json::Object f;
    f.set("name", json::Value(fp.def->name));
    f.set("state", json::Value(std::string(running.count(fp.def->name) ? "running" : "idle")));
    f.set("schedule", fp.def->schedule ? json::Value(fp.def->schedule->text()) : json::Value());
    flows.push_back(json::Value(std::move(f)));
  }
  out.set("flows", json::Value(std::move(flows)));
  out.set("last_reload", last_reload_json(last_reload_));
  return json::Value(std::move(out));
}

std::string ClusterWorker::metrics() const { return metrics_.exposition(); }

bool ClusterWorker::ready(std::string& why) const { return state_store_answers(store_, why); }

std::string ClusterWorker::token() const {
  std::lock_guard lock(mutex_);
  return config_->plan.file.serve.token;
}

}  // namespace ingestd

#include "serve/daemon.hpp"

#include "config/location.hpp"
#include "log/logging.hpp"
#include "monitor/flow_health.hpp"
#include "pump/run_stats.hpp"
#include "pump/run_stop.hpp"
#include "pump/runner.hpp"
#include "state/state_store.hpp"
#include "util/process.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <vector>

namespace ingestd {

namespace {

using namespace std::chrono_literals;
using SystemClock = std::chrono::system_clock;

// A failed continuous or unscheduled flow waits this long, doubling, before it starts again.
constexpr auto kFirstRestartDelay = 1s;
constexpr auto kLongestRestartDelay = 60s;
// A flow without a schedule that another process was running is tried again after this.
constexpr auto kBusyRetryDelay = 10s;

// What the daemon keeps of a run: forwarded to the metrics, remembered for /status.
class RunWatch : public RunObserver {
 public:
  RunWatch(ServeMetrics& metrics, std::function<void(bool continuous)> on_started)
      : metrics_(metrics), on_started_(std::move(on_started)) {}

  void started(const RunStats& run) override {
    for (const auto& s : run.streams) continuous = continuous || s->continuous;
    metrics_.started(run);
    on_started_(continuous);
  }
  void finished(const RunStats& run, const RunRecord& record) override {
    metrics_.finished(run, record);
    status = record.status;
    run_id = record.run_id;
    started_at = record.started_at;
    ended_at = record.ended_at;
    error = record.error;
    for (const auto& s : run.streams) rows += s->rows.load();
    error_class = error_class_of(run);
    std::map<std::string, bool> said;  // once per stream, not per destination
    for (const RunStreamRecord& s : record.streams) {
      if (said[s.stream]) continue;
      said[s.stream] = true;
      const json::Value flags = json::Value::parse(s.flags.empty() ? "[]" : s.flags);
      for (const json::Value& f : flags.as_array()) {
        Alert a;
        a.event = f["kind"].as_string() == "volume" ? "volume_anomaly" : f["kind"].as_string();
        a.flow = s.flow;
        a.stream = s.stream;
        a.message = f["message"].as_string();
        a.run_id = record.run_id;
        flagged.push_back(std::move(a));
      }
    }
  }

  // What kind of failure ended the run: the configuration's, a rate limit,
  // transient ones that outlasted their retries, or anything else.
  static std::string error_class_of(const RunStats& run) {
    bool any = false, config = false, limited = false, all_transient = true;
    auto note = [&](const Failure& f) {
      any = true;
      config = config || f.config;
      limited = limited || f.retry_after_ms > 0;
      all_transient = all_transient && f.transient;
    };
    for (const auto& e : run.flow_errors) note(Failure{e.message, e.config, false, 0});
    for (const auto& s : run.streams) {
      const StreamOutcome o = s->outcome();
      if (o.stream_failure) note(*o.stream_failure);
      for (const auto& lane : o.lane_failures)
        if (lane) note(*lane);
    }
    if (!any) return "";
    return config ? "config" : limited ? "rate_limited" : all_transient ? "transient" : "permanent";
  }

  bool continuous = false;
  std::string status, run_id, started_at, ended_at, error, error_class;
  int64_t rows = 0;
  std::vector<Alert> flagged;

 private:
  ServeMetrics& metrics_;
  std::function<void(bool)> on_started_;
};

const FlowDef* def_of(const ServeConfig& config, const std::string& name) {
  return config.plan.file.find_flow(name);
}

std::string describe(SystemClock::time_point t) { return utc_timestamp(t); }

SystemClock::duration jitter_of(const FlowDef& def) {
  if (def.jitter_ms <= 0) return SystemClock::duration::zero();
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<int64_t> ms(0, def.jitter_ms);
  return std::chrono::milliseconds(ms(random));
}

bool same_state_store(const FlowFile& a, const FlowFile& b) {
  return a.state_backend == b.state_backend && a.state_path == b.state_path && a.state_dsn == b.state_dsn &&
         a.state_schema == b.state_schema;
}

}  // namespace

Daemon::Daemon(std::string flows_path, PluginRegistry& registry, std::shared_ptr<const ServeConfig> config,
               StateStore& store)
    : flows_path_(std::move(flows_path)), registry_(registry), store_(store), config_(std::move(config)),
      started_at_(utc_timestamp()), started_(SystemClock::now()),
      alerts_([this](const std::string& sink, const std::string& event, const std::string& result) {
        metrics_.alert_delivered(sink, event, result);
      }) {
  alerts_.configure(config_->plan.file.alerts);
  for (const FlowPlan& fp : config_->plan.flows) {
    auto f = std::make_unique<Flow>();
    f->name = fp.def->name;
    f->config = config_;
    f->def = fp.def;
    flows_.emplace(f->name, std::move(f));
  }
  freshness_thread_ = std::thread([this] { watch_freshness(); });
}

Daemon::~Daemon() {
  stop();
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [&] { return running_count() == 0; });
  for (auto& [name, f] : flows_)
    if (f->thread.joinable()) f->thread.join();
  lock.unlock();
  if (freshness_thread_.joinable()) freshness_thread_.join();
}

void Daemon::alert(const Flow& f, const std::vector<std::string>& events, const std::string& message,
                   const std::string& run_id, const std::string& error_class) {
  for (const std::string& event : events) {
    Alert a;
    a.event = event;
    a.flow = f.name;
    a.message = event == "recovered" ? "flow " + f.name + " is healthy again: " + message : message;
    a.run_id = run_id;
    if (event == "run_failed") a.error_class = error_class;
    a.at = utc_timestamp();
    a.flow_file = f.config->plan.file.absolute_path;
    a.host = this_host();
    log::write(event == "recovered" ? log::Level::Info : log::Level::Warn, {},
               "flow " + f.name + ": " + event + (a.message.empty() ? "" : ": " + a.message), {f.name, {}, {}});
    alerts_.send(f.def->alerts, a);
  }
}

void Daemon::watch_freshness() {
  for (;;) {
    struct Watched {
      std::string name;
      std::shared_ptr<const ServeConfig> config;
      const FlowDef* def;
    };
    std::vector<Watched> watched;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, 1s, [&] { return stopping_; });
      if (stopping_) return;
      for (const auto& [name, f] : flows_)
        if (!f->removed && f->def->freshness_ms) watched.push_back({name, f->config, f->def});
    }
    for (const Watched& w : watched) {
      Freshness fresh;
      try {
        // A flow that never had data counts from the daemon's start.
        fresh = freshness_of(*w.def, store_.flow_runs(w.name, 10), store_.checkpoints(w.name, std::nullopt),
                             SystemClock::now(), started_);
      } catch (const std::exception& e) {
        log::warn("flow " + w.name + ": cannot read its run history to check freshness: " + e.what());
        continue;
      }
      metrics_.freshness(w.name, fresh.age_seconds, fresh.stale);
      std::lock_guard lock(mutex_);
      auto it = flows_.find(w.name);
      if (it == flows_.end() || it->second->removed) continue;
      Flow& f = *it->second;
      const auto seconds = [](double s) { return std::to_string(static_cast<int64_t>(s)) + " s"; };
      const std::string limit = "freshness is " + seconds(static_cast<double>(*w.def->freshness_ms) / 1000);
      const std::string why =
          fresh.age_seconds
              ? "no new data for " + seconds(*fresh.age_seconds) + "; " + limit
              : "no data since ingestd serve started " +
                    seconds(std::chrono::duration<double>(SystemClock::now() - started_).count()) + " ago; " + limit;
      alert(f, f.trouble.freshness(fresh.stale), fresh.stale ? why : "new data arrived", f.last ? f.last->run_id : "");
    }
  }
}

void Daemon::schedule_first(Flow& f, TimePoint now) {
  if (!f.def->schedule || f.def->schedule->is_interval()) {
    f.due = now;  // once at start, or the first of its intervals
  } else {
    f.due = f.def->schedule->next_after(now);
  }
  f.start_at = *f.due + jitter_of(*f.def);
}

// Moves the flow's due time past `now`; due times that passed while it
// waited for a run slot count as skipped.
void Daemon::advance(Flow& f, TimePoint now) {
  if (!f.def->schedule || f.continuous) {
    f.due.reset();
    return;
  }
  TimePoint next = f.def->schedule->next_after(*f.due);
  while (next <= now) {
    ++f.skipped;
    metrics_.run_skipped(f.name, "max_concurrent_runs");
    log::warn("flow " + f.name + ": the run due at " + describe(next) + " is skipped: max_concurrent_runs runs were going on");
    next = f.def->schedule->next_after(next);
  }
  f.due = next;
  f.start_at = next + jitter_of(*f.def);
}

int Daemon::running_count() const {
  int n = 0;
  for (const auto& [name, f] : flows_) n += f->running ? 1 : 0;
  return n;
}

// Continuous runs never end by themselves: they take no run slot, or a few
// of them would keep every scheduled flow waiting.
int Daemon::slots_taken() const {
  int n = 0;
  for (const auto& [name, f] : flows_) n += f->running && !f->continuous ? 1 : 0;
  return n;
}

void Daemon::start(Flow& f, TimePoint now) {
  if (f.thread.joinable()) f.thread.join();  // its last run ended (reaped below otherwise)
  f.running = true;
  f.finished = false;
  f.triggered = false;
  f.run_started = now;
  f.stop = std::make_shared<RunStop>();
  if (f.due && *f.due <= now) advance(f, now);
  f.thread = std::thread([this, &f, config = f.config, stop = f.stop] { run_one(f, config, stop); });
}

void Daemon::run_one(Flow& f, std::shared_ptr<const ServeConfig> config, std::shared_ptr<RunStop> stop) {
  RunWatch watch(metrics_, [this, &f](bool continuous) {
    if (!continuous) return;
    std::lock_guard lock(mutex_);
    // It runs until stopped: a schedule would only see it overlap itself.
    if (f.def->schedule && !f.continuous)
      log::warn("flow " + f.name + ": its source never ends, so it runs continuously; its schedule is not used");
    f.continuous = true;
    f.due.reset();
  });
  RunOptions options;
  options.only_flows = {f.name};
  options.stop = stop.get();
  options.observer = &watch;
  options.print_summary = false;
  options.follow = true;
  const auto started = std::chrono::steady_clock::now();
  int code = 1;
  try {
    code = run_plan(config->plan, store_, options);
  } catch (const std::exception& e) {
    log::error("flow " + f.name + ": " + e.what());
    watch.status = "failed";
    watch.error = e.what();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (code == 3) {
    metrics_.run_skipped(f.name, "busy");
  } else {
    if (watch.status.empty()) watch.status = "failed";
    metrics_.run_ended(f.name, watch.status, seconds);
    log::info("flow " + f.name + ": run " + watch.run_id + " " + watch.status + " (" + std::to_string(watch.rows) +
              " rows read)");
  }
  LastRun last{watch.run_id, watch.status, watch.started_at, watch.ended_at, watch.error, watch.rows,
               watch.error_class, watch.flagged};
  std::lock_guard lock(mutex_);
  after_run(f, code, last, watch.continuous, stop->requested());
  f.finished = true;
  wake_.notify_all();
}

void Daemon::after_run(Flow& f, int exit_code, const LastRun& last, bool continuous, bool was_stopped) {
  f.running = false;
  f.stop.reset();
  f.continuous = f.continuous || continuous;
  if (exit_code != 3) {
    f.last = last;
    // A run stopped on request is no failure; a skipped (busy) one no run.
    if (!(was_stopped && last.status == "stopped")) {
      const bool ok = last.status == "ok";
      alert(f, f.trouble.run_ended(ok), ok ? "a run succeeded again" : last.error, last.run_id, last.error_class);
    }
    for (const Alert& flagged : last.flagged) {
      Alert a = flagged;
      a.at = utc_timestamp();
      a.flow_file = f.config->plan.file.absolute_path;
      a.host = this_host();
      alerts_.send(f.def->alerts, a);
    }
  }
  if (stopping_) {
    if (exit_code != 3 && last.status == "failed") ++stop_failures_;
    return;
  }
  if (f.removed) return;
  const TimePoint now = SystemClock::now();
  if (f.pending) {
    apply(f, std::move(f.pending), now);
    return;
  }
  if (exit_code == 3) {
    ++f.skipped;
    log::warn("flow " + f.name + ": another process is running it; this run is skipped");
    if (!f.due) {
      f.due = now + kBusyRetryDelay;
      f.start_at = *f.due;
    }
    return;
  }
  // Started again, waiting longer after each failure in a row: a stream
  // that never ends and ended (it failed, or its source closed), and a flow
  // without a schedule whose one run failed for a reason other than its
  // configuration (which only a reload changes). Scheduled flows retry on
  // their schedule.
  const bool failed = last.status == "failed";
  const bool again = f.continuous ? !was_stopped || failed : !f.def->schedule && failed && exit_code != 2;
  f.restarts = failed ? f.restarts + 1 : 0;
  if (!again) return;
  const auto delay =
      std::min<SystemClock::duration>(kLongestRestartDelay, kFirstRestartDelay * (1 << std::min(f.restarts, 6)));
  f.due = now + delay;
  f.start_at = *f.due;
  log::warn("flow " + f.name + ": its " + (f.continuous ? "continuous " : "") + "run ended (" + last.status +
            "); starting it again in " +
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(delay).count()) + " s");
}

void Daemon::apply(Flow& f, std::shared_ptr<const ServeConfig> config, TimePoint now) {
  f.config = std::move(config);
  f.def = def_of(*f.config, f.name);
  f.pending.reset();
  f.continuous = false;  // learned again from its next run
  f.restarts = 0;
  schedule_first(f, now);
}

void Daemon::reap() {
  for (auto it = flows_.begin(); it != flows_.end();) {
    Flow& f = *it->second;
    if (f.finished && f.thread.joinable()) f.thread.join();
    if (f.removed && !f.running && !f.thread.joinable())
      it = flows_.erase(it);
    else
      ++it;
  }
}

int Daemon::run() {
  std::unique_lock lock(mutex_);
  const TimePoint begun = SystemClock::now();
  for (auto& [name, f] : flows_) schedule_first(*f, begun);
  log::info("serving " + std::to_string(flows_.size()) + " flow(s) from " + flows_path_);
  for (;;) {
    reap();
    if (stopping_) {
      if (running_count() == 0) break;
      wake_.wait(lock);
      continue;
    }
    const TimePoint now = SystemClock::now();
    // Due while its last run still goes on: skipped, never a second run.
    for (auto& [name, f] : flows_) {
      if (!f->running || f->removed || f->continuous || !f->due || *f->due > now) continue;
      while (f->due && *f->due <= now) {
        ++f->skipped;
        metrics_.run_skipped(f->name, "overlap");
        log::warn("flow " + f->name + ": the run due at " + describe(*f->due) +
                  " is skipped: the last run is still going on");
        f->due = f->def->schedule ? std::optional(f->def->schedule->next_after(*f->due)) : std::nullopt;
      }
      if (f->due) f->start_at = *f->due + jitter_of(*f->def);
    }
    // Start what is due, the longest waiting first, while run slots are free.
    std::vector<Flow*> ready;
    for (auto& [name, f] : flows_)
      if (!f->running && !f->removed && (f->triggered || (f->due && f->start_at <= now))) ready.push_back(f.get());
    std::sort(ready.begin(), ready.end(), [](const Flow* a, const Flow* b) {
      if (a->triggered != b->triggered) return a->triggered;
      return a->start_at < b->start_at;
    });
    const int slots = static_cast<int>(config_->plan.file.serve.max_concurrent_runs);
    for (Flow* f : ready) {
      if (slots_taken() >= slots) break;
      start(*f, now);
    }
    // Sleep until something is due; a run ending, a reload, a trigger or a
    // stop wakes the loop earlier.
    std::optional<TimePoint> wake;
    auto earlier = [&](TimePoint t) {
      if (t > now && (!wake || t < *wake)) wake = t;
    };
    for (auto& [name, f] : flows_) {
      if (f->removed || !f->due) continue;
      earlier(f->running ? *f->due : f->start_at);
    }
    if (wake)
      wake_.wait_until(lock, *wake);
    else
      wake_.wait(lock);
  }
  reap();
  log::info("ingestd serve stopped");
  return stop_failures_ ? 1 : 0;
}

void Daemon::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) log::info("stopping: no new runs; running ones commit what they read and stop");
    stopping_ = true;
    for (auto& [name, f] : flows_)
      if (f->running && f->stop) f->stop->request();
  }
  wake_.notify_all();
}

Daemon::Trigger Daemon::trigger(const std::string& flow) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return Trigger::Stopping;
    auto it = flows_.find(flow);
    if (it == flows_.end() || it->second->removed) return Trigger::NoSuchFlow;
    if (it->second->running) return Trigger::AlreadyRunning;
    it->second->triggered = true;
  }
  wake_.notify_all();
  return Trigger::Started;
}

Daemon::ReloadResult Daemon::reload() {
  std::lock_guard serial(reload_mutex_);
  std::string error;
  const std::shared_ptr<const ServeConfig> next = reload_serve_config(flows_path_, registry_, error);
  std::unique_lock lock(mutex_);
  if (stopping_) error = "ingestd serve is stopping";
  if (next && error.empty() && !same_state_store(config_->plan.file, next->plan.file))
    error = "[state] changed; restart ingestd serve to use another state store";
  if (!error.empty()) {
    last_reload_ = ReloadRecord{false, utc_timestamp(), error};
    lock.unlock();
    metrics_.reloaded(false);
    log::error("reload refused, the previous configuration keeps running: " + error);
    return {false, error};
  }
  if (next->plan.file.serve.listen != config_->plan.file.serve.listen)
    log::warn("reload: [serve] listen changed; it takes effect when ingestd serve restarts");
  const TimePoint now = SystemClock::now();
  std::vector<std::string> added, changed, removed;
  for (const FlowPlan& fp : next->plan.flows) {
    const std::string& name = fp.def->name;
    auto it = flows_.find(name);
    if (it == flows_.end()) {
      auto f = std::make_unique<Flow>();
      f->name = name;
      f->config = next;
      f->def = fp.def;
      schedule_first(*f, now);
      flows_.emplace(name, std::move(f));
      added.push_back(name);
      continue;
    }
    Flow& f = *it->second;
    const ServeConfig& had = f.pending ? *f.pending : *f.config;
    auto was = had.definitions.find(name);
    if (!f.removed && was != had.definitions.end() && was->second == next->definitions.at(name)) {
      // Unchanged: only where its definition lives moves.
      if (f.pending) {
        f.pending = next;
      } else {
        f.config = next;
        f.def = def_of(*next, name);
      }
      continue;
    }
    f.removed = false;
    changed.push_back(name);
    if (f.running) {
      f.pending = next;  // applied when the run ends
      if (f.continuous) f.stop->request();
    } else {
      apply(f, next, now);
    }
  }
  for (auto& [name, f] : flows_) {
    if (f->removed || def_of(*next, name)) continue;
    f->removed = true;
    removed.push_back(name);
    if (f->running) f->stop->request();
  }
  config_ = next;
  alerts_.configure(next->plan.file.alerts);
  std::string message = "reloaded " + flows_path_ + ": " + std::to_string(added.size()) + " added" +
                        (added.empty() ? "" : " (" + join(added, ", ") + ")") + ", " + std::to_string(changed.size()) +
                        " changed" + (changed.empty() ? "" : " (" + join(changed, ", ") + ")") + ", " +
                        std::to_string(removed.size()) + " removed" +
                        (removed.empty() ? "" : " (" + join(removed, ", ") + ")");
  last_reload_ = ReloadRecord{true, utc_timestamp(), message};
  lock.unlock();
  wake_.notify_all();
  metrics_.reloaded(true);
  log::info(message);
  return {true, message};
}

namespace {

// A live run's streams: rows so far, and where a change stream stands in its source's log.
json::Value live_streams_json(const std::vector<ServeMetrics::LiveStream>& streams) {
  json::Array out;
  for (const auto& s : streams) {
    json::Object o;
    o.set("stream", json::Value(s.stream));
    o.set("rows", json::Value(s.rows));
    if (auto it = s.texts.find(INGESTD_TEXT_CDC_RECEIVED); it != s.texts.end())
      o.set("cdc_received", json::Value(it->second));
    if (auto it = s.gauges.find(INGESTD_GAUGE_CDC_LAG_BYTES); it != s.gauges.end())
      o.set("cdc_lag_bytes", json::Value(static_cast<int64_t>(it->second)));
    out.push_back(json::Value(std::move(o)));
  }
  return json::Value(std::move(out));
}

}  // namespace

json::Value Daemon::status() const {
  std::unique_lock lock(mutex_);
  const TimePoint now = SystemClock::now();
  std::vector<json::Object> flows;
  std::vector<std::pair<std::shared_ptr<const ServeConfig>, const FlowDef*>> defs;  // for the history below
  for (const auto& [name, f] : flows_) {
    if (f->removed) continue;
    defs.emplace_back(f->config, f->def);
    json::Object o;
    o.set("name", json::Value(name));
    o.set("schedule", f->def->schedule ? json::Value(f->def->schedule->text()) : json::Value());
    if (f->def->schedule && !f->def->schedule->is_interval()) o.set("timezone", json::Value(f->def->schedule->timezone()));
    std::string state = f->running                             ? "running"
                        : f->last && f->last->status == "failed" ? "failed"
                        : f->due && f->start_at <= now           ? "waiting"
                                                                 : "idle";
    o.set("state", json::Value(state));
    o.set("continuous", json::Value(f->continuous));
    if (f->running) {
      o.set("running_since", json::Value(describe(f->run_started)));
      o.set("streams", live_streams_json(metrics_.live_streams(name)));
    }
    o.set("next_run", f->due && !f->running ? json::Value(describe(f->start_at)) : json::Value());
    o.set("runs_skipped", json::Value(f->skipped));
    if (f->last) {
      json::Object last;
      last.set("run_id", json::Value(f->last->run_id));
      last.set("status", json::Value(f->last->status));
      last.set("started_at", json::Value(f->last->started_at));
      last.set("ended_at", json::Value(f->last->ended_at));
      last.set("rows", json::Value(f->last->rows));
      last.set("error", f->last->error.empty() ? json::Value() : json::Value(f->last->error));
      o.set("last_run", json::Value(std::move(last)));
    } else {
      o.set("last_run", json::Value());
    }
    flows.push_back(std::move(o));
  }
  json::Object out;
  out.set("flow_file", json::Value(config_->plan.file.absolute_path));
  out.set("started_at", json::Value(started_at_));
  out.set("stopping", json::Value(stopping_));
  out.set("max_concurrent_runs", json::Value(config_->plan.file.serve.max_concurrent_runs));
  out.set("last_reload", last_reload_json(last_reload_));
  lock.unlock();
  // From run history, outside the lock: freshness, checks' flags, recent runs.
  json::Array with_history;
  for (std::size_t i = 0; i < flows.size(); ++i) {
    json::Object& o = flows[i];
    const FlowDef& def = *defs[i].second;
    try {
      const FlowHealth h = health_of(def, store_, now, started_);
      json::Object health = health_json(def, h);
      for (const char* key : {"freshness", "last_data_at", "age_seconds", "stale", "flags"})
        o.set(key, *health.find(key));
      json::Array history;  // oldest first
      for (auto it = h.recent.rbegin(); it != h.recent.rend(); ++it) {
        json::Object r;
        r.set("run_id", json::Value(it->run_id));
        r.set("started_at", json::Value(it->started_at));
        r.set("status", json::Value(flow_succeeded(*it) ? "ok" : it->ended_at.empty() ? "running" : "failed"));
        r.set("rows", json::Value(rows_of(*it)));
        const auto start = parse_utc_timestamp(it->started_at), end = parse_utc_timestamp(it->ended_at);
        r.set("seconds", start && end ? json::Value(std::chrono::duration<double>(*end - *start).count()) : json::Value());
        bool flagged = false;
        for (const RunStreamRecord& s : it->streams) flagged = flagged || (!s.flags.empty() && s.flags != "[]");
        r.set("flagged", json::Value(flagged));
        history.push_back(json::Value(std::move(r)));
      }
      o.set("history", json::Value(std::move(history)));
    } catch (const std::exception& e) {
      o.set("history_error", json::Value(std::string(e.what())));
    }
    with_history.push_back(json::Value(std::move(o)));
  }
  out.set("flows", json::Value(std::move(with_history)));
  return json::Value(std::move(out));
}

bool Daemon::ready(std::string& why) const { return state_store_answers(store_, why); }

std::string Daemon::token() const {
  std::lock_guard lock(mutex_);
  return config_->plan.file.serve.token;
}

}  // namespace ingestd

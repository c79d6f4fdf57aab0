#include "pump/runner.hpp"

#include "config/names.hpp"
#include "loader/plugin_instance.hpp"
#include "log/logging.hpp"
#include "monitor/run_checks.hpp"
#include "monitor/touched_keys.hpp"
#include "pump/signals.hpp"
#include "pump/catalog_cache.hpp"
#include "pump/stream_checks.hpp"
#include "pump/stream_job.hpp"
#include "report/progress.hpp"
#include "report/run_report.hpp"
#include "report/summary.hpp"
#include "state/flow_lease.hpp"
#include "state/state_store.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <ingestd/sdk/backoff.hpp>
#include <ingestd/sdk/json.hpp>

#include <algorithm>
#include <set>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <chrono>
#include <thread>

namespace ingestd {

namespace {

// The instances of a run, created once per named source/destination.
// Created on the main thread; a signal cancels the sources from the signal
// watcher's thread meanwhile, hence the lock.
struct Instances {
  std::mutex mutex;
  std::map<const ComponentPlan*, std::unique_ptr<PluginInstance>> by_component;
  std::map<PluginInstance*, std::unique_ptr<Semaphore>> slots;

  PluginInstance* get(const ComponentPlan* c, const std::string& base_dir, const std::atomic<bool>* cancelled) {
    {
      std::lock_guard lock(mutex);
      if (auto it = by_component.find(c); it != by_component.end()) return it->second.get();
    }
    // Outside the lock: connecting may take long, and a stop must not wait.
    auto made = std::make_unique<PluginInstance>(*c->plugin, c->def->name, c->role, c->options, base_dir, cancelled,
                                                 c->where());
    std::lock_guard lock(mutex);
    PluginInstance* instance = made.get();
    by_component[c] = std::move(made);
    if (uint32_t n = c->plugin->descriptor.max_concurrent_streams) slots[instance] = std::make_unique<Semaphore>(n);
    return instance;
  }
  void cancel_sources() {
    std::lock_guard lock(mutex);
    for (auto& [component, instance] : by_component)
      if (component->role == INGESTD_KIND_SOURCE) instance->cancel();
  }
  Semaphore* slots_of(PluginInstance* i) {
    std::lock_guard lock(mutex);
    auto it = slots.find(i);
    return it == slots.end() ? nullptr : it->second.get();
  }
};

struct PreparedFlow {
  const FlowPlan* plan;
  std::vector<StreamJob> jobs;
  std::vector<StreamStats*> stats;
};

// The generations a run saves count from its lease's epoch times 2^32: any
// save of a later holder of the flow is newer than every save of an earlier
// one, so a destination that keeps state with its data and refuses a
// generation older than its own refuses a paused holder's late commit.
int64_t generation_floor(const LeaseFence& fence) { return fence.epoch << 32; }

// The checkpoint a stream resumes from. Each destination's last durable
// checkpoint is its own record for destinations that store state with their
// data, the state store's otherwise. A destination without one means reading
// from the start; when they differ, the oldest wins (the others get some rows
// again, which merge absorbs). Sets the generation new checkpoints count from.
// Checkpoints of generation `ignore_up_to` or older count as none (a full
// refresh ignores what came before it, but not what it saved itself).
// Generations start at `floor` at least: see generation_floor.
void choose_start_state(StreamJob& job, const std::string& flow, StateStore& store,
                        const std::vector<PluginInstance*>& destinations, int64_t ignore_up_to, const LeaseFence& fence) {
  const int64_t floor = generation_floor(fence);
  job.state.reset();
  job.base_generation = 0;
  auto stored = store.checkpoints(flow, job.stream);
  std::optional<sdk::StoredState> oldest;
  bool all = true;
  for (PluginInstance* d : destinations) {
    std::optional<sdk::StoredState> cp;
    if (d->stores_state()) {
      cp = d->load_state(job.state_key);
    } else {
      for (const auto& r : stored)
        if (r.destination == d->name()) cp = sdk::StoredState{r.checkpoint, r.generation};
    }
    if (cp) job.base_generation = std::max(job.base_generation, cp->generation);
    if (!cp || cp->generation <= ignore_up_to) {
      all = false;
      continue;
    }
    if (!oldest || cp->generation < oldest->generation) oldest = cp;
  }
  for (const auto& r : stored) job.base_generation = std::max(job.base_generation, r.generation);
  // A cluster unit saved under a later epoch than this holding's was taken
  // over: this worker was paused or cut off past its lease (and is retrying,
  // or starting late). Reading on from the newer holder's state would commit
  // behind its back.
  if (!fence.stream.empty() && (job.base_generation >> 32) > fence.epoch) throw LeaseLostError(fence);
  // Generations keep growing even when a full refresh ignores the state, so
  // that "oldest" stays meaningful if the refresh stops halfway.
  if (!all && oldest)
    log::info(flow + "/" + job.stream + ": a destination has no saved state yet; reading from the start");
  if (all && oldest) job.state = oldest->data;
  job.base_generation = std::max(job.base_generation, floor);
}

// The streams a flow reads, checked against its source's catalog (which
// `found` points into; null where the source cannot list its streams).
struct FlowStreams {
  SourceCatalog catalog;
  std::vector<std::string> names;
  std::vector<const CatalogStream*> found;
};

FlowStreams resolve_streams(const FlowPlan& fp, PluginInstance& source, StateStore& store, bool rediscover) {
  const FlowDef& f = *fp.def;
  FlowStreams out;
  out.catalog = source_catalog(*fp.source, source, store, rediscover);
  // Which streams, checked against the catalog: every mistake at once.
  if (out.catalog.listed) {
    ErrorCollector errors;
    out.found = check_flow_streams(f, out.catalog.streams, errors);
    if (!errors.empty() && out.catalog.kept) {
      // The flow asks for what the kept catalog lacks: the source may have it now.
      log::info("flow " + f.name + ": the kept catalog of source '" + f.from + "' lacks what the flow names; asking the source");
      out.catalog = discover_and_keep(*fp.source, source, store);
      errors = ErrorCollector();
      out.found = check_flow_streams(f, out.catalog.streams, errors);
    }
    errors.throw_if_any();
    for (const auto* s : out.found) out.names.push_back(s->name);
    if (f.streams.empty() && out.names.empty()) log::warn("flow " + f.name + ": source '" + f.from + "' has no streams");
  } else {
    if (f.streams.empty())
      throw ConfigError(f.location, "flows." + f.name + ".streams",
                        "source '" + f.from + "' cannot list its streams; name them in streams = [...]");
    out.names = f.streams;
    out.found.assign(out.names.size(), nullptr);
  }
  return out;
}

// Decides which streams a flow reads (a cluster unit's alone when given).
std::vector<StreamJob> prepare_jobs(const FlowPlan& fp, PluginInstance* source, Instances& instances,
                                    const std::vector<PluginInstance*>& destinations, const std::string& run_id,
                                    const std::atomic<bool>* cancelled, StateStore& store, const LeaseFence& fence,
                                    const RunOptions& options, const std::string& base_dir) {
  const int64_t sync_time_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
  const bool full_refresh = options.full_refresh;
  const FlowDef& f = *fp.def;
  FlowStreams streams = resolve_streams(fp, *source, store, options.rediscover);
  std::vector<std::string>& names = streams.names;
  std::vector<const CatalogStream*>& found_streams = streams.found;
  if (!fence.stream.empty()) {
    const auto it = std::find(names.begin(), names.end(), fence.stream);
    if (it == names.end())
      throw ConfigError(f.location, "flows." + f.name,
                        "flow " + f.name + " no longer reads stream '" + fence.stream + "' (its streams: " +
                            join(names, ", ") + ")");
    const auto at = it - names.begin();
    names = {fence.stream};
    found_streams = {found_streams[static_cast<std::size_t>(at)]};
  }
  std::vector<StreamJob> jobs;
  uint32_t index = 0;
  for (std::size_t n = 0; n < names.size(); ++n) {
    const std::string& name = names[n];
    const CatalogStream* found = found_streams[n];
    const StreamSettings& settings = f.settings_for(name);
    StreamJob job;
    job.flow = &fp;
    job.source = source;
    job.source_slots = instances.slots_of(source);
    job.destinations = destinations;
    for (auto* d : destinations) job.destination_slots.push_back(instances.slots_of(d));
    for (const ComponentPlan* t : fp.transforms_for(name)) job.transforms.push_back(instances.get(t, base_dir, cancelled));
    job.sync_time_us = sync_time_us;
    job.stream = name;
    job.index = index++;
    job.settings = &settings;
    job.table = settings.table.empty() ? name : settings.table;
    job.primary_key = !settings.primary_key.empty() ? settings.primary_key
                                                    : (found ? found->primary_key : std::vector<std::string>{});
    if (settings.load_mode == INGESTD_LOAD_MERGE && job.primary_key.empty())  // sources without a catalog
      throw ConfigError(settings.load_location, "flows." + f.name + ".primary_key",
                        "merge loads need a primary key and stream '" + name +
                            "' declares none; set primary_key = [\"...\"]");
    job.continuous = found && found->continuous();
    if (found) {
      job.catalog_entry = found->catalog_entry;
      // A stream whose columns came out other than the kept catalog says
      // has changed at the source: the next run asks the source again. The
      // columns a source adds for ingestd (_ingestd_deleted) do not count.
      auto column_names = [](const sdk::Schema& schema) {
        std::set<std::string> names;
        for (const auto& field : schema.fields)
          if (field.name.rfind("_ingestd_", 0) != 0) names.insert(field.name);
        return names;
      };
      job.schema_seen = [&store, source_name = f.from, stream = name, column_names,
                         known = column_names(found->schema)](const sdk::Schema& seen) {
        if (known.empty() || column_names(seen) == known) return;
        log::info("source '" + source_name + "': stream '" + stream +
                  "' has other columns than its kept catalog says; the next run asks the source again");
        try {
          store.forget_catalog(source_name);
        } catch (const std::exception& e) {
          log::warn("source '" + source_name + "': cannot forget its kept catalog: " + e.what());
        }
      };
    }
    job.follow = options.follow;
    job.run_id = run_id;
    job.run_cancelled = cancelled;
    job.state_key = f.name + "/" + name;
    // Every attempt reads its resume point from the stores, never from what
    // this process believes it saved: a server that lost an acknowledged
    // commit (synchronous_commit = off, a crash) took the checkpoint with it.
    choose_start_state(job, f.name, store, destinations, -1, fence);
    const int64_t ignore_up_to = full_refresh ? job.base_generation : -1;
    if (full_refresh) job.state.reset();
    job.resume = [&store, flow = f.name, destinations, ignore_up_to, fence](StreamJob& j) {
      choose_start_state(j, flow, store, destinations, ignore_up_to, fence);
    };
    std::vector<std::string> names_of_destinations;
    for (auto* d : destinations) names_of_destinations.push_back(d->name());
    // Saved only while this run holds the flow: one paused past its lease
    // finds its saves refused once another run took the flow over.
    job.save = [&store, flow = f.name, stream = name, names_of_destinations, run_id, fence](
                   uint64_t, const std::string& checkpoint, int64_t generation) {
      store.save(flow, stream, names_of_destinations, checkpoint, generation, run_id, &fence);
    };
    // Active rows (ingestd usage): the keys an incremental read delivers are
    // the rows that changed at the source. A snapshot delivers every row.
    if (settings.extract_mode != INGESTD_EXTRACT_SNAPSHOT && !job.primary_key.empty()) {
      auto tally = std::make_shared<KeyTally>(store, f.name, name);
      job.touched = [tally](const std::vector<uint64_t>& hashes) { tally->add(hashes); };
      job.touched_end = [tally] { tally->flush(); };
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// Waits before a retry: doubling from one second with jitter, at least what
// the failure asked for, at most 30 s; false if the run is stopped meanwhile.
bool wait_to_retry(int attempt, int64_t retry_after_ms, const std::atomic<bool>& cancelled) {
  static thread_local sdk::Backoff backoff(1000, 30000, sdk::Backoff::Jitter::Above);
  return backoff.wait(attempt, [&cancelled] { return cancelled.load(); }, retry_after_ms) && !cancelled;
}

// One attempt at a stream, with its outcome recorded in `stats`.
StreamOutcome attempt_stream(StreamJob& job, StreamStats& stats, int attempt) {
  stats.mark_started();
  stats.finished_ns = 0;
  stats.status = StreamStatus::Running;
  StreamOutcome outcome(job.destinations.size());
  bool resumed = true;
  if (attempt > 0) {
    try {
      job.resume(job);
    } catch (const LeaseLostError& e) {
      resumed = false;
      outcome.status = StreamStatus::Failed;
      outcome.stream_failure = Failure{e.what(), false, false, 0};
      log::error(stats.flow + "/" + stats.stream + ": " + outcome.stream_failure->message);
    } catch (const std::exception& e) {
      // A store not back yet fails this attempt as transient: no guessing.
      resumed = false;
      outcome.status = StreamStatus::Failed;
      outcome.stream_failure = Failure{std::string("cannot read the resume point from the stores: ") + e.what(),
                                       false, true, 0};
      log::warn(stats.flow + "/" + stats.stream + ": " + outcome.stream_failure->message);
    }
  }
  if (resumed) outcome = run_stream_job(job, stats);
  stats.set_outcome(outcome);
  stats.status = outcome.status;
  stats.mark_finished();
  return outcome;
}

// Runs one stream, retrying transient failures (a server restarting, a lost
// connection) from the last checkpoint every destination committed, as the
// stores hold it when the retry starts.
void run_with_retries(StreamJob job, StreamStats& stats, int max_retries) {
  struct FlushTouched {
    const StreamJob& job;
    ~FlushTouched() {
      if (job.touched_end) job.touched_end();
    }
  } flush_touched{job};
  for (int attempt = 0;; ++attempt) {
    StreamOutcome outcome = attempt_stream(job, stats, attempt);
    if (!outcome.transient() || attempt >= max_retries) return;
    log::warn(stats.flow + "/" + stats.stream + ": transient failure, retrying (" + std::to_string(attempt + 1) + " of " +
              std::to_string(max_retries) + ") from the last saved checkpoint");
    if (!wait_to_retry(attempt, outcome.retry_after_ms(), *job.run_cancelled)) return;
    ++stats.retries;
  }
}

// Runs a flow's jobs with at most `parallelism` streams at a time.
void run_flow_jobs(PreparedFlow& pf, const std::string& run_id) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    log::RunIdScope scope(run_id);
    for (std::size_t i; (i = next++) < pf.jobs.size();)
      run_with_retries(pf.jobs[i], *pf.stats[i], static_cast<int>(pf.plan->def->retries));
  };
  std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(pf.plan->def->parallelism), pf.jobs.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < n; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
}

// {"stream": counters of the source stream, "destination": of its table}:
// apart, since both may count one event from their side (a column widened).
std::string counters_json(const StreamStats& s, const LaneStats& lane) {
  auto object = [](const Counters& c) {
    json::Object o;
    for (const auto& [name, value] : c.snapshot()) o.set(name, json::Value(value));
    return json::Value(std::move(o));
  };
  json::Object o;
  o.set("stream", object(*s.counters));
  o.set("destination", object(*lane.counters));
  return json::Value(std::move(o)).dump();
}

// Writes the run's outcome and figures into the run history, with what the
// run's checks found.
void record_run_end(const Plan& plan, RunStats& run, RunRecord& record, const std::string& status, StateStore& store) {
  record.ended_at = utc_timestamp();
  record.status = status;
  std::vector<std::string> errors;
  for (const auto& e : run.flow_errors) errors.push_back(e.message);
  for (const auto& s : run.streams) {
    const StreamOutcome outcome = s->outcome();
    const std::string stream_error = outcome.error();
    if (!stream_error.empty()) errors.push_back(s->flow + "/" + s->stream + ": " + stream_error);
    for (std::size_t i = 0; i < s->lanes.size(); ++i) {
      const LaneStats& lane = *s->lanes[i];
      const std::string lane_error = outcome.lane_error(i);
      RunStreamRecord r;
      r.flow = s->flow;
      r.stream = s->stream;
      r.destination = lane.destination;
      r.rows = lane.rows.load();
      r.bytes = lane.bytes.load();
      r.seconds = s->seconds();
      r.status = status_text(s->status.load());
      r.counters = counters_json(*s, lane);
      r.columns = s->columns();
      r.error = !lane_error.empty() ? lane_error : stream_error;
      if (!lane_error.empty()) {
        r.status = "failed";
        errors.push_back(s->flow + "/" + s->stream + " -> " + lane.destination + ": " + lane_error);
      }
      record.streams.push_back(std::move(r));
    }
  }
  record.error = join(errors, "; ");
  check_run(plan, record, store);
  try {
    store.end_run(record);
  } catch (const std::exception& e) {
    log::error("cannot record the run in the state store: " + std::string(e.what()));
  }
}

}  // namespace

std::vector<std::string> flow_stream_names(const Plan& plan, const FlowPlan& flow, StateStore& state) {
  PluginInstance source(*flow.source->plugin, flow.source->def->name, flow.source->role, flow.source->options,
                        plan.file.dir, nullptr, flow.source->where());
  return resolve_streams(flow, source, state, false).names;
}

int run_plan(const Plan& plan, StateStore& store, const RunOptions& options) {
  RunStats run;
  run.run_id = new_run_id();
  log::RunIdScope run_id_scope(run.run_id);
  std::vector<const FlowPlan*> selected;
  for (const FlowPlan& fp : plan.flows)
    if (options.unit ? fp.def->name == options.unit->name
                     : options.only_flows.empty() || std::find(options.only_flows.begin(), options.only_flows.end(),
                                                               fp.def->name) != options.only_flows.end())
      selected.push_back(&fp);
  RunStop own_stop;
  RunStop& stop = options.stop ? *options.stop : own_stop;
  const std::atomic<bool>& cancelled = stop.flag();
  std::atomic<bool> lease_lost{false};
  Instances instances;
  // First, before any thread (the lease's renewer, a plugin's) starts: they
  // inherit the blocked signals, and a stop reaches the watcher alone.
  std::optional<SignalWatcher> signals;
  if (!options.stop) signals.emplace([&](int) { stop.request(); });
  stop.on_request([&] { instances.cancel_sources(); });
  struct ForgetStopAction {
    RunStop& stop;
    ~ForgetStopAction() { stop.on_request(nullptr); }
  } forget_stop_action{stop};
  std::optional<FlowLeases> leases;
  if (!options.unit) {
    std::vector<std::string> names;
    for (const FlowPlan* fp : selected) names.push_back(fp->def->name);
    FlowLeases::Options lease_options;
    lease_options.wait = options.wait_for_busy;
    lease_options.ttl_seconds = plan.file.lease_ttl_seconds;
    lease_options.cancelled = &cancelled;
    lease_options.on_lost = [&](const std::string&) {
      lease_lost = true;
      stop.request();
    };
    try {
      leases.emplace(store, std::move(names), run.run_id, std::move(lease_options));
    } catch (const FlowBusyError& e) {
      log::error(std::string(e.what()) + "; nothing was run (ingestd run --wait waits for it)");
      return 3;
    }
  }
  RunRecord record;
  record.run_id = run.run_id;
  record.flow_file = plan.file.absolute_path;
  record.started_at = utc_timestamp();
  record.status = "running";
  store.begin_run(record);
  std::vector<PreparedFlow> flows;
  const std::string& base_dir = plan.file.dir;
  log::info("run " + run.run_id + ": " + std::to_string(selected.size()) + " flow(s) from " + plan.file.path);

  // Instances and stream lists first, before any thread starts.
  for (const FlowPlan* selected_flow : selected) {
    const FlowPlan& fp = *selected_flow;
    const FlowDef& f = *fp.def;
    try {
      PluginInstance* source = nullptr;
      std::vector<PluginInstance*> destinations;
      std::vector<StreamJob> jobs;
      // A server not up yet, or lost while listing its streams, is as worth
      // a retry as one lost mid-read.
      for (int attempt = 0;; ++attempt) {
        auto again = [&](bool transient, int64_t retry_after_ms, const std::string& why) {
          if (!transient || attempt >= f.retries) return false;
          log::warn("flow " + f.name + ": " + why + "; retrying (" + std::to_string(attempt + 1) + " of " +
                    std::to_string(f.retries) + ")");
          return wait_to_retry(attempt, retry_after_ms, cancelled);
        };
        try {
          source = instances.get(fp.source, base_dir, &cancelled);
          destinations.clear();
          for (const ComponentPlan* d : fp.destinations) destinations.push_back(instances.get(d, base_dir, &cancelled));
          jobs = prepare_jobs(fp, source, instances, destinations, run.run_id, &cancelled, store,
                              options.unit ? *options.unit : leases->fence(f.name), options, base_dir);
          break;
        } catch (const sdk::Error& e) {
          if (!again(e.retry_class() == INGESTD_RETRY_TRANSIENT, e.retry_after_ms(), e.what())) throw;
        } catch (const StateStoreError& e) {
          if (!again(e.transient(), 0, e.what())) throw;
        }
      }
      PreparedFlow pf{&fp, std::move(jobs), {}};
      for (const StreamJob& job : pf.jobs) {
        auto stats = std::make_unique<StreamStats>();
        stats->flow = f.name;
        stats->stream = job.stream;
        stats->snapshot = job.settings->extract_mode == INGESTD_EXTRACT_SNAPSHOT;
        stats->replace = job.settings->load_mode == INGESTD_LOAD_REPLACE;
        stats->continuous = job.continuous;
        for (PluginInstance* d : destinations) {
          auto lane = std::make_unique<LaneStats>();
          lane->destination = d->name();
          stats->lanes.push_back(std::move(lane));
        }
        pf.stats.push_back(stats.get());
        run.streams.push_back(std::move(stats));
      }
      flows.push_back(std::move(pf));
    } catch (const ConfigError& e) {
      run.flow_errors.push_back({"flow " + f.name + ": " + e.what(), true, f.name});
      log::error(run.flow_errors.back().message);
    } catch (const sdk::Error& e) {
      run.flow_errors.push_back({"flow " + f.name + ": " + e.what(), e.is_config(), f.name});
      log::error(run.flow_errors.back().message);
    } catch (const StateStoreError& e) {
      run.flow_errors.push_back({"flow " + f.name + ": " + e.what(), false, f.name});
      log::error(run.flow_errors.back().message);
    }
  }

  // The observer hears of the end however the run ends, so that it never
  // holds on to this run's figures past it.
  bool observed_end = false;
  if (options.observer) options.observer->started(run);
  struct ObserverEnd {
    RunObserver* observer;
    const RunStats& run;
    const RunRecord& record;
    bool& done;
    ~ObserverEnd() {
      if (observer && !done) observer->finished(run, record);
    }
  } observer_end{options.observer, run, record, observed_end};
  {
    ProgressDisplay progress(run, options.progress);
    std::vector<std::thread> flow_threads;
    for (auto& pf : flows) flow_threads.emplace_back([&pf, &run] { run_flow_jobs(pf, run.run_id); });
    for (auto& t : flow_threads) t.join();
  }

  if (lease_lost) run.flow_errors.push_back({"another run took over a flow's lease while this one ran", false, ""});
  if (options.unit_still_held && !options.unit_still_held())
    run.flow_errors.push_back({options.unit->name + "/" + options.unit->stream +
                                   ": the unit passed to another worker while this one ran it (it held epoch " +
                                   std::to_string(options.unit->epoch) + ")",
                               false, options.unit->name});
  // Exit 2 when every failure is the configuration's, 1 for any other.
  int failures = 0, config_failures = 0;
  bool stopped = false;
  for (const auto& e : run.flow_errors) {
    ++failures;
    config_failures += e.config ? 1 : 0;
  }
  for (const auto& s : run.streams) {
    StreamStatus st = s->status.load();
    if (st == StreamStatus::Completed) continue;
    ++failures;
    stopped = stopped || st == StreamStatus::Stopped;
    config_failures += s->outcome().config_error() ? 1 : 0;
  }
  record_run_end(plan, run, record, failures == 0 ? "ok" : stopped ? "stopped" : "failed", store);
  if (options.observer) options.observer->finished(run, record);
  observed_end = true;
  // A report on standard output keeps it to itself: the summary goes to stderr.
  if (options.print_summary) print_summary(run, options.report_path == "-" ? stderr : stdout);
  if (!options.report_path.empty()) {
    try {
      write_run_report(run, record, options.report_path);
    } catch (const std::exception& e) {
      log::error("cannot write the run report: " + std::string(e.what()));
    }
  }
  if (failures == 0) return 0;
  return failures == config_failures ? 2 : 1;
}

}  // namespace ingestd

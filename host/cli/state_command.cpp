#include "cli/commands.hpp"
#include "cluster/cluster_store.hpp"
#include "config/flow_file.hpp"
#include "loader/plugin_instance.hpp"
#include "config/plan.hpp"
#include "state/flow_lease.hpp"
#include "state/state_store.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <ingestd/sdk/json.hpp>

#include <algorithm>
#include <cstdio>
#include <set>

namespace ingestd::cli {

namespace {

std::string shorten(const std::string& s, std::size_t n) { return s.size() <= n ? s : s.substr(0, n - 3) + "..."; }

void check_flow(const FlowFile& ff, const std::optional<std::string>& flow) {
  if (flow && !ff.find_flow(*flow))
    throw ConfigError(Location{ff.path}, "--flow",
                      "no flow named '" + *flow + "' (flows: " + join(ff.flow_names(), ", ") + ")");
}

// The pool's units of a flow held for as long as a command runs (ClusterStore::hold_units).
class PoolUnitsHeld {
 public:
  PoolUnitsHeld(const FlowFile& ff, std::string holder)
      : cluster_(ff.state_dsn, ff.state_schema), holder_(std::move(holder)) {}
  ~PoolUnitsHeld() {
    if (!held_) return;
    try {
      cluster_.release_units(holder_);
    } catch (const std::exception& e) {  // the holding expires by itself
      std::fprintf(stderr, "warning: the pool's units stay held until %d s have passed: %s\n", kHoldSeconds, e.what());
    }
  }
  PoolUnitsHeld(const PoolUnitsHeld&) = delete;
  PoolUnitsHeld& operator=(const PoolUnitsHeld&) = delete;

  // The units workers hold now ("flow/stream (worker)"); none: all are held for this command.
  std::vector<std::string> hold(const std::string& flow, const std::optional<std::string>& stream) {
    std::vector<std::string> busy = cluster_.hold_units(flow, stream, holder_, kHoldSeconds);
    held_ = busy.empty();
    return busy;
  }

 private:
  // Long enough for any reset (dropping a slot included); what a command killed midway leaves held.
  static constexpr int kHoldSeconds = 600;
  ClusterStore cluster_;
  std::string holder_;
  bool held_ = false;
};

}  // namespace

int state_show_command(const GlobalOptions&, const StateArgs& a) {
  FlowFile ff = load_flow_file(a.flows);
  check_flow(ff, a.flow);
  auto store = open_state_store(ff);
  // The store may be shared by several flow files; the listing is this one's.
  std::vector<CheckpointRecord> rows;
  for (auto& r : store->checkpoints(a.flow, a.stream))
    if (ff.find_flow(r.flow)) rows.push_back(std::move(r));
  if (a.format == "json") {
    json::Array out;
    for (const auto& r : rows) {
      json::Object o;
      o.set("flow", r.flow);
      o.set("stream", r.stream);
      o.set("destination", r.destination);
      o.set("checkpoint", r.checkpoint);
      o.set("generation", json::Value(r.generation));
      o.set("run_id", r.run_id);
      o.set("saved_at", r.saved_at);
      out.push_back(json::Value(std::move(o)));
    }
    std::printf("%s\n", json::Value(std::move(out)).dump().c_str());
    return kExitOk;
  }
  std::printf("state store: %s\n", store->describe().c_str());
  if (rows.empty()) {
    std::printf("(no saved state)\n");
    return kExitOk;
  }
  std::printf("%-16s %-20s %-14s %5s  %-24s  %s\n", "FLOW", "STREAM", "DESTINATION", "GEN", "SAVED AT", "CHECKPOINT");
  bool shortened = false;
  for (const auto& r : rows) {
    shortened = shortened || (!a.full && r.checkpoint.size() > 60);
    std::printf("%-16s %-20s %-14s %5lld  %-24s  %s\n", r.flow.c_str(), r.stream.c_str(), r.destination.c_str(),
                static_cast<long long>(r.generation), r.saved_at.c_str(),
                (a.full ? r.checkpoint : shorten(r.checkpoint, 60)).c_str());
  }
  if (shortened) std::printf("(checkpoints shortened to 60 characters: --full shows them whole, --format json too)\n");
  return kExitOk;
}

int state_reset_command(const GlobalOptions& g, const StateArgs& a) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(a.flows), registry, {*a.flow});
  auto store = open_state_store(plan.file);
  const FlowPlan& flow = plan.flows.at(0);
  // A run going on would save its checkpoints over the reset.
  const std::string holder = "state-reset-" + new_run_id();
  std::optional<FlowLeases> lease;
  try {
    lease.emplace(*store, std::vector<std::string>{*a.flow}, holder, FlowLeases::Options{});
  } catch (const FlowBusyError& e) {
    std::fprintf(stderr, "error: %s; reset it when that run has ended\n", e.what());
    return kExitBusy;
  }
  // So would a pool's run of one of its streams: their units are held for the reset.
  std::optional<PoolUnitsHeld> pool_units;
  if (plan.file.cluster.enabled) {
    pool_units.emplace(plan.file, holder);
    const std::vector<std::string> busy = pool_units->hold(*a.flow, a.stream);
    if (!busy.empty()) {
      std::fprintf(stderr, "error: flow '%s' is running in the pool: %s; reset it when those runs have ended\n",
                   a.flow->c_str(), join(busy, ", ").c_str());
      return kExitBusy;
    }
  }
  // Destinations that keep state with their data forget it too, or the next
  // run would resume from there.
  std::set<std::string> streams;
  if (a.stream) {
    // A misspelt stream would reset nothing and say so only by a count.
    std::set<std::string> known(flow.def->streams.begin(), flow.def->streams.end());
    for (const auto& r : store->checkpoints(*a.flow, std::nullopt)) known.insert(r.stream);
    if (!known.count(*a.stream))
      throw ConfigError(Location{plan.file.path}, "--stream",
                        "flow '" + *a.flow + "' has no stream '" + *a.stream + "' with saved state (streams: " +
                            (known.empty() ? std::string("none") : join(std::vector<std::string>(known.begin(), known.end()), ", ")) +
                            ")");
    streams.insert(*a.stream);
  } else {
    for (const auto& r : store->checkpoints(*a.flow, std::nullopt)) streams.insert(r.stream);
    for (const auto& s : flow.def->streams) streams.insert(s);
  }
  std::atomic<bool> cancelled{false};
  // Released first: when the server cannot be reached, nothing is reset and
  // the command can simply be run again.
  if (a.drop_slot) {
    const ComponentPlan& source = *flow.source;
    if (!source.plugin->release_stream) {
      std::printf("source '%s' (plugin %s) keeps nothing at its server: no slot to drop\n", source.def->name.c_str(),
                  source.plugin->descriptor.name.c_str());
    } else {
      PluginInstance instance(*source.plugin, source.def->name, INGESTD_KIND_SOURCE, source.options, plan.file.dir,
                              &cancelled);
      for (const auto& s : streams) instance.release_stream(*a.flow, s);
    }
  }
  for (const ComponentPlan* d : flow.destinations) {
    if (!d->plugin->transactional_state) continue;
    PluginInstance instance(*d->plugin, d->def->name, INGESTD_KIND_DESTINATION, d->options, plan.file.dir, &cancelled);
    for (const auto& s : streams) instance.clear_state(*a.flow + "/" + s);
  }
  int64_t n = store->reset(*a.flow, a.stream);
  std::printf("reset %s%s: %lld saved checkpoint(s) removed; the next run reads %s from the start\n", a.flow->c_str(),
              a.stream ? ("/" + *a.stream).c_str() : "", static_cast<long long>(n),
              a.stream ? "the stream" : "every stream");
  return kExitOk;
}

int runs_command(const GlobalOptions&, const RunsArgs& a) {
  FlowFile ff = load_flow_file(a.flows);
  auto store = open_state_store(ff);
  // The store may be shared by several flow files; the listing is this one's.
  auto runs = store->runs(a.limit, ff.absolute_path);
  if (a.format == "json") {
    json::Array out;
    for (const auto& r : runs) {
      json::Object o;
      o.set("run_id", r.run_id);
      o.set("flow_file", r.flow_file);
      o.set("started_at", r.started_at);
      o.set("ended_at", r.ended_at.empty() ? json::Value() : json::Value(r.ended_at));
      o.set("status", r.status);
      o.set("error", r.error.empty() ? json::Value() : json::Value(r.error));
      json::Array streams;
      for (const auto& s : r.streams) {
        json::Object so;
        so.set("flow", s.flow);
        so.set("stream", s.stream);
        so.set("destination", s.destination);
        so.set("rows", json::Value(s.rows));
        so.set("bytes", json::Value(s.bytes));
        so.set("seconds", json::Value(s.seconds));
        so.set("status", s.status);
        so.set("error", s.error.empty() ? json::Value() : json::Value(s.error));
        so.set("counters", json::Value::parse(s.counters.empty() ? "{}" : s.counters));
        so.set("columns", json::Value::parse(s.columns.empty() ? "[]" : s.columns));
        so.set("flags", json::Value::parse(s.flags.empty() ? "[]" : s.flags));
        streams.push_back(json::Value(std::move(so)));
      }
      o.set("streams", json::Value(std::move(streams)));
      out.push_back(json::Value(std::move(o)));
    }
    std::printf("%s\n", json::Value(std::move(out)).dump().c_str());
    return kExitOk;
  }
  if (runs.empty()) {
    std::printf("(no runs recorded in %s)\n", store->describe().c_str());
    return kExitOk;
  }
  std::printf("%-24s %-12s %-24s %-24s %12s  %s\n", "RUN", "STATUS", "STARTED", "ENDED", "ROWS", "ERROR");
  for (const auto& r : runs) {
    int64_t rows = 0;
    for (const auto& s : r.streams) rows += s.rows;
    std::printf("%-24s %-12s %-24s %-24s %12s  %s\n", r.run_id.c_str(), r.status.c_str(), r.started_at.c_str(),
                r.ended_at.c_str(), human_count(rows).c_str(), shorten(r.error, 80).c_str());
  }
  return kExitOk;
}

}  // namespace ingestd::cli

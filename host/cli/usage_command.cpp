#include "cli/commands.hpp"
#include "config/flow_file.hpp"
#include "monitor/key_sketch.hpp"
#include "state/state_store.hpp"

#include <ingestd/sdk/json.hpp>

#include <climits>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace ingestd::cli {

namespace {

struct Usage {
  int64_t active_keys = -1;  // -1: not counted (a snapshot extract, or no primary key)
  bool estimated = false;
  int64_t rows_moved = 0, inserted = 0, updated = 0, deleted = 0;
  std::set<std::string> runs;
};

int64_t counter(const json::Value& counters, const char* name) {
  const json::Value& v = counters["destination"][name];
  return v.is_int() ? v.as_int() : 0;
}

}  // namespace

int usage_command(const GlobalOptions&, const UsageArgs& a) {
  if (a.month && (a.month->size() != 7 || (*a.month)[4] != '-'))
    throw ConfigError(Location{}, "--month", "'" + *a.month + "' is not a month (e.g. 2026-11)");
  const FlowFile ff = load_flow_file(a.flows);
  auto store = open_state_store(ff);
  // (month, flow, stream, destination) -> usage
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Usage> usage;
  for (const RunRecord& run : store->runs(INT_MAX, ff.absolute_path)) {
    const std::string month = run.started_at.substr(0, 7);
    if (a.month && month != *a.month) continue;
    for (const RunStreamRecord& s : run.streams) {
      Usage& u = usage[{month, s.flow, s.stream, s.destination}];
      u.rows_moved += s.rows;
      u.runs.insert(run.run_id);
      const json::Value counters = json::Value::parse(s.counters.empty() ? "{}" : s.counters);
      u.inserted += counter(counters, INGESTD_COUNTER_ROWS_INSERTED);
      u.updated += counter(counters, INGESTD_COUNTER_ROWS_UPDATED);
      u.deleted += counter(counters, INGESTD_COUNTER_ROWS_DELETED);
    }
  }
  std::map<std::tuple<std::string, std::string, std::string>, StateStore::TouchedKeys> keys;  // (month, flow, stream)
  for (const auto& t : store->touched_keys(a.month))
    if (ff.find_flow(t.flow)) keys[{t.month, t.flow, t.stream}] = t;
  for (auto& [key, u] : usage) {
    auto it = keys.find({std::get<0>(key), std::get<1>(key), std::get<2>(key)});
    if (it == keys.end()) continue;
    u.active_keys = it->second.keys;
    u.estimated = !it->second.exact;
  }

  if (a.format == "json") {
    json::Array out;
    for (const auto& [key, u] : usage) {
      json::Object o;
      o.set("month", json::Value(std::get<0>(key)));
      o.set("flow", json::Value(std::get<1>(key)));
      o.set("stream", json::Value(std::get<2>(key)));
      o.set("destination", json::Value(std::get<3>(key)));
      o.set("active_rows", u.active_keys >= 0 ? json::Value(u.active_keys) : json::Value());
      o.set("active_rows_estimated", json::Value(u.estimated));
      o.set("rows_moved", json::Value(u.rows_moved));
      o.set("rows_inserted", json::Value(u.inserted));
      o.set("rows_updated", json::Value(u.updated));
      o.set("rows_deleted", json::Value(u.deleted));
      o.set("runs", json::Value(static_cast<int64_t>(u.runs.size())));
      out.push_back(json::Value(std::move(o)));
    }
    std::printf("%s\n", json::Value(std::move(out)).dump().c_str());
    return kExitOk;
  }
  if (usage.empty()) {
    std::printf("(no runs recorded%s in %s)\n", a.month ? (" in " + *a.month).c_str() : "", store->describe().c_str());
    return kExitOk;
  }
  std::printf("%-8s %-16s %-24s %-12s %12s %12s %10s %10s %10s %6s\n", "MONTH", "FLOW", "STREAM", "DESTINATION",
              "ACTIVE ROWS", "ROWS MOVED", "INSERTED", "UPDATED", "DELETED", "RUNS");
  for (const auto& [key, u] : usage)
    std::printf("%-8s %-16s %-24s %-12s %12s %12lld %10lld %10lld %10lld %6zu\n", std::get<0>(key).c_str(),
                std::get<1>(key).c_str(), std::get<2>(key).c_str(), std::get<3>(key).c_str(),
                u.active_keys < 0 ? "-" : ((u.estimated ? "~" : "") + std::to_string(u.active_keys)).c_str(),
                static_cast<long long>(u.rows_moved), static_cast<long long>(u.inserted),
                static_cast<long long>(u.updated), static_cast<long long>(u.deleted), u.runs.size());
  std::printf("Active rows: distinct primary keys an incremental extract delivered (the rows that changed at the "
              "source),\nexact up to %zu a month, estimated past (~, about 0.8%% off); '-' for snapshot extracts, which "
              "deliver every row.\n",
              KeySketch::kExactLimit);
  return kExitOk;
}

}  // namespace ingestd::cli

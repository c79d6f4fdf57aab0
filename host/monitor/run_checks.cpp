#include "monitor/run_checks.hpp"

#include "config/plan.hpp"
#include "log/logging.hpp"
#include "monitor/columns.hpp"
#include "monitor/volume.hpp"
#include "state/state_store.hpp"

#include <ingestd/sdk/json.hpp>

#include <algorithm>
#include <map>

namespace ingestd {

namespace {

std::string flags_json(const std::vector<RunFlag>& flags) {
  json::Array out;
  for (const RunFlag& f : flags) {
    json::Object o;
    o.set("kind", json::Value(f.kind));
    o.set("message", json::Value(f.message));
    out.push_back(json::Value(std::move(o)));
  }
  return json::Value(std::move(out)).dump();
}

struct StreamHistory {
  std::vector<int64_t> rows;  // of successful runs, newest first
  std::string last_columns;   // of the newest run that knew them
};

// What earlier runs of `flow` recorded for `stream`.
StreamHistory history_of(const std::vector<RunRecord>& runs, const std::string& stream, std::size_t limit) {
  StreamHistory h;
  for (const RunRecord& run : runs) {
    bool seen = false, ok = true;
    int64_t rows = 0;
    std::string columns = "[]";
    for (const RunStreamRecord& s : run.streams) {
      if (s.stream != stream) continue;
      seen = true;
      ok = ok && s.status == "ok";
      rows = std::max(rows, s.rows);
      if (s.columns != "[]") columns = s.columns;
    }
    if (!seen) continue;
    if (h.last_columns.empty() && columns != "[]") h.last_columns = columns;
    if (ok && h.rows.size() < limit) h.rows.push_back(rows);
  }
  return h;
}

}  // namespace

std::vector<RunFlag> check_run(const Plan& plan, RunRecord& record, StateStore& store) {
  std::vector<RunFlag> all;
  // (flow, stream) -> its records, one per destination
  std::map<std::pair<std::string, std::string>, std::vector<RunStreamRecord*>> streams;
  for (RunStreamRecord& s : record.streams) streams[{s.flow, s.stream}].push_back(&s);
  std::map<std::string, std::vector<RunRecord>> runs_of_flow;
  for (auto& [key, records] : streams) {
    const auto& [flow, stream] = key;
    const FlowDef* def = plan.file.find_flow(flow);
    const bool completed = std::all_of(records.begin(), records.end(), [](const RunStreamRecord* r) {
      return r->status == "ok";
    });
    if (!def || !completed) continue;
    std::vector<RunFlag> flags;
    try {
      auto it = runs_of_flow.find(flow);
      if (it == runs_of_flow.end())
        it = runs_of_flow.emplace(flow, store.flow_runs(flow, static_cast<int>(def->volume_history) + 20)).first;
      const StreamHistory h = history_of(it->second, stream, static_cast<std::size_t>(def->volume_history));
      int64_t rows = 0;
      for (const RunStreamRecord* r : records) rows = std::max(rows, r->rows);
      if (std::string why = volume_anomaly(rows, h.rows, def->volume_zscore); !why.empty())
        flags.push_back({flow, stream, "volume", why});
      if (std::string drift = column_changes(h.last_columns, records.front()->columns); !drift.empty())
        flags.push_back({flow, stream, "schema_drift", "columns changed at the source: " + drift});
    } catch (const std::exception& e) {
      log::warn(flow + "/" + stream + ": cannot read its run history to check this run: " + e.what());
      continue;
    }
    for (const RunFlag& f : flags)
      log::write(log::Level::Warn, {}, flow + "/" + stream + ": " + (f.kind == "volume" ? "volume anomaly: " : "") + f.message,
                 {flow, stream, {}});
    const std::string text = flags_json(flags);
    for (RunStreamRecord* r : records) r->flags = text;
    all.insert(all.end(), flags.begin(), flags.end());
  }
  return all;
}

}  // namespace ingestd

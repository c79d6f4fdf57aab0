#include "monitor/flow_health.hpp"

#include "config/flow_file.hpp"
#include "util/time.hpp"

#include <map>

namespace ingestd {

int64_t rows_of(const RunRecord& run) {
  std::map<std::string, int64_t> per_stream;
  for (const RunStreamRecord& s : run.streams) per_stream[s.stream] = std::max(per_stream[s.stream], s.rows);
  int64_t total = 0;
  for (const auto& [stream, rows] : per_stream) total += rows;
  return total;
}

FlowHealth health_of(const FlowDef& flow, StateStore& store, std::chrono::system_clock::time_point now,
                     std::optional<std::chrono::system_clock::time_point> counting_from) {
  FlowHealth h;
  h.recent = store.flow_runs(flow.name, kRecentRuns);
  h.freshness = freshness_of(flow, h.recent, store.checkpoints(flow.name, std::nullopt), now, counting_from);
  if (!h.recent.empty()) h.last_run = h.recent.front();
  for (const RunRecord& run : h.recent) {
    std::map<std::string, bool> said;  // a stream's flags, once (not once per destination)
    for (const RunStreamRecord& s : run.streams) {
      if (said[s.stream]) continue;
      said[s.stream] = true;
      try {
        const json::Value flags = json::Value::parse(s.flags.empty() ? "[]" : s.flags);
        for (const json::Value& f : flags.as_array())
          h.flags.push_back({run.run_id, run.started_at, s.stream, f["kind"].as_string(), f["message"].as_string()});
      } catch (const std::exception&) {
        // written by something else: nothing to show
      }
    }
  }
  return h;
}

json::Object health_json(const FlowDef& flow, const FlowHealth& h) {
  json::Object o;
  o.set("freshness", flow.freshness_ms ? json::Value(std::to_string(*flow.freshness_ms / 1000) + "s") : json::Value());
  o.set("last_data_at", h.freshness.last_data ? json::Value(utc_timestamp(*h.freshness.last_data)) : json::Value());
  o.set("age_seconds", h.freshness.age_seconds ? json::Value(*h.freshness.age_seconds) : json::Value());
  o.set("stale", json::Value(h.freshness.stale));
  if (h.last_run) {
    json::Object r;
    r.set("run_id", json::Value(h.last_run->run_id));
    r.set("status", json::Value(flow_succeeded(*h.last_run) ? "ok" : h.last_run->ended_at.empty() ? "running" : "failed"));
    r.set("started_at", json::Value(h.last_run->started_at));
    r.set("ended_at", h.last_run->ended_at.empty() ? json::Value() : json::Value(h.last_run->ended_at));
    r.set("rows", json::Value(rows_of(*h.last_run)));
    std::string error;
    for (const RunStreamRecord& s : h.last_run->streams)
      if (!s.error.empty()) error += (error.empty() ? "" : "; ") + s.stream + ": " + s.error;
    r.set("error", error.empty() ? json::Value() : json::Value(error));
    o.set("last_run", json::Value(std::move(r)));
  } else {
    o.set("last_run", json::Value());
  }
  json::Array flags;
  for (const FlowHealth::Flag& f : h.flags) {
    json::Object fo;
    fo.set("run_id", json::Value(f.run_id));
    fo.set("at", json::Value(f.at));
    fo.set("stream", json::Value(f.stream));
    fo.set("kind", json::Value(f.kind));
    fo.set("message", json::Value(f.message));
    flags.push_back(json::Value(std::move(fo)));
  }
  o.set("flags", json::Value(std::move(flags)));
  return o;
}

}  // namespace ingestd

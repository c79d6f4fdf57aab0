#include "monitor/freshness.hpp"

#include "config/flow_file.hpp"
#include "state/state_store.hpp"
#include "util/time.hpp"

namespace ingestd {

bool flow_succeeded(const RunRecord& run) {
  if (run.ended_at.empty() || run.streams.empty()) return false;
  for (const RunStreamRecord& s : run.streams)
    if (s.status != "ok") return false;
  return true;
}

Freshness freshness_of(const FlowDef& flow, const std::vector<RunRecord>& runs,
                       const std::vector<CheckpointRecord>& checkpoints, std::chrono::system_clock::time_point now,
                       std::optional<std::chrono::system_clock::time_point> counting_from) {
  Freshness f;
  auto later = [&](const std::string& text) {
    if (auto t = parse_utc_timestamp(text); t && (!f.last_data || *t > *f.last_data)) f.last_data = t;
  };
  for (const RunRecord& run : runs)
    if (flow_succeeded(run)) {
      later(run.ended_at);
      break;  // newest first
    }
  for (const CheckpointRecord& c : checkpoints)
    if (c.flow == flow.name) later(c.saved_at);
  if (f.last_data) f.age_seconds = std::chrono::duration<double>(now - *f.last_data).count();
  if (flow.freshness_ms) {
    const auto since = f.last_data ? f.last_data : counting_from;
    f.stale = !since || now - *since > std::chrono::milliseconds(*flow.freshness_ms);
  }
  return f;
}

}  // namespace ingestd

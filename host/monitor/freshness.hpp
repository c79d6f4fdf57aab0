// How fresh a flow's data is: the newest successful run's end, or the newest
// checkpoint it committed (a continuous source commits as it goes), against
// the flow's `freshness`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

struct FlowDef;
struct RunRecord;
struct CheckpointRecord;

struct Freshness {
  std::optional<std::chrono::system_clock::time_point> last_data;  // none: never
  std::optional<double> age_seconds;  // since last_data
  bool stale = false;  // freshness is set and no data came for longer (or none ever came)
};

// `runs`: the flow's newest runs (StateStore::flow_runs); `checkpoints`: its
// saved checkpoints. A flow that never had data counts from `counting_from`
// when given (the daemon's start), else is stale at once.
Freshness freshness_of(const FlowDef& flow, const std::vector<RunRecord>& runs,
                       const std::vector<CheckpointRecord>& checkpoints, std::chrono::system_clock::time_point now,
                       std::optional<std::chrono::system_clock::time_point> counting_from = std::nullopt);

// Whether every stream of the flow in `run` completed.
bool flow_succeeded(const RunRecord& run);

}  // namespace ingestd

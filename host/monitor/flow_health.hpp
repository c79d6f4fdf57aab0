// A flow's health as run history tells it: how fresh its data is, its last
// run, and what the checks flagged lately. `ingestd status` prints it; the
// daemon's /status and status page show it.
#pragma once

#include "monitor/freshness.hpp"
#include "state/state_store.hpp"

#include <ingestd/sdk/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace ingestd {

struct FlowDef;

struct FlowHealth {
  Freshness freshness;
  std::optional<RunRecord> last_run;
  struct Flag {
    std::string run_id, at, stream, kind, message;
  };
  std::vector<Flag> flags;        // of its last kRecentRuns runs, newest first
  std::vector<RunRecord> recent;  // those runs, newest first (rows and durations for charts)
};

constexpr int kRecentRuns = 30;

// Throws StateStoreError when the store cannot be read.
FlowHealth health_of(const FlowDef& flow, StateStore& store, std::chrono::system_clock::time_point now,
                     std::optional<std::chrono::system_clock::time_point> counting_from = std::nullopt);

// {"freshness": "2h" | null, "last_data_at", "age_seconds", "stale", "last_run": {run_id, status, started_at,
//  ended_at, rows, error} | null, "flags": [{run_id, at, stream, kind, message}]}
json::Object health_json(const FlowDef& flow, const FlowHealth& health);

// Rows a run read for the flow (the largest figure of each stream's destinations, summed).
int64_t rows_of(const RunRecord& run);

}  // namespace ingestd

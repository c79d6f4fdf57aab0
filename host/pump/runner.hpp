// Runs the flows of a plan: creates the plugin instances, resolves each
// flow's streams, runs the stream jobs (flows side by side, each with its own
// parallelism) and reports.
#pragma once

#include "config/plan.hpp"
#include "pump/run_observer.hpp"
#include "pump/run_stats.hpp"
#include "pump/run_stop.hpp"
#include "state/state_store.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

struct RunOptions {
  bool progress = false;      // live progress on stderr
  bool full_refresh = false;  // ignore stored state: read every stream from the start
  std::string report_path;    // write a JSON run report here when set
  // How long to wait for a flow another run is running: zero gives up at
  // once, nullopt waits without bound.
  std::optional<std::chrono::seconds> wait_for_busy = std::chrono::seconds(0);
  // Run only these flows of the plan (empty: all of them).
  std::vector<std::string> only_flows;
  // Stopped by this from outside (ingestd serve) rather than by the
  // process's SIGINT/SIGTERM, which the run then leaves alone.
  RunStop* stop = nullptr;
  RunObserver* observer = nullptr;
  bool print_summary = true;  // the per-stream table on stdout
  // Sources that can follow changes (CDC) keep following until stopped
  // (ingestd serve) instead of ending once caught up (ingestd run).
  bool follow = false;
  // Ask each source for its catalog rather than use the one kept in the
  // state store (pump/catalog_cache.hpp).
  bool rediscover = false;
  // A cluster worker's unit: run that flow's one stream under the worker's
  // holding (name = flow, stream), which fences its saves. No flow lease is
  // taken; the worker renews the unit and stops the run if it loses it.
  std::optional<LeaseFence> unit;
  // Asked once the unit's streams ended: false when its holding passed to
  // another worker meanwhile, which fails the run even if it had nothing to
  // commit (run history then never shows two workers running a unit at once).
  std::function<bool()> unit_still_held;
};

// Returns the process exit code: 0 all streams completed, 1 a stream failed
// or was stopped, 2 a configuration error surfaced while running, 3 another
// run holds one of the flows (nothing was run). Checkpoints and the run's
// history go to `state`, which also holds each flow's lease while it runs.
int run_plan(const Plan& plan, StateStore& state, const RunOptions& options);

// The streams `flow` reads, resolved as a run resolves them (asking its
// source for its catalog when none is kept). Throws ConfigError, sdk::Error
// or StateStoreError.
std::vector<std::string> flow_stream_names(const Plan& plan, const FlowPlan& flow, StateStore& state);

}  // namespace ingestd

#include "cli/commands.hpp"
#include "config/flow_file.hpp"
#include "config/units.hpp"
#include "loader/plugin_registry.hpp"
#include "config/plan.hpp"
#include "pump/runner.hpp"
#include "state/state_store.hpp"

#include <unistd.h>

namespace ingestd::cli {

int run_command(const GlobalOptions& g, const RunArgs& a) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(a.flows), registry, a.flows_selected);
  // A pool's workers hold its streams one by one, not its flows: a run
  // beside them would read and write the same streams at once.
  if (plan.file.cluster.enabled)
    throw ConfigError(plan.file.cluster.location, "cluster.enabled",
                      "this flow file runs as a pool of workers (ingestd serve); run a flow now through any of them "
                      "(POST /flows/NAME/run on its admin endpoint), or run a copy of the file without [cluster]");
  RunOptions options;
  options.progress = !a.no_progress && g.log_format == "text" && isatty(STDERR_FILENO);
  options.report_path = a.report;
  options.full_refresh = a.full_refresh;
  options.rediscover = a.rediscover;
  if (a.wait_for) {
    std::optional<int64_t> ms = parse_duration_ms(*a.wait_for);
    if (!ms || *ms < 0)
      throw ConfigError("--wait-timeout: '" + *a.wait_for + "' is not a duration (30s, 10m, 2h)");
    options.wait_for_busy = std::chrono::seconds((*ms + 999) / 1000);
  } else if (a.wait) {
    options.wait_for_busy = std::nullopt;
  }
  std::unique_ptr<StateStore> state = open_state_store(plan.file);
  return run_plan(plan, *state, options);
}

}  // namespace ingestd::cli

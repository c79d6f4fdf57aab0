#include "cli/commands.hpp"
#include "config/flow_file.hpp"
#include "loader/plugin_registry.hpp"
#include "pump/plan.hpp"
#include "pump/runner.hpp"
#include "state/state_store.hpp"

#include <unistd.h>

namespace ingestd::cli {

int run_command(const GlobalOptions& g, const RunArgs& a) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(a.flows), registry, a.flows_selected);
  RunOptions options;
  options.progress = !a.no_progress && g.log_format == "text" && isatty(STDERR_FILENO);
  options.report_path = a.report;
  options.full_refresh = a.full_refresh;
  std::unique_ptr<StateStore> state = open_state_store(plan.file);
  return run_plan(plan, *state, options);
}

}  // namespace ingestd::cli

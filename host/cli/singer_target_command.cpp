#include "cli/commands.hpp"
#include "config/flow_file.hpp"
#include "config/names.hpp"
#include "log/logging.hpp"
#include "config/plan.hpp"
#include "singer/singer_target.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

#include <atomic>
#include <cstdio>
#include <iostream>

namespace ingestd::cli {

int singer_target_command(const GlobalOptions& g, const SingerTargetArgs& a) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(a.flows, false), registry);
  const ComponentPlan* destination = nullptr;
  std::vector<std::string> names;
  for (const auto& d : plan.destinations) {
    names.push_back(d.def->name);
    if (d.def->name == a.destination) destination = &d;
  }
  if (!destination)
    throw ConfigError(Location{plan.file.path}, "--destination",
                      "no destination named '" + a.destination +
                          "' (destinations: " + (names.empty() ? "none" : join(names, ", ")) + ")");
  SingerTargetOptions options;
  const PluginDescriptor& dp = destination->plugin->descriptor;
  if (a.load) {
    options.load_mode = load_mode_from_name(*a.load);
    // As run does: a load the destination cannot do is refused, not faked.
    if (!(dp.load_modes & *options.load_mode))
      throw ConfigError(Location{plan.file.path}, "--load",
                        "destination '" + a.destination + "' (plugin " + dp.name + ") does not support " + *a.load +
                            " loads (it supports: " + join(load_mode_names(dp.load_modes), ", ") + ")");
  }
  options.supported_loads = dp.load_modes;
  options.batch_rows = a.batch_rows;
  options.run_id = new_run_id();
  std::atomic<bool> cancelled{false};
  PluginInstance instance(*destination->plugin, destination->def->name, INGESTD_KIND_DESTINATION,
                          destination->options, plan.file.dir, &cancelled);
  // stdin is read only through std::cin here, stdout only through stdio.
  std::ios_base::sync_with_stdio(false);
  try {
    SingerTargetResult r = run_singer_target(instance, std::cin, stdout, options);
    log::write(log::Level::Info, "singer-target",
               std::to_string(r.records) + " record(s) in " + std::to_string(r.streams) + " stream(s), " +
                   std::to_string(r.states) + " state(s) passed on after their commit");
  } catch (const std::exception& e) {
    log::write(log::Level::Error, "singer-target", e.what());
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace ingestd::cli

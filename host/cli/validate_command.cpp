#include "cli/commands.hpp"
#include "config/names.hpp"
#include "config/flow_file.hpp"
#include "loader/plugin_instance.hpp"
#include "log/logging.hpp"
#include "pump/plan.hpp"
#include "util/strings.hpp"

#include <cstdio>

namespace ingestd::cli {

int validate_command(const GlobalOptions& g, const std::string& flows) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(flows), registry, std::nullopt);
  std::printf("%s: valid (%zu source%s, %zu destination%s, %zu flow%s)\n", flows.c_str(), plan.sources.size(),
              plan.sources.size() == 1 ? "" : "s", plan.destinations.size(), plan.destinations.size() == 1 ? "" : "s",
              plan.flows.size(), plan.flows.size() == 1 ? "" : "s");
  for (const auto& f : plan.flows) {
    std::vector<std::string> to;
    for (const auto* d : f.destinations) to.push_back(d->def->name + " (" + d->plugin->descriptor.name + ")");
    std::printf("  flow %s: %s (%s) -> %s; extract %s, load %s\n", f.def->name.c_str(), f.source->def->name.c_str(),
                f.source->plugin->descriptor.name.c_str(), join(to, ", ").c_str(),
                mode_name(f.def->settings.extract_mode, true).c_str(), mode_name(f.def->settings.load_mode, false).c_str());
    for (const auto& [stream, s] : f.def->overrides)
      std::printf("    stream %s: extract %s, load %s\n", stream.c_str(), mode_name(s.extract_mode, true).c_str(),
                  mode_name(s.load_mode, false).c_str());
  }
  return kExitOk;
}

int check_command(const GlobalOptions& g, const std::string& flows) {
  PluginRegistry registry(g.plugin_paths);
  Plan plan = build_plan(load_flow_file(flows), registry, std::nullopt);
  std::atomic<bool> cancelled{false};
  int failures = 0;
  auto check_one = [&](const ComponentPlan& c) {
    std::string label = std::string(c.role == INGESTD_KIND_SOURCE ? "source " : "destination ") + c.def->name +
                        " (" + c.plugin->descriptor.name + ")";
    try {
      PluginInstance instance(*c.plugin, c.def->name, c.role, c.options, plan.file.dir, &cancelled);
      instance.check();
      std::printf("ok    %s\n", label.c_str());
    } catch (const std::exception& e) {
      ++failures;
      std::printf("FAIL  %s: %s\n", label.c_str(), log::redact(e.what()).c_str());
    }
  };
  for (const auto& s : plan.sources) check_one(s);
  for (const auto& d : plan.destinations) check_one(d);
  std::fflush(stdout);
  return failures ? kExitFailed : kExitOk;
}

}  // namespace ingestd::cli

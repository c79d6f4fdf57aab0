// A checked flow file: every component's plugin loaded and its options
// validated, every flow's modes supported. Built without connecting anywhere,
// so `validate` and `run` report configuration mistakes the same way.
#pragma once

#include "config/flow_file.hpp"
#include "loader/plugin_registry.hpp"

#include <ingestd/sdk/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

struct ComponentPlan {
  const ComponentDef* def = nullptr;
  const LoadedPlugin* plugin = nullptr;
  uint32_t role = 0;  // INGESTD_KIND_SOURCE, _DESTINATION or _TRANSFORM
  json::Value options;  // validated and normalised
  // "flows.toml:3:1: sources.shop": where errors about it point.
  std::string where() const;
};

struct FlowPlan {
  const FlowDef* def = nullptr;
  const ComponentPlan* source = nullptr;
  std::vector<const ComponentPlan*> destinations;
  std::map<std::string, const ComponentPlan*> transforms;  // the ones its streams use, by name
  // The transforms a stream's batches pass through, in order.
  std::vector<const ComponentPlan*> transforms_for(const std::string& stream) const;
};

// Components point into `file`: a Plan moves but never copies.
struct Plan {
  Plan() = default;
  Plan(Plan&&) = default;
  Plan& operator=(Plan&&) = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  FlowFile file;
  std::vector<ComponentPlan> sources;
  std::vector<ComponentPlan> destinations;
  std::vector<ComponentPlan> transforms;
  std::vector<FlowPlan> flows;  // only the selected flow when one was named
};

// Throws ConfigError. `only_flow` selects one flow by name.
Plan build_plan(FlowFile file, PluginRegistry& registry, const std::vector<std::string>& only_flows = {});
// The same, but mistakes go to `errors` and the flows without any are planned.
Plan build_plan(FlowFile file, PluginRegistry& registry, ErrorCollector& errors);

}  // namespace ingestd

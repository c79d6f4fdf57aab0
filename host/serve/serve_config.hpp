// The configuration `ingestd serve` runs: a checked flow file and what
// defines each flow, for telling changed flows from unchanged ones when the
// file is reloaded.
#pragma once

#include "config/plan.hpp"

#include <map>
#include <memory>
#include <string>

namespace ingestd {

struct ServeConfig {
  Plan plan;
  // flow -> its entry, its source's and its destinations' plugins and
  // options: a flow whose text here changed is restarted on reload.
  std::map<std::string, std::string> definitions;
};

// Reads and checks the flow file as `ingestd validate` does. Throws
// ConfigError or ConfigErrors, naming file:line and the key.
std::shared_ptr<const ServeConfig> load_serve_config(const std::string& path, PluginRegistry& registry);

}  // namespace ingestd

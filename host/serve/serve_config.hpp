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
// The same for a reload, which must not throw: null and `error` (every
// mistake in the file, joined by "; ") when the file is refused.
std::shared_ptr<const ServeConfig> reload_serve_config(const std::string& path, PluginRegistry& registry,
                                                       std::string& error);

}  // namespace ingestd

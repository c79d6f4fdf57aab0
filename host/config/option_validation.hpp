// Checks a [sources.X] / [destinations.X] config table against the plugin's
// option table and produces the normalised JSON the plugin receives.
#pragma once

#include "config/flow_file.hpp"
#include "loader/plugin_descriptor.hpp"

#include <ingestd/sdk/json.hpp>

#include <string>
#include <vector>

namespace ingestd {

struct ValidatedConfig {
  json::Value options;               // what create() receives as config_json
  std::vector<std::string> secrets;  // values of secret options, for redaction
};

// `section` is "sources" or "destinations"; `role` the matching INGESTD_KIND_*.
// Throws ConfigError (file:line:column, the key, what is valid).
ValidatedConfig validate_config(const ComponentDef& def, const std::string& section,
                                const PluginDescriptor& plugin, uint32_t role);

// Parses an option's default text into its normalised JSON form.
// Throws std::invalid_argument when the plugin's default is malformed.
json::Value parse_default(const OptionInfo& option);

}  // namespace ingestd

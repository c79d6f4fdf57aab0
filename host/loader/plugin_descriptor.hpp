// The host's copy of a plugin's descriptor, read defensively from the C
// struct (respecting struct_size) so that later code never touches raw ABI
// memory.
#pragma once

#include <ingestd/abi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

struct OptionInfo {
  std::string name;
  uint32_t type = INGESTD_OPTION_STRING;
  bool required = false;
  bool secret = false;
  uint32_t kinds = 0;  // 0: every role
  std::optional<std::string> default_value;
  std::vector<std::string> enum_values;
  std::string description;

  bool applies_to(uint32_t role) const { return kinds == 0 || (kinds & role) != 0; }
};

struct PluginDescriptor {
  std::string name;
  std::string version;
  uint32_t kinds = 0;
  std::string description;
  std::string doc_url;
  uint32_t extract_modes = 0;
  uint32_t load_modes = 0;
  std::vector<OptionInfo> options;
  uint32_t max_concurrent_streams = 0;
  // INGESTD_SOURCE_* the source applies; nullopt from plugins older than 1.2.
  std::optional<uint32_t> source_settings;

  const OptionInfo* find_option(const std::string& option_name) const;
  std::vector<std::string> option_names(uint32_t role) const;
};

// Throws std::runtime_error saying what is malformed.
PluginDescriptor read_descriptor(const ingestd_descriptor* d);

}  // namespace ingestd

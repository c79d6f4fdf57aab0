// The names flow files and CLI output use for ABI constants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd {

// "snapshot", "incremental-appends", "incremental-updates"
std::optional<uint32_t> extract_mode_from_name(std::string_view name);
std::vector<std::string> extract_mode_names(uint32_t modes);
// "append", "replace", "merge"
std::optional<uint32_t> load_mode_from_name(std::string_view name);
std::vector<std::string> load_mode_names(uint32_t modes);
// "source", "destination", "transform"
std::vector<std::string> kind_names(uint32_t kinds);
// The one role of a component: "source", "destination" or "transform".
std::string role_name(uint32_t role);
// "string", "int", ..., "json"
std::string option_type_name(uint32_t type);

std::string mode_name(uint32_t single_mode, bool extract);

}  // namespace ingestd

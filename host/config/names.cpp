#include "config/names.hpp"

#include <ingestd/abi.h>

namespace ingestd {

namespace {

struct Named {
  uint32_t bit;
  const char* name;
};

const Named kExtract[] = {{INGESTD_EXTRACT_SNAPSHOT, "snapshot"},
                          {INGESTD_EXTRACT_INCREMENTAL_APPENDS, "incremental-appends"},
                          {INGESTD_EXTRACT_INCREMENTAL_UPDATES, "incremental-updates"}};
const Named kLoad[] = {{INGESTD_LOAD_APPEND, "append"},
                       {INGESTD_LOAD_REPLACE, "replace"},
                       {INGESTD_LOAD_MERGE, "merge"}};
const Named kKinds[] = {{INGESTD_KIND_SOURCE, "source"},
                        {INGESTD_KIND_DESTINATION, "destination"},
                        {INGESTD_KIND_TRANSFORM, "transform"}};

template <std::size_t N>
std::optional<uint32_t> find_bit(const Named (&table)[N], std::string_view name) {
  for (const auto& n : table)
    if (name == n.name) return n.bit;
  return std::nullopt;
}

template <std::size_t N>
std::vector<std::string> names_of(const Named (&table)[N], uint32_t bits) {
  std::vector<std::string> out;
  for (const auto& n : table)
    if (bits & n.bit) out.emplace_back(n.name);
  return out;
}

}  // namespace

std::optional<uint32_t> extract_mode_from_name(std::string_view name) { return find_bit(kExtract, name); }
std::vector<std::string> extract_mode_names(uint32_t modes) { return names_of(kExtract, modes); }
std::optional<uint32_t> load_mode_from_name(std::string_view name) { return find_bit(kLoad, name); }
std::vector<std::string> load_mode_names(uint32_t modes) { return names_of(kLoad, modes); }
std::vector<std::string> kind_names(uint32_t kinds) { return names_of(kKinds, kinds); }

std::string mode_name(uint32_t single_mode, bool extract) {
  auto names = extract ? extract_mode_names(single_mode) : load_mode_names(single_mode);
  return names.empty() ? "unknown" : names.front();
}

std::string option_type_name(uint32_t type) {
  switch (type) {
    case INGESTD_OPTION_STRING: return "string";
    case INGESTD_OPTION_INT: return "int";
    case INGESTD_OPTION_BOOL: return "bool";
    case INGESTD_OPTION_DOUBLE: return "double";
    case INGESTD_OPTION_SIZE: return "size";
    case INGESTD_OPTION_DURATION: return "duration";
    case INGESTD_OPTION_LIST: return "list";
    case INGESTD_OPTION_ENUM: return "enum";
    case INGESTD_OPTION_SECRET: return "secret";
    case INGESTD_OPTION_JSON: return "json";
    default: return "unknown";
  }
}

std::string role_name(uint32_t role) {
  const auto names = names_of(kKinds, role);
  return names.empty() ? std::string("component") : names.front();
}

}  // namespace ingestd

#include "source_options.hpp"

namespace ingestd::plugins::files {

const DeclaredColumn* SourceOptions::declared(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace ingestd::plugins::files

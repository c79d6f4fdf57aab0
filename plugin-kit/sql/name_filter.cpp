#include <ingestd/kit/sql/name_filter.hpp>

#include <fnmatch.h>

namespace ingestd::kit::sql {

bool name_selected(const std::vector<std::string>& patterns, const std::vector<std::string>& names) {
  bool included = false, any_include = false;
  for (const auto& p : patterns) {
    const bool exclude = !p.empty() && p[0] == '!';
    const std::string glob = exclude ? p.substr(1) : p;
    any_include = any_include || !exclude;
    for (const auto& n : names) {
      if (fnmatch(glob.c_str(), n.c_str(), 0) != 0) continue;
      if (exclude) return false;
      included = true;
    }
  }
  return included || !any_include;
}

}  // namespace ingestd::kit::sql

// Which schemas, databases and tables a SQL source reads: globs, "!glob"
// excluding.
#pragma once

#include <string>
#include <vector>

namespace ingestd::kit::sql {

// True when one of `names` (a table's spellings: "orders", "shop.orders")
// matches an including glob of `patterns` and none matches an excluding one;
// patterns with no including glob include everything not excluded.
bool name_selected(const std::vector<std::string>& patterns, const std::vector<std::string>& names);

}  // namespace ingestd::kit::sql

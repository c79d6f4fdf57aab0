// A flow's settings checked against what its source discovered, before a row
// moves: the streams it names exist, merge loads have a primary key (the
// flow's or the source's) whose columns exist, a named cursor exists, and
// streams that need a cursor for incremental reads have one. Used by run,
// check and validate --connect, so that all three reject the same flows.
#pragma once

#include "config/flow_file.hpp"
#include "config/location.hpp"
#include "loader/plugin_instance.hpp"

#include <string>
#include <vector>

namespace ingestd {

// The streams of `flow` that `catalog` has, in the order the flow names them
// (every stream when it names none). Mistakes go to `errors`, each naming
// the flow key; streams with a mistake are left out.
std::vector<const CatalogStream*> check_flow_streams(const FlowDef& flow, const std::vector<CatalogStream>& catalog,
                                                     ErrorCollector& errors);

}  // namespace ingestd

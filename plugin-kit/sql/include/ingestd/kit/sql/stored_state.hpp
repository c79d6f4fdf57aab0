// The state a SQL destination keeps with its rows (`_ingestd_state`), and
// the commit each of them refuses there.
#pragma once

#include <ingestd/sdk/error.hpp>

#include <cstdint>
#include <string>

namespace ingestd::kit::sql {

// A commit whose generation is not newer than the stored one: generations
// grow with the flow's lease, so it comes from a run that lost the lease to
// the run whose state is stored (`stored`: "generation N of run R", or
// "newer state" when not read). Permanent; the caller rolls the rows back.
sdk::Error stale_state_commit(const std::string& key, int64_t generation, const std::string& stored);

}  // namespace ingestd::kit::sql

// Wall-clock time as the host prints and stores it.
#pragma once

#include <string>

namespace ingestd {

// Now, as RFC 3339 UTC with milliseconds: "2026-11-22T04:13:55.061Z".
std::string utc_timestamp();

}  // namespace ingestd

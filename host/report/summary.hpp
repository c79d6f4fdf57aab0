// The table every run ends with: one row per stream and destination.
#pragma once

#include "pump/run_stats.hpp"

#include <cstdio>

namespace ingestd {

void print_summary(RunStats& run, std::FILE* out);

}  // namespace ingestd

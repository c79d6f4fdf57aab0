// A machine-readable account of a run (`ingestd run --report FILE`).
#pragma once

#include "pump/run_stats.hpp"

#include <string>

namespace ingestd {

// Throws std::runtime_error when the file cannot be written.
void write_run_report(RunStats& run, const std::string& path);

}  // namespace ingestd

// A machine-readable account of a run (`ingestd run --report FILE`).
#pragma once

#include "pump/run_stats.hpp"
#include "state/state_store.hpp"

#include <string>

namespace ingestd {

// `record` gives the run's status, times and flow file. `path` "-" writes to
// standard output. Throws std::runtime_error when the file cannot be written.
void write_run_report(RunStats& run, const RunRecord& record, const std::string& path);

}  // namespace ingestd

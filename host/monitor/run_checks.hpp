// The checks made when a run ends, against the stream's own history: the
// rows it moved (volume) and its columns (schema drift at the source).
#pragma once

#include <string>
#include <vector>

namespace ingestd {

struct Plan;
struct RunRecord;
class StateStore;

// One thing a run's checks found odd.
struct RunFlag {
  std::string flow, stream;
  std::string kind;  // volume | schema_drift
  std::string message;
};

// Checks every stream of `record` that completed (all its destinations
// ok): its rows against its last successful runs (the flow's volume_history
// and volume_zscore), its columns against the last run that knew them.
// Writes the flags into the record's streams, logs each as a warning and
// returns them. A history that cannot be read is logged, not thrown.
std::vector<RunFlag> check_run(const Plan& plan, RunRecord& record, StateStore& store);

}  // namespace ingestd

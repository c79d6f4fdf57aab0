// Whether the rows a run moved for a stream are out of line with the
// stream's history: further than `zscore` standard deviations from the
// mean of its last successful runs, or none where it never moved none.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ingestd {

// Fewer earlier runs than this say too little to judge by.
constexpr std::size_t kVolumeMinHistory = 5;

// `history`: rows of earlier successful runs. Returns why the run is odd,
// or "" when it is not (or the history is too short to tell). The standard
// deviation is taken as at least a tenth of the mean and at least one row,
// so that a steady history does not flag every small change.
std::string volume_anomaly(int64_t rows, const std::vector<int64_t>& history, double zscore);

}  // namespace ingestd

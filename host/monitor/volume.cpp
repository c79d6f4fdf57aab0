#include "monitor/volume.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ingestd {

std::string volume_anomaly(int64_t rows, const std::vector<int64_t>& history, double zscore) {
  if (history.size() < kVolumeMinHistory) return "";
  const auto [least, most] = std::minmax_element(history.begin(), history.end());
  const std::string runs = "the last " + std::to_string(history.size()) + " successful runs";
  if (rows == 0 && *least > 0)
    return "moved 0 rows; each of " + runs + " moved between " + std::to_string(*least) + " and " +
           std::to_string(*most);
  double mean = 0;
  for (int64_t h : history) mean += static_cast<double>(h);
  mean /= static_cast<double>(history.size());
  double variance = 0;
  for (int64_t h : history) variance += (static_cast<double>(h) - mean) * (static_cast<double>(h) - mean);
  const double deviation = std::sqrt(variance / static_cast<double>(history.size()));
  const double floor_deviation = std::max({deviation, std::abs(mean) / 10, 1.0});
  const double z = (static_cast<double>(rows) - mean) / floor_deviation;
  if (std::abs(z) <= zscore) return "";
  char text[160];
  std::snprintf(text, sizeof text, "moved %lld rows, %.1f standard deviations %s the mean of %s (%.0f)",
                static_cast<long long>(rows), std::abs(z), z < 0 ? "below" : "above", runs.c_str(), mean);
  return text;
}

}  // namespace ingestd

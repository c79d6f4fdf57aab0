// Wall-clock time as the host prints and stores it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace ingestd {

// Now, as RFC 3339 UTC with milliseconds: "2026-11-22T04:13:55.061Z".
std::string utc_timestamp();
std::string utc_timestamp(std::chrono::system_clock::time_point t);

// "2026-11-22T04:13:55.061Z" (as utc_timestamp writes it; fractions optional)
// back to a time; nullopt when it is not such a timestamp.
std::optional<std::chrono::system_clock::time_point> parse_utc_timestamp(const std::string& text);

// A run's id: its UTC start to the second and 6 random hex digits,
// "20260301T101500Z-3fa2c1".
std::string new_run_id();

}  // namespace ingestd

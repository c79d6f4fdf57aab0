// Small string helpers shared across the host.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd {

std::string join(const std::vector<std::string>& items, std::string_view sep);
std::vector<std::string> split(std::string_view text, char sep);
// "1.5 MiB", "12.0 GiB": sizes for people.
std::string human_bytes(double bytes);
// "3.21 s", "1m02s": durations for people.
std::string human_seconds(double seconds);
// "1,234,567": counts for people.
std::string human_count(int64_t n);

}  // namespace ingestd

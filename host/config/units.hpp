// Sizes ("64MiB") and durations ("30s") as flow files write them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ingestd {

// Bytes. Units: B, K/KiB, M/MiB, G/GiB, T/TiB (powers of 1024), KB, MB, GB,
// TB (powers of 1000). No unit means bytes. nullopt when malformed.
std::optional<int64_t> parse_size(std::string_view text);

// Milliseconds. Units: ms, s, m, h, d, combinable ("1m30s"); a bare number is
// seconds. nullopt when malformed.
std::optional<int64_t> parse_duration_ms(std::string_view text);

}  // namespace ingestd

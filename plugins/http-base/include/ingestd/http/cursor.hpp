// Cursor values as APIs return them (RFC 3339 timestamps, numbers, other
// text), compared and moved back by a lookback.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ingestd::http {

// < 0, 0, > 0. Two timestamps compare as instants, two numbers as numbers,
// anything else as text.
int compare_cursors(std::string_view a, std::string_view b);

// `cursor` moved back: timestamps by `lookback_ms` (written back in RFC 3339,
// UTC), numbers by `lookback_units`; other text is returned as it is.
std::string cursor_minus(const std::string& cursor, int64_t lookback_ms, double lookback_units);

}  // namespace ingestd::http

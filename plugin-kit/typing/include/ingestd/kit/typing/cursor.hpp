// Cursor values as APIs return them (RFC 3339 timestamps, numbers, other
// text), compared and moved back by a lookback.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ingestd::kit::typing {

// < 0, 0, > 0. Two timestamps compare as instants, two numbers as numbers,
// anything else as text.
int compare_cursors(std::string_view a, std::string_view b);

// `cursor` moved back: timestamps by `lookback_ms` (written back in RFC 3339,
// UTC), numbers by `lookback_units`; other text is returned as it is.
std::string cursor_minus(const std::string& cursor, int64_t lookback_ms, double lookback_units);

// A record's cursor as text: `field` names a member, or is a JSON pointer
// ("/meta/updated"). Empty when it is missing or neither a string nor a number.
std::string cursor_of(const simdjson::dom::object& record, const std::string& field);

}  // namespace ingestd::kit::typing

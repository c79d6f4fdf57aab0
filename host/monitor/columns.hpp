// A stream's columns as run history keeps them, and what changed between
// two runs' columns (schema drift at the source).
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <string>

namespace ingestd {

// [{"name": "id", "type": "int64"}, ...]
std::string columns_json(const sdk::Schema& schema);

// "added amount (float64); removed note; price int64 -> float64"; "" when
// nothing changed or either side is unknown ("[]").
std::string column_changes(const std::string& before_json, const std::string& after_json);

}  // namespace ingestd

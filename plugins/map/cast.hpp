// Converting a value of one column type to another, for the map transform's
// `cast`.
#pragma once

#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/reader.hpp>

#include <string>

namespace ingestd::plugins::map {

// Appends value `row` of `from` converted to `to`'s type (nulls stay null)
// and returns true, or returns false with nothing appended when the value
// does not convert (text that is no number, a number out of range, a
// fraction cast to an integer). `scratch` is reused between calls.
bool cast_value(const sdk::ColumnReader& from, int64_t row, sdk::ColumnBuilder& to, std::string& scratch);

}  // namespace ingestd::plugins::map

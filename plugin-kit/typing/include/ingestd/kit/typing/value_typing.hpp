// Type inference for text values (CSV fields, JSON strings) and typed appends,
// shared by the plugins that read untyped data (files, http, webhook).
#pragma once

#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/schema.hpp>

#include <string_view>

namespace ingestd::kit::typing {

// What a sample of values looks like; ordered so that widen() is simple.
enum class Shape { Null, Bool, Int, Float, Date, Timestamp, TimestampLocal, Json, String };

// The narrowest shape `text` fits. Numbers with leading zeros ("007") stay
// strings: they are usually codes, and reading them as numbers loses digits.
Shape classify(std::string_view text);
// The narrowest shape holding values of both shapes.
Shape widen(Shape a, Shape b);
ingestd::sdk::DataType type_of(Shape s);
// The shape of values a column of this type holds.
Shape shape_of(const ingestd::sdk::DataType& t);

// Appends `text` converted to the column's type; false (nothing appended)
// when it does not fit. Strings always fit.
bool append_text(ingestd::sdk::ColumnBuilder& column, std::string_view text);

// True when `text` is valid UTF-8.
bool valid_utf8(std::string_view text);

}  // namespace ingestd::kit::typing

// Column types from a JSON Schema (Singer SCHEMA messages, Airbyte catalogs):
// integer → int64, number → float64, boolean → bool, string → text, or a
// timestamp/date by `format`; objects and arrays → JSON text. "null" in a
// type list only makes the column nullable (every column is).
#pragma once

#include <ingestd/kit/typing/columns.hpp>

#include <ingestd/sdk/json.hpp>

#include <vector>

namespace ingestd::kit::typing {

// The columns of `schema`'s properties, in their order. An object without
// properties yields none: its columns are learned from the records.
std::vector<DeclaredColumn> columns_from_json_schema(const ingestd::json::Value& schema);
// The same columns as a schema (every field nullable).
ingestd::sdk::Schema schema_from_json_schema(const ingestd::json::Value& schema);

}  // namespace ingestd::kit::typing

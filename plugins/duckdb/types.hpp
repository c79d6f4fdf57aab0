// ingestd's types as DuckDB declares them, and back.
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <string>

namespace ingestd::plugins::duck {

// The column type a value of `type` gets.
std::string declared_for(const ingestd::sdk::DataType& type);

// What a column declared `declared` (as duckdb_columns().data_type spells
// it) is read as. Types ingestd has no counterpart for (lists, structs,
// maps, unions, huge integers, intervals, UUIDs) read as text: nested values
// as their JSON.
ingestd::sdk::DataType type_of(const std::string& declared);

// The expression reading column `quoted` of type `declared` so that it
// arrives as type_of(declared).
std::string select_expression(const std::string& quoted, const std::string& declared);

}  // namespace ingestd::plugins::duck

// PostgreSQL types and ingestd column types, both ways.
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <string>

namespace ingestd::plugins::postgres {

// How a source column is read: its ingestd type and the SELECT expression
// that yields a text form the type can parse.
struct SourceColumn {
  std::string name;
  std::string pg_type;  // format_type(): "numeric(12,2)", "timestamp with time zone", ...
  ingestd::sdk::DataType type;
  std::string select;   // a quoted column, or an expression aliased to it
};

// `category` and `kind` are pg_type.typcategory and typtype ('A' arrays,
// 'e' enums). Exact types stay exact: numeric without a precision (or above
// 38 digits) is read as text, never as a float; arrays become JSON text.
SourceColumn source_column(const std::string& name, const std::string& pg_type, char category, char kind);

// The column type a destination creates for an ingestd type.
std::string pg_type_for(const ingestd::sdk::DataType& type);

// What an existing destination column of this PostgreSQL type holds.
ingestd::sdk::DataType type_of_pg(const std::string& pg_type);

}  // namespace ingestd::plugins::postgres

// How SQLite's declared column types map to ingestd column types, and back.
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <string>

namespace ingestd::plugins::sqlite {

// A declared type ("VARCHAR(20)", "timestamp", "") read by SQLite's own
// affinity rules, refined by names SQLite leaves to the application:
// BOOL*, DATE, DATETIME/TIMESTAMP, TIME.
ingestd::sdk::DataType type_from_declared(const std::string& declared);

// The declared type a destination column gets for a column type. Decimals
// are stored as text so that no digit is lost to floating point.
std::string declared_for(const ingestd::sdk::DataType& type);

// The type holding values of both (int64 -> float64 -> string -> binary).
ingestd::sdk::DataType wider(const ingestd::sdk::DataType& a, const ingestd::sdk::DataType& b);

}  // namespace ingestd::plugins::sqlite

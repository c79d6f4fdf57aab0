// The narrowest type holding values of two types, in a database whose
// columns are strictly typed (PostgreSQL, DuckDB): integers and floats mix,
// decimals grow their digits, dates join timestamps, and anything else
// becomes text (bytes stay bytes).
#pragma once

#include <ingestd/sdk/schema.hpp>

namespace ingestd::kit::sql {

sdk::DataType typed_wider(const sdk::DataType& a, const sdk::DataType& b);

}  // namespace ingestd::kit::sql

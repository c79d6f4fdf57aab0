#pragma once
// The postgres plugin is written on the kit's PostgreSQL client: its names
// are used here unqualified.

#include <ingestd/kit/pg/connection.hpp>

namespace ingestd::plugins::postgres {

using kit::pg::Connection;
using kit::pg::ConnectOptions;
using kit::pg::Result;
using kit::pg::quote_ident;
using kit::pg::quote_table;

}  // namespace ingestd::plugins::postgres

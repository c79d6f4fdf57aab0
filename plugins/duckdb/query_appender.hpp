// A statement run over a batch's rows: `sql` reads them as the table
// _ingestd_batch (INSERT INTO t SELECT ... FROM _ingestd_batch). DuckDB's
// query appender takes the batch as Arrow-backed chunks, so values are not
// turned into text or bound one by one.
#pragma once

#include "arrow_input.hpp"

#include <string>

namespace ingestd::plugins::duck {

void run_over_batch(Connection& connection, ArrowInput& input, const sdk::Schema& schema, const ArrowArray& batch,
                    const std::string& sql);

}  // namespace ingestd::plugins::duck

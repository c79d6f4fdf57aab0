// The duckdb destination: Arrow batches into DuckDB tables through the
// C API's Arrow path, every load mode, and the checkpoint stored in the same
// database and transaction as the rows.
#pragma once

#include "duck.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace ingestd::plugins::duck {

// Tables of one destination take turns, each holding this lock from its
// first write to its commit: DuckDB's optimistic transactions would
// otherwise conflict on the shared state table and on the catalog.
using WriterLock = std::mutex;

std::unique_ptr<sdk::DestinationTable> open_destination_table(std::shared_ptr<Database> db,
                                                              const sdk::TableRequest& request, WriterLock& lock);

std::optional<sdk::StoredState> load_stored_state(const std::shared_ptr<Database>& db, const std::string& key);
void clear_stored_state(const std::shared_ptr<Database>& db, const std::string& key);

}  // namespace ingestd::plugins::duck

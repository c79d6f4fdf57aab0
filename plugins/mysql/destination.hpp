// The mysql destination: multi-row INSERTs in a transaction per commit,
// INSERT ... ON DUPLICATE KEY UPDATE for merge (a row delivered again
// unchanged is left as it was), replace into a staging table swapped in by
// RENAME TABLE, and the checkpoint in the same transaction as the data.
#pragma once

#include "connection.hpp"

#include <ingestd/sdk.hpp>

#include <memory>
#include <optional>
#include <string>

namespace ingestd::plugins::mysql {

struct DestinationSettings {
  ConnectOptions connect;
  std::string database;  // empty: the stream's database ("shop.orders"), else the dsn's
};

std::unique_ptr<ingestd::sdk::DestinationTable> open_destination_table(const DestinationSettings& settings,
                                                                       const ingestd::sdk::TableRequest& request);

std::optional<ingestd::sdk::StoredState> load_stored_state(const DestinationSettings& settings, const std::string& key);
void clear_stored_state(const DestinationSettings& settings, const std::string& key);

}  // namespace ingestd::plugins::mysql

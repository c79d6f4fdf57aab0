// The postgres destination: COPY into the table (append) or a staging table
// merged on commit, replace by swap, and the checkpoint in the same
// transaction as the data.
#pragma once

#include "pg_client.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <optional>
#include <string>

namespace ingestd::plugins::postgres {

struct DestinationSettings {
  ConnectOptions connect;
  std::string schema;        // empty: the stream's schema ("public.orders"), else public
  std::string state_schema;  // where _ingestd_state lives
};

std::unique_ptr<ingestd::sdk::DestinationTable> open_destination_table(const DestinationSettings& settings,
                                                                       const ingestd::sdk::TableRequest& request);

std::optional<ingestd::sdk::StoredState> load_stored_state(const DestinationSettings& settings, const std::string& key);
void clear_stored_state(const DestinationSettings& settings, const std::string& key);

}  // namespace ingestd::plugins::postgres

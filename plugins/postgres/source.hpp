// The postgres source: tables and views as "schema.table" streams, read with
// COPY ... TO STDOUT in batches, never a whole table in memory.
#pragma once

#include "pg_client.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::postgres {

struct SourceSettings {
  ConnectOptions connect;
  std::vector<std::string> schemas;  // globs; "!glob" excludes
  std::vector<std::string> tables;   // globs on "table" or "schema.table"; "!glob" excludes
};

std::vector<ingestd::sdk::StreamInfo> discover_streams(Connection& db, const SourceSettings& settings);

// `snapshot`: an exported snapshot id every stream reads in, or empty.
std::unique_ptr<ingestd::sdk::SourceStream> open_source_stream(const SourceSettings& settings,
                                                               const ingestd::sdk::StreamRequest& request,
                                                               const ingestd::sdk::Instance& owner,
                                                               const std::string& snapshot);

}  // namespace ingestd::plugins::postgres

// The mysql source: tables and views as streams, read as the server sends
// them (never held whole), snapshot or incremental on a cursor with the
// primary key breaking ties.
#pragma once

#include "connection.hpp"
#include "types.hpp"

#include <ingestd/sdk.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::mysql {

struct SourceSettings {
  ConnectOptions connect;
  std::vector<std::string> databases;  // globs; "!glob" excludes; empty: the dsn's database, else all
  std::vector<std::string> tables;     // globs on "table" or "database.table"
  ZeroDates zero_dates = ZeroDates::Null;
};

std::vector<ingestd::sdk::StreamInfo> discover_streams(Connection& db, const SourceSettings& settings);

std::unique_ptr<ingestd::sdk::SourceStream> open_source_stream(const SourceSettings& settings,
                                                               const ingestd::sdk::StreamRequest& request,
                                                               const ingestd::sdk::Instance& owner);

}  // namespace ingestd::plugins::mysql

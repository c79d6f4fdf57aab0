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

// How tables are read: with queries, or as changes from the binary log.
enum class Capture { None, Binlog };

struct SourceSettings {
  ConnectOptions connect;
  Capture capture = Capture::None;
  std::vector<std::string> databases;  // globs; "!glob" excludes; empty: the dsn's database, else all
  std::vector<std::string> tables;     // globs on "table" or "database.table"
  ZeroDates zero_dates = ZeroDates::Null;
};

struct TableInfo {
  std::string database, table;
  bool view = false;
  std::vector<SourceColumn> columns;
  std::vector<std::string> primary_key;
};

// A table's columns (in order) and primary key from information_schema; no columns: no such table.
TableInfo describe_table(Connection& db, const std::string& database, const std::string& table);

// "shop.orders" -> {shop, orders}; a name without a dot is in `default_database`.
std::pair<std::string, std::string> split_stream(const std::string& stream, const std::string& default_database);

std::vector<ingestd::sdk::StreamInfo> discover_streams(Connection& db, const SourceSettings& settings);

std::unique_ptr<ingestd::sdk::SourceStream> open_source_stream(const SourceSettings& settings,
                                                               const ingestd::sdk::StreamRequest& request,
                                                               const ingestd::sdk::Instance& owner);

// A change stream's first copy: the table read on a connection already
// inside the consistent snapshot the stream starts from.
std::unique_ptr<ingestd::sdk::SourceStream> open_change_snapshot(const SourceSettings& settings,
                                                                 const ingestd::sdk::StreamRequest& request,
                                                                 const ingestd::sdk::Instance& owner,
                                                                 std::unique_ptr<Connection> in_snapshot);

}  // namespace ingestd::plugins::mysql

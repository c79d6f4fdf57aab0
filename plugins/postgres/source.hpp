// The postgres source: tables and views as "schema.table" streams, read with
// COPY ... TO STDOUT in batches, never a whole table in memory.
#pragma once

#include "pg_client.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::postgres {

enum class Capture { None, Logical };

struct SourceSettings {
  ConnectOptions connect;
  std::vector<std::string> schemas;  // globs; "!glob" excludes
  std::vector<std::string> tables;   // globs on "table" or "schema.table"; "!glob" excludes
  // capture = "logical": changes from a replication slot (logical_stream.hpp).
  Capture capture = Capture::None;
  std::string slot;         // "": ingestd_<flow>_<database>_<schema>_<table>
  std::string publication;  // "": the same name, made for the table
  bool create_slot = true;
  // Snapshot reads of a plain table: connections reading it at once, each a
  // range of its pages (partitioned_copy.hpp).
  int partitions = 1;
};

std::vector<ingestd::sdk::StreamInfo> discover_streams(Connection& db, const SourceSettings& settings);

// `snapshot`: an exported snapshot id every stream reads in, or empty.
std::unique_ptr<ingestd::sdk::SourceStream> open_source_stream(const SourceSettings& settings,
                                                               const ingestd::sdk::StreamRequest& request,
                                                               const ingestd::sdk::Instance& owner,
                                                               const std::string& snapshot);

// The first copy of a change-data-capture stream, read in `snapshot` (the
// slot's exported snapshot): PostgreSQL text forms and _ingestd_deleted false.
std::unique_ptr<ingestd::sdk::SourceStream> open_change_snapshot(const SourceSettings& settings,
                                                                 const ingestd::sdk::StreamRequest& request,
                                                                 const ingestd::sdk::Instance& owner,
                                                                 const std::string& snapshot);

}  // namespace ingestd::plugins::postgres

// The sqlite source: tables and views as streams.
#pragma once

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::sqlite {

class Db;

// Tables and views (not SQLite's or ingestd's own) whose names match one of
// `include` (globs; empty: all), with their columns, keys and cursor candidates.
std::vector<ingestd::sdk::StreamInfo> discover_streams(const Db& db, const std::vector<std::string>& include);

// Reads one table or view over its own connection.
std::unique_ptr<ingestd::sdk::SourceStream> open_source_stream(const std::string& path,
                                                               const ingestd::sdk::StreamRequest& request,
                                                               const ingestd::sdk::Instance& owner);

}  // namespace ingestd::plugins::sqlite

// The duckdb source: tables and views as streams, read as Arrow, snapshot or
// incremental on a cursor column. Tables are read in pages ordered by rowid
// (so memory stays bounded and each page ends at a checkpoint); views are
// read whole in one ordered query.
#pragma once

#include "duck.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::duck {

// `from` is what the stream reads: a table or view name, or a table
// function call (the parquet plugin reads a lake through read_parquet).
struct Relation {
  std::string stream;  // the stream's name
  std::string from;    // SQL naming the rows
  bool has_rowid = false;
  std::vector<std::pair<std::string, std::string>> columns;  // name, DuckDB type
  std::vector<std::string> primary_key;
};

// The tables and views of the database matching `include` (globs; empty: all).
std::vector<Relation> list_relations(Connection& c, const std::vector<std::string>& include);

sdk::StreamInfo stream_info(const Relation& r);

std::unique_ptr<sdk::SourceStream> open_relation_stream(std::shared_ptr<Database> db, Relation relation,
                                                       const sdk::StreamRequest& request);

}  // namespace ingestd::plugins::duck

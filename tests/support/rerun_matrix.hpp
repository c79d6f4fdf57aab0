// The repeated-runs matrix: a source, in every extract mode it supports and
// every load mode allowed with it, runs three times into a destination:
// once, again with nothing new at the source (the idle run a scheduler makes
// most often), and again after a change. Each run must exit 0; the idle run
// must be recorded ok, move no rows an incremental read did not need, rewrite
// no destination row and leave the state as it was; and after every run the
// destination must hold exactly what the mode promises.
#pragma once

#include "support/sqlite_query.hpp"

#include <functional>
#include <string>
#include <vector>

namespace testing {

// A source under test. Rows are the compared columns as the destination
// returns them as text, the key (`columns[0]`) first.
struct RerunSource {
  std::string label;  // "files csv", for messages
  // The [sources.src] table (plugin and config), written into every flow
  // file; called before each run, so it may follow the source's change.
  std::function<std::string()> source_toml;
  std::string stream;               // the stream the flow reads
  std::vector<std::string> columns;  // compared, key first
  std::string cursor;               // for the incremental modes
  std::vector<std::string> extract_modes;
  std::string extra_flow_keys;  // more keys of the [[flows]] table
  // Puts the first version of the data in place, in the workspace folder.
  std::function<void(const std::string& dir)> setup;
  // Changes the source: inserts and updates, no deletes.
  std::function<void(const std::string& dir)> change;
  Rows before;  // what a read delivers before the change (sorted by key)
  Rows delta;   // what an incremental read delivers after the change
  // What a snapshot delivers after the change; empty: `before` merged with
  // `delta` by key (sources whose snapshot repeats a key, such as a folder of
  // files, say so here).
  Rows snapshot_after;
};

// Where the matrix loads: a destination table and how to read it back.
struct RerunDestination {
  std::string label;
  std::string toml;   // the [destinations.dst] table
  std::string table;  // the table the flow writes (set with table = "...")
  // Runs a query against the destination (`dir` is the workspace).
  std::function<Rows(const std::string& dir, const std::string& sql)> query;
  // Empties the destination before each combination (a workspace file needs nothing).
  std::function<void()> reset;
  // What a destination with transactional state keeps, as text; empty for others.
  std::function<std::string(const std::string& dir)> stored_state;
};

// The sqlite destination, dst.db in the workspace, table "t".
RerunDestination sqlite_rerun_destination();

// Runs every mode combination of `source` into `destination`, each in a
// fresh workspace, with doctest checks; combinations that fail are named.
void run_rerun_matrix(const RerunSource& source, const RerunDestination& destination);

}  // namespace testing

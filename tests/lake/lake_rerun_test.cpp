// The repeated-runs matrix into DuckDB and into a Parquet lake (from SQLite,
// every extract mode), and out of DuckDB as a source (into SQLite).
#include "support/duckdb_query.hpp"
#include "support/files.hpp"
#include "support/rerun_matrix.hpp"
#include "support/sqlite_query.hpp"

#include <doctest/doctest.h>

using namespace testing;

namespace {

const Rows kBefore = {{"1", "ann", "1.5"}, {"2", "bob", "2.5"}, {"3", "cy", "3.5"}};
const Rows kDelta = {{"2", "bob jr", "20.5"}, {"4", "dee", "4.5"}, {"5", "eve", "5.5"}};

const char* kCreate = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, amount REAL, updated_at INTEGER);"
                      "INSERT INTO items VALUES (1, 'ann', 1.5, 1), (2, 'bob', 2.5, 2), (3, 'cy', 3.5, 3);";
const char* kChange = "UPDATE items SET name = 'bob jr', amount = 20.5, updated_at = 4 WHERE id = 2;"
                      "INSERT INTO items VALUES (4, 'dee', 4.5, 5), (5, 'eve', 5.5, 6);";

RerunSource sqlite_source() {
  RerunSource s;
  s.label = "sqlite";
  s.source_toml = [] { return std::string("[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"); };
  s.stream = "items";
  s.columns = {"id", "name", "amount"};
  s.cursor = "updated_at";
  s.extract_modes = {"snapshot", "incremental-appends", "incremental-updates"};
  s.setup = [](const std::string& dir) { execute(dir + "/src.db", kCreate); };
  s.change = [](const std::string& dir) { execute(dir + "/src.db", kChange); };
  s.before = kBefore;
  s.delta = kDelta;
  return s;
}

RerunDestination duckdb_destination() {
  RerunDestination d;
  d.label = "duckdb";
  d.toml = "[destinations.dst]\nplugin = \"duckdb\"\nconfig = { path = \"dst.duckdb\" }\n";
  d.table = "t";
  d.query = [](const std::string& dir, const std::string& sql) { return duck_query(dir + "/dst.duckdb", sql); };
  d.stored_state = [](const std::string& dir) {
    std::string out;
    if (duck_scalar(dir + "/dst.duckdb", "SELECT count(*) FROM duckdb_tables() WHERE table_name = '_ingestd_state'") ==
        "0")
      return out;
    for (const auto& row : duck_query(dir + "/dst.duckdb", "SELECT * FROM _ingestd_state ORDER BY key"))
      for (const auto& v : row) out += "|" + v;
    return out;
  };
  return d;
}

RerunDestination parquet_destination() {
  RerunDestination d;
  d.label = "parquet";
  d.toml = "[destinations.dst]\nplugin = \"parquet\"\nconfig = { path = \"lake\" }\n";
  d.table = "t";
  d.query = [](const std::string& dir, const std::string& sql) { return lake_query(dir + "/lake/t", sql); };
  // The manifest: its files and checkpoints (a rewrite shows as new files).
  d.stored_state = [](const std::string& dir) {
    const std::string manifest = dir + "/lake/t/_ingestd_manifest.json";
    return file_exists(manifest) ? read_file(manifest) : std::string();
  };
  return d;
}

}  // namespace

TEST_CASE("rerun: sqlite -> duckdb, every mode: an idle rerun succeeds and rewrites nothing") {
  run_rerun_matrix(sqlite_source(), duckdb_destination());
}

TEST_CASE("rerun: sqlite -> parquet, every mode: an idle rerun succeeds and rewrites nothing") {
  run_rerun_matrix(sqlite_source(), parquet_destination());
}

TEST_CASE("rerun: duckdb -> sqlite, every mode: an idle rerun succeeds and rewrites nothing") {
  RerunSource s = sqlite_source();
  s.label = "duckdb";
  s.source_toml = [] { return std::string("[sources.src]\nplugin = \"duckdb\"\nconfig = { path = \"src.duckdb\" }\n"); };
  s.setup = [](const std::string& dir) {
    duck_execute(dir + "/src.duckdb",
                 "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR, amount DOUBLE, updated_at INTEGER);"
                 "INSERT INTO items VALUES (1, 'ann', 1.5, 1), (2, 'bob', 2.5, 2), (3, 'cy', 3.5, 3);");
  };
  s.change = [](const std::string& dir) { duck_execute(dir + "/src.duckdb", kChange); };
  run_rerun_matrix(s, sqlite_rerun_destination());
}

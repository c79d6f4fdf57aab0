// The repeated-runs matrix for sources that need no server: CSV and JSON
// Lines files, SQLite, and generated rows, each into SQLite.
#include "support/files.hpp"
#include "support/rerun_matrix.hpp"
#include "support/sqlite_query.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace testing;

namespace {

// The same items everywhere: three rows, then one updated and two added.
const Rows kBefore = {{"1", "ann", "1.5"}, {"2", "bob", "2.5"}, {"3", "cy", "3.5"}};
const Rows kDelta = {{"2", "bob jr", "20.5"}, {"4", "dee", "4.5"}, {"5", "eve", "5.5"}};

std::string csv(const Rows& rows, int first_time) {
  std::string out = "id,name,amount,updated_at\n";
  int t = first_time;
  for (const auto& r : rows)
    out += r[0] + "," + r[1] + "," + r[2] + ",2026-01-01T00:00:0" + std::to_string(t++) + "Z\n";
  return out;
}

std::string jsonl(const Rows& rows, int first_time) {
  std::string out;
  int t = first_time;
  for (const auto& r : rows)
    out += "{\"id\":" + r[0] + ",\"name\":\"" + r[1] + "\",\"amount\":" + r[2] +
           ",\"updated_at\":\"2026-01-01T00:00:0" + std::to_string(t++) + "Z\"}\n";
  return out;
}

// A folder source: the change is a second file, so a snapshot after it
// delivers the updated key twice (once per file).
RerunSource files_source(const std::string& label, const std::string& ext,
                         std::string (*format)(const Rows&, int)) {
  RerunSource s;
  s.label = label;
  s.source_toml = [ext] {
    return "[sources.src]\nplugin = \"files\"\nconfig = { path = \"in/*." + ext + "\", stream = \"items\" }\n";
  };
  s.stream = "items";
  s.columns = {"id", "name", "amount"};
  s.extract_modes = {"snapshot", "incremental-appends"};
  s.setup = [ext, format](const std::string& dir) { write_file(dir + "/in/items_1." + ext, format(kBefore, 1)); };
  s.change = [ext, format](const std::string& dir) { write_file(dir + "/in/items_2." + ext, format(kDelta, 4)); };
  s.before = kBefore;
  s.delta = kDelta;
  s.snapshot_after = kBefore;
  s.snapshot_after.insert(s.snapshot_after.end(), kDelta.begin(), kDelta.end());
  return s;
}

}  // namespace

TEST_CASE("rerun: files (CSV), every mode: an idle rerun succeeds and rewrites nothing") {
  run_rerun_matrix(files_source("files csv", "csv", csv), sqlite_rerun_destination());
}

TEST_CASE("rerun: files (JSON Lines), every mode: an idle rerun succeeds and rewrites nothing") {
  run_rerun_matrix(files_source("files jsonl", "jsonl", jsonl), sqlite_rerun_destination());
}

TEST_CASE("rerun: sqlite, every mode: an idle rerun succeeds and rewrites nothing") {
  RerunSource s;
  s.label = "sqlite";
  s.source_toml = [] { return std::string("[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"); };
  s.stream = "items";
  s.columns = {"id", "name", "amount"};
  s.cursor = "updated_at";
  s.extract_modes = {"snapshot", "incremental-appends", "incremental-updates"};
  s.setup = [](const std::string& dir) {
    execute(dir + "/src.db",
            "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, amount REAL, updated_at INTEGER);"
            "INSERT INTO items VALUES (1, 'ann', 1.5, 1), (2, 'bob', 2.5, 2), (3, 'cy', 3.5, 3);");
  };
  s.change = [](const std::string& dir) {
    execute(dir + "/src.db",
            "UPDATE items SET name = 'bob jr', amount = 20.5, updated_at = 4 WHERE id = 2;"
            "INSERT INTO items VALUES (4, 'dee', 4.5, 5), (5, 'eve', 5.5, 6);");
  };
  s.before = kBefore;
  s.delta = kDelta;
  run_rerun_matrix(s, sqlite_rerun_destination());
}

TEST_CASE("rerun: generate, every mode: an idle rerun succeeds and rewrites nothing") {
  auto rows = std::make_shared<int>(5);
  RerunSource s;
  s.label = "generate";
  s.source_toml = [rows] {
    return "[sources.src]\nplugin = \"generate\"\nconfig = { rows = " + std::to_string(*rows) + ", columns = 3 }\n";
  };
  s.stream = "generated";
  s.columns = {"id"};
  s.cursor = "id";
  s.extract_modes = {"snapshot", "incremental-appends"};
  s.setup = [rows](const std::string&) { *rows = 5; };
  s.change = [rows](const std::string&) { *rows = 8; };
  s.before = {{"1"}, {"2"}, {"3"}, {"4"}, {"5"}};
  s.delta = {{"6"}, {"7"}, {"8"}};
  run_rerun_matrix(s, sqlite_rerun_destination());
}

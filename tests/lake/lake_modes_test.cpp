// Load modes of the parquet and duckdb destinations beyond the rerun matrix:
// partitions over several runs, a replace that fails halfway, merges with
// deletes, and delete_stale.
#include "e2e.hpp"
#include "support/duckdb_query.hpp"

#include <algorithm>
#include <set>

using namespace e2e;
using ingestd::json::Value;
using testing::duck_query;
using testing::duck_scalar;
using testing::lake_files;
using testing::lake_query;
using testing::parquet_files_on_disk;
using testing::Rows;

namespace {

// 100 rows for each of three days, ids from `first`.
std::string day_csv(int first) {
  std::string out = "id,day,amount\n";
  const char* days[] = {"2024-03-01", "2024-03-02", "2024-03-03"};
  for (int d = 0; d < 3; ++d)
    for (int i = 0; i < 100; ++i) out += std::to_string(first++) + "," + days[d] + "," + std::to_string(i) + ".5\n";
  return out;
}

std::string lake_flow(const std::string& config, const std::string& flow_keys) {
  return "[sources.src]\nplugin = \"files\"\nconfig = { path = \"in/*.csv\", stream = \"items\" }\n"
         "[destinations.dst]\nplugin = \"parquet\"\nconfig = { path = \"lake\"" + config + " }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n" + flow_keys;
}

std::string folder_of(const std::string& file) { return file.substr(0, file.rfind('/')); }

}  // namespace

TEST_CASE("parquet: a partitioned lake gets three partitions per run over several runs, files listed and named per run") {
  Workspace w;
  w.write("flows.toml", lake_flow(", partition_by = [\"day\"]", "extract = \"incremental-appends\"\n"));
  std::set<std::string> seen_files;
  for (int run = 1; run <= 4; ++run) {
    w.write("in/items_" + std::to_string(run) + ".csv", day_csv((run - 1) * 300 + 1));
    Value report;
    Result r;
    report = w.run_with_report(r);
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    const std::string run_id = report["run_id"].as_string();
    const std::vector<std::string> files = lake_files(w.path("lake/items"));
    // Three new files, one per day folder, named after this run; the old ones stay.
    std::vector<std::string> added;
    for (const auto& f : files)
      if (!seen_files.count(f)) added.push_back(f);
    REQUIRE(added.size() == 3);
    std::set<std::string> folders;
    for (const auto& f : added) {
      folders.insert(folder_of(f).substr(folder_of(f).rfind('/') + 1));
      CHECK_MESSAGE(f.find(run_id) != std::string::npos, f);
    }
    CHECK(folders == std::set<std::string>{"day=2024-03-01", "day=2024-03-02", "day=2024-03-03"});
    seen_files.insert(added.begin(), added.end());
    CHECK(files.size() == seen_files.size());
    // What readers find: every row once, 100 per day per run; nothing unlisted on disk.
    CHECK(lake_query(w.path("lake/items"), "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM t") ==
          Rows{{std::to_string(run * 300), std::to_string(run * 300), "1", std::to_string(run * 300)}});
    CHECK(lake_query(w.path("lake/items"), "SELECT day, count(*) FROM t GROUP BY day ORDER BY day") ==
          Rows{{"2024-03-01", std::to_string(run * 100)},
               {"2024-03-02", std::to_string(run * 100)},
               {"2024-03-03", std::to_string(run * 100)}});
    CHECK(parquet_files_on_disk(w.path("lake/items")) == files);
    // The idle rerun adds no file.
    Result idle = w.ingestd({"run", "flows.toml"});
    REQUIRE_MESSAGE(idle.exit_code == 0, dump(idle));
    CHECK(lake_files(w.path("lake/items")) == files);
  }
  // The manifest's row counts match the files.
  const Value manifest = Value::parse(w.read("lake/items/_ingestd_manifest.json"));
  CHECK(manifest["rows"].as_int() == 1200);
  int64_t listed = 0;
  for (const auto& f : manifest["files"].as_array()) listed += f["rows"].as_int();
  CHECK(listed == 1200);
}

TEST_CASE("parquet: partitions by the run's date and id are reserved names") {
  Workspace w;
  w.write("in/items_1.csv", day_csv(1));
  w.write("flows.toml", lake_flow(", partition_by = [\"_ingestd_run_date\", \"_ingestd_run_id\"]", ""));
  Value report;
  Result r;
  report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::vector<std::string> files = lake_files(w.path("lake/items"));
  REQUIRE(files.size() == 1);
  const std::string today = duck_scalar(":memory:", "SELECT CURRENT_DATE");
  CHECK_MESSAGE(files[0].find("/_ingestd_run_date=" + today + "/_ingestd_run_id=" + report["run_id"].as_string() + "/") !=
                    std::string::npos,
                files[0]);
  // An unknown partition column is named with the columns there are.
  w.write("flows.toml", lake_flow(", partition_by = [\"region\"]", ""));
  Result bad = w.ingestd({"run", "flows.toml"});
  CHECK(bad.exit_code != 0);
  CHECK_MESSAGE(contains(bad.out + bad.err, "partition_by: 'region' is not a column of items (columns: id, day, amount"),
                dump(bad));
}

TEST_CASE("parquet: a replace swaps the table whole, and one that fails halfway leaves the old table and no file behind") {
  Workspace w;
  w.write("in/items_1.csv", day_csv(1));
  w.write("flows.toml", lake_flow("", "load = \"replace\"\nbatch_rows = 50\n"));
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::vector<std::string> first = lake_files(w.path("lake/items"));
  REQUIRE_FALSE(first.empty());
  // A second file: the replace holds both files' rows, in new files only.
  w.write("in/items_2.csv", day_csv(301));
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::vector<std::string> second = lake_files(w.path("lake/items"));
  for (const auto& f : second) CHECK(std::find(first.begin(), first.end(), f) == first.end());
  CHECK(parquet_files_on_disk(w.path("lake/items")) == second);
  CHECK(lake_query(w.path("lake/items"), "SELECT count(*), count(DISTINCT id) FROM t") == Rows{{"600", "600"}});
  // A third file breaks halfway through the read: the run fails, the table is the second one.
  w.write("in/items_3.csv", day_csv(601) + "oops,not-a-date,x,extra\n");
  r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK(lake_files(w.path("lake/items")) == second);
  CHECK(parquet_files_on_disk(w.path("lake/items")) == second);
  CHECK_FALSE(contains(w.read("lake/items/_ingestd_manifest.json"), "replacing"));
}

TEST_CASE("parquet: merge keeps the latest version per key, deletes mark or remove, an unchanged snapshot rewrites no file") {
  Workspace w;
  testing::execute(w.path("src.db"),
                   "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, version INTEGER, gone INTEGER DEFAULT 0);"
                   "INSERT INTO items (id, name, version) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3), (4, 'd', 4);");
  auto flow = [](const std::string& extract, bool hard) {
    return std::string("[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                       "[destinations.dst]\nplugin = \"parquet\"\nconfig = { path = \"lake\" }\n"
                       "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nload = \"merge\"\nprimary_key = \"id\"\n"
                       "extract = \"") + extract + "\"\n" +
           (extract == "snapshot" ? "" : "cursor = \"version\"\ndeleted_column = \"gone\"\n") +
           (hard ? "hard_delete = true\n" : "");
  };
  w.write("flows.toml", flow("incremental-updates", false));
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  testing::execute(w.path("src.db"),
                   "UPDATE items SET name = 'b2', version = 5 WHERE id = 2; UPDATE items SET gone = 1, version = 6 "
                   "WHERE id = 3; INSERT INTO items (id, name, version) VALUES (5, 'e', 7);");
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::string select =
      "SELECT id, name, version, _ingestd_deleted FROM t ORDER BY id";
  // A deleted row keeps the values last loaded (version 3), marked, as in the SQL destinations.
  CHECK(lake_query(w.path("lake/items"), select) ==
        Rows{{"1", "a", "1", "false"}, {"2", "b2", "5", "false"}, {"3", "c", "3", "true"}, {"4", "d", "4", "false"},
             {"5", "e", "7", "false"}});
  // Old files are gone once the rewrite is listed.
  CHECK(parquet_files_on_disk(w.path("lake/items")) == lake_files(w.path("lake/items")));
  // Hard deletes remove the row.
  w.write("flows.toml", flow("incremental-updates", true));
  testing::execute(w.path("src.db"), "UPDATE items SET gone = 1, version = 8 WHERE id = 4;");
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(lake_query(w.path("lake/items"), "SELECT id FROM t ORDER BY id") == Rows{{"1"}, {"2"}, {"3"}, {"5"}});
  // A snapshot delivering the same rows again changes nothing: not a file rewritten.
  testing::execute(w.path("src.db"), "DELETE FROM items WHERE gone = 1;");
  w.write("flows.toml", flow("snapshot", false));
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::vector<std::string> files = lake_files(w.path("lake/items"));
  const Rows table = lake_query(w.path("lake/items"), "SELECT * FROM t ORDER BY id");
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(lake_files(w.path("lake/items")) == files);
  CHECK(lake_query(w.path("lake/items"), "SELECT * FROM t ORDER BY id") == table);
}

TEST_CASE("duckdb: merge with delete_stale marks rows a complete snapshot lacks, and a failed replace keeps the old table") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);"
                                     "INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c');");
  w.write("flows.toml",
          "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
          "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"in/*.csv\", stream = \"rows\" }\n"
          "[destinations.dst]\nplugin = \"duckdb\"\nconfig = { path = \"dst.duckdb\" }\n"
          "[[flows]]\nname = \"m\"\nfrom = \"src\"\nto = \"dst\"\nload = \"merge\"\nprimary_key = \"id\"\n"
          "delete_stale = true\n"
          "[[flows]]\nname = \"r\"\nfrom = \"csv\"\nto = \"dst\"\nload = \"replace\"\nbatch_rows = 50\n");
  w.write("in/a.csv", day_csv(1));
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  testing::execute(w.path("src.db"), "DELETE FROM items WHERE id = 2; UPDATE items SET name = 'c2' WHERE id = 3;");
  w.write("in/b.csv", day_csv(301) + "oops,not-a-date,x,extra\n");
  r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code != 0);  // the replace flow failed
  CHECK(duck_query(w.path("dst.duckdb"), "SELECT id, name, _ingestd_deleted FROM items ORDER BY id") ==
        Rows{{"1", "a", "false"}, {"2", "b", "true"}, {"3", "c2", "false"}});
  CHECK(duck_query(w.path("dst.duckdb"), "SELECT count(*), max(id) FROM \"rows\"") == Rows{{"300", "300"}});
  // No table of the failed replace is left behind.
  CHECK(duck_scalar(w.path("dst.duckdb"),
                    "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '\\_ingestd\\_stage%' ESCAPE '\\'") ==
        "0");
}

TEST_CASE("duckdb and parquet: a new column and a wider type evolve the table, and the lake's files differ in columns") {
  Workspace w;
  w.write("in/a.csv", "id,amount\n1,5\n2,6\n");
  w.write("flows.toml",
          "[sources.src]\nplugin = \"files\"\nconfig = { path = \"in/*.csv\", stream = \"items\" }\n"
          "[destinations.db]\nplugin = \"duckdb\"\nconfig = { path = \"dst.duckdb\" }\n"
          "[destinations.lake]\nplugin = \"parquet\"\nconfig = { path = \"lake\" }\n"
          "[[flows]]\nname = \"d\"\nfrom = \"src\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
          "[[flows]]\nname = \"l\"\nfrom = \"src\"\nto = \"lake\"\nextract = \"incremental-appends\"\n");
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(duck_scalar(w.path("dst.duckdb"), "SELECT data_type FROM duckdb_columns() WHERE column_name = 'amount'") ==
        "BIGINT");
  w.write("in/b.csv", "id,amount,note\n3,7.25,late\n");
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::string select = "SELECT id, amount, note FROM items ORDER BY id";
  const Rows expected{{"1", "5.0", "NULL"}, {"2", "6.0", "NULL"}, {"3", "7.25", "late"}};
  CHECK(duck_query(w.path("dst.duckdb"), select) == expected);
  CHECK(duck_query(w.path("dst.duckdb"), "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = "
                                          "'items' AND column_name IN ('amount', 'note') ORDER BY 1") ==
        Rows{{"amount", "DOUBLE"}, {"note", "VARCHAR"}});
  CHECK(lake_query(w.path("lake/items"), "SELECT id, amount, note FROM t ORDER BY id") == expected);
  CHECK(lake_files(w.path("lake/items")).size() == 2);
}

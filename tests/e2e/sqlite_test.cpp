// The sqlite plugin through the real binary: extract modes, load modes,
// deletes, schema changes and types, checked by reading the databases back.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using ingestd::json::Value;
using testing::query;
using testing::Rows;
using testing::scalar;

namespace {

// A flow from a SQLite source to a SQLite destination, with extra flow keys.
std::string sqlite_flow(const std::string& flow_keys, const std::string& destination_table_keys = "") {
  return "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
         "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n" +
         flow_keys + destination_table_keys;
}

Result run_ok(const Workspace& w, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"run", "flows.toml"};
  args.insert(args.end(), extra.begin(), extra.end());
  Result r = w.ingestd(args);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return r;
}

}  // namespace

TEST_CASE("sqlite: types survive CSV -> SQLite -> JSON Lines, NULLs and Unicode included") {
  Workspace w;
  w.write("t.csv",
          "id,small,price,ok,name,day,at,clock,amount\n"
          "1,-7,1.25,true,caf\xC3\xA9 \xE2\x82\xAC,2024-02-29,2024-01-02T03:04:05.123456Z,13:14:15,12.50\n"
          "2,,,,,,,,\n"
          "3,2147483647,-0.5,false,\"\",1970-01-01,1969-12-31T23:59:59Z,00:00:00,-0.01\n");
  w.write("flows.toml",
          "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\", columns = [\"id:int64\", \"small:int32\", "
          "\"price:float64\", \"ok:bool\", \"name:string\", \"day:date\", \"at:timestamp\", \"clock:time\", "
          "\"amount:decimal(10,2)\"] }\n"
          "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
          "[sources.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"load\"\nfrom = \"csv\"\nto = \"db\"\n"
          "[[flows]]\nname = \"back\"\nfrom = \"db\"\nto = \"out\"\n");
  run_ok(w, {"--flow", "load"});
  CHECK(query(w.path("w.db"), "SELECT name, type FROM pragma_table_info('t')") ==
        Rows{{"id", "INTEGER"},   {"small", "INTEGER"}, {"price", "REAL"},   {"ok", "BOOLEAN"},
             {"name", "TEXT"},    {"day", "DATE"},      {"at", "TIMESTAMP"}, {"clock", "TIME"},
             {"amount", "TEXT"},  {"_ingestd_synced_at", "TIMESTAMP"},      {"_ingestd_deleted", "BOOLEAN"},
             {"_ingestd_run_id", "TEXT"}});
  CHECK(query(w.path("w.db"), "SELECT typeof(amount), amount, typeof(name), name FROM t ORDER BY id") ==
        Rows{{"text", "12.50", "text", "caf\xC3\xA9 \xE2\x82\xAC"}, {"null", "NULL", "null", "NULL"}, {"text", "-0.01", "text", ""}});
  run_ok(w, {"--flow", "back"});
  auto lines = w.lines("out/t.jsonl");
  REQUIRE(lines.size() == 3);
  Value first = Value::parse(lines[0]);
  CHECK(first["small"].as_int() == -7);
  CHECK(first["price"].as_double() == 1.25);
  CHECK(first["ok"].as_bool());
  CHECK(first["name"].as_string() == "caf\xC3\xA9 \xE2\x82\xAC");
  CHECK(first["day"].as_string() == "2024-02-29");
  CHECK(first["at"].as_string() == "2024-01-02T03:04:05.123456Z");
  CHECK(first["clock"].as_string() == "13:14:15");
  CHECK(first["amount"].as_string() == "12.50");
  CHECK_FALSE(first["_ingestd_deleted"].as_bool());
  CHECK(first["_ingestd_run_id"].is_string());
  Value second = Value::parse(lines[1]);
  for (const char* k : {"small", "price", "ok", "name", "day", "at", "clock", "amount"}) CHECK_MESSAGE(second[k].is_null(), k);
  Value third = Value::parse(lines[2]);
  CHECK(third["at"].as_string() == "1969-12-31T23:59:59Z");
  CHECK(third["name"].as_string() == "");
}

TEST_CASE("sqlite: incremental-appends resume exactly after the last row, ties on the cursor included") {
  Workspace w;
  testing::execute(w.path("src.db"),
                   "CREATE TABLE events (id INTEGER PRIMARY KEY, at INTEGER, what TEXT);"
                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
                   "INSERT INTO events SELECT i, 1, 'e' || i FROM n;");
  w.write("flows.toml", sqlite_flow("extract = \"incremental-appends\"\ncursor = \"at\"\nbatch_rows = 3\n"));
  run_ok(w);
  CHECK(scalar(w.path("dst.db"), "SELECT count(*) FROM events") == "10");
  // A late row with the same cursor value as the last one read, and new ones.
  testing::execute(w.path("src.db"), "INSERT INTO events VALUES (11, 1, 'late tie'), (12, 2, 'new'), (13, 3, 'newer');");
  run_ok(w);
  CHECK(scalar(w.path("dst.db"), "SELECT count(*) FROM events") == "13");
  CHECK(scalar(w.path("dst.db"), "SELECT count(DISTINCT id) FROM events") == "13");
  run_ok(w);  // nothing new: nothing moves
  CHECK(scalar(w.path("dst.db"), "SELECT count(*) FROM events") == "13");
  CHECK(scalar(w.path("dst.db"), "SELECT checkpoint FROM _ingestd_state") == "{\"cursor\":3,\"rowid\":13}");
}

TEST_CASE("sqlite: start limits the first run: lookback re-reads late rows and merge absorbs them") {
  Workspace w;
  testing::execute(w.path("src.db"),
                   "CREATE TABLE m (id INTEGER PRIMARY KEY, ts TEXT, v INTEGER);"
                   "INSERT INTO m VALUES (1, '2024-01-01T00:00:00Z', 1), (2, '2024-01-02T00:00:00Z', 2), "
                   "(3, '2024-01-03T00:00:00Z', 3);");
  w.write("flows.toml", sqlite_flow("extract = \"incremental-appends\"\ncursor = \"ts\"\nload = \"merge\"\n"
                                    "primary_key = \"id\"\nstart = \"2024-01-02T00:00:00Z\"\nlookback = \"36h\"\n"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(query(w.path("dst.db"), "SELECT id FROM m ORDER BY id") == Rows{{"2"}, {"3"}});
  // A row arriving late, inside the lookback window of the last cursor.
  testing::execute(w.path("src.db"), "INSERT INTO m VALUES (4, '2024-01-02T12:00:00Z', 4);");
  report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "m")["rows"].as_int() == 3);  // 2, 3 and the late 4: all within 36h of the cursor
  CHECK(query(w.path("dst.db"), "SELECT id, v FROM m ORDER BY id") == Rows{{"2", "2"}, {"3", "3"}, {"4", "4"}});
}

TEST_CASE("sqlite: incremental-updates merge updates, soft deletes mark and hard deletes remove") {
  Workspace w;
  testing::execute(w.path("src.db"),
                   "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, version INTEGER, gone INTEGER DEFAULT 0);"
                   "INSERT INTO users VALUES (1, 'ann', 1, 0), (2, 'bob', 2, 0), (3, 'cy', 3, 0);");
  w.write("flows.toml",
          "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
          "[destinations.soft]\nplugin = \"sqlite\"\nconfig = { path = \"soft.db\" }\n"
          "[destinations.hard]\nplugin = \"sqlite\"\nconfig = { path = \"hard.db\" }\n"
          "[[flows]]\nname = \"soft\"\nfrom = \"src\"\nto = \"soft\"\nextract = \"incremental-updates\"\n"
          "cursor = \"version\"\nload = \"merge\"\ndeleted_column = \"gone\"\n"
          "[[flows]]\nname = \"hard\"\nfrom = \"src\"\nto = \"hard\"\nextract = \"incremental-updates\"\n"
          "cursor = \"version\"\nload = \"merge\"\ndeleted_column = \"gone\"\nhard_delete = true\n");
  run_ok(w);
  testing::execute(w.path("src.db"), "UPDATE users SET name = 'bobby', version = 4 WHERE id = 2;"
                                     "UPDATE users SET gone = 1, version = 5 WHERE id = 3;");
  run_ok(w);
  CHECK(query(w.path("soft.db"), "SELECT id, name, _ingestd_deleted FROM users ORDER BY id") ==
        Rows{{"1", "ann", "0"}, {"2", "bobby", "0"}, {"3", "cy", "1"}});
  CHECK(query(w.path("hard.db"), "SELECT id, name FROM users ORDER BY id") == Rows{{"1", "ann"}, {"2", "bobby"}});
}

TEST_CASE("sqlite: replace swaps in the new table: a failed replace leaves the old one whole") {
  Workspace w;
  w.write("t.csv", "id,v\n1,a\n2,b\n");
  std::string flows = "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\" }\n"
                      "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
                      "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"db\"\nload = \"replace\"\nbatch_rows = 2\n";
  w.write("flows.toml", flows);
  run_ok(w);
  w.write("t.csv", "id,v\n3,c\n");
  run_ok(w);
  CHECK(query(w.path("w.db"), "SELECT id, v FROM t") == Rows{{"3", "c"}});
  w.write("t.csv", "id,v\n4,d\n5,e\n6,f,oops\n");
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(query(w.path("w.db"), "SELECT id, v FROM t") == Rows{{"3", "c"}});
  CHECK(scalar(w.path("w.db"), "SELECT count(*) FROM sqlite_schema WHERE name LIKE '_ingestd_stage%'") == "0");
}

TEST_CASE("sqlite: delete_stale marks or removes rows a complete snapshot did not deliver") {
  Workspace w;
  w.write("t.csv", "id,v\n1,a\n2,b\n3,c\n");
  std::string base = "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\" }\n"
                     "[destinations.soft]\nplugin = \"sqlite\"\nconfig = { path = \"soft.db\" }\n"
                     "[destinations.hard]\nplugin = \"sqlite\"\nconfig = { path = \"hard.db\" }\n"
                     "[[flows]]\nname = \"s\"\nfrom = \"csv\"\nto = \"soft\"\nload = \"merge\"\nprimary_key = \"id\"\n"
                     "delete_stale = true\n"
                     "[[flows]]\nname = \"h\"\nfrom = \"csv\"\nto = \"hard\"\nload = \"merge\"\nprimary_key = \"id\"\n"
                     "delete_stale = true\nhard_delete = true\n";
  w.write("flows.toml", base);
  run_ok(w);
  w.write("t.csv", "id,v\n1,a\n3,cc\n");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(query(w.path("soft.db"), "SELECT id, v, _ingestd_deleted FROM t ORDER BY id") ==
        Rows{{"1", "a", "0"}, {"2", "b", "1"}, {"3", "cc", "0"}});
  CHECK(query(w.path("hard.db"), "SELECT id, v FROM t ORDER BY id") == Rows{{"1", "a"}, {"3", "cc"}});
  // delete_stale only makes sense for complete snapshots merged on a key.
  w.write("flows.toml", base + "extract = \"incremental-appends\"\n");
  r = w.ingestd({"validate", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "delete_stale needs extract = \"snapshot\" and load = \"merge\""));
}

TEST_CASE("sqlite: schema changes evolve, freeze or discard: removed columns stay, NULL from then on") {
  Workspace w;
  w.write("t.csv", "id,a\n1,x\n");
  auto flows = [](const std::string& policy) {
    return "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\" }\n"
           "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
           "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"db\"\nload = \"merge\"\nprimary_key = \"id\"\n"
           "schema_changes = \"" + policy + "\"\n";
  };
  w.write("flows.toml", flows("evolve"));
  run_ok(w);
  w.write("t.csv", "id,a,b\n2,y,7\n");
  w.write("flows.toml", flows("freeze"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "table t would need to change and schema_changes = \"freeze\": new columns b (int64)"));
  w.write("flows.toml", flows("discard"));
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "t")["destinations"].as_array()[0]["rows"].as_int() == 1);
  CHECK(query(w.path("w.db"), "SELECT id, a FROM t ORDER BY id") == Rows{{"1", "x"}, {"2", "y"}});
  CHECK(scalar(w.path("w.db"), "SELECT count(*) FROM pragma_table_info('t') WHERE name = 'b'") == "0");
  w.write("flows.toml", flows("evolve"));
  w.write("t.csv", "id,a,b\n3,z,9\n");
  run_ok(w);
  CHECK(query(w.path("w.db"), "SELECT id, a, b FROM t ORDER BY id") == Rows{{"1", "x", "NULL"}, {"2", "y", "NULL"}, {"3", "z", "9"}});
  w.write("t.csv", "id\n4\n");  // column a removed at the source
  run_ok(w);
  CHECK(query(w.path("w.db"), "SELECT id, a, b FROM t WHERE id = 4") == Rows{{"4", "NULL", "NULL"}});
}

TEST_CASE("sqlite: values that need a wider type are stored whole, never truncated") {
  Workspace w;
  std::string csv = "id,v\n";
  for (int i = 0; i < 20; ++i) csv += std::to_string(i) + "," + std::to_string(i) + "\n";
  csv += "20,2.75\n21,not a number\n";
  w.write("t.csv", csv);
  w.write("flows.toml", "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\", sample_rows = 5 }\n"
                        "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
                        "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"db\"\nbatch_rows = 8\n");
  run_ok(w);
  CHECK(query(w.path("w.db"), "SELECT v, typeof(v) FROM t WHERE id >= 19 ORDER BY id") ==
        Rows{{"19", "integer"}, {"2.75", "real"}, {"not a number", "text"}});
}

TEST_CASE("sqlite: a source table's odd values widen the stream instead of failing") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE t (id INTEGER, n INTEGER, at TIMESTAMP);"
                                     "INSERT INTO t VALUES (1, 5, '2024-01-01 10:00:00'), (2, 'five', 'soon');");
  w.write("flows.toml", sqlite_flow(""));
  run_ok(w);
  CHECK(query(w.path("dst.db"), "SELECT n, typeof(n), at FROM t ORDER BY id") ==
        Rows{{"5", "integer", "2024-01-01T10:00:00Z"}, {"five", "text", "soon"}});
}

TEST_CASE("sqlite: discover lists tables and views with keys and cursor candidates, not ingestd's own") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE a (id INTEGER PRIMARY KEY, at DATETIME, s TEXT);"
                                     "CREATE VIEW v AS SELECT id, s FROM a;"
                                     "CREATE TABLE _ingestd_state (key TEXT);");
  w.write("flows.toml", sqlite_flow(""));
  Result r = w.ingestd({"discover", "flows.toml", "--source", "src", "--format", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  Value streams = Value::parse(r.out);
  REQUIRE(streams.as_array().size() == 2);
  CHECK(streams.as_array()[0]["name"].as_string() == "a");
  CHECK(streams.as_array()[0]["primary_key"].dump() == "[\"id\"]");
  CHECK(streams.as_array()[0]["cursor_candidates"].dump() == "[\"id\",\"at\"]");
  CHECK(streams.as_array()[1]["name"].as_string() == "v");
}

TEST_CASE("sqlite: loading into a table made elsewhere adds the metadata columns") {
  Workspace w;
  testing::execute(w.path("w.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'old');");
  w.write("t.csv", "id,v\n2,new\n");
  w.write("flows.toml", "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\" }\n"
                        "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
                        "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"db\"\nload = \"merge\"\nprimary_key = \"id\"\n");
  run_ok(w);
  CHECK(query(w.path("w.db"), "SELECT id, v, _ingestd_deleted, _ingestd_run_id IS NOT NULL FROM t ORDER BY id") ==
        Rows{{"1", "old", "0", "0"}, {"2", "new", "0", "1"}});
}

TEST_CASE("sqlite: metadata columns in a source's data are never obeyed: a table's are ingestd's own, a CSV's renamed") {
  Workspace w;
  // A table ingestd loaded, copied on: its metadata columns are rewritten, not taken.
  testing::execute(w.path("src.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY, _ingestd_run_id TEXT);"
                                     "INSERT INTO t VALUES (1, 'forged');");
  w.write("flows.toml", "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                        "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
                        "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nload = \"merge\"\n");
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(scalar(w.path("dst.db"), "SELECT _ingestd_run_id <> 'forged' FROM t") == "1");

  // From a file, whose header anyone writes, the column is kept under another name.
  w.write("in.csv", "id,_ingestd_deleted\n1,true\n2,false\n");
  w.write("flows.toml", "[sources.in]\nplugin = \"files\"\nconfig = { path = \"in.csv\" }\n"
                        "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
                        "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"dst\"\nload = \"merge\"\nprimary_key = \"id\"\n"
                        "hard_delete = true\n");
  r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(query(w.path("dst.db"), "SELECT id, _source_ingestd_deleted, _ingestd_deleted FROM \"in\" ORDER BY id") ==
        Rows{{"1", "1", "0"}, {"2", "0", "0"}});
}

TEST_CASE("sqlite: the kept catalog serves reruns and is asked for again when the source's tables change") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE a (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO a VALUES (1, 'x');"
                                     "CREATE TABLE b (id INTEGER PRIMARY KEY); INSERT INTO b VALUES (1);");
  w.write("flows.toml", sqlite_flow("streams = [\"a\"]\nload = \"merge\"\n"));
  const std::string asked = "asking the source";
  const std::string kept = "using its catalog kept since";
  Result r = run_ok(w, {"--log-level", "debug"});
  CHECK_FALSE(contains(r.err, kept));
  r = run_ok(w, {"--log-level", "debug"});
  CHECK(contains(r.err, kept));
  CHECK(scalar(w.path(".ingestd/state.db"), "SELECT count(*) FROM catalogs WHERE source = 'src'") == "1");
  // A stream the kept catalog has: no question; one it lacks: the source is asked.
  w.write("flows.toml", sqlite_flow("streams = [\"a\", \"b\"]\nload = \"merge\"\n"));
  r = run_ok(w, {"--log-level", "debug"});
  CHECK_FALSE(contains(r.err, asked));
  testing::execute(w.path("src.db"), "CREATE TABLE c (id INTEGER PRIMARY KEY); INSERT INTO c VALUES (7);");
  w.write("flows.toml", sqlite_flow("streams = [\"a\", \"b\", \"c\"]\nload = \"merge\"\n"));
  r = run_ok(w, {"--log-level", "debug"});
  CHECK(contains(r.err, asked));
  CHECK(scalar(w.path("dst.db"), "SELECT id FROM c") == "7");
  // A column added at the source: this run reads it; the next one asks the source again.
  testing::execute(w.path("src.db"), "ALTER TABLE a ADD COLUMN extra INTEGER; UPDATE a SET extra = 5;");
  r = run_ok(w, {"--log-level", "debug"});
  CHECK(contains(r.err, kept));
  CHECK(contains(r.err, "stream 'a' has other columns than its kept catalog says"));
  CHECK(scalar(w.path("dst.db"), "SELECT extra FROM a") == "5");
  r = run_ok(w, {"--log-level", "debug"});
  CHECK_FALSE(contains(r.err, kept));
  r = run_ok(w, {"--log-level", "debug"});
  CHECK(contains(r.err, kept));
  CHECK_FALSE(contains(r.err, "has other columns"));
  // The columns a source adds for ingestd (_ingestd_deleted) are no change.
  w.write("flows.toml", sqlite_flow("streams = [\"a\"]\nextract = \"incremental-updates\"\ncursor = \"id\"\n"
                                    "load = \"merge\"\n"));
  run_ok(w, {"--log-level", "debug"});
  r = run_ok(w, {"--log-level", "debug"});
  CHECK(contains(r.err, kept));
  CHECK_FALSE(contains(r.err, "has other columns"));
}

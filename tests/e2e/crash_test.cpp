// Crash safety: ingestd killed at random moments, then rerun to completion,
// never loses a row, never duplicates one where the load promises so, and
// never saves state past what is durable.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::scalar;

namespace {

// Starts `ingestd run flows.toml`, kills it with SIGKILL after `delay`.
void run_and_kill(const Workspace& w, std::chrono::milliseconds delay) {
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child child({testing::ingestd_bin(), "--log-level", "warn", "run", "flows.toml", "--no-progress"}, o);
  std::this_thread::sleep_for(delay);
  child.signal(SIGKILL);
  child.wait();
}

// "A/B": rows of the source table missing from the destination's, and rows of
// the destination's the source does not have, over `columns`.
std::string difference(const Workspace& w, const std::string& columns, const std::string& table) {
  std::string src = "SELECT " + columns + " FROM s." + table;
  std::string dst = "SELECT " + columns + " FROM main." + table;
  return scalar(w.path("dst.db"),
                "SELECT (SELECT count(*) FROM (" + src + " EXCEPT " + dst + ")) || '/' || (SELECT count(*) FROM (" + dst +
                    " EXCEPT " + src + "))",
                {{"s", w.path("src.db")}});
}

}  // namespace

TEST_CASE("crash: SIGKILL at random moments of a large SQLite merge loses and duplicates nothing") {
  Workspace w;
  testing::execute(w.path("src.db"),
                   "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, version INTEGER NOT NULL);"
                   "CREATE INDEX items_version ON items (version);");
  w.write("flows.toml",
          "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
          "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
          "[[flows]]\nname = \"copy\"\nfrom = \"src\"\nto = \"dst\"\nextract = \"incremental-updates\"\n"
          "cursor = \"version\"\nload = \"merge\"\nprimary_key = \"id\"\nbatch_rows = 4000\n");
  std::mt19937 random(20261122);
  int64_t next_id = 1, version = 0;
  const int kRounds = 20;
  for (int round = 0; round < kRounds; ++round) {
    // New rows and updates of older ones, so every round has work to kill.
    int64_t first = next_id;
    next_id += 40000;
    testing::execute(w.path("src.db"),
                     "BEGIN; WITH RECURSIVE n(i) AS (SELECT " + std::to_string(first) + " UNION ALL SELECT i + 1 FROM n "
                     "WHERE i < " + std::to_string(next_id - 1) + ") INSERT INTO items SELECT i, 'item ' || i, i * 0.25, " +
                         std::to_string(version) + " + i FROM n;"
                     "UPDATE items SET name = name || ' r" + std::to_string(round) + "', version = " +
                         std::to_string(version + next_id + 1) + " + id WHERE id % 17 = " + std::to_string(round % 17) +
                         "; COMMIT;");
    version += 2 * next_id + 2;
    run_and_kill(w, std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 400)(random)));
    Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
    REQUIRE_MESSAGE(r.exit_code == 0, "round " << round << "\n" << dump(r));
    CHECK_MESSAGE(difference(w, "id, name, price, version", "items") == "0/0", "round " << round);
  }
  CHECK(scalar(w.path("dst.db"), "SELECT count(*) FROM items") == std::to_string(next_id - 1));
  // The state names the newest version, both in the destination and the store.
  std::string max_version = scalar(w.path("src.db"), "SELECT max(version) FROM items");
  std::string max_rowid = scalar(w.path("src.db"), "SELECT rowid FROM items ORDER BY version DESC, rowid DESC LIMIT 1");
  std::string expected = "{\"cursor\":" + max_version + ",\"rowid\":" + max_rowid + "}";
  CHECK(scalar(w.path("dst.db"), "SELECT checkpoint FROM _ingestd_state") == expected);
  Value state = Value::parse(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out);
  CHECK(state.as_array()[0]["checkpoint"].as_string() == expected);
}

TEST_CASE("crash: an append into SQLite killed at random moments is exactly-once through transactional state") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE log (id INTEGER PRIMARY KEY, msg TEXT);");
  w.write("flows.toml",
          "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
          "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
          "[[flows]]\nname = \"copy\"\nfrom = \"src\"\nto = \"dst\"\nextract = \"incremental-appends\"\n"
          "cursor = \"id\"\nbatch_rows = 3000\n");
  std::mt19937 random(7);
  int64_t rows = 0;
  for (int round = 0; round < 10; ++round) {
    testing::execute(w.path("src.db"), "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(rows + 1) +
                                           " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(rows + 60000) +
                                           ") INSERT INTO log SELECT i, 'message ' || i FROM n;");
    rows += 60000;
    run_and_kill(w, std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 300)(random)));
    Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    CHECK(scalar(w.path("dst.db"), "SELECT count(*) || '/' || count(DISTINCT id) FROM log") ==
          std::to_string(rows) + "/" + std::to_string(rows));
  }
}

TEST_CASE("crash: files -> SQLite append killed at random moments loses nothing (at-least-once)") {
  Workspace w;
  w.write("flows.toml",
          "[sources.land]\nplugin = \"files\"\nconfig = { path = \"landing\" }\n"
          "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
          "[[flows]]\nname = \"ingest\"\nfrom = \"land\"\nto = \"dst\"\nextract = \"incremental-appends\"\n"
          "batch_rows = 2000\n");
  std::mt19937 random(99);
  int64_t id = 0;
  for (int round = 0; round < 20; ++round) {
    for (int f = 0; f < 4; ++f) {
      std::string csv = "id,payload\n";
      for (int i = 0; i < 5000; ++i) {
        ++id;
        csv += std::to_string(id) + ",row " + std::to_string(id) + "\n";
      }
      char name[64];
      std::snprintf(name, sizeof name, "landing/part-%03d-%d.csv", round, f);
      w.write(name, csv);
    }
    run_and_kill(w, std::chrono::milliseconds(std::uniform_int_distribution<int>(10, 200)(random)));
    Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    CHECK(scalar(w.path("dst.db"), "SELECT count(DISTINCT id) FROM landing") == std::to_string(id));
    CHECK(scalar(w.path("dst.db"), "SELECT min(id) || '-' || max(id) FROM landing") == "1-" + std::to_string(id));
  }
}

TEST_CASE("crash: SIGTERM stops gracefully: what was committed and the saved state agree") {
  Workspace w;
  testing::execute(w.path("src.db"),
                   "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                   "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
                   "INSERT INTO t SELECT i, 'value ' || i FROM n;");
  w.write("flows.toml",
          "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
          "[destinations.dst]\nplugin = \"sqlite\"\nconfig = { path = \"dst.db\" }\n"
          "[[flows]]\nname = \"copy\"\nfrom = \"src\"\nto = \"dst\"\nextract = \"incremental-appends\"\n"
          "cursor = \"id\"\nbatch_rows = 5000\n");
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child child({testing::ingestd_bin(), "run", "flows.toml", "--no-progress"}, o);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  child.signal(SIGTERM);
  Result r = child.wait();
  REQUIRE_MESSAGE(r.exit_code == 1, dump(r));
  CHECK(contains(r.out, "copy/t: stopped before the end of the stream"));
  std::string copied = scalar(w.path("dst.db"), "SELECT count(*) FROM t");
  CHECK(std::stoll(copied) > 0);
  CHECK(std::stoll(copied) < 3000000);
  // Exactly the rows up to the saved cursor, in the destination and the store.
  std::string max_id = scalar(w.path("dst.db"), "SELECT max(id) FROM t");
  CHECK(max_id == copied);
  std::string expected = "{\"cursor\":" + max_id + ",\"rowid\":" + max_id + "}";
  CHECK(scalar(w.path("dst.db"), "SELECT checkpoint FROM _ingestd_state") == expected);
  Value state = Value::parse(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out);
  CHECK(state.as_array()[0]["checkpoint"].as_string() == expected);
  Value runs = Value::parse(w.ingestd({"runs", "flows.toml", "--format", "json"}).out);
  CHECK(runs.as_array()[0]["status"].as_string() == "stopped");
  // The rest arrives with the next run.
  REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  CHECK(scalar(w.path("dst.db"), "SELECT count(*) || '/' || count(DISTINCT id) FROM t") == "3000000/3000000");
}

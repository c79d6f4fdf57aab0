// SIGKILL at random moments of a CSV -> Parquet append and a PostgreSQL ->
// DuckDB merge: after each rerun the lake and the database equal the
// source, no row twice, and no file on disk the manifest does not list.
#include "e2e.hpp"
#include "support/duckdb_query.hpp"
#include "support/pg.hpp"

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

using namespace e2e;
using testing::duck_query;
using testing::lake_files;
using testing::lake_query;
using testing::parquet_files_on_disk;
using testing::PgDatabase;
using testing::Rows;

namespace {

// A run to completion, and how long it took.
std::chrono::milliseconds timed_run(const Workspace& w, int round) {
  const auto start = std::chrono::steady_clock::now();
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, "round " << round << "\n" << dump(r));
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

// A moment within a run of the length the first round's took (every round
// moves as much data), so that kills land inside runs on fast and slow
// (sanitizer) builds alike.
std::chrono::milliseconds kill_point(std::mt19937& random, std::chrono::milliseconds full_run) {
  return std::chrono::milliseconds(
      std::uniform_int_distribution<int64_t>(full_run.count() / 10, full_run.count() * 9 / 10)(random));
}

void run_and_kill(const Workspace& w, std::chrono::milliseconds delay) {
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child child({testing::ingestd_bin(), "--log-level", "warn", "run", "flows.toml", "--no-progress"}, o);
  std::this_thread::sleep_for(delay);
  child.signal(SIGKILL);
  child.wait();
}

// Runs the kills caught before they finished: the test means something only
// if most of them did.
int interrupted_runs(const Workspace& w) {
  Result r = w.ingestd({"runs", "flows.toml", "--format", "json", "--limit", "100"});
  const ingestd::json::Value runs = ingestd::json::Value::parse(r.out);
  int n = 0;
  for (const auto& run : runs.as_array())
    n += run["status"].as_string() == "interrupted" ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("crash: SIGKILL at random moments of a partitioned CSV -> Parquet append loses, repeats and orphans nothing") {
  Workspace w;
  w.write("flows.toml",
          "[sources.src]\nplugin = \"files\"\nconfig = { path = \"in/*.csv\", stream = \"events\" }\n"
          "[destinations.dst]\nplugin = \"parquet\"\nconfig = { path = \"lake\", partition_by = [\"kind\"] }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nextract = \"incremental-appends\"\n"
          "batch_rows = 5000\n");
  std::mt19937 random(20261207);
  int64_t next_id = 1;
  std::chrono::milliseconds full_run{0};
  const int kRounds = 13;  // the first runs whole, to time it
  for (int round = 0; round < kRounds; ++round) {
    // Two new files a round, 60,000 rows each, three kinds.
    for (int f = 0; f < 2; ++f) {
      std::string csv = "id,kind,note\n";
      for (int i = 0; i < 60000; ++i, ++next_id)
        csv += std::to_string(next_id) + ",k" + std::to_string(next_id % 3) + ",round " + std::to_string(round) + "\n";
      w.write("in/r" + std::to_string(round) + "_" + std::to_string(f) + ".csv", csv);
    }
    if (round == 0) {
      full_run = timed_run(w, round);
    } else {
      run_and_kill(w, kill_point(random, full_run));
      timed_run(w, round);
    }
    const std::string n = std::to_string(next_id - 1);
    const Rows expected{{n, n, "1", n}};
    CHECK_MESSAGE(lake_query(w.path("lake/events"), "SELECT count(*), count(DISTINCT id), min(id), max(id) FROM t") ==
                      expected,
                  "round " << round);
    // Files a killed commit left behind are gone; every file on disk is listed.
    CHECK_MESSAGE(parquet_files_on_disk(w.path("lake/events")) == lake_files(w.path("lake/events")), "round " << round);
  }
  CHECK(lake_query(w.path("lake/events"), "SELECT kind, count(*) FROM t GROUP BY kind ORDER BY kind") ==
        Rows{{"k0", "520000"}, {"k1", "520000"}, {"k2", "520000"}});
  CHECK(interrupted_runs(w) >= (kRounds - 1) / 2);
}

TEST_CASE("crash: SIGKILL at random moments of a PostgreSQL -> DuckDB merge loses and repeats nothing") {
  PgDatabase pg;
  pg.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(12,2), version bigint NOT NULL);"
             "CREATE INDEX items_version ON items (version);");
  Workspace w;
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + pg.dsn() +
                            "\" }\n[destinations.dst]\nplugin = \"duckdb\"\nconfig = { path = \"dst.duckdb\" }\n"
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nextract = \"incremental-updates\"\n"
                            "cursor = \"version\"\nload = \"merge\"\nprimary_key = \"id\"\nbatch_rows = 4000\n"
                            "streams = { \"public.items\" = { table = \"items\" } }\n");
  std::mt19937 random(20261208);
  int64_t next_id = 1;
  std::chrono::milliseconds full_run{0};
  const int kRounds = 11;  // the first runs whole, to time it
  // id:name:price:version of every row, in key order, as both databases print them.
  const std::string digest_pg =
      "SELECT count(*), md5(string_agg(id || ':' || name || ':' || price || ':' || version, ',' ORDER BY id)) FROM items";
  const std::string digest_duck =
      "SELECT count(*), md5(string_agg(id || ':' || name || ':' || price || ':' || version, ',' ORDER BY id)) FROM items "
      "WHERE NOT _ingestd_deleted";
  for (int round = 0; round < kRounds; ++round) {
    const int64_t first = next_id;
    next_id += 30000;
    // Versions only grow: this round's inserts and updates lie above every earlier version.
    pg.execute("INSERT INTO items SELECT i, 'item ' || i, i * 0.25, " + std::to_string(round * 1000000) +
               " + i FROM generate_series(" + std::to_string(first) + ", " + std::to_string(next_id - 1) + ") i;"
               "UPDATE items SET name = name || ' r" + std::to_string(round) + "', version = " +
               std::to_string(round * 1000000 + 500000) + " + id WHERE id % 13 = " +
               std::to_string(round % 13) + ";");
    if (round == 0) {
      full_run = timed_run(w, round);
    } else {
      run_and_kill(w, kill_point(random, full_run));
      timed_run(w, round);
    }
    CHECK_MESSAGE(duck_query(w.path("dst.duckdb"), digest_duck) == pg.query(digest_pg), "round " << round);
    // No key twice.
    const Rows no_repeat{{"0"}};
    CHECK_MESSAGE(duck_query(w.path("dst.duckdb"), "SELECT count(*) - count(DISTINCT id) FROM items") == no_repeat,
                  "round " << round);
  }
  CHECK(duck_query(w.path("dst.duckdb"), "SELECT count(*) FROM items") == Rows{{std::to_string(next_id - 1)}});
  CHECK(interrupted_runs(w) >= (kRounds - 1) / 2);
}

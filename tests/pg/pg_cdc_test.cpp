// Change data capture from PostgreSQL logical replication (capture =
// "logical") against the real server the fixture runs with wal_level =
// logical: the first copy and the changes after it, transactions whole,
// unchanged TOASTed values kept, truncates, an idle slot that still
// advances, and SIGKILLs of a streaming daemon that lose and double nothing.
#include "e2e.hpp"
#include "serve/serve.hpp"
#include "support/net.hpp"
#include "support/pg.hpp"
#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <atomic>
#include <csignal>
#include <random>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::PgDatabase;

namespace {

std::string cdc_flow(const PgDatabase& src, const std::string& destinations, const std::string& to,
                     const std::string& extra = "") {
  return "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() + "\", capture = \"logical\" }\n" +
         destinations + "[[flows]]\nname = \"cdc\"\nfrom = \"src\"\nto = " + to +
         "\nstreams = [\"public.t\"]\nextract = \"incremental-updates\"\nload = \"merge\"\nhard_delete = true\n" + extra;
}

// The flow's slot (quoted): slots are the server's, so the name says the database.
std::string slot_of(const PgDatabase& src) { return "'ingestd_cdc_" + src.name() + "_public_t'"; }

std::string sqlite_destination() { return "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"; }

Result run_ok(const Workspace& w) {
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return r;
}

// The rows of the source table as text, in key order.
std::string source_rows(const PgDatabase& src) {
  return src.scalar("SELECT coalesce(string_agg(id || ':' || coalesce(v, '~') || ':' || coalesce(n::text, '~'), ',' "
                    "ORDER BY id), '') FROM t");
}

std::string sqlite_rows(const Workspace& w) {
  return testing::scalar(w.path("dw.db"), "SELECT coalesce(group_concat(id || ':' || coalesce(v, '~') || ':' || "
                                          "coalesce(n, '~'), ','), '') FROM (SELECT * FROM \"public.t\" ORDER BY id)");
}

}  // namespace

TEST_CASE("cdc: the first copy, then inserts, updates, deletes and a truncate, arrive exactly, and an idle rerun rewrites nothing") {
  PgDatabase src;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v text, n int);"
              "INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 100) g;");
  Workspace w;
  w.write("flows.toml", cdc_flow(src, sqlite_destination(), "\"lite\""));
  run_ok(w);
  CHECK(sqlite_rows(w) == source_rows(src));
  CHECK(src.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = " + slot_of(src)) == "1");

  src.execute("INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(101, 150) g;"
              "UPDATE t SET v = 'changed', n = n * 10 WHERE id % 5 = 0;"
              "DELETE FROM t WHERE id BETWEEN 11 AND 20;"
              "UPDATE t SET id = 1000 WHERE id = 1;");  // a new key: the old one is deleted
  run_ok(w);
  CHECK(sqlite_rows(w) == source_rows(src));
  CHECK(testing::scalar(w.path("dw.db"), "SELECT count(*) FROM \"public.t\"") == "140");

  // Idle: nothing is written again.
  const std::string before = testing::scalar(w.path("dw.db"), "SELECT group_concat(_ingestd_run_id) FROM \"public.t\"");
  run_ok(w);
  CHECK(testing::scalar(w.path("dw.db"), "SELECT group_concat(_ingestd_run_id) FROM \"public.t\"") == before);

  src.execute("TRUNCATE t; INSERT INTO t VALUES (1, 'after', 1), (2, 'after', 2);");
  run_ok(w);
  CHECK(sqlite_rows(w) == "1:after:1,2:after:2");

  // A column added at the source comes through the change stream to the destination.
  src.execute("ALTER TABLE t ADD COLUMN region text; INSERT INTO t VALUES (3, 'new', 3, 'EU'); "
              "UPDATE t SET region = 'US' WHERE id = 1;");
  run_ok(w);
  CHECK(testing::scalar(w.path("dw.db"), "SELECT group_concat(id || ':' || coalesce(region, '~')) FROM "
                                         "(SELECT * FROM \"public.t\" ORDER BY id)") == "1:US,2:~,3:EU");
}

TEST_CASE("cdc: a transaction of 100,000 rows arrives whole, and a TOASTed value an update leaves alone stays intact") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v text, n int);");
  Workspace w;
  const std::string pg_destination =
      "[destinations.pg]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\" }\n";
  w.write("flows.toml", cdc_flow(src, pg_destination, "\"pg\"", "batch_rows = 10000\n"));
  run_ok(w);  // the first copy: an empty table
  src.execute("INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 100000) g;");
  const Result r = run_ok(w);
  CHECK(dst.scalar("SELECT count(*) || ':' || sum(n) FROM t") == src.scalar("SELECT count(*) || ':' || sum(n) FROM t"));

  // 300 kB that do not compress: stored out of line (TOAST), and not sent
  // again by an update of another column.
  src.execute("ALTER TABLE t ALTER COLUMN v SET STORAGE EXTERNAL;"
              "INSERT INTO t SELECT 0, string_agg(md5(g::text), ''), 0 FROM generate_series(1, 10000) g;");
  run_ok(w);
  src.execute("UPDATE t SET n = 42 WHERE id = 0;");
  run_ok(w);
  CHECK(dst.scalar("SELECT n || ':' || length(v) || ':' || md5(v) FROM t WHERE id = 0") ==
        src.scalar("SELECT n || ':' || length(v) || ':' || md5(v) FROM t WHERE id = 0"));
  CHECK(dst.scalar("SELECT length(v) FROM t WHERE id = 0") == "320000");
}

TEST_CASE("cdc: an idle table's slot advances while only another database writes") {
  PgDatabase src, other;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v text, n int); INSERT INTO t VALUES (1, 'a', 1);");
  Workspace w;
  w.write("flows.toml", cdc_flow(src, sqlite_destination(), "\"lite\""));
  run_ok(w);
  const std::string slot = slot_of(src);
  other.execute("CREATE TABLE noise AS SELECT g, md5(g::text) FROM generate_series(1, 50000) g;");
  const std::string written = other.scalar("SELECT pg_current_wal_lsn()");
  run_ok(w);
  // The slot was told a position past the other database's writes: it holds
  // none of that WAL back.
  CHECK(src.scalar("SELECT confirmed_flush_lsn >= '" + written + "'::pg_lsn FROM pg_replication_slots WHERE slot_name = " +
                   slot) == "t");
  CHECK(sqlite_rows(w) == "1:a:1");

  // A slot gone under a saved position is named, with the way out.
  src.execute("SELECT pg_drop_replication_slot(" + slot + "); INSERT INTO t VALUES (2, 'b', 2);");
  const Result gone = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(gone.exit_code == 2);
  CHECK_MESSAGE(contains(gone.err, "replication slot " + slot_of(src) + " of public.t is gone"), dump(gone));
  CHECK(contains(gone.err, "ingestd run --resnapshot"));
  const Result again = w.ingestd({"run", "flows.toml", "--no-progress", "--resnapshot"});
  CHECK_MESSAGE(again.exit_code == 0, dump(again));
  CHECK(sqlite_rows(w) == "1:a:1,2:b:2");
}

TEST_CASE("cdc: SIGKILL of a streaming daemon at random moments, 10 times, loses and doubles nothing, and the slot never passes the saved state") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v text, n int);"
              "INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 2000) g;");
  Workspace w;
  const std::string destinations = sqlite_destination() + "[destinations.pg]\nplugin = \"postgres\"\nconfig = { dsn = \"" +
                                   dst.dsn() + "\" }\n";
  w.write("flows.toml", cdc_flow(src, destinations, "[\"lite\", \"pg\"]", "batch_rows = 500\n"));
  // Changes go on all the time: transactions of inserts, updates and deletes.
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    std::mt19937 random(11);
    int next = 2001;
    while (writing) {
      const int id = 1 + static_cast<int>(random() % static_cast<unsigned>(next - 1));
      try {
        src.execute("BEGIN; INSERT INTO t SELECT g, 'w' || g, g FROM generate_series(" + std::to_string(next) + ", " +
                    std::to_string(next + 49) + ") g; UPDATE t SET n = n + 1, v = 'u' WHERE id % 97 = " +
                    std::to_string(id % 97) + "; DELETE FROM t WHERE id = " + std::to_string(id) + "; COMMIT;");
        next += 50;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::mt19937 random(5);
  auto saved_lsn = [&](const std::string& text) { return text.empty() ? std::string("0/0") : text; };
  for (int kill = 0; kill < 10; ++kill) {
    testing::Options o;
    o.cwd = w.dir.path();
    o.stderr_path = w.path("serve.log");
    testing::Child serve({testing::ingestd_bin(), "serve", "flows.toml", "--listen", "127.0.0.1:0"}, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 1700));
    serve.signal(SIGKILL);
    serve.wait();
    // The slot is never ahead of what both destinations saved.
    const std::string confirmed =
        src.scalar("SELECT coalesce(confirmed_flush_lsn::text, '0/0') FROM pg_replication_slots WHERE slot_name = " +
                   slot_of(src));
    const std::string lite = saved_lsn(testing::scalar(
        w.path("dw.db"), "SELECT coalesce((SELECT json_extract(CAST(checkpoint AS TEXT), '$.lsn') FROM _ingestd_state), '')"));
    const std::string pg =
        saved_lsn(dst.scalar("SELECT coalesce((SELECT convert_from(checkpoint, 'UTF8')::json->>'lsn' FROM "
                             "_ingestd_state), '')"));
    CHECK_MESSAGE(src.scalar("SELECT '" + confirmed + "'::pg_lsn <= '" + lite + "'::pg_lsn AND '" + confirmed +
                             "'::pg_lsn <= '" + pg + "'::pg_lsn") == "t",
                  "kill " << kill << ": slot at " << confirmed << ", saved " << lite << " and " << pg);
  }
  writing = false;
  writer.join();
  // The daemons streamed changes between the kills, not only the first copy.
  CHECK(std::stoll(testing::scalar(w.path("dw.db"), "SELECT count(*) FROM \"public.t\" WHERE id > 2000")) > 0);
  CHECK(std::stoll(src.scalar("SELECT (confirmed_flush_lsn - '0/0') FROM pg_replication_slots WHERE slot_name = " +
                              slot_of(src))) > 0);
  // One run catches up with everything; both destinations are the source.
  run_ok(w);
  const std::string expected = source_rows(src);
  CHECK(sqlite_rows(w) == expected);
  CHECK(dst.scalar("SELECT coalesce(string_agg(id || ':' || coalesce(v, '~') || ':' || coalesce(n::text, '~'), ',' "
                   "ORDER BY id), '') FROM t WHERE NOT _ingestd_deleted") == expected);
  CHECK(std::stoll(src.scalar("SELECT count(*) FROM t")) > 2000);
}

TEST_CASE("cdc: a NaN that made the first copy read a numeric column as text keeps it text in the changes after") {
  PgDatabase src;
  // numeric(10,2) reads as a decimal, which has no NaN: the copy widens it to text.
  src.execute("CREATE TABLE t (id int PRIMARY KEY, x numeric(10,2)); INSERT INTO t VALUES (1, 'NaN'), (2, 1.5);");
  Workspace w;
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() +
                            "\", capture = \"logical\" }\n" + sqlite_destination() +
                            "[[flows]]\nname = \"cdc\"\nfrom = \"src\"\nto = \"lite\"\nstreams = [\"public.t\"]\n"
                            "extract = \"incremental-updates\"\nload = \"merge\"\nhard_delete = true\n");
  const std::string rows = "SELECT group_concat(id || ':' || x, ',') FROM (SELECT * FROM \"public.t\" ORDER BY id)";
  run_ok(w);
  CHECK(testing::scalar(w.path("dw.db"), rows) == "1:NaN,2:1.50");
  src.execute("INSERT INTO t VALUES (3, 2.25); UPDATE t SET x = 3 WHERE id = 1; UPDATE t SET x = 'NaN' WHERE id = 2;");
  const Result changes = run_ok(w);
  CHECK(testing::scalar(w.path("dw.db"), rows) == "1:3.00,2:NaN,3:2.25");
  // The column stayed what the copy made it: no change of type announced.
  CHECK_MESSAGE(!contains(changes.err, "columns changed"), changes.err);
  run_ok(w);  // idle
  CHECK(testing::scalar(w.path("dw.db"), rows) == "1:3.00,2:NaN,3:2.25");
}

TEST_CASE("cdc: state reset keeps the slot unless --drop-slot, which drops it and the publication ingestd made") {
  PgDatabase src;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v text, n int); INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2);");
  Workspace w;
  w.write("flows.toml", cdc_flow(src, sqlite_destination(), "\"lite\""));
  run_ok(w);
  const auto slots = [&] { return src.scalar("SELECT count(*) FROM pg_replication_slots WHERE slot_name = " + slot_of(src)); };
  const auto publications = [&] { return src.scalar("SELECT count(*) FROM pg_publication WHERE pubname = " + slot_of(src)); };
  REQUIRE(slots() == "1");
  REQUIRE(publications() == "1");

  Result plain = w.ingestd({"state", "reset", "flows.toml", "--flow", "cdc"});
  REQUIRE_MESSAGE(plain.exit_code == 0, dump(plain));
  CHECK(slots() == "1");  // not asked: the slot stays (the next run makes it again)
  run_ok(w);
  CHECK(sqlite_rows(w) == source_rows(src));

  Result dropped = w.ingestd({"state", "reset", "flows.toml", "--flow", "cdc", "--drop-slot"});
  REQUIRE_MESSAGE(dropped.exit_code == 0, dump(dropped));
  CHECK(slots() == "0");
  CHECK(publications() == "0");
  CHECK(testing::contains(dropped.err, "dropped replication slot"));
  CHECK(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out == "[]\n");
  // Asked again, nothing is held: not an error.
  Result again = w.ingestd({"state", "reset", "flows.toml", "--flow", "cdc", "--drop-slot"});
  CHECK_MESSAGE(again.exit_code == 0, dump(again));
  CHECK(testing::contains(again.err, "no replication slot"));

  // The next run copies the table again into a new slot, and streams on from it.
  src.execute("UPDATE t SET v = 'changed' WHERE id = 2; INSERT INTO t VALUES (3, 'c', 3);");
  run_ok(w);
  CHECK(slots() == "1");
  CHECK(sqlite_rows(w) == source_rows(src));
  src.execute("DELETE FROM t WHERE id = 1;");
  run_ok(w);
  CHECK(sqlite_rows(w) == source_rows(src));
}

TEST_CASE("cdc: serve reports how far a change stream is behind as ingestd_cdc_lag_bytes, the bytes from its saved position") {
  PgDatabase src;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v text, n int); INSERT INTO t VALUES (1, 'a', 1);");
  Workspace w;
  w.write("flows.toml", cdc_flow(src, sqlite_destination(), "\"lite\""));
  serve::Daemon d(w);
  REQUIRE(d.started());
  const testing::Exposition::Labels labels = {{"flow", "cdc"}, {"stream", "public.t"}};
  std::optional<double> lag;
  REQUIRE(testing::wait_until([&] { return (lag = d.metrics().value("ingestd_cdc_lag_bytes", labels)).has_value(); }));
  src.execute("INSERT INTO t SELECT g, 'v', g FROM generate_series(2, 5000) g;");
  REQUIRE(testing::wait_until([&] {
    try {
      return testing::scalar(w.path("dw.db"), "SELECT count(*) FROM \"public.t\"") == "5000";
    } catch (const std::exception&) {
      return false;  // not made yet
    }
  }));
  // A distance between two positions, never a position itself (a server this
  // suite has written gigabytes to stands far past 16 MB).
  for (int i = 0; i < 3; ++i) {
    lag = d.metrics().value("ingestd_cdc_lag_bytes", labels);
    REQUIRE(lag.has_value());
    CHECK(*lag >= 0);
    CHECK(*lag < 16.0 * 1024 * 1024);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // /status names the newest log position the stream received: past the
  // slot's saved one, not past the server's newest.
  const auto lsn_value = [](const std::string& lsn) {
    const auto slash = lsn.find('/');
    REQUIRE(slash != std::string::npos);
    return (std::stoull(lsn.substr(0, slash), nullptr, 16) << 32) | std::stoull(lsn.substr(slash + 1), nullptr, 16);
  };
  // The slot's position first: the stream has received at least that much
  // by the time /status is read.
  const std::string confirmed =
      src.scalar("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = " + slot_of(src));
  std::string received;
  REQUIRE(testing::wait_until([&] {
    const Value f = d.flow("cdc");
    if (!f["streams"].is_array() || f["streams"].as_array().empty()) return false;
    const Value& s = f["streams"].as_array().front();
    CHECK(s["stream"].as_string() == "public.t");
    if (!s["cdc_received"].is_string()) return false;
    received = s["cdc_received"].as_string();
    return true;
  }));
  CHECK(lsn_value(received) >= lsn_value(confirmed));
  CHECK(lsn_value(received) <= lsn_value(src.scalar("SELECT pg_current_wal_lsn()")));
  CHECK(testing::contains(d.get("/").body, "received up to "));
  d.signal(SIGTERM);
  CHECK(d.wait().exit_code == 0);
}

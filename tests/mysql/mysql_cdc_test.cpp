// Change data capture from the MariaDB binary log (capture = "binlog"):
// the first copy and the changes after it, every column type decoded from
// row images as a SELECT reads it, a purged log named with the way out, and
// SIGKILLs of a streaming daemon that lose and double nothing.
#include "e2e.hpp"
#include "support/mysql.hpp"
#include "support/process.hpp"
#include "support/sqlite_query.hpp"

#include <atomic>
#include <csignal>
#include <random>
#include <thread>

using namespace e2e;
using testing::MysqlDatabase;

namespace {

std::string source(const MysqlDatabase& src, const std::string& capture) {
  return "[sources.src]\nplugin = \"mysql\"\nconfig = { dsn = \"" + src.dsn() + "\", capture = \"" + capture + "\" }\n";
}

std::string cdc_flow(const MysqlDatabase& src, const std::string& extra = "") {
  return source(src, "binlog") + "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
         "[[flows]]\nname = \"cdc\"\nfrom = \"src\"\nto = \"lite\"\nextract = \"incremental-updates\"\n"
         "load = \"merge\"\nhard_delete = true\n" + extra + "[flows.streams.\"" + src.name() + ".t\"]\ntable = \"t\"\n";
}

Result run_ok(const Workspace& w, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"run", "flows.toml", "--no-progress"};
  args.insert(args.end(), extra.begin(), extra.end());
  Result r = w.ingestd(args);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return r;
}

std::string source_rows(const MysqlDatabase& src) {
  return src.scalar("SELECT coalesce(group_concat(id, ':', coalesce(v, '~'), ':', coalesce(n, '~') ORDER BY id "
                    "SEPARATOR ','), '') FROM t");
}

std::string sqlite_rows(const Workspace& w) {
  return testing::scalar(w.path("dw.db"), "SELECT coalesce(group_concat(id || ':' || coalesce(v, '~') || ':' || "
                                          "coalesce(n, '~'), ','), '') FROM (SELECT * FROM t ORDER BY id)");
}

}  // namespace

TEST_CASE("binlog: the first copy, then inserts, updates, a changed key, deletes, a truncate and a new column arrive exactly, and an idle rerun rewrites nothing") {
  MysqlDatabase src;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v varchar(40), n int);"
              "INSERT INTO t SELECT seq, concat('v', seq), seq FROM seq_1_to_100;");
  Workspace w;
  w.write("flows.toml", cdc_flow(src));
  run_ok(w);
  CHECK(sqlite_rows(w) == source_rows(src));

  src.execute("INSERT INTO t SELECT seq, concat('v', seq), seq FROM seq_101_to_150;"
              "UPDATE t SET v = 'changed', n = n * 10 WHERE id % 5 = 0;"
              "DELETE FROM t WHERE id BETWEEN 11 AND 20;"
              "UPDATE t SET id = 1000 WHERE id = 1;"  // a new key: the old one is deleted
              "START TRANSACTION; INSERT INTO t VALUES (2000, 'rolled back', 0); ROLLBACK;");
  run_ok(w);
  CHECK(sqlite_rows(w) == source_rows(src));
  CHECK(testing::scalar(w.path("dw.db"), "SELECT count(*) FROM t") == "140");

  // Idle: nothing is written again.
  const std::string before = testing::scalar(w.path("dw.db"), "SELECT group_concat(_ingestd_run_id) FROM t");
  run_ok(w);
  CHECK(testing::scalar(w.path("dw.db"), "SELECT group_concat(_ingestd_run_id) FROM t") == before);

  src.execute("TRUNCATE TABLE t; INSERT INTO t VALUES (1, 'after', 1), (2, 'after', 2);");
  run_ok(w);
  CHECK(sqlite_rows(w) == "1:after:1,2:after:2");

  src.execute("ALTER TABLE t ADD COLUMN region varchar(8); INSERT INTO t VALUES (3, 'new', 3, 'EU');"
              "UPDATE t SET region = 'US' WHERE id = 1;");
  run_ok(w);
  CHECK(testing::scalar(w.path("dw.db"), "SELECT group_concat(id || ':' || coalesce(region, '~')) FROM "
                                         "(SELECT * FROM t ORDER BY id)") == "1:US,2:~,3:EU");
}

TEST_CASE("binlog: every column type read from row images lands as the same table read with SELECT") {
  MysqlDatabase src;
  src.execute(
      "CREATE TABLE t (id int PRIMARY KEY, name varchar(300) CHARACTER SET utf8mb4, c char(3), price decimal(30,10), "
      "small_dec decimal(5,2), big bigint unsigned, neg bigint, tiny tinyint unsigned, small smallint, mid mediumint, "
      "flag tinyint(1), f double, fl float, at datetime(6), at0 datetime, stamp timestamp(3) NULL, day date, "
      "tm time(6), tm2 time(2), tm0 time, raw varbinary(16), blb blob, doc json, kind enum('a','b','c d'), "
      "tags set('x','y','z'), yr year, b bit(12), txt mediumtext)");
  Workspace w;
  w.write("flows.toml", source(src, "binlog") + "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
                        "[[flows]]\nname = \"cdc\"\nfrom = \"src\"\nto = \"lite\"\nextract = \"incremental-updates\"\n"
                        "load = \"merge\"\n[flows.streams.\"" + src.name() + ".t\"]\ntable = \"changes\"\n");
  run_ok(w);  // the first copy: an empty table; everything below comes from the log
  src.execute(
      "SET sql_mode = '';"
      "INSERT INTO t VALUES (1, 'Zoë 🎉 ünïcode', 'ab', -12345678901234567890.0123456789, -1.5, 18446744073709551615, "
      "-9223372036854775808, 255, -32768, -8388608, 1, -1.25e-300, 3.5, '2024-02-29 23:59:59.999999', "
      "'1999-12-31 23:59:59', '2038-01-19 03:14:07.499', '2024-02-29', '-838:59:59.000000', '-00:00:01.25', "
      "'12:34:56', x'00ff10', repeat('x', 1000), '{\"a\": [1, 2]}', 'c d', 'x,z', 2155, b'101010101010', "
      "repeat('long ', 20000)),"
      "(2, '', '', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '1000-01-01 00:00:00', '1000-01-01 00:00:00', "
      "'1970-01-01 00:00:01', '0000-00-00', '00:00:00', '00:00:00.5', '838:59:59', x'', '', '[]', 'a', '', 1901, "
      "b'0', ''),"
      "(3, NULL, NULL, 0.0000000001, 999.99, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
      "'-00:00:00.000001', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL);"
      "UPDATE t SET price = price * -1, tm = '100:00:00.5' WHERE id = 1;");
  run_ok(w);
  // The same table through SELECT, into another table of the same database.
  w.write("flows.toml", source(src, "none") + "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
                        "[[flows]]\nname = \"copy\"\nfrom = \"src\"\nto = \"lite\"\n"
                        "[flows.streams.\"" + src.name() + ".t\"]\ntable = \"selected\"\n");
  run_ok(w);
  const std::string columns =
      "id, name, c, price, small_dec, big, neg, tiny, small, mid, flag, f, fl, at, at0, stamp, day, tm, tm2, tm0, "
      "hex(raw), length(blb), doc, kind, tags, yr, b, length(txt)";
  const testing::Rows changes = testing::query(w.path("dw.db"), "SELECT " + columns + " FROM changes ORDER BY id");
  const testing::Rows selected = testing::query(w.path("dw.db"), "SELECT " + columns + " FROM selected ORDER BY id");
  REQUIRE(selected.size() == 3);
  CHECK(changes == selected);
  CHECK(testing::scalar(w.path("dw.db"), "SELECT price || ' ' || tm FROM changes WHERE id = 1") ==
        "12345678901234567890.0123456789 100:00:00.500000");
}

TEST_CASE("binlog: check names the tables without a primary key, which a change stream cannot apply") {
  MysqlDatabase src;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v varchar(40), n int); CREATE TABLE loose (a int, b int);");
  Workspace w;
  w.write("flows.toml", source(src, "binlog") + "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
                        "[[flows]]\nname = \"cdc\"\nfrom = \"src\"\nto = \"lite\"\nextract = \"incremental-updates\"\n"
                        "load = \"merge\"\n");
  const Result r = w.ingestd({"check", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out, "change data capture of '" + src.name() + ".loose' needs a primary key"), dump(r));
  CHECK_MESSAGE(contains(r.out, "(columns: a, b)"), dump(r));
  CHECK_FALSE(contains(r.out, "'" + src.name() + ".t' needs"));
}

TEST_CASE("binlog: a purged log fails naming --resnapshot, which copies the table again and streams on") {
  testing::MysqlServer server;  // purging is server-wide
  MysqlDatabase src(server.settings());
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v varchar(40), n int); INSERT INTO t VALUES (1, 'a', 1);");
  Workspace w;
  w.write("flows.toml", cdc_flow(src));
  run_ok(w);
  src.execute("INSERT INTO t VALUES (2, 'b', 2); FLUSH BINARY LOGS; INSERT INTO t VALUES (3, 'c', 3); FLUSH BINARY LOGS;");
  const std::string current = src.query("SHOW MASTER STATUS").at(0).at(0);
  // A log the storage engine has not checkpointed yet is kept back: asked again until it goes.
  for (int i = 0; i < 200 && src.query("SHOW BINARY LOGS").size() > 1; ++i) {
    src.execute("PURGE BINARY LOGS TO '" + current + "'");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(src.query("SHOW BINARY LOGS").size() == 1);
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, "--resnapshot"), dump(r));
  CHECK(sqlite_rows(w) == "1:a:1");  // nothing half-applied
  run_ok(w, {"--resnapshot"});
  CHECK(sqlite_rows(w) == source_rows(src));
  src.execute("DELETE FROM t WHERE id = 1");
  run_ok(w);
  CHECK(sqlite_rows(w) == "2:b:2,3:c:3");
}

TEST_CASE("binlog: SIGKILL of a streaming daemon at random moments, 10 times, loses and doubles nothing") {
  MysqlDatabase src;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v varchar(40), n int);"
              "INSERT INTO t SELECT seq, concat('v', seq), seq FROM seq_1_to_2000;");
  Workspace w;
  w.write("flows.toml", cdc_flow(src, "batch_rows = 500\n"));
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    std::mt19937 random(11);
    int next = 2001;
    while (writing) {
      const int id = 1 + static_cast<int>(random() % static_cast<unsigned>(next - 1));
      try {
        src.execute("START TRANSACTION; INSERT INTO t SELECT seq, concat('w', seq), seq FROM seq_" +
                    std::to_string(next) + "_to_" + std::to_string(next + 49) +
                    "; UPDATE t SET n = n + 1, v = 'u' WHERE id % 97 = " + std::to_string(id % 97) +
                    "; DELETE FROM t WHERE id = " + std::to_string(id) + "; COMMIT;");
        next += 50;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::mt19937 random(5);
  for (int kill = 0; kill < 10; ++kill) {
    testing::Options o;
    o.cwd = w.dir.path();
    o.stderr_path = w.path("serve.log");
    testing::Child serve({testing::ingestd_bin(), "serve", "flows.toml", "--listen", "127.0.0.1:0"}, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 1700));
    serve.signal(SIGKILL);
    serve.wait();
  }
  writing = false;
  writer.join();
  // The daemons streamed changes between the kills, not only the first copy.
  CHECK(std::stoll(testing::scalar(w.path("dw.db"), "SELECT count(*) FROM t WHERE id > 2000")) > 0);
  run_ok(w);
  CHECK(sqlite_rows(w) == source_rows(src));
  CHECK(std::stoll(src.scalar("SELECT count(*) FROM t")) > 2000);
}

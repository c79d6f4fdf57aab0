// The mysql plugin against a real MariaDB: types both ways (utf8mb4, exact
// decimals, unsigned 64-bit, zero dates, binary, JSON), load modes with
// deletes arriving from a change stream, an atomic replace, and the errors
// a user meets: a wrong password (never printed), an unknown table, a server
// that is not there.
#include "e2e.hpp"
#include "support/mysql.hpp"
#include "support/net.hpp"
#include "support/pg.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using testing::MysqlDatabase;
using testing::PgDatabase;
using testing::Rows;

namespace {

std::string mysql_toml(const std::string& section, const MysqlDatabase& db, const std::string& extra = "") {
  return "[" + section + "]\nplugin = \"mysql\"\nconfig = { dsn = \"" + db.dsn() + "\"" + extra + " }\n";
}

Result run_ok(const Workspace& w) {
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return r;
}

const char* kTypesTable =
    "CREATE TABLE ty (id bigint unsigned PRIMARY KEY, name varchar(40) CHARACTER SET utf8mb4, price decimal(30,10), "
    "big bigint unsigned, small tinyint, flag tinyint(1), f double, at datetime(6), stamp timestamp(3) NULL, "
    "day date, tm time(6), raw varbinary(16), doc json, kind enum('a','b'), yr year);"
    "SET sql_mode = '';"  // lets the zero date in, as old applications do
    "INSERT INTO ty VALUES (18446744073709551615, 'Zoë 🎉', 12345678901234567890.0123456789, 18446744073709551615, -128, "
    "1, 1.25, '2024-02-29 23:59:59.999999', '2024-01-01 00:00:00.123', '2024-02-29', '-12:30:00.5', x'00ff10', "
    "'{\"a\": [1, 2]}', 'b', 2024), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0000-00-00', NULL, NULL, NULL, "
    "NULL, NULL);";

}  // namespace

TEST_CASE("every column type reaches SQLite and MariaDB exactly, and back the same") {
  MysqlDatabase src, dst, appended;
  src.execute(kTypesTable);
  Workspace w;
  // Merged (INSERT ... ON DUPLICATE KEY UPDATE) and appended (LOAD DATA): the same values.
  w.write("flows.toml", mysql_toml("sources.src", src) + mysql_toml("destinations.back", dst) +
                            mysql_toml("destinations.appended", appended) +
                            "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = [\"back\", \"lite\"]\nload = \"merge\"\n"
                            "[flows.streams.\"" + src.name() + ".ty\"]\ntable = \"ty\"\n"
                            "[[flows]]\nname = \"a\"\nfrom = \"src\"\nto = \"appended\"\n"
                            "[flows.streams.\"" + src.name() + ".ty\"]\ntable = \"ty\"\n");
  run_ok(w);
  const std::string columns = "id, name, price, big, small, flag, f, at, stamp, day, tm, hex(raw), doc, kind, yr";
  CHECK(dst.query("SELECT " + columns + " FROM ty ORDER BY id") ==
        Rows{{"2", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL",
              "NULL"},
             {"18446744073709551615", "Zoë 🎉", "12345678901234567890.0123456789", "18446744073709551615", "-128", "1",
              "1.25", "2024-02-29 23:59:59.999999", "2024-01-01 00:00:00.123000", "2024-02-29", "-12:30:00.500000",
              "00FF10", "{\"a\": [1, 2]}", "b", "2024"}});
  CHECK(testing::query(w.path("dw.db"), "SELECT id, name, price, big, small, flag, f, at, stamp, day, hex(raw), doc FROM ty "
                                        "ORDER BY CAST(id AS REAL)") ==
        Rows{{"2", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "", "NULL"},
             {"18446744073709551615", "Zoë 🎉", "12345678901234567890.0123456789", "18446744073709551615", "-128", "1",
              "1.25", "2024-02-29T23:59:59.999999", "2024-01-01T00:00:00.123Z", "2024-02-29", "00FF10",
              "{\"a\": [1, 2]}"}});
  CHECK(appended.query("SELECT " + columns + " FROM ty ORDER BY id") == dst.query("SELECT " + columns + " FROM ty ORDER BY id"));
  // Copied again with nothing changed: no row is touched.
  const std::string runs = dst.scalar("SELECT group_concat(_ingestd_run_id ORDER BY id) FROM ty");
  run_ok(w);
  CHECK(dst.scalar("SELECT group_concat(_ingestd_run_id ORDER BY id) FROM ty") == runs);
}

TEST_CASE("a zero date is NULL by default, and with zero_dates = \"fail\" an error naming the row's column") {
  MysqlDatabase src;
  src.execute(kTypesTable);
  Workspace w;
  w.write("flows.toml", mysql_toml("sources.src", src, ", zero_dates = \"fail\"") +
                            "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"lite\"\n");
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.err, "day"), dump(r));
  CHECK_MESSAGE(contains(r.err, "0000-00-00"), dump(r));
}

TEST_CASE("merge applies updates and deletes from a PostgreSQL change stream, hard and soft") {
  PgDatabase src;
  MysqlDatabase hard, soft;
  src.execute("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 50) g;");
  Workspace w;
  auto flows = [&](bool hard_delete, const std::string& name, const MysqlDatabase& db) {
    return "[[flows]]\nname = \"" + name + "\"\nfrom = \"src\"\nto = \"" + name + "\"\n"
           "extract = \"incremental-updates\"\nload = \"merge\"\nhard_delete = " + (hard_delete ? "true" : "false") +
           "\n[flows.streams.\"public.t\"]\ntable = \"t\"\n" + mysql_toml("destinations." + name, db);
  };
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() +
                            "\", capture = \"logical\" }\n" + flows(true, "hard", hard) + flows(false, "soft", soft));
  run_ok(w);
  CHECK(hard.scalar("SELECT count(*) FROM t") == "50");
  src.execute("UPDATE t SET v = 'changed' WHERE id <= 5; DELETE FROM t WHERE id > 40; INSERT INTO t VALUES (99, 'new');");
  run_ok(w);
  const std::string expected = src.scalar("SELECT string_agg(id || ':' || v, ',' ORDER BY id) FROM t");
  CHECK(hard.scalar("SELECT group_concat(id, ':', v ORDER BY id) FROM t") == expected);
  CHECK(soft.scalar("SELECT group_concat(id, ':', v ORDER BY id) FROM t WHERE NOT _ingestd_deleted") == expected);
  CHECK(soft.scalar("SELECT count(*) FROM t WHERE _ingestd_deleted") == "10");
  // Idle: nothing written again; the checkpoint went in with the data.
  const std::string runs = soft.scalar("SELECT group_concat(_ingestd_run_id, _ingestd_synced_at ORDER BY id) FROM t");
  run_ok(w);
  CHECK(soft.scalar("SELECT group_concat(_ingestd_run_id, _ingestd_synced_at ORDER BY id) FROM t") == runs);
  CHECK(hard.scalar("SELECT count(*) FROM _ingestd_state WHERE `key` = 'hard/public.t'") == "1");
}

TEST_CASE("replace swaps the new table in whole and leaves no staging table behind") {
  MysqlDatabase src, dst;
  src.execute("CREATE TABLE r (id int PRIMARY KEY, v text); INSERT INTO r VALUES (1, 'a'), (2, 'b'), (3, 'c');");
  Workspace w;
  w.write("flows.toml", mysql_toml("sources.src", src) + mysql_toml("destinations.dst", dst) +
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nload = \"replace\"\n"
                            "[flows.streams.\"" + src.name() + ".r\"]\ntable = \"r\"\n");
  run_ok(w);
  src.execute("DELETE FROM r WHERE id = 2; UPDATE r SET v = 'c2' WHERE id = 3;");
  run_ok(w);
  CHECK(dst.query("SELECT id, v FROM r ORDER BY id") == Rows{{"1", "a"}, {"3", "c2"}});
  CHECK(dst.scalar("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()") == "1");
}

TEST_CASE("an appended value the table cannot hold fails the load instead of being cut, and nothing is left half-loaded") {
  MysqlDatabase src, dst;
  src.execute("CREATE TABLE s (id int PRIMARY KEY, v varchar(20)); INSERT INTO s VALUES (1, 'ok'), (2, 'far too long');");
  dst.execute("CREATE TABLE s (id bigint, v varchar(4))");  // made by hand, narrower
  Workspace w;
  w.write("flows.toml", mysql_toml("sources.src", src) + mysql_toml("destinations.dst", dst, ", database = \"" +
                                                                     dst.name() + "\"") +
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nschema_changes = \"freeze\"\n"
                            "[flows.streams.\"" + src.name() + ".s\"]\ntable = \"s\"\n");
  const Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, "'v'"), dump(r));
  CHECK(dst.scalar("SELECT count(*) FROM s") == "0");
}

TEST_CASE("a wrong password, a missing table and an absent server each fail clearly, the password unprinted") {
  MysqlDatabase src;
  src.execute("CREATE TABLE x (id int PRIMARY KEY)");
  const auto& s = testing::mysql_server();
  Workspace w;
  const std::string lite = "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n";
  w.write("flows.toml", "[sources.src]\nplugin = \"mysql\"\nconfig = { host = \"127.0.0.1\", port = " +
                            s.at("MYSQL_PORT") + ", user = \"ingestd\", password = \"wrong-Secret-42\", database = \"" +
                            src.name() + "\" }\n" + lite + "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"lite\"\n");
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.err, "Access denied"), dump(r));
  CHECK_FALSE(contains(r.out + r.err, "wrong-Secret-42"));

  w.write("flows.toml", mysql_toml("sources.src", src) + lite +
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"lite\"\nstreams = [\"" + src.name() +
                            ".nope\"]\n");
  r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.err, src.name() + ".x"), dump(r));  // the streams there are

  const int port = testing::free_port();
  w.write("flows.toml", "[sources.src]\nplugin = \"mysql\"\nconfig = { dsn = \"mysql://ingestd:pw-Hidden-7@127.0.0.1:" +
                            std::to_string(port) + "/db\", connect_attempts = 2 }\n" + lite +
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"lite\"\n");
  r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.err, "(after 2 attempts)"), dump(r));
  CHECK_MESSAGE(contains(r.err, "127.0.0.1:" + std::to_string(port)), dump(r));
  CHECK_FALSE(contains(r.out + r.err, "pw-Hidden-7"));
}

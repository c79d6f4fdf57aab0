// The repeated-runs matrix for the mysql source (into SQLite and into
// MariaDB) and the mysql destination (from PostgreSQL).
#include "support/mysql.hpp"
#include "support/pg.hpp"
#include "support/rerun_matrix.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace testing;

namespace {

RerunSource mysql_source(const std::shared_ptr<MysqlDatabase>& src) {
  RerunSource s;
  s.label = "mysql";
  s.source_toml = [src] { return "[sources.src]\nplugin = \"mysql\"\nconfig = { dsn = \"" + src->dsn() + "\" }\n"; };
  s.stream = src->name() + ".items";
  s.columns = {"id", "name", "amount"};
  s.cursor = "updated_at";
  s.extract_modes = {"snapshot", "incremental-appends", "incremental-updates"};
  s.setup = [src](const std::string&) {
    src->execute("DROP TABLE IF EXISTS items;"
                 "CREATE TABLE items (id int PRIMARY KEY, name varchar(40), amount double, updated_at datetime(6));"
                 "INSERT INTO items VALUES (1, 'ann', 1.5, '2026-01-01 00:00:01'), (2, 'bob', 2.5, '2026-01-01 "
                 "00:00:02'), (3, 'cy', 3.5, '2026-01-01 00:00:03');");
  };
  s.change = [src](const std::string&) {
    src->execute("UPDATE items SET name = 'bob jr', amount = 20.5, updated_at = '2026-01-01 00:00:04' WHERE id = 2;"
                 "INSERT INTO items VALUES (4, 'dee', 4.5, '2026-01-01 00:00:05'), (5, 'eve', 5.5, '2026-01-01 "
                 "00:00:06');");
  };
  s.before = {{"1", "ann", "1.5"}, {"2", "bob", "2.5"}, {"3", "cy", "3.5"}};
  s.delta = {{"2", "bob jr", "20.5"}, {"4", "dee", "4.5"}, {"5", "eve", "5.5"}};
  return s;
}

RerunDestination mysql_destination(const std::shared_ptr<MysqlDatabase>& dst) {
  RerunDestination d;
  d.label = "mysql";
  d.toml = "[destinations.dst]\nplugin = \"mysql\"\nconfig = { dsn = \"" + dst->dsn() + "\" }\n";
  d.table = "t";
  // The matrix writes standard SQL: double-quoted names, CAST(... AS TEXT).
  d.query = [dst](const std::string&, std::string sql) {
    for (std::size_t at; (at = sql.find(" AS TEXT)")) != std::string::npos;) sql.replace(at, 9, " AS CHAR)");
    return dst->query("SET sql_mode = 'ANSI_QUOTES'; " + sql);
  };
  d.reset = [dst] { dst->execute("DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS _ingestd_state"); };
  d.stored_state = [dst](const std::string&) {
    std::string out;
    if (dst->scalar("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = "
                    "'_ingestd_state'") == "0")
      return out;
    for (const auto& row : dst->query("SELECT `key`, checkpoint, generation, run_id, saved_at FROM _ingestd_state "
                                      "ORDER BY `key`"))
      for (const auto& v : row) out += "|" + v;
    return out;
  };
  return d;
}

}  // namespace

TEST_CASE("rerun: mysql into SQLite, every mode: an idle rerun succeeds and rewrites nothing") {
  auto src = std::make_shared<MysqlDatabase>();
  run_rerun_matrix(mysql_source(src), sqlite_rerun_destination());
}

TEST_CASE("rerun: mysql into MariaDB, every mode: an idle rerun succeeds and rewrites nothing") {
  auto src = std::make_shared<MysqlDatabase>();
  auto dst = std::make_shared<MysqlDatabase>();
  run_rerun_matrix(mysql_source(src), mysql_destination(dst));
}

TEST_CASE("rerun: postgres into MariaDB, every mode: an idle rerun succeeds and rewrites nothing") {
  auto src = std::make_shared<PgDatabase>();
  auto dst = std::make_shared<MysqlDatabase>();
  RerunSource s;
  s.label = "postgres";
  s.source_toml = [src] { return "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src->dsn() + "\" }\n"; };
  s.stream = "public.items";
  s.columns = {"id", "name", "amount"};
  s.cursor = "updated_at";
  s.extract_modes = {"snapshot", "incremental-appends", "incremental-updates"};
  s.setup = [src](const std::string&) {
    src->execute("DROP TABLE IF EXISTS items;"
                 "CREATE TABLE items (id int PRIMARY KEY, name text, amount float8, updated_at timestamptz);"
                 "INSERT INTO items VALUES (1, 'ann', 1.5, '2026-01-01 00:00:01Z'), (2, 'bob', 2.5, '2026-01-01 "
                 "00:00:02Z'), (3, 'cy', 3.5, '2026-01-01 00:00:03Z');");
  };
  s.change = [src](const std::string&) {
    src->execute("UPDATE items SET name = 'bob jr', amount = 20.5, updated_at = '2026-01-01 00:00:04Z' WHERE id = 2;"
                 "INSERT INTO items VALUES (4, 'dee', 4.5, '2026-01-01 00:00:05Z');");
  };
  s.before = {{"1", "ann", "1.5"}, {"2", "bob", "2.5"}, {"3", "cy", "3.5"}};
  s.delta = {{"2", "bob jr", "20.5"}, {"4", "dee", "4.5"}};
  run_rerun_matrix(s, mysql_destination(dst));
}

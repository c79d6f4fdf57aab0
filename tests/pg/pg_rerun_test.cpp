// The repeated-runs matrix for the postgres source, into SQLite and into
// PostgreSQL.
#include "support/pg.hpp"
#include "support/rerun_matrix.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace testing;

namespace {

RerunSource postgres_source(const std::shared_ptr<PgDatabase>& src) {
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
                 "INSERT INTO items VALUES (4, 'dee', 4.5, '2026-01-01 00:00:05Z'), (5, 'eve', 5.5, '2026-01-01 "
                 "00:00:06Z');");
  };
  s.before = {{"1", "ann", "1.5"}, {"2", "bob", "2.5"}, {"3", "cy", "3.5"}};
  s.delta = {{"2", "bob jr", "20.5"}, {"4", "dee", "4.5"}, {"5", "eve", "5.5"}};
  return s;
}

}  // namespace

TEST_CASE("rerun: postgres into SQLite, every mode: an idle rerun succeeds and rewrites nothing") {
  auto src = std::make_shared<PgDatabase>();
  run_rerun_matrix(postgres_source(src), sqlite_rerun_destination());
}

TEST_CASE("rerun: postgres into PostgreSQL, every mode: an idle rerun succeeds and rewrites nothing") {
  auto src = std::make_shared<PgDatabase>();
  auto dst = std::make_shared<PgDatabase>();
  RerunDestination d;
  d.label = "postgres";
  d.toml = "[destinations.dst]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst->dsn() + "\" }\n";
  d.table = "t";
  d.query = [dst](const std::string&, const std::string& sql) { return dst->query(sql); };
  d.reset = [dst] { dst->execute("DROP TABLE IF EXISTS public.t; DROP TABLE IF EXISTS public._ingestd_state"); };
  d.stored_state = [dst](const std::string&) {
    std::string out;
    if (dst->scalar("SELECT to_regclass('public._ingestd_state') IS NULL") == "t") return out;
    for (const auto& row : dst->query("SELECT key, encode(checkpoint, 'escape'), generation, run_id, saved_at FROM "
                                      "public._ingestd_state ORDER BY key"))
      for (const auto& v : row) out += "|" + v;
    return out;
  };
  run_rerun_matrix(postgres_source(src), d);
}

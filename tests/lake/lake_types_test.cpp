// Every type ingestd has, from PostgreSQL into DuckDB, out of DuckDB into a
// Parquet lake, and back out of the lake into another DuckDB database: the
// values and their exact types survive each step.
#include "e2e.hpp"
#include "support/duckdb_query.hpp"
#include "support/pg.hpp"

using namespace e2e;
using testing::duck_query;
using testing::lake_query;
using testing::PgDatabase;
using testing::Rows;

namespace {

const char* kTypes =
    "CREATE TABLE t (id integer PRIMARY KEY, s smallint, i integer, b8 bigint, n numeric(20,6), r real, "
    "d double precision, bo boolean, tx text, bt bytea, dt date, ts timestamp, tz timestamptz, tm time, jb jsonb);"
    "INSERT INTO t VALUES "
    "(1, 1, 2, 9007199254740993, 12345678901234.123456, 1.5, 0.1, true, 'tab\tline\nback\\slash caf\xC3\xA9 "
    "\xF0\x9F\x98\x80', '\\x00ff10', '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+02', "
    "'13:14:15.25', '{\"a\": [1, {\"b\": null}], \"u\": \"\xC3\xA9\"}'),"
    "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),"
    "(3, -32768, -2147483648, -9223372036854775808, -0.000001, -3.25, 1e300, false, '', '\\x', '1970-01-01', "
    "'1999-12-31 23:59:59', '1970-01-01 00:00:00+00', '00:00:00', '[]');";

const char* kColumns = "id, s, i, b8, n, r, d, bo, tx, bt, dt, ts, tz, tm, jb";

std::string flow(const std::string& source, const std::string& destination, const std::string& extra) {
  return source + destination + "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n" + extra;
}

}  // namespace

TEST_CASE("types: PostgreSQL -> DuckDB -> Parquet -> DuckDB keeps every value and its exact type") {
  PgDatabase pg;
  pg.execute(kTypes);
  Workspace w;
  const std::string duck = "[destinations.dst]\nplugin = \"duckdb\"\nconfig = { path = \"first.duckdb\" }\n";
  w.write("1.toml", flow("[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + pg.dsn() + "\" }\n", duck,
                         "load = \"merge\"\nstreams = { \"public.t\" = { table = \"t\" } }\n"));
  w.write("2.toml", flow("[sources.src]\nplugin = \"duckdb\"\nconfig = { path = \"first.duckdb\" }\n",
                         "[destinations.dst]\nplugin = \"parquet\"\nconfig = { path = \"lake\" }\n",
                         "load = \"merge\"\nprimary_key = \"id\"\n"));
  w.write("3.toml", flow("[sources.src]\nplugin = \"parquet\"\nconfig = { path = \"lake\" }\n",
                         "[destinations.dst]\nplugin = \"duckdb\"\nconfig = { path = \"second.duckdb\" }\n",
                         "load = \"replace\"\n"));
  for (const char* file : {"1.toml", "2.toml", "3.toml"}) {
    for (int pass = 0; pass < 2; ++pass) {  // each step again: nothing changes
      Result r = w.ingestd({"run", file});
      REQUIRE_MESSAGE(r.exit_code == 0, file << "\n" << dump(r));
    }
  }
  const std::string select = std::string("SELECT ") + kColumns + " FROM t ORDER BY id";
  const Rows first = duck_query(w.path("first.duckdb"), select);
  CHECK(first == Rows{{"1", "1", "2", "9007199254740993", "12345678901234.123456", "1.5", "0.1", "true",
                       "tab\tline\nback\\slash caf\xC3\xA9 \xF0\x9F\x98\x80", "\\x00\\xFF\\x10", "2024-02-29",
                       "2024-01-02 03:04:05.123456", "2024-01-02 01:04:05.5+00", "13:14:15.25",
                       "{\"a\": [1, {\"b\": null}], \"u\": \"\xC3\xA9\"}"},
                      {"2", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL",
                       "NULL", "NULL", "NULL"},
                      {"3", "-32768", "-2147483648", "-9223372036854775808", "-0.000001", "-3.25", "1e+300", "false",
                       "", "", "1970-01-01", "1999-12-31 23:59:59", "1970-01-01 00:00:00+00", "00:00:00", "[]"}});
  // Exact types: decimals keep precision and scale, zones stay apart.
  const std::string types = "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 't' AND "
                            "column_name NOT LIKE '\\_ingestd\\_%' ESCAPE '\\' ORDER BY column_index";
  const Rows expected_types = {{"id", "INTEGER"},   {"s", "SMALLINT"},
                               {"i", "INTEGER"},    {"b8", "BIGINT"},
                               {"n", "DECIMAL(20,6)"}, {"r", "FLOAT"},
                               {"d", "DOUBLE"},     {"bo", "BOOLEAN"},
                               {"tx", "VARCHAR"},   {"bt", "BLOB"},
                               {"dt", "DATE"},      {"ts", "TIMESTAMP"},
                               {"tz", "TIMESTAMP WITH TIME ZONE"}, {"tm", "TIME"},
                               {"jb", "VARCHAR"}};
  CHECK(duck_query(w.path("first.duckdb"), types) == expected_types);
  // DuckDB reads the lake's Parquet files as the manifest lists them, with the same values and types.
  CHECK(lake_query(w.path("lake/t"), select) == first);
  CHECK(lake_query(w.path("lake/t"), "SELECT column_name, column_type FROM (DESCRIBE SELECT " + std::string(kColumns) +
                                         " FROM t)") == expected_types);
  // ... and so does ingestd, into a second database.
  CHECK(duck_query(w.path("second.duckdb"), select) == first);
  CHECK(duck_query(w.path("second.duckdb"), types) == expected_types);
  // The reruns wrote nothing: every row still carries its first run.
  CHECK(duck_query(w.path("first.duckdb"), "SELECT count(DISTINCT _ingestd_run_id) FROM t") == Rows{{"1"}});
  CHECK(testing::lake_files(w.path("lake/t")).size() == 1);
}

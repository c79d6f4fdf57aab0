// PostgreSQL types through the real binary and a real server, both ways.
#include "e2e.hpp"
#include "support/pg.hpp"

using namespace e2e;
using ingestd::json::Value;
using testing::PgDatabase;
using testing::Rows;

namespace {

std::string pg_flow(const std::string& src_dsn, const std::string& dst_dsn, const std::string& keys = "") {
  return "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src_dsn + "\" }\n"
         "[destinations.dst]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst_dsn + "\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n" + keys;
}

const char* kAllTypes =
    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
    "CREATE TABLE t (id integer PRIMARY KEY, s smallint, i integer, b8 bigint, n numeric(14,4), nn numeric, "
    "r real, d double precision, bo boolean, tx text, vc varchar(20), ch char(3), by bytea, dt date, ts timestamp, "
    "tz timestamptz, tm time, u uuid, j json, jb jsonb, arr integer[], tarr text[], m mood);"
    "INSERT INTO t VALUES "
    "(1, 1, 2, 9007199254740993, 1234567890.1234, 3.14159265358979323846264338327950288419716939937510, 1.5, "
    "0.1, true, 'tab\tline\nback\\slash', 'caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80', 'ab', '\\x00ff10', '2024-02-29', "
    "'2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.5+02', '13:14:15.25', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', "
    "'{\"a\": [1, 2]}', '{\"b\": null, \"u\": \"\xC3\xA9\"}', '{1,NULL,3}', '{\"x y\",\"\\\"q\\\"\"}', 'happy'),"
    "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL),"
    "(3, -32768, -2147483648, -9223372036854775808, -0.0001, 'NaN', 'Infinity', '-Infinity', false, '', '', '', "
    "'\\x', 'infinity', '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', '00:00:00', "
    "'00000000-0000-0000-0000-000000000000', 'null', '[]', '{}', '{}', 'sad');";

}  // namespace

TEST_CASE("types: every listed type survives PostgreSQL -> PostgreSQL, NULLs and Unicode included") {
  PgDatabase src, dst;
  src.execute(kAllTypes);
  Workspace w;
  w.write("flows.toml", pg_flow(src.dsn(), dst.dsn()));
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  // Every column reads back the same, as PostgreSQL itself prints it.
  for (const char* col : {"s", "i", "b8", "n", "nn", "r", "d", "bo", "tx", "vc", "ch", "by", "dt", "ts", "tz", "tm", "u",
                          "j", "jb", "m"}) {
    // char(n) compares uncast: a cast to text drops its padding.
    std::string sql = std::string("SELECT ") + col + (std::string(col) == "ch" ? "" : "::text") +
                      " FROM public.t ORDER BY id";
    CHECK_MESSAGE(src.query(sql) == dst.query(sql), std::string(col));
  }
  // Arrays arrive as JSON text.
  CHECK(dst.query("SELECT arr, tarr FROM public.t ORDER BY id") ==
        Rows{{"[1,null,3]", "[\"x y\",\"\\\"q\\\"\"]"}, {"NULL", "NULL"}, {"[]", "[]"}});
  // Exact types stay exact; time zones are kept apart.
  CHECK(dst.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 't' AND "
                  "column_name IN ('n', 'b8', 'ts', 'tz', 'by', 'dt') ORDER BY column_name") ==
        Rows{{"b8", "bigint"}, {"by", "bytea"}, {"dt", "text"}, {"n", "numeric"}, {"ts", "timestamp without time zone"},
             {"tz", "timestamp with time zone"}});
  CHECK(dst.scalar("SELECT numeric_precision || ',' || numeric_scale FROM information_schema.columns "
                   "WHERE table_name = 't' AND column_name = 'n'") == "14,4");
}

TEST_CASE("types: CSV -> PostgreSQL keeps declared types, NULLs, empty strings and Unicode") {
  PgDatabase dst;
  Workspace w;
  w.write("t.csv",
          "id,amount,ok,name,day,at,raw\n"
          "1,12.50,true,\"caf\xC3\xA9, \"\"\xE2\x82\xAC\"\"\",2024-02-29,2024-01-02T03:04:05.123456Z,x\n"
          "2,,,,,,\n"
          "3,-0.01,false,\"\",1970-01-01,1969-12-31T23:59:59Z,\"\"\n");
  w.write("flows.toml",
          "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\", columns = [\"id:int32\", "
          "\"amount:decimal(10,2)\", \"ok:bool\", \"name:string\", \"day:date\", \"at:timestamp\"] }\n"
          "[destinations.pg]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\", schema = \"staging\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"pg\"\n");
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(dst.query("SELECT id, amount, ok, name, day, at, raw, _ingestd_deleted FROM staging.t ORDER BY id") ==
        Rows{{"1", "12.50", "t", "caf\xC3\xA9, \"\xE2\x82\xAC\"", "2024-02-29", "2024-01-02 03:04:05.123456+00", "x", "f"},
             {"2", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "f"},
             {"3", "-0.01", "f", "", "1970-01-01", "1969-12-31 23:59:59+00", "", "f"}});
  CHECK(dst.scalar("SELECT data_type FROM information_schema.columns WHERE table_name = 't' AND column_name = 'amount'") ==
        "numeric");
}

TEST_CASE("types: discover lists schema.table streams with keys and cursors, filtered by globs") {
  PgDatabase src;
  src.execute("CREATE SCHEMA sales; CREATE SCHEMA scratch;"
              "CREATE TABLE sales.orders (id bigserial PRIMARY KEY, placed_at timestamptz, note text);"
              "CREATE TABLE sales.tmp_load (x int); CREATE VIEW sales.big_orders AS SELECT * FROM sales.orders;"
              "CREATE TABLE scratch.junk (y int); CREATE TABLE public._ingestd_state (key text);");
  Workspace w;
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() +
                            "\", schemas = [\"sales\"], tables = [\"*\", \"!tmp_*\"] }\n"
                            "[destinations.d]\nplugin = \"null\"\n[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"d\"\n");
  Result r = w.ingestd({"discover", "flows.toml", "--source", "src", "--format", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  Value streams = Value::parse(r.out);
  REQUIRE(streams.as_array().size() == 2);
  CHECK(streams.as_array()[0]["name"].as_string() == "sales.big_orders");
  const Value& orders = streams.as_array()[1];
  CHECK(orders["name"].as_string() == "sales.orders");
  CHECK(orders["primary_key"].dump() == "[\"id\"]");
  CHECK(orders["cursor_candidates"].dump() == "[\"id\",\"placed_at\"]");
  CHECK(orders["columns"].as_array()[1]["type"].as_string() == "timestamp");
}

TEST_CASE("types: a million rows PostgreSQL -> PostgreSQL match by an order-independent checksum of every column") {
  PgDatabase src, dst;
  src.execute(
      "CREATE TABLE big (id bigint PRIMARY KEY, label text, amount numeric(14,2), at timestamptz, flag boolean, "
      "ratio double precision, day date, ref uuid, doc jsonb, code varchar(12));"
      "INSERT INTO big SELECT g, 'row ' || g || CASE WHEN g % 7 = 0 THEN ' \xC3\xA9\t\\' ELSE '' END, "
      "(g % 100000) / 100.0, timestamptz '2020-01-01' + g * interval '1 second', g % 3 = 0, g / 7.0, "
      "date '2000-01-01' + (g % 9000), md5(g::text)::uuid, jsonb_build_object('g', g, 'odd', g % 2 = 1), "
      "CASE WHEN g % 11 = 0 THEN NULL ELSE 'c' || (g % 997) END FROM generate_series(1, 1000000) g;");
  Workspace w;
  w.write("flows.toml", pg_flow(src.dsn(), dst.dsn(), "batch_rows = 50000\n"));
  testing::Options slow;
  slow.timeout_seconds = 600;
  Result r = w.ingestd({"run", "flows.toml"}, slow);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::string checksum =
      "SELECT count(*) || ':' || sum(hashtextextended(ROW(id, label, amount, at, flag, ratio, day, ref::text, "
      "doc::text, code)::text, 0)) FROM public.big";
  std::string expected = src.scalar(checksum);
  CHECK(expected.rfind("1000000:", 0) == 0);
  CHECK(dst.scalar(checksum) == expected);
}

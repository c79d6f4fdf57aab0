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

TEST_CASE("types: rows loaded in COPY binary read back as the server's own parse of the same text") {
  // The table exists with the server's types, so the destination writes the
  // binary forms (numeric, timestamps, dates, UUIDs, jsonb, integers of each
  // width); the reference is the same text parsed by the server.
  const std::string columns =
      "id integer PRIMARY KEY, s smallint, b bigint, n0 numeric(38,0), n2 numeric(14,2), n5 numeric(20,5), "
      "n8 numeric(30,8), f double precision, r real, bo boolean, tx text, vc varchar(30), dt date, "
      "ts timestamp, tz timestamptz, tm time, u uuid, jb jsonb, js json";
  const std::vector<std::vector<std::string>> rows = {
      {"1", "-32768", "-9223372036854775808", "99999999999999999999999999999999999999", "123456789012.34",
       "-0.00001", "1.00000001", "-1.5e-300", "3.25", "true", "tab\there back\\slash", "caf\xC3\xA9 \xE2\x82\xAC",
       "1999-12-31", "1969-07-20 20:17:40.000001", "2000-01-01T00:00:00Z", "23:59:59.999999",
       "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{\"a\": [1, 2.5, null], \"\xC3\xA9\": true}", "[1,  2]"},
      {"2", "32767", "9223372036854775807", "-99999999999999999999999999999999999999", "-0.01", "10000.00000",
       "0.00000000", "0", "-0", "false", "", "", "2000-01-01", "2000-01-01 00:00:00", "1900-03-01T12:00:00+05:30",
       "00:00:00", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "[]", "{}"},
      {"3", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""},
      {"4", "0", "0", "0", "0.00", "12345.6789", "-98765432109876.54321098", "1.7976931348623157e308", "1e-30",
       "true", "x", "y", "9999-12-31", "2262-04-11 23:47:16.854775", "1970-01-01T00:00:00Z", "12:00:00.5",
       "a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11", "\"text\"", "null"}};
  PgDatabase dst;
  dst.execute("CREATE TABLE loaded (" + columns + "); CREATE TABLE reference (" + columns + ");");
  std::string values;
  std::string csv = "id,s,b,n0,n2,n5,n8,f,r,bo,tx,vc,dt,ts,tz,tm,u,jb,js\n";
  for (const auto& row : rows) {
    values += values.empty() ? "(" : ",(";
    for (std::size_t i = 0; i < row.size(); ++i) {
      // An empty value is NULL in both, except in the text columns (10, 11) where it is ''.
      const bool null = row[i].empty() && i != 10 && i != 11;
      std::string literal = "'";
      for (char c : row[i]) literal += c == '\'' ? std::string("''") : std::string(1, c);
      values += (i ? ", " : "") + (null ? std::string("NULL") : literal + "'");
      std::string field = "\"";
      for (char c : row[i]) field += c == '"' ? std::string("\"\"") : std::string(1, c);
      csv += (i ? "," : "") + (null ? std::string() : field + "\"");
    }
    values += ")";
    csv += "\n";
  }
  dst.execute("INSERT INTO reference VALUES " + values);
  Workspace w;
  w.write("loaded.csv", csv);
  w.write("flows.toml",
          "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"loaded.csv\", columns = [\"id:int32\", \"s:int16\", "
          "\"b:int64\", \"n0:decimal(38,0)\", \"n2:decimal(14,2)\", \"n5:decimal(20,5)\", \"n8:decimal(30,8)\", "
          "\"f:float64\", \"r:float32\", \"bo:bool\", \"tx:string\", \"vc:string\", \"dt:date\", \"ts:timestamp_local\", "
          "\"tz:timestamp\", \"tm:time\", \"u:string\", \"jb:string\", \"js:string\"] }\n"
          "[destinations.pg]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"pg\"\nload = \"merge\"\n[flows.streams.loaded]\nprimary_key = [\"id\"]\n");
  for (int run = 0; run < 2; ++run) {
    Result r = w.ingestd({"run", "flows.toml", "--log-level", "debug"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  }
  for (const char* col : {"s", "b", "n0", "n2", "n5", "n8", "f", "r", "bo", "tx", "vc", "dt", "ts", "tz", "tm", "u",
                          "jb", "js"}) {
    const std::string sql = std::string("SELECT ") + col + "::text FROM public.";
    CHECK_MESSAGE(dst.query(sql + "loaded ORDER BY id") == dst.query(sql + "reference ORDER BY id"), std::string(col));
  }
  CHECK(dst.scalar("SELECT count(*) FROM public.loaded") == "4");

  // A value the binary form cannot carry fails the run naming the column,
  // and nothing of it is committed.
  w.write("loaded.csv", csv + "5,,,,,,,,,,,,,,,,not-a-uuid,,\n");
  Result bad = w.ingestd({"run", "flows.toml"});
  CHECK(bad.exit_code == 1);
  CHECK_MESSAGE(bad.err.find("column 'u': 'not-a-uuid' is not a UUID") != std::string::npos, dump(bad));
  CHECK(dst.scalar("SELECT count(*) FROM public.loaded") == "4");
}

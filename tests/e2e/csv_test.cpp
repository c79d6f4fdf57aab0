// CSV through the real binary: RFC 4180 edge cases, inference, declared
// columns, bad records (fail with a location, or skip to a dead letter).
#include "e2e.hpp"

using namespace e2e;
using ingestd::json::Value;

namespace {

// Runs flows.toml and returns the JSON lines written for `stream`.
std::vector<std::string> run_to_jsonl(Workspace& w, const std::string& stream, Result* result = nullptr) {
  Result r = w.ingestd({"run", "flows.toml"});
  if (result) *result = r;
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return w.lines("out/" + stream + ".jsonl");
}

}  // namespace

TEST_CASE("csv: RFC 4180 quoting, CRLF, BOM, embedded newlines, NULL versus empty string") {
  Workspace w;
  w.write("t.csv",
          "\xEF\xBB\xBF"
          "id,text,note\r\n"
          "1,\"comma, inside\",plain\r\n"
          "2,\"doubled \"\"quotes\"\"\",\r\n"
          "3,\"line\nbreak\",\"\"\r\n"
          "4,,\"crlf\r\ninside\"\r\n"
          "\r\n"
          "5,unicode \xC3\xA9\xE2\x82\xAC,last");  // no final newline
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\""));
  auto lines = run_to_jsonl(w, "t");
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == R"({"id":1,"text":"comma, inside","note":"plain"})");
  CHECK(lines[1] == R"({"id":2,"text":"doubled \"quotes\"","note":null})");
  CHECK(lines[2] == R"({"id":3,"text":"line\nbreak","note":""})");
  CHECK(lines[3] == R"({"id":4,"text":null,"note":"crlf\r\ninside"})");
  CHECK(lines[4] == "{\"id\":5,\"text\":\"unicode \xC3\xA9\xE2\x82\xAC\",\"note\":\"last\"}");
}

TEST_CASE("csv: types are inferred from a sample: codes with leading zeros stay text") {
  Workspace w;
  w.write("t.csv",
          "n,f,b,d,ts,local,zip,big\n"
          "1,1.5,true,2024-02-29,2024-01-02T03:04:05Z,2024-01-02 03:04:05,00501,99999999999999999999\n"
          "-2,1e3,FALSE,1999-12-31,2024-01-02T03:04:05.5+01:00,2024-01-02T00:00:00,10001,1\n");
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\""));
  Result d = w.ingestd({"discover", "flows.toml", "--source", "in", "--format", "json"});
  Value cols = Value::parse(d.out).as_array()[0]["columns"];
  std::vector<std::string> types;
  for (const auto& c : cols.as_array()) types.push_back(c["type"].as_string());
  CHECK(types == std::vector<std::string>{"int64", "float64", "bool", "date", "timestamp", "timestamp_local",
                                          "string", "string"});
  auto lines = run_to_jsonl(w, "t");
  CHECK(lines[0] == R"({"n":1,"f":1.5,"b":true,"d":"2024-02-29","ts":"2024-01-02T03:04:05Z",)"
                    R"("local":"2024-01-02T03:04:05","zip":"00501","big":"99999999999999999999"})");
  CHECK(lines[1] == R"({"n":-2,"f":1000.0,"b":false,"d":"1999-12-31","ts":"2024-01-02T02:04:05.5Z",)"
                    R"("local":"2024-01-02T00:00:00","zip":"10001","big":"1"})");
}

TEST_CASE("csv: a value past the sample widens its column instead of failing") {
  Workspace w;
  std::string csv = "id,v\n";
  for (int i = 0; i < 50; ++i) csv += std::to_string(i) + "," + std::to_string(i * 10) + "\n";
  csv += "50,not a number\n51,7\n";
  w.write("t.csv", csv);
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\", sample_rows = 10") + "batch_rows = 20\n");
  auto lines = run_to_jsonl(w, "t");
  REQUIRE(lines.size() == 52);
  CHECK(lines[49] == R"({"id":49,"v":490})");
  CHECK(lines[50] == R"({"id":50,"v":"not a number"})");
  CHECK(lines[51] == R"({"id":51,"v":"7"})");
}

TEST_CASE("csv: declared columns name headerless files and fix types") {
  Workspace w;
  w.write("t.csv", "1;alice;2024-01-01\n2;bob;\n");
  w.write("flows.toml",
          files_to_jsonl("path = \"t.csv\", header = false, delimiter = \";\", "
                         "columns = [\"id:int32\", \"name\", { name = \"joined\", type = \"timestamp\" }]"));
  auto lines = run_to_jsonl(w, "t");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == R"({"id":1,"name":"alice","joined":"2024-01-01T00:00:00Z"})");
  CHECK(lines[1] == R"({"id":2,"name":"bob","joined":null})");
}

TEST_CASE("csv: null_values are read as NULL") {
  Workspace w;
  w.write("t.csv", "a,b\nNULL,\\N\nx,\"NULL\"\n");
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\", null_values = [\"NULL\", \"\\\\N\"]"));
  auto lines = run_to_jsonl(w, "t");
  CHECK(lines[0] == R"({"a":null,"b":null})");
  CHECK(lines[1] == R"({"a":"x","b":"NULL"})");  // quoted: a real string
}

TEST_CASE("csv: a ragged row fails the run with file:line, exit 1") {
  Workspace w;
  w.write("t.csv", "a,b\n1,2\n3,4,5\n6,7\n");
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\""));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "t.csv:3: expected 2 fields, found 3"));
  CHECK(contains(r.out, "failed"));
}

TEST_CASE("csv: a declared type mismatch and invalid UTF-8 fail with their line") {
  Workspace w;
  w.write("t.csv", "a,b\n1,x\n2,y\nthree,z\n");
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\", columns = [\"a:int64\"]"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "t.csv:4: column 'a': 'three' is not a valid int64"));

  w.write("u.csv", "a\nok\nbad \xC3\x28 byte\n");
  w.write("flows.toml", files_to_jsonl("path = \"u.csv\""));
  r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "u.csv:3: invalid UTF-8 in column 'a'"));
}

TEST_CASE("csv: an unterminated quote is reported where it opened") {
  Workspace w;
  w.write("t.csv", "a,b\n1,\"open\n2,3\n");
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\""));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "t.csv:2: unterminated quoted field"));
}

TEST_CASE("csv: on_error = skip sends bad records to the dead letter and counts them") {
  Workspace w;
  w.write("t.csv", "id,n\n1,10\n2,20,extra\n3,x\n4,40\n5,\xFF\n");
  w.write("flows.toml", files_to_jsonl("path = \"t.csv\", on_error = \"skip\", columns = [\"n:int64\"]"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  auto lines = w.lines("out/t.jsonl");
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == R"({"id":1,"n":10})");
  CHECK(lines[1] == R"({"id":4,"n":40})");
  auto dead = w.lines(".ingestd/dead-letter/in/t.jsonl");
  REQUIRE(dead.size() == 3);
  Value first = Value::parse(dead[0]);
  CHECK(first["line"].as_int() == 3);
  CHECK(first["error"].as_string() == "expected 2 fields, found 3");
  CHECK(first["record"].as_string() == "2,20,extra");
  CHECK(contains(first["file"].as_string(), "t.csv"));
  CHECK(Value::parse(dead[1])["error"].as_string() == "column 'n': 'x' is not a valid int64");
  CHECK(Value::parse(dead[2])["record_base64"].is_string());  // invalid UTF-8 kept byte for byte
  CHECK(stream_of(report, "t")["counters"]["rows_rejected"].as_int() == 3);
  CHECK(contains(r.out, "rows_rejected = 3"));
}

TEST_CASE("csv: a folder or glob is one stream: a later file may add a column") {
  Workspace w;
  w.write("landing/orders_2024_01.csv", "id,amount\n1,10\n2,20\n");
  w.write("landing/orders_2024_02.csv", "id,amount,currency\n3,30,EUR\n");
  w.write("landing/notes.txt", "ignored by the glob\n");
  w.write("flows.toml", files_to_jsonl("path = \"landing/orders_*.csv\""));
  auto lines = run_to_jsonl(w, "orders");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == R"({"id":1,"amount":10})");
  CHECK(lines[2] == R"({"id":3,"amount":30,"currency":"EUR"})");
}

TEST_CASE("csv destination: append keeps one header: replace swaps the whole file") {
  Workspace w;
  w.write("t.csv", "id,s\n1,\"a,b\"\n2,\n3,\"\"\n");
  std::string flows = "[sources.in]\nplugin = \"files\"\nconfig = { path = \"t.csv\" }\n"
                      "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"csv\" }\n"
                      "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"out\"\n";
  w.write("flows.toml", flows);
  REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  CHECK(w.read("out/t.csv") == "id,s\n1,\"a,b\"\n2,\n3,\"\"\n1,\"a,b\"\n2,\n3,\"\"\n");
  w.write("flows.toml", flows + "load = \"replace\"\n");
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.read("out/t.csv") == "id,s\n1,\"a,b\"\n2,\n3,\"\"\n");
}

TEST_CASE("csv: a large file read ahead on a thread: every row, widening, dead letters and errors where they are") {
  // Over 4 MiB, so the records are split on a thread of their own.
  Workspace w;
  std::string text = "id,amount,note\n";
  const int rows = 120000;
  for (int i = 1; i <= rows; ++i) {
    text += std::to_string(i) + ",";
    // Integers until row 100000, where a decimal widens the column.
    text += i == 100000 ? "2.5" : std::to_string(i % 1000);
    text += i % 5 == 0 ? ",\"multi\nline, \"\"quoted\"\"\"\n" : ",some text to make the file larger than four MiB\n";
    if (i == 110000) text += "bad,row\n";  // two fields: the dead letter
  }
  REQUIRE(text.size() > (std::size_t{4} << 20));
  w.write("big.csv", text);
  w.write("flows.toml", files_to_jsonl("path = \"big.csv\", on_error = \"skip\""));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  auto lines = w.lines("out/big.jsonl");
  REQUIRE(lines.size() == static_cast<std::size_t>(rows));
  // Rows before the widening went out as integers, the rest as floats.
  CHECK(lines[0] == R"({"id":1,"amount":1,"note":"some text to make the file larger than four MiB"})");
  CHECK(lines[4] == R"({"id":5,"amount":5,"note":"multi\nline, \"quoted\""})");
  CHECK(lines[99999] == R"({"id":100000,"amount":2.5,"note":"multi\nline, \"quoted\""})");
  CHECK(lines.back() == R"({"id":120000,"amount":0.0,"note":"multi\nline, \"quoted\""})");
  auto dead = w.lines(".ingestd/dead-letter/in/big.jsonl");
  REQUIRE(dead.size() == 1);
  // Rows 5, 10, ... take two lines each: the bad row is on line 1 + 110000 + 22000 + 1.
  CHECK(Value::parse(dead[0])["line"].as_int() == 1 + 110000 + 22000 + 1);
  CHECK(Value::parse(dead[0])["record"].as_string() == "bad,row");
  CHECK(stream_of(report, "big")["counters"]["rows_rejected"].as_int() == 1);

  // A quote never closed near the end fails the run naming its line (a
  // record that cannot be split is not skipped).
  w.write("big.csv", text + "999999,\"never closed\n");
  Result bad = w.ingestd({"run", "flows.toml"});
  CHECK(bad.exit_code == 1);
  CHECK_MESSAGE(contains(bad.out + bad.err, "big.csv:" + std::to_string(1 + 120000 + 24000 + 1 + 1) +
                                                ": unterminated quoted field"),
                dump(bad));
}

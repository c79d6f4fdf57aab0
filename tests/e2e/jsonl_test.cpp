// JSON Lines through the real binary.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using ingestd::json::Value;

TEST_CASE("jsonl: nested values stay JSON text: missing keys are NULL: new keys add columns") {
  Workspace w;
  std::string data;
  for (int i = 0; i < 5; ++i) data += "{\"id\":" + std::to_string(i) + ",\"tags\":[\"a\",\"b\"],\"meta\":{\"k\":1}}\n";
  data += "\n{\"id\":5,\"extra\":\"late\",\"meta\":null}\n";
  w.write("events.jsonl", data);
  w.write("flows.toml", files_to_jsonl("path = \"events.jsonl\", sample_rows = 3"));
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  auto lines = w.lines("out/events.jsonl");
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == R"({"id":0,"tags":"[\"a\",\"b\"]","meta":"{\"k\":1}"})");
  CHECK(lines[5] == R"({"id":5,"tags":null,"meta":null,"extra":"late"})");
}

TEST_CASE("jsonl: numbers widen, timestamps are recognised, strings stay strings") {
  Workspace w;
  w.write("e.jsonl",
          "{\"n\":1,\"at\":\"2024-05-06T07:08:09Z\",\"code\":\"007\",\"flag\":true}\n"
          "{\"n\":2.5,\"at\":\"2024-05-06T07:08:09+02:00\",\"code\":\"8\",\"flag\":false}\n");
  w.write("flows.toml", files_to_jsonl("path = \"e.jsonl\""));
  Result d = w.ingestd({"discover", "flows.toml", "--source", "in", "--format", "json"});
  CHECK(Value::parse(d.out).as_array()[0]["columns"].dump() ==
        R"([{"name":"n","type":"float64","nullable":true},{"name":"at","type":"timestamp","nullable":true},)"
        R"({"name":"code","type":"string","nullable":true},{"name":"flag","type":"bool","nullable":true}])");
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.lines("out/e.jsonl")[1] == R"({"n":2.5,"at":"2024-05-06T05:08:09Z","code":"8","flag":false})");
}

TEST_CASE("jsonl: malformed lines fail with file:line, or are skipped and counted") {
  Workspace w;
  w.write("e.jsonl", "{\"a\":1}\n{\"a\":2,}\n[1,2]\n{\"a\":3}\n");
  w.write("flows.toml", files_to_jsonl("path = \"e.jsonl\""));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "e.jsonl:2: malformed JSON"));

  w.write("flows.toml", files_to_jsonl("path = \"e.jsonl\", on_error = \"skip\", dead_letter = \"rejects.jsonl\""));
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.lines("out/e.jsonl") == std::vector<std::string>{R"({"a":1})", R"({"a":3})"});
  auto dead = w.lines("rejects.jsonl");
  REQUIRE(dead.size() == 2);
  CHECK(Value::parse(dead[0])["record"].as_string() == "{\"a\":2,}");
  CHECK(Value::parse(dead[1])["error"].as_string() == "expected a JSON object");
  CHECK(Value::parse(dead[1])["line"].as_int() == 3);
  CHECK(stream_of(report, "e")["counters"]["rows_rejected"].as_int() == 2);
}

TEST_CASE("jsonl: CSV in, JSON Lines out, and back: values survive the round trip") {
  Workspace w;
  w.write("t.csv", "id,name,price,day\n1,\"x, \"\"y\"\"\",1.25,2024-01-31\n2,,,\n");
  w.write("flows.toml",
          "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\" }\n"
          "[destinations.json]\nplugin = \"files\"\nconfig = { path = \"j\", format = \"jsonl\" }\n"
          "[sources.back]\nplugin = \"files\"\nconfig = { path = \"j/t.jsonl\" }\n"
          "[destinations.csv]\nplugin = \"files\"\nconfig = { path = \"c\", format = \"csv\" }\n"
          "[[flows]]\nname = \"to-json\"\nfrom = \"csv\"\nto = \"json\"\n"
          "[[flows]]\nname = \"to-csv\"\nfrom = \"back\"\nto = \"csv\"\n");
  REQUIRE(w.ingestd({"run", "flows.toml", "--flow", "to-json"}).exit_code == 0);
  Result r = w.ingestd({"run", "flows.toml", "--flow", "to-csv"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.read("c/t.csv") == w.read("t.csv"));
}

TEST_CASE("jsonl: an incremental merge over empty files succeeds, twice, and loads once records arrive") {
  // Nothing says what the columns are: the table is left alone (not made
  // without its key) until a record does.
  Workspace w;
  w.write("in/a.jsonl", "");
  w.write("flows.toml",
          "[sources.in]\nplugin = \"files\"\nconfig = { path = \"in/*.jsonl\", stream = \"ev\" }\n"
          "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"db\"\nextract = \"incremental-appends\"\nload = \"merge\"\n"
          "primary_key = [\"id\"]\n");
  for (int i = 0; i < 2; ++i) {
    Result r = w.ingestd({"run", "flows.toml"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  }
  w.write("in/b.jsonl", "{\"id\": 1, \"v\": \"x\"}\n");
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(testing::scalar(w.path("w.db"), "SELECT id || v FROM ev") == "1x");
}

TEST_CASE("jsonl: a large file typed on worker threads: every row in order, widening, new keys, dead letters where they are") {
  // Blocks of about a batch of lines each go to the workers; the changes
  // below fall in later blocks, typed before the stream learned of them.
  Workspace w;
  std::string text = "\xEF\xBB\xBF";
  const int rows = 120000;
  for (int i = 1; i <= rows; ++i) {
    text += R"({"id":)" + std::to_string(i) + R"(,"amount":)";
    text += i == 100000 ? "2.5" : std::to_string(i % 1000);  // widens the column
    text += R"(,"note":"some text to make the file a few megabytes")";
    if (i >= 105000) text += R"(,"extra":"x)" + std::to_string(i % 7) + "\"";  // a new key
    text += i % 3 == 0 ? "}\r\n" : "}\n";
    if (i == 50000) text += "\n";                // a blank line
    if (i == 110000) text += "{\"id\":\n";      // the dead letter
  }
  w.write("big.jsonl", text);
  w.write("flows.toml", files_to_jsonl("path = \"big.jsonl\", on_error = \"skip\""));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  auto lines = w.lines("out/big.jsonl");
  REQUIRE(lines.size() == static_cast<std::size_t>(rows));
  for (int i = 1; i <= rows; i += 997) CHECK(Value::parse(lines[static_cast<std::size_t>(i - 1)])["id"].as_int() == i);
  CHECK(lines[0] == R"({"id":1,"amount":1,"note":"some text to make the file a few megabytes"})");
  CHECK(lines[99998] == R"({"id":99999,"amount":999,"note":"some text to make the file a few megabytes"})");
  CHECK(lines[99999] == R"({"id":100000,"amount":2.5,"note":"some text to make the file a few megabytes"})");
  CHECK(lines[104998] == R"({"id":104999,"amount":999.0,"note":"some text to make the file a few megabytes"})");
  CHECK(lines[104999] ==
        R"({"id":105000,"amount":0.0,"note":"some text to make the file a few megabytes","extra":"x0"})");
  CHECK(lines.back() ==
        R"({"id":120000,"amount":0.0,"note":"some text to make the file a few megabytes","extra":"x6"})");
  auto dead = w.lines(".ingestd/dead-letter/in/big.jsonl");
  REQUIRE(dead.size() == 1);
  // One blank line before it, and its own line after row 110000's.
  CHECK(Value::parse(dead[0])["line"].as_int() == 110000 + 1 + 1);
  CHECK(Value::parse(dead[0])["record"].as_string() == "{\"id\":");
  CHECK(stream_of(report, "big")["counters"]["rows_rejected"].as_int() == 1);
  CHECK(stream_of(report, "big")["counters"]["columns_widened"].as_int() == 1);

  // Not skipped, a bad line near the end fails the run naming its line, and
  // a line over max_record_bytes names its own.
  w.write("big.jsonl", text + "{\"id\":1}\n[1]\n");
  w.write("flows.toml", files_to_jsonl("path = \"big.jsonl\""));
  Result bad = w.ingestd({"run", "flows.toml"});
  CHECK(bad.exit_code == 1);
  CHECK_MESSAGE(contains(bad.out + bad.err, "big.jsonl:" + std::to_string(110000 + 1 + 1) + ": malformed JSON"), dump(bad));
  std::string tail = text;
  tail.erase(tail.find("{\"id\":\n"), 7);
  w.write("big.jsonl", tail + "{\"id\":1}\n{\"long\":\"" + std::string(2000, 'x') + "\"}\n");
  w.write("flows.toml", files_to_jsonl("path = \"big.jsonl\", max_record_bytes = \"1KiB\""));
  Result long_line = w.ingestd({"run", "flows.toml"});
  CHECK(long_line.exit_code == 1);
  CHECK_MESSAGE(contains(long_line.out + long_line.err,
                         "big.jsonl:" + std::to_string(rows + 1 + 2) + ": a line longer than max_record_bytes"),
                dump(long_line));
}

TEST_CASE("jsonl: appending after a run killed mid-line drops the unfinished line, never glues a record to it") {
  Workspace w;
  w.write("in.csv", "id,name\n1,ann\n2,bea\n");
  w.write("flows.toml", files_to_jsonl("path = \"in.csv\""));
  // What a killed writer leaves: committed lines, then part of one.
  w.write("out/in.jsonl", "{\"id\":0,\"name\":\"zed\"}\n{\"id\":9,\"na");
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.lines("out/in.jsonl") ==
        std::vector<std::string>{R"({"id":0,"name":"zed"})", R"({"id":1,"name":"ann"})", R"({"id":2,"name":"bea"})"});
  CHECK_MESSAGE(contains(r.err, "dropped the unfinished last line (11 bytes)"), dump(r));
  // A file that is nothing but part of a line starts over.
  w.write("out/in.jsonl", "{\"id\":9");
  REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  CHECK(w.lines("out/in.jsonl").size() == 2);
}

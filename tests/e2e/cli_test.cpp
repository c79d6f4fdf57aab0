#include "e2e.hpp"

using namespace e2e;
using ingestd::json::Value;

TEST_CASE("cli: --help documents every command, exit 0") {
  Workspace w;
  Result r = w.ingestd({"--help"});
  CHECK(r.exit_code == 0);
  for (const char* cmd : {"run", "validate", "check", "discover", "plugins", "--plugin-path", "--log-format"})
    CHECK_MESSAGE(contains(r.out, cmd), cmd);
  Result run_help = w.ingestd({"run", "--help"});
  CHECK(run_help.exit_code == 0);
  CHECK(contains(run_help.out, "--flow"));
  CHECK(contains(run_help.out, "max_batches"));
  CHECK(w.ingestd({"discover", "--help"}).out.find("--format") != std::string::npos);
}

TEST_CASE("cli: usage errors exit 2") {
  Workspace w;
  CHECK(w.ingestd({}).exit_code == 2);
  CHECK(w.ingestd({"frobnicate"}).exit_code == 2);
  CHECK(w.ingestd({"run"}).exit_code == 2);
  CHECK(w.ingestd({"discover", "x.toml", "--source", "s", "--format", "xml"}).exit_code == 2);
}

TEST_CASE("cli: plugins list --format json describes the installed plugins") {
  Workspace w;
  Result r = w.ingestd({"plugins", "list", "--format", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  Value doc = Value::parse(r.out);
  const Value& list = doc["plugins"];
  CHECK(doc["refused"].as_array().empty());
  CHECK_FALSE(doc["search_path"].as_array().empty());
  std::vector<std::string> names;
  for (const auto& p : list.as_array()) {
    names.push_back(p["name"].as_string());
    CHECK_FALSE(p["version"].as_string().empty());
    CHECK(p["kinds"].is_array());
    CHECK_FALSE(p["description"].as_string().empty());
    CHECK(testing::file_exists(p["path"].as_string()));
  }
  CHECK(names == std::vector<std::string>{"airbyte", "duckdb", "files", "generate", "github", "http", "kafka", "map", "mysql", "null", "parquet", "postgres", "redis", "singer", "sqlite", "webhook"});
  Value files = list.as_array()[1];
  CHECK(files["kinds"].dump() == "[\"source\",\"destination\"]");
}

TEST_CASE("cli: plugins inspect shows modes and the option table") {
  Workspace w;
  Result r = w.ingestd({"plugins", "inspect", "files", "--format", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  Value p = Value::parse(r.out);
  CHECK(p["name"].as_string() == "files");
  CHECK(p["extract_modes"].dump() == "[\"snapshot\",\"incremental-appends\"]");
  CHECK(p["load_modes"].dump() == "[\"append\",\"replace\"]");
  bool saw_path = false, saw_on_error = false;
  for (const auto& o : p["options"].as_array()) {
    CHECK(o["description"].is_string());
    CHECK(o["type"].is_string());
    if (o["name"].as_string() == "path") {
      saw_path = true;
      CHECK(o["required"].as_bool());
      CHECK(o["default"].is_null());
    }
    if (o["name"].as_string() == "on_error") {
      saw_on_error = true;
      CHECK(o["default"].as_string() == "fail");
      CHECK(o["values"].dump() == "[\"fail\",\"skip\"]");
      CHECK(o["applies_to"].dump() == "[\"source\"]");
    }
  }
  CHECK(saw_path);
  CHECK(saw_on_error);
  Result text = w.ingestd({"plugins", "inspect", "generate"});
  CHECK(contains(text.out, "rows (int, default 1000000)"));
}

TEST_CASE("cli: plugins inspect of an unknown plugin lists the installed ones") {
  Workspace w;
  Result r = w.ingestd({"plugins", "inspect", "postgress"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown plugin 'postgress'"));
  CHECK(contains(r.err, "installed plugins: airbyte, duckdb, files, generate, github, http, kafka, map, mysql, null, parquet, postgres, redis, singer, sqlite, webhook"));
}

TEST_CASE("cli: discover prints columns, types and cursor candidates as text, JSON and YAML") {
  Workspace w;
  w.write("data/people.csv", "id,name,born,score\n1,ann,1990-01-02,1.5\n2,bob,1985-06-07,2\n");
  w.write("flows.toml", files_to_jsonl("path = \"data/people.csv\""));
  Result j = w.ingestd({"discover", "flows.toml", "--source", "in", "--format", "json"});
  REQUIRE_MESSAGE(j.exit_code == 0, dump(j));
  Value streams = Value::parse(j.out);
  REQUIRE(streams.as_array().size() == 1);
  const Value& s = streams.as_array()[0];
  CHECK(s["name"].as_string() == "people");
  CHECK(s["columns"].dump() ==
        R"([{"name":"id","type":"int64","nullable":true},{"name":"name","type":"string","nullable":true},)"
        R"({"name":"born","type":"date","nullable":true},{"name":"score","type":"float64","nullable":true}])");
  CHECK(s["cursor_candidates"].dump() == "[\"born\"]");
  Result y = w.ingestd({"discover", "flows.toml", "--source", "in", "--format", "yaml"});
  CHECK(y.exit_code == 0);
  CHECK(contains(y.out, "- name: people"));
  CHECK(contains(y.out, "type: date"));
  Result t = w.ingestd({"discover", "flows.toml", "--source", "in"});
  CHECK(contains(t.out, "stream people"));
  Result missing = w.ingestd({"discover", "flows.toml", "--source", "nope"});
  CHECK(missing.exit_code == 2);
  CHECK(contains(missing.err, "no source named 'nope' (sources: in)"));
}

TEST_CASE("cli: validate reports the flows without touching data: check connects and reports each") {
  Workspace w;
  w.write("flows.toml", files_to_jsonl("path = \"data/absent.csv\""));
  Result v = w.ingestd({"validate", "flows.toml"});
  CHECK_MESSAGE(v.exit_code == 0, dump(v));
  CHECK(contains(v.out, "flow f: in (files) -> out (files); extract snapshot, load append"));
  Result c = w.ingestd({"check", "flows.toml"});
  // The same exit code as run gives for the same missing file, and its location.
  CHECK(c.exit_code == 2);
  CHECK(contains(c.out, "FAIL  source in (files): flows.toml:1:10: sources.in: "));
  CHECK(contains(c.out, "data/absent.csv: no such file"));
  CHECK(contains(c.out, "ok    destination out (files)"));
  // A check changes nothing: the destination folder is made by a run only.
  CHECK_FALSE(testing::file_exists(w.path("out")));
  CHECK(w.ingestd({"run", "flows.toml"}).exit_code == 2);
  w.write("data/absent.csv", "a\n1\n");
  CHECK(w.ingestd({"check", "flows.toml"}).exit_code == 0);
}

TEST_CASE("cli: --log-format json writes one JSON object per log line") {
  Workspace w;
  w.write("data/a.csv", "x\n1\n");
  w.write("flows.toml", files_to_jsonl("path = \"data/a.csv\""));
  Result r = w.ingestd({"--log-format", "json", "run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  int lines = 0;
  std::size_t start = 0;
  while (start < r.err.size()) {
    std::size_t end = r.err.find('\n', start);
    std::string line = r.err.substr(start, end - start);
    start = end == std::string::npos ? r.err.size() : end + 1;
    if (line.empty()) continue;
    Value v = Value::parse(line);
    CHECK(v["level"].is_string());
    CHECK(v["msg"].is_string());
    CHECK(v["ts"].is_string());
    ++lines;
  }
  CHECK(lines >= 1);
}

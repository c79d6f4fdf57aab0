// ABI conformance: plugins built outside the tree against the installed
// headers and CMake package, loaded by the installed ingestd.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <filesystem>

using namespace e2e;
using ingestd::json::Value;

namespace {

// Runs the installed ingestd with the test plugins on its search path.
Result installed(const Workspace& w, std::vector<std::string> args) {
  std::vector<std::string> argv{INGESTD_INSTALLED_BIN, "--plugin-path", ABI_PLUGIN_DIR};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::Options o;
  o.cwd = w.dir.path();
  return testing::run(argv, o);
}

std::string faulty_flow(const std::string& source_mode, const std::string& destination_mode) {
  return "[sources.src]\nplugin = \"faulty\"\nconfig = { mode = \"" + source_mode +
         "\", token = \"tok-SOURCE-123456\" }\n"
         "[destinations.dst]\nplugin = \"faulty\"\nconfig = { mode = \"" + destination_mode +
         "\", token = \"tok-DEST-654321\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nretries = 0\n";
}

}  // namespace

TEST_CASE("conformance: the installed ingestd finds its installed plugins") {
  Workspace w;
  Result r = testing::run({INGESTD_INSTALLED_BIN, "plugins", "list", "--format", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  std::string names;
  const Value listing = Value::parse(r.out);
  const Value& list = listing["plugins"];
  for (const auto& p : list.as_array()) {
    names += p["name"].as_string() + " ";
    CHECK(contains(p["path"].as_string(), "test-install/lib/ingestd/plugins/"));
  }
  CHECK(names == "airbyte duckdb files generate github http kafka map mysql null parquet postgres redis singer sqlite webhook ");
}

TEST_CASE("conformance: plugins that are refused are reported with their path and why") {
  Workspace w;
  Result r = installed(w, {"plugins", "list"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(contains(r.out, "c_counter"));
  CHECK(contains(r.out, "faulty"));
  CHECK(contains(r.err, "abi_v2.so: plugin ABI 2.0, host ABI 1.5"));
  CHECK(contains(r.err, "missing_function.so: plugin 'incomplete' lacks required function next_batch"));
  CHECK(contains(r.err, "not_a_plugin.so: not an ingestd plugin (it exports no ingestd_plugin_entry function)"));
  CHECK(r.signal == 0);
  // The JSON listing says the same.
  r = installed(w, {"plugins", "list", "--format", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  std::string refused;
  const Value listing = Value::parse(r.out);
  for (const auto& f : listing["refused"].as_array())
    refused += f["path"].as_string() + ": " + f["reason"].as_string() + "\n";
  CHECK(contains(refused, "abi_v2.so: plugin ABI 2.0, host ABI 1.5"));
  CHECK(contains(refused, "missing_function.so: plugin 'incomplete' lacks required function next_batch"));
}

TEST_CASE("conformance: a plugin found twice is warned about, and a --plugin-path that does not exist is an error") {
  Workspace w;
  // A copy of an installed plugin in a folder searched first.
  std::filesystem::create_directories(w.path("extra"));
  std::filesystem::copy_file(std::string(ABI_PLUGIN_DIR) + "/c_counter.so", w.path("extra/c_counter_copy.so"));
  Result r = testing::run({INGESTD_INSTALLED_BIN, "--plugin-path", w.path("extra"), "--plugin-path", ABI_PLUGIN_DIR,
                           "plugins", "list"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "c_counter.so: plugin 'c_counter' is also at " + w.path("extra/c_counter_copy.so")),
                dump(r));
  r = testing::run({INGESTD_INSTALLED_BIN, "--plugin-path", w.path("nowhere"), "plugins", "list"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "--plugin-path: no such folder or shared object: " + w.path("nowhere")), dump(r));
}

TEST_CASE("conformance: a run loads the plugins it names, found by file name, and no others") {
  Workspace w;
  w.write("flows.toml",
          "[sources.count]\nplugin = \"c_counter\"\nconfig = { rows = 10 }\n"
          "[destinations.out]\nplugin = \"null\"\n[[flows]]\nname = \"f\"\nfrom = \"count\"\nto = \"out\"\n");
  Result r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(!contains(r.err, "noticed_on_load.so was loaded"), dump(r));
  CHECK_MESSAGE(!contains(r.err, "abi_v2.so"), dump(r));
  // Listing loads everything on the search path.
  r = installed(w, {"plugins", "list"});
  CHECK_MESSAGE(contains(r.err, "noticed_on_load.so was loaded"), dump(r));
  CHECK_MESSAGE(contains(r.err, "noticed_on_load.so: not an ingestd plugin"), dump(r));
}

TEST_CASE("conformance: a flow naming a refused plugin explains the refusal") {
  Workspace w;
  w.write("flows.toml",
          "[sources.s]\nplugin = \"abi_v2\"\n[destinations.d]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"f\"\nfrom = \"s\"\nto = \"d\"\n");
  Result r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown plugin 'abi_v2': "));
  CHECK(contains(r.err, "abi_v2.so was refused: plugin ABI 2.0, host ABI 1.5"));
  w.write("flows.toml",
          "[sources.s]\nplugin = \"" + std::string(ABI_PLUGIN_DIR) + "/abi_v2.so\"\n[destinations.d]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"f\"\nfrom = \"s\"\nto = \"d\"\n");
  r = installed(w, {"validate", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "plugin ABI 2.0, host ABI 1.5"));
}

TEST_CASE("conformance: a plain C plugin produces Arrow batches the host reads correctly") {
  Workspace w;
  w.write("flows.toml",
          "[sources.count]\nplugin = \"c_counter\"\nconfig = { rows = 2500, label_prefix = \"#\" }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"count\"\nto = \"out\"\nbatch_rows = 1000\n"
          "extract = \"incremental-appends\"\ncursor = \"n\"\n");
  Result r = installed(w, {"run", "flows.toml", "--report", "report.json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  auto lines = w.lines("out/numbers.jsonl");
  REQUIRE(lines.size() == 2500);
  CHECK(lines[0] == R"({"n":1,"label":"#1"})");
  CHECK(lines[2] == R"({"n":3,"label":null})");
  CHECK(lines[2499] == R"({"n":2500,"label":"#2500"})");
  Value report = Value::parse(w.read("report.json"));
  CHECK(stream_of(report, "numbers")["checkpoint"].as_string() == "{\"n\":2500}");
  Result inspect = installed(w, {"plugins", "inspect", "c_counter", "--format", "json"});
  Value p = Value::parse(inspect.out);
  CHECK(p["extract_modes"].dump() == "[\"snapshot\",\"incremental-appends\"]");
  CHECK(p["options"].as_array()[0]["name"].as_string() == "rows");
  Result discover = installed(w, {"discover", "flows.toml", "--source", "count", "--format", "json"});
  CHECK(Value::parse(discover.out).as_array()[0]["primary_key"].dump() == "[\"n\"]");
}

TEST_CASE("conformance: a plugin built against the ABI 1.0 header still loads and runs") {
  Workspace w;
  w.write("flows.toml",
          "[sources.count]\nplugin = \"c_counter_v1_0\"\nconfig = { rows = 1500 }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"count\"\nto = \"out\"\nbatch_rows = 1000\n"
          "extract = \"incremental-appends\"\ncursor = \"n\"\n");
  Result r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  auto lines = w.lines("out/numbers.jsonl");
  REQUIRE(lines.size() == 1500);
  CHECK(lines[1498] == R"({"n":1499,"label":"n1499"})");
  Result inspect = installed(w, {"plugins", "inspect", "c_counter_v1_0"});
  CHECK_MESSAGE(contains(inspect.out, "(ABI 1.0)"), inspect.out);
  // 1.0 knew no source settings: `where` is not refused on its account.
  w.write("flows.toml", w.read("flows.toml") + "where = \"n > 5\"\n");
  r = installed(w, {"validate", "flows.toml"});
  CHECK_MESSAGE(r.exit_code == 0, dump(r));
}

TEST_CASE("conformance: a plugin built out of tree on the kit's http component loads, documents and uses it") {
  Workspace w;
  Result inspect = installed(w, {"plugins", "inspect", "kit_api"});
  REQUIRE_MESSAGE(inspect.exit_code == 0, dump(inspect));
  CHECK_MESSAGE(contains(inspect.out, "base_url"), inspect.out);
  CHECK(contains(inspect.out, "max_retries"));
  CHECK(contains(inspect.out, "path (string, default /items)"));
  // The kit's client really runs: nothing listens on port 1.
  w.write("flows.toml",
          "[sources.api]\nplugin = \"kit_api\"\nconfig = { base_url = \"http://127.0.0.1:1\", max_retries = 0 }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"api\"\nto = \"out\"\nretries = 0\n");
  Result r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK(r.signal == 0);
  CHECK_MESSAGE(contains(r.err, "127.0.0.1:1"), dump(r));
}

TEST_CASE("conformance: a plugin that returns errors is reported, with retry information kept") {
  Workspace w;
  w.write("flows.toml", faulty_flow("none", "commit_error"));
  Result r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "f/rows -> dst: commit refused"));
  w.write("flows.toml", faulty_flow("data_error", "none"));
  r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "f/rows: record 15 is malformed"));
}

TEST_CASE("conformance: exceptions thrown inside a plugin become errors, not crashes") {
  Workspace w;
  w.write("flows.toml", faulty_flow("throw_std", "none"));
  Result r = installed(w, {"run", "flows.toml"});
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "unexpected error: boom from the source"));
  w.write("flows.toml", faulty_flow("throw_other", "none"));
  r = installed(w, {"run", "flows.toml"});
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "unexpected error: unknown exception"));
}

TEST_CASE("conformance: secrets never appear in logs, errors or inspect output") {
  Workspace w;
  w.write("flows.toml", faulty_flow("check_error", "write_error"));
  Result check = installed(w, {"--log-level", "debug", "check", "flows.toml"});
  CHECK(check.exit_code == 2);  // every failure is the configuration's, as run says
  CHECK(contains(check.out, "FAIL  source src (faulty): flows.toml:1:10: sources.src: authentication failed for token ***"));
  Result run = installed(w, {"--log-level", "debug", "run", "flows.toml"});
  CHECK(run.exit_code == 1);
  CHECK(contains(run.err, "connecting with token ***"));
  CHECK(contains(run.out, "disk full while writing, token ***"));
  for (const Result* r : {&check, &run}) {
    CHECK_FALSE(contains(r->out + r->err, "tok-SOURCE-123456"));
    CHECK_FALSE(contains(r->out + r->err, "tok-DEST-654321"));
  }
  Result inspect = installed(w, {"plugins", "inspect", "faulty", "--format", "json"});
  CHECK_FALSE(contains(inspect.out, "default-token-never-shown"));
  CHECK(contains(inspect.out, "\"secret\":true"));
  Result text = installed(w, {"plugins", "inspect", "faulty"});
  CHECK(contains(text.out, "token (secret, default (secret))"));
  CHECK_FALSE(contains(text.out, "default-token-never-shown"));
}

TEST_CASE("conformance: the README's example plugin builds against the install and runs") {
  Workspace w;
  w.write("flows.toml",
          "[sources.c]\nplugin = \"counter\"\nconfig = { n = 5 }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"csv\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"c\"\nto = \"out\"\n");
  Result r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.read("out/numbers.csv") == "n\n1\n2\n3\n4\n5\n");
}

TEST_CASE("conformance: the one-class examples declare their options once, with defaults from their members") {
  Workspace w;
  Result counter = installed(w, {"plugins", "inspect", "counter"});
  REQUIRE_MESSAGE(counter.exit_code == 0, dump(counter));
  CHECK_MESSAGE(contains(counter.out, "n (int, default 10)"), counter.out);
  Result lines = installed(w, {"plugins", "inspect", "new_lines"});
  REQUIRE_MESSAGE(lines.exit_code == 0, dump(lines));
  CHECK_MESSAGE(contains(lines.out, "file (string, required)"), lines.out);
  Result tsv = installed(w, {"plugins", "inspect", "tsv_files"});
  REQUIRE_MESSAGE(tsv.exit_code == 0, dump(tsv));
  CHECK_MESSAGE(contains(tsv.out, "folder (string, default .)"), tsv.out);
  CHECK(contains(tsv.out, "destination"));
  // A required option left out is named before anything runs.
  w.write("flows.toml",
          "[sources.log]\nplugin = \"new_lines\"\n[destinations.tsv]\nplugin = \"tsv_files\"\n"
          "[[flows]]\nname = \"f\"\nfrom = \"log\"\nto = \"tsv\"\n");
  Result r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "file"), dump(r));
}

TEST_CASE("conformance: the incremental example resumes at its checkpoint, into the destination example") {
  Workspace w;
  w.write("log.txt", "first\tline\nsecond\nthird without its newline yet");
  w.write("flows.toml",
          "[sources.log]\nplugin = \"new_lines\"\nconfig = { file = \"log.txt\" }\n"
          "[destinations.tsv]\nplugin = \"tsv_files\"\nconfig = { folder = \"out\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"log\"\nto = \"tsv\"\nextract = \"incremental-appends\"\n"
          "cursor = \"offset\"\nbatch_rows = 1\n");
  std::filesystem::create_directories(w.path("out"));
  Result r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.read("out/lines.tsv") == "0\tfirst\\tline\n11\tsecond\n");
  // The idle rerun reads nothing and writes nothing.
  r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.read("out/lines.tsv") == "0\tfirst\\tline\n11\tsecond\n");
  // The last line completed and one more: only those two arrive.
  w.write("log.txt", w.read("log.txt") + "\nfourth\n");
  r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.read("out/lines.tsv") ==
        "0\tfirst\\tline\n11\tsecond\n18\tthird without its newline yet\n48\tfourth\n");
  // A file shorter than the saved offset is an error, not a silent restart.
  w.write("log.txt", "new\n");
  r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.err, "is shorter than the saved offset 55"), dump(r));
}

TEST_CASE("conformance: a destination failing on commit never advances the saved state") {
  Workspace w;
  auto flows = [](const std::string& mode, const std::string& to, int rows = 10000) {
    return "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = " + std::to_string(rows) + ", columns = 2 }\n"
           "[destinations.good]\nplugin = \"sqlite\"\nconfig = { path = \"good.db\" }\n"
           "[destinations.flaky]\nplugin = \"faulty\"\nconfig = { mode = \"" + mode +
           "\", commits_before_failing = 2 }\n"
           "[[flows]]\nname = \"f\"\nfrom = \"gen\"\nto = " + to + "\nextract = \"incremental-appends\"\n"
           "cursor = \"id\"\nload = \"merge\"\nprimary_key = \"id\"\nbatch_rows = 1000\nretries = 0\n";
  };
  w.write("flows.toml", flows("commit_error", "\"flaky\""));
  Result r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "f/generated -> flaky: commit refused"));
  // Saved: the checkpoint of the second batch, the last one committed.
  Value saved = Value::parse(installed(w, {"state", "show", "flows.toml", "--format", "json"}).out);
  REQUIRE(saved.as_array().size() == 1);
  CHECK(saved.as_array()[0]["checkpoint"].as_string() == "{\"id\":2000}");
  // Once the destination works, the run resumes from there.
  w.write("flows.toml", flows("none", "\"flaky\""));
  r = installed(w, {"run", "flows.toml", "--report", "report.json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(Value::parse(w.read("report.json")), "generated")["rows"].as_int() == 8000);
  // A destination added later has no state: the stream is read from the start.
  w.write("flows.toml", flows("none", "[\"good\", \"flaky\"]"));
  r = installed(w, {"run", "flows.toml", "--report", "report.json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(Value::parse(w.read("report.json")), "generated")["rows"].as_int() == 10000);
  CHECK(testing::scalar(w.path("good.db"), "SELECT count(*) || '/' || count(DISTINCT id) FROM generated") ==
        "10000/10000");
  // With both failing partway, the state never passes what both committed.
  w.write("flows.toml", flows("commit_error", "[\"good\", \"flaky\"]", 20000));
  r = installed(w, {"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  saved = Value::parse(installed(w, {"state", "show", "flows.toml", "--format", "json"}).out);
  for (const auto& s : saved.as_array()) {
    int64_t id = Value::parse(s["checkpoint"].as_string())["id"].as_int();
    CHECK(id >= 10000);
    CHECK(id <= 12000);  // flaky committed at most two batches past 10000
  }
}

TEST_CASE("conformance: secret defaults are redacted too") {
  Workspace w;
  w.write("flows.toml", "[sources.src]\nplugin = \"faulty\"\n[destinations.dst]\nplugin = \"null\"\n"
                        "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n");
  Result r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(contains(r.err, "connecting with token ***"));
  CHECK_FALSE(contains(r.err, "default-token-never-shown"));
}

TEST_CASE("conformance: a transient failure is retried from the last saved checkpoint") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 10000, columns = 2 }\n"
          "[destinations.flaky]\nplugin = \"faulty\"\nconfig = { mode = \"commit_error\", commits_before_failing = 2 }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"gen\"\nto = \"flaky\"\nextract = \"incremental-appends\"\n"
          "cursor = \"id\"\nbatch_rows = 1000\nretries = 2\n");
  Result r = installed(w, {"run", "flows.toml", "--report", "report.json"});
  CHECK(r.exit_code == 1);  // every attempt fails after two commits
  CHECK(contains(r.out, "f/generated: retried 2 time(s)"));
  CHECK(contains(r.err, "transient failure, retrying (1 of 2)"));
  Value report = Value::parse(w.read("report.json"));
  CHECK(stream_of(report, "generated")["retries"].as_int() == 2);
  // Each attempt resumed where the previous one had committed: 3 x 2 batches.
  Value saved = Value::parse(installed(w, {"state", "show", "flows.toml", "--format", "json"}).out);
  CHECK(saved.as_array()[0]["checkpoint"].as_string() == "{\"id\":6000}");
}

TEST_CASE("conformance: a transform built out of tree rewrites a C source's batches on their way to a destination") {
  Workspace w;
  w.write("flows.toml",
          "[sources.count]\nplugin = \"c_counter\"\nconfig = { rows = 1200, label_prefix = \"row-\" }\n"
          "[transforms.shout]\nplugin = \"upper_case\"\nconfig = { columns = [\"label\"] }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"count\"\nto = \"out\"\nbatch_rows = 500\ntransforms = [\"shout\"]\n");
  Result r = installed(w, {"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  auto lines = w.lines("out/numbers.jsonl");
  REQUIRE(lines.size() == 1200);
  CHECK(lines[0] == R"({"n":1,"label":"ROW-1"})");
  CHECK(lines[2] == R"({"n":3,"label":null})");
  CHECK(lines[1198] == R"({"n":1199,"label":"ROW-1199"})");
  Result inspect = installed(w, {"plugins", "inspect", "upper_case"});
  CHECK_MESSAGE(contains(inspect.out, "kinds:         transform"), dump(inspect));

  // A column the stream lacks is the flow file's mistake, named before anything runs.
  std::string flows = w.read("flows.toml");
  flows.replace(flows.find("[\"label\"]"), 9, "[\"title\"]");
  w.write("flows.toml", flows);
  Result bad = installed(w, {"validate", "--connect", "flows.toml"});
  CHECK_MESSAGE(bad.exit_code == 2, dump(bad));
  CHECK_MESSAGE(contains(bad.out, "transforms.shout: upper_case: no column 'title'"), dump(bad));
}

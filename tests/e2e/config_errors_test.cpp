// Bad configuration gets a clear message naming file:line:column and the
// key, and exit code 2; never a crash.
#include "e2e.hpp"

using namespace e2e;

namespace {

Result run_flows(Workspace& w, const std::string& flows, const std::vector<std::string>& extra = {}) {
  w.write("flows.toml", flows);
  std::vector<std::string> args{"run", "flows.toml"};
  args.insert(args.end(), extra.begin(), extra.end());
  return w.ingestd(args);
}

const char* kNullDestination = "\n[destinations.out]\nplugin = \"null\"\n";

}  // namespace

TEST_CASE("config errors: malformed TOML names the line") {
  Workspace w;
  Result r = run_flows(w, "[sources.in]\nplugin = \"files\nconfig = {}\n");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "flows.toml:2:"));
  CHECK(contains(r.err, "invalid TOML"));
  CHECK(r.signal == 0);
}

TEST_CASE("config errors: an unknown plugin lists the installed ones") {
  Workspace w;
  Result r = run_flows(w, std::string("[sources.in]\nplugin = \"postgress\"\n") + kNullDestination +
                              "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"out\"\n");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "flows.toml:2:10: sources.in.plugin: unknown plugin 'postgress' (installed plugins: airbyte, duckdb, files, generate, github, http, kafka, map, mysql, null, parquet, postgres, redis, singer, sqlite, webhook"));
}

TEST_CASE("config errors: an unknown option lists the valid ones") {
  Workspace w;
  Result r = run_flows(w, files_to_jsonl("path = \"a.csv\", delimeter = \";\""));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "flows.toml:3:28: sources.in.config.delimeter: unknown option for plugin 'files' as a source "
                        "(valid options: path, format, stream, header, delimiter, quote, columns, null_values, "
                        "sample_rows, follow_symlinks, max_record_bytes, on_error, dead_letter)"));
}

TEST_CASE("config errors: wrong option types and enum values") {
  Workspace w;
  Result r = run_flows(w, files_to_jsonl("path = \"a.csv\", header = \"maybe\""));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "sources.in.config.header: expected true or false, found a string"));
  r = run_flows(w, files_to_jsonl("path = \"a.csv\", on_error = \"ignore\""));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "sources.in.config.on_error: invalid value 'ignore' (valid: fail, skip)"));
  r = run_flows(w, files_to_jsonl("format = \"csv\""));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "sources.in.config.path: missing required option"));
}

TEST_CASE("config errors: a missing environment variable is named") {
  Workspace w;
  Result r = w.ingestd({"validate", "flows.toml"});  // no file yet
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "cannot read flow file"));
  w.write("flows.toml", files_to_jsonl("path = \"${INGESTD_E2E_NOT_SET}/a.csv\""));
  testing::Options o;
  o.unset_env = {"INGESTD_E2E_NOT_SET"};
  r = w.ingestd({"validate", "flows.toml"}, o);
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "flows.toml:3:12: sources.in.config.path: environment variable INGESTD_E2E_NOT_SET is not set"));
  o.env["INGESTD_E2E_NOT_SET"] = "data";
  o.unset_env.clear();
  CHECK(w.ingestd({"validate", "flows.toml"}, o).exit_code == 0);
}

TEST_CASE("config errors: a plugin in the wrong role, and modes a plugin lacks") {
  Workspace w;
  Result r = run_flows(w, "[sources.in]\nplugin = \"null\"\n[destinations.out]\nplugin = \"null\"\n"
                          "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"out\"\n");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "sources.in.plugin: plugin 'null' cannot be a source (it is a destination)"));
  r = run_flows(w, files_to_jsonl("path = \"a.csv\"") + "extract = \"incremental-updates\"\n");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "flows.f.extract: source 'in' (plugin files) does not support incremental-updates (it supports: snapshot, incremental-appends)"));
  r = run_flows(w, files_to_jsonl("path = \"a.csv\"") + "load = \"merge\"\n");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "flows.f.load: destination 'out' (plugin files) does not support merge loads (it supports: append, replace)"));
}

TEST_CASE("config errors: a missing input file, an unknown stream, an unknown --flow") {
  Workspace w;
  Result r = run_flows(w, files_to_jsonl("path = \"missing.csv\""));
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out + r.err, "missing.csv: no such file"));
  w.write("a.csv", "x\n1\n");
  r = run_flows(w, files_to_jsonl("path = \"a.csv\"") + "streams = [\"b\"]\n");
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out + r.err, "flows.f.streams: source 'in' has no stream 'b' (available: a)"));
  r = run_flows(w, files_to_jsonl("path = \"a.csv\""), {"--flow", "g"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "--flow: no flow named 'g' (flows: f)"));
}

TEST_CASE("config errors: merge without a primary key") {
  Workspace w;
  Result r = run_flows(w, std::string("[sources.in]\nplugin = \"files\"\nconfig = { path = \"a.csv\" }\n") +
                              kNullDestination + "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"out\"\nload = \"merge\"\n");
  w.write("a.csv", "x\n1\n");
  r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out + r.err, "merge loads need a primary key"));
}

TEST_CASE("config errors: hostile flow files get an error, not a crash") {
  Workspace w;
  std::string deep = "[state]\n";
  for (int i = 0; i < 50000; ++i) deep += i ? ".k" : "k";
  Result r = run_flows(w, deep + " = 1\n");
  CHECK_MESSAGE(r.exit_code == 2, dump(r));
  CHECK(r.signal == 0);
  CHECK_MESSAGE(contains(r.err, "flows.toml:2:64: a key has more than 32 dotted parts"), dump(r));
  w.write("flows.toml", deep + " = 1\n");
  Result v = w.ingestd({"validate", "flows.toml"});
  CHECK_MESSAGE(v.exit_code == 2, dump(v));
}

TEST_CASE("config errors: a flow reading and writing the same SQLite file or folder is refused") {
  Workspace w;
  const std::string sqlite = "[sources.db]\nplugin = \"sqlite\"\nconfig = { path = \"app.db\" }\n"
                             "[destinations.same]\nplugin = \"sqlite\"\nconfig = { path = \"./sub/../app.db\" }\n"
                             "[[flows]]\nname = \"loop\"\nfrom = \"db\"\nto = \"same\"\n";
  w.write("flows.toml", sqlite);
  for (const char* command : {"validate", "run"}) {
    Result r = w.ingestd({command, "flows.toml"});
    CHECK_MESSAGE(r.exit_code == 2, dump(r));
    CHECK_MESSAGE(contains(r.err, "flows.toml:7:1: flows.loop.to: source 'db' and destination 'same' are the same path ("),
                  dump(r));
    CHECK_MESSAGE(contains(r.err, "app.db): a flow cannot read what it writes"), dump(r));
  }
  Result folder = run_flows(w, "[sources.in]\nplugin = \"files\"\nconfig = { path = \"data\", format = \"jsonl\" }\n"
                               "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"data/\", format = \"jsonl\" }\n"
                               "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"out\"\n");
  CHECK_MESSAGE(folder.exit_code == 2, dump(folder));
  CHECK_MESSAGE(contains(folder.err, "are the same path"), dump(folder));
}

TEST_CASE("config errors: a where filter on a source that cannot apply it is refused, not ignored") {
  Workspace w;
  w.write("a.csv", "id\n1\n");
  Result r = run_flows(w, files_to_jsonl("path = \"a.csv\"") + "where = \"id > 5\"\n");
  CHECK_MESSAGE(r.exit_code == 2, dump(r));
  CHECK_MESSAGE(contains(r.err, "flows.f.where: source 'in' (plugin files) cannot apply a where filter"), dump(r));
  Result g = run_flows(w, std::string("[sources.gen]\nplugin = \"generate\"\n") + kNullDestination +
                              "[[flows]]\nname = \"f\"\nfrom = \"gen\"\nto = \"out\"\n[flows.streams.generated]\n"
                              "where = \"id > 5\"\n");
  CHECK_MESSAGE(g.exit_code == 2, dump(g));
  CHECK_MESSAGE(contains(g.err, "flows.f.streams.generated.where: source 'gen' (plugin generate) cannot apply"), dump(g));
  CHECK(!testing::file_exists(w.path("out/a.jsonl")));
}

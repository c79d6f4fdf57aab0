// What a new user hits first, each once a defect: widened columns said out
// loud, validate catching what run rejects, listings scoped to their flow
// file, messages that say what happens next, reports and JSON logs that
// carry the run, and the command line's own errors.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <csignal>
#include <chrono>
#include <filesystem>
#include <thread>
#include <unistd.h>

using namespace e2e;
using ingestd::json::Value;
using testing::scalar;

namespace {

const char* kCsvToSqlite =
    "[sources.in]\nplugin = \"files\"\nconfig = { path = \"data/*.csv\", stream = \"prices\", sample_rows = 2 }\n"
    "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
    "[[flows]]\nname = \"f\"\nfrom = \"in\"\nto = \"db\"\nextract = \"incremental-appends\"\n";

int64_t counter(const Value& counters, const char* name) {
  return counters[name].is_int() ? counters[name].as_int() : 0;
}

}  // namespace

TEST_CASE("new user: a value that widens a typed column is a warning and a counted change, not silent") {
  Workspace w;
  // Past the sample, one value is not a number: the column becomes text.
  w.write("data/a.csv", "id,price\n1,1.5\n2,2.5\n3,n/a\n4,4.5\n");
  w.write("flows.toml", kCsvToSqlite);
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "stream prices: column 'price' widened from float64 to string by the value 'n/a'"),
                dump(r));
  CHECK(counter(stream_of(report, "prices")["counters"], "columns_widened") == 1);
  CHECK(contains(r.out, "f/prices: columns_widened = 1"));
  Value runs = Value::parse(w.ingestd({"runs", "flows.toml", "--format", "json"}).out);
  // The stream and the table both saw the column widen; the history keeps each.
  const Value& recorded = runs.as_array()[0]["streams"].as_array()[0]["counters"];
  CHECK(counter(recorded["stream"], "columns_widened") == 1);
  CHECK(counter(recorded["destination"], "columns_widened") == 1);

  // The table holds REAL from a first file; a later file's text widens it there.
  Workspace w2;
  w2.write("data/a.csv", "id,price\n1,1.5\n");
  w2.write("flows.toml", kCsvToSqlite);
  REQUIRE(w2.ingestd({"run", "flows.toml"}).exit_code == 0);
  w2.write("data/b.csv", "id,price\n2,unknown\n");
  Value second = w2.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "table prices: column 'price' widened from float64 to string"), dump(r));
  CHECK(counter(stream_of(second, "prices")["destinations"].as_array()[0]["counters"], "columns_widened") == 1);
  CHECK(scalar(w2.path("w.db"), "SELECT group_concat(price) FROM prices") == "1.5,unknown");
}

TEST_CASE("new user: validate --connect rejects what run would, every mistake in one pass") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE items (id INTEGER PRIMARY KEY, at INTEGER, v TEXT);"
                                     "CREATE TABLE logs (line TEXT);");
  w.write("data/a.csv", "x,y\n1,2\n");
  w.write("flows.toml",
          "[sources.db]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
          "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"data/a.csv\" }\n"
          "[destinations.out]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
          "[[flows]]\nname = \"no_cursor\"\nfrom = \"db\"\nto = \"out\"\nstreams = [\"items\"]\n"
          "extract = \"incremental-appends\"\n"
          "[[flows]]\nname = \"bad_cursor\"\nfrom = \"db\"\nto = \"out\"\nstreams = [\"items\"]\n"
          "extract = \"incremental-appends\"\ncursor = \"updated\"\n"
          "[[flows]]\nname = \"no_key\"\nfrom = \"db\"\nto = \"out\"\nstreams = [\"logs\"]\nload = \"merge\"\n"
          "[[flows]]\nname = \"csv_merge\"\nfrom = \"csv\"\nto = \"out\"\nload = \"merge\"\n"
          "[[flows]]\nname = \"bad_key\"\nfrom = \"csv\"\nto = \"out\"\nload = \"merge\"\nprimary_key = [\"z\"]\n");
  // Offline, the file is valid; connected, each flow's mistake is named.
  CHECK(w.ingestd({"validate", "flows.toml"}).exit_code == 0);
  Result v = w.ingestd({"validate", "flows.toml", "--connect"});
  CHECK(v.exit_code == 2);
  CHECK_MESSAGE(contains(v.out, "FAIL  flow no_cursor: "), v.out);
  CHECK(contains(v.out, "flows.no_cursor.cursor: incremental reads of stream 'items' need a cursor column; set "
                        "cursor = \"...\" (candidates: id, at)"));
  CHECK(contains(v.out, "flows.bad_cursor.cursor: stream 'items' has no column 'updated' (columns: id, at, v)"));
  CHECK(contains(v.out, "flows.no_key.primary_key: merge loads need a primary key and stream 'logs' declares none"));
  CHECK(contains(v.out, "flows.csv_merge.primary_key: merge loads need a primary key"));
  CHECK(contains(v.out, "flows.bad_key.primary_key: stream 'a' has no column 'z' (columns: x, y)"));
  // check says the same, and run refuses before reading a row.
  Result c = w.ingestd({"check", "flows.toml"});
  CHECK(c.exit_code == 2);
  CHECK(contains(c.out, "FAIL  flow bad_cursor: "));
  Result r = w.ingestd({"run", "flows.toml", "--flow", "bad_cursor"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.out + r.err, "stream 'items' has no column 'updated'"));
  CHECK_FALSE(testing::file_exists(w.path("out.db")));
}

TEST_CASE("new user: offline validate names every mistake of the file, not only the first") {
  Workspace w;
  w.write("flows.toml",
          "[sources.a]\nplugin = \"files\"\nconfig = { path = \"x.csv\", colour = \"red\" }\n"
          "[sources.b]\nplugin = \"no-such-plugin\"\n"
          "[destinations.d]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"one\"\nfrom = \"nowhere\"\nto = \"d\"\n"
          "[[flows]]\nname = \"two\"\nfrom = \"a\"\nto = \"d\"\nextract = \"sideways\"\n");
  Result r = w.ingestd({"validate", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "flows.one.from: no source named 'nowhere'"), dump(r));
  CHECK(contains(r.err, "flows.two.extract"));
  CHECK(contains(r.err, "unknown plugin 'no-such-plugin'"));
  CHECK(contains(r.err, "colour"));
  CHECK(contains(r.err, "4 errors"));
}

TEST_CASE("new user: runs and state show list the flows of the file given, when several share the store") {
  Workspace w;
  w.write("a.toml",
          "[sources.g]\nplugin = \"generate\"\nconfig = { rows = 10, columns = 2 }\n[destinations.n]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"alpha\"\nfrom = \"g\"\nto = \"n\"\nextract = \"incremental-appends\"\ncursor = \"id\"\n");
  w.write("b.toml",
          "[sources.g]\nplugin = \"generate\"\nconfig = { rows = 10, columns = 2 }\n[destinations.n]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"beta\"\nfrom = \"g\"\nto = \"n\"\nextract = \"incremental-appends\"\ncursor = \"id\"\n");
  REQUIRE(w.ingestd({"run", "a.toml"}).exit_code == 0);
  REQUIRE(w.ingestd({"run", "b.toml"}).exit_code == 0);
  REQUIRE(w.ingestd({"run", "b.toml"}).exit_code == 0);
  Value runs_a = Value::parse(w.ingestd({"runs", "a.toml", "--format", "json"}).out);
  Value runs_b = Value::parse(w.ingestd({"runs", "b.toml", "--format", "json"}).out);
  CHECK(runs_a.as_array().size() == 1);
  CHECK(runs_b.as_array().size() == 2);
  CHECK(runs_a.as_array()[0]["streams"].as_array()[0]["flow"].as_string() == "alpha");
  Value state_a = Value::parse(w.ingestd({"state", "show", "a.toml", "--format", "json"}).out);
  REQUIRE(state_a.as_array().size() == 1);
  CHECK(state_a.as_array()[0]["flow"].as_string() == "alpha");
  CHECK_FALSE(contains(w.ingestd({"state", "show", "a.toml"}).out, "beta"));
  // Run from elsewhere, the same file's history is the same.
  testing::Options elsewhere;
  elsewhere.cwd = "/";
  Result far = testing::ingestd({"runs", w.path("a.toml"), "--format", "json"}, elsewhere);
  CHECK(Value::parse(far.out).as_array().size() == 1);
}

TEST_CASE("new user: state reset of a stream that does not exist fails naming those that do, and show --full prints checkpoints whole") {
  Workspace w;
  w.write("flows.toml",
          "[sources.g]\nplugin = \"generate\"\nconfig = { rows = 10, columns = 2, stream = \"a_stream_with_a_long_name\" }\n"
          "[destinations.n]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"f\"\nfrom = \"g\"\nto = \"n\"\nextract = \"incremental-appends\"\ncursor = \"id\"\n"
          "batch_rows = 3\n");
  REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  Result r = w.ingestd({"state", "reset", "flows.toml", "--flow", "f", "--stream", "nosuch"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "flow 'f' has no stream 'nosuch' with saved state (streams: a_stream_with_a_long_name)"),
                dump(r));
  const std::string checkpoint =
      Value::parse(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out).as_array()[0]["checkpoint"].as_string();
  CHECK(contains(w.ingestd({"state", "show", "flows.toml", "--full"}).out, checkpoint));
}

TEST_CASE("new user: a stopped snapshot says it will be read again from the start") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 100000000, columns = 3 }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"long\"\nfrom = \"gen\"\nto = \"out\"\nbatch_rows = 1000\n");
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child child({testing::ingestd_bin(), "run", "flows.toml"}, o);
  for (int i = 0; i < 500 && !testing::file_exists(w.path("out/generated.jsonl")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  child.signal(SIGINT);
  Result r = child.wait();
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(contains(r.out, "long/generated: stopped before the end of the stream; what was read was committed, and "
                                "the next run reads the whole stream again (a snapshot has no resume point)"),
                dump(r));
}

TEST_CASE("new user: --report says the run's status and times, and --report - writes it to standard output") {
  Workspace w;
  w.write("flows.toml", std::string("[sources.g]\nplugin = \"generate\"\nconfig = { rows = 25, columns = 2 }\n") +
                            "[destinations.n]\nplugin = \"null\"\n[[flows]]\nname = \"f\"\nfrom = \"g\"\nto = \"n\"\n"
                            "extract = \"incremental-appends\"\ncursor = \"id\"\nbatch_rows = 10\n");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(report["status"].as_string() == "ok");
  CHECK(report["started_at"].as_string() <= report["ended_at"].as_string());
  CHECK(report["flow_file"].as_string() == std::filesystem::canonical(w.path("flows.toml")).string());
  CHECK(stream_of(report, "generated")["checkpoint"].as_string() == "{\"id\":25}");
  Result to_stdout = w.ingestd({"run", "flows.toml", "--report", "-", "--full-refresh"});
  REQUIRE_MESSAGE(to_stdout.exit_code == 0, dump(to_stdout));
  CHECK_FALSE(testing::file_exists(w.path("-")));
  Value parsed = Value::parse(to_stdout.out);  // the report alone; the summary went to stderr
  CHECK(parsed["status"].as_string() == "ok");
  CHECK(contains(to_stdout.err, "ROWS/S"));
}

TEST_CASE("new user: JSON logs carry the run, flow and stream of each line") {
  Workspace w;
  w.write("data/a.csv", "x\n1\n");
  w.write("flows.toml", files_to_jsonl("path = \"data/a.csv\"") + "extract = \"incremental-appends\"\n");
  Result r = w.ingestd({"--log-format", "json", "run", "flows.toml", "--report", "report.json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::string run_id = Value::parse(w.read("report.json"))["run_id"].as_string();
  bool stream_line = false;
  std::size_t start = 0;
  while (start < r.err.size()) {
    std::size_t end = r.err.find('\n', start);
    std::string line = r.err.substr(start, end - start);
    start = end == std::string::npos ? r.err.size() : end + 1;
    if (line.empty()) continue;
    Value v = Value::parse(line);
    CHECK(v["run_id"].as_string() == run_id);
    if (v["stream"].is_string()) {
      stream_line = true;
      CHECK(v["flow"].as_string() == "f");
      CHECK(v["stream"].as_string() == "a");
    }
  }
  CHECK(stream_line);  // "1 new or changed file(s) to read" is the stream's
}

TEST_CASE("new user: an unknown command is named, and --flow may be given more than once") {
  Workspace w;
  Result r = w.ingestd({"frobnicate", "x.toml"});
  CHECK(r.exit_code == 2);
  CHECK(contains(r.err, "unknown command 'frobnicate' (commands: run, validate, check"));
  w.write("flows.toml", std::string("[sources.g]\nplugin = \"generate\"\nconfig = { rows = 5, columns = 2 }\n") +
                            "[destinations.n]\nplugin = \"null\"\n"
                            "[[flows]]\nname = \"a\"\nfrom = \"g\"\nto = \"n\"\n[[flows]]\nname = \"b\"\nfrom = \"g\"\nto = \"n\"\n"
                            "[[flows]]\nname = \"c\"\nfrom = \"g\"\nto = \"n\"\n");
  Result two = w.ingestd({"run", "flows.toml", "--flow", "a", "--flow", "c", "--report", "report.json"});
  REQUIRE_MESSAGE(two.exit_code == 0, dump(two));
  std::string flows;
  const Value report = Value::parse(w.read("report.json"));
  for (const auto& s : report["streams"].as_array()) flows += s["flow"].as_string();
  CHECK(flows == "ac");
}

TEST_CASE("new user: a file or state folder ingestd may not use is named with the permission it lacks") {
  if (geteuid() != 0) return;  // needs a second user: runs as nobody
  Workspace w;
  std::filesystem::permissions(w.dir.path(), std::filesystem::perms::all);
  w.write("data/a.csv", "x\n1\n");
  std::filesystem::permissions(w.path("data/a.csv"), std::filesystem::perms::none);
  std::filesystem::permissions(w.path("data"), std::filesystem::perms::all);
  w.write("flows.toml", files_to_jsonl("path = \"data/a.csv\""));
  std::filesystem::create_directories(w.path(".ingestd"));
  std::filesystem::permissions(w.path(".ingestd"), std::filesystem::perms::all);
  auto as_nobody = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                  testing::ingestd_bin()};
    argv.insert(argv.end(), args.begin(), args.end());
    testing::Options o;
    o.cwd = w.dir.path();
    return testing::run(argv, o);
  };
  Result r = as_nobody({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.out + r.err, "flows.toml:1:10: sources.in: " + w.path("data/a.csv") +
                                            ": permission denied: the file needs read permission for this user (mode 0000"),
                dump(r));
  std::filesystem::permissions(w.path("data/a.csv"), std::filesystem::perms::owner_read | std::filesystem::perms::others_read);
  std::filesystem::permissions(w.path(".ingestd"), std::filesystem::perms::owner_all | std::filesystem::perms::others_read |
                                                       std::filesystem::perms::others_exec);
  r = as_nobody({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "state.path (default .ingestd/state.db): cannot write the state store " +
                                    w.path(".ingestd/state.db") + ": the folder " + w.path(".ingestd") +
                                    " is not writable by this user; set [state] path to a writable place"),
                dump(r));
}

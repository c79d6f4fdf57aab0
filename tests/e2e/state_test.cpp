// State between runs: checkpoints, run history, reset, full refresh, and
// per-stream settings.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using ingestd::json::Value;

namespace {

const char* kIncremental =
    "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 30000, columns = 3 }\n"
    "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
    "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
    "[[flows]]\nname = \"inc\"\nfrom = \"gen\"\nto = [\"out\", \"db\"]\nextract = \"incremental-appends\"\n"
    "cursor = \"id\"\nbatch_rows = 10000\n";

}  // namespace

TEST_CASE("state: an incremental run resumes where the last one committed") {
  Workspace w;
  w.write("flows.toml", kIncremental);
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(testing::file_exists(w.path(".ingestd/state.db")));
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE(r.exit_code == 0);
  CHECK(w.lines("out/generated.jsonl").size() == 30000);
  std::string more = kIncremental;
  more.replace(more.find("rows = 30000"), 12, "rows = 35000");
  w.write("flows.toml", more);
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "generated")["rows"].as_int() == 5000);
  CHECK(w.lines("out/generated.jsonl").size() == 35000);
  CHECK(testing::scalar(w.path("w.db"), "SELECT count(*) FROM generated") == "35000");

  Result show = w.ingestd({"state", "show", "flows.toml", "--format", "json"});
  REQUIRE(show.exit_code == 0);
  Value state = Value::parse(show.out);
  REQUIRE(state.as_array().size() == 2);  // one per destination
  for (const auto& s : state.as_array()) {
    CHECK(s["flow"].as_string() == "inc");
    CHECK(s["checkpoint"].as_string() == "{\"id\":35000}");
  }
  // The SQLite destination keeps the same checkpoint in its own transaction.
  CHECK(testing::scalar(w.path("w.db"), "SELECT checkpoint FROM _ingestd_state WHERE key = 'inc/generated'") ==
        "{\"id\":35000}");
}

TEST_CASE("state: the run history records every run with its rows and outcome") {
  Workspace w;
  w.write("flows.toml", kIncremental);
  REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  w.write("flows.toml", std::string(kIncremental) + "[[flows]]\nname = \"bad\"\nfrom = \"gen\"\nto = \"out\"\n"
                                                   "streams = [\"nope\"]\n");
  CHECK(w.ingestd({"run", "flows.toml"}).exit_code == 2);
  Result runs = w.ingestd({"runs", "flows.toml", "--format", "json"});
  REQUIRE_MESSAGE(runs.exit_code == 0, dump(runs));
  Value list = Value::parse(runs.out);
  REQUIRE(list.as_array().size() == 2);
  const Value& last = list.as_array()[0];
  const Value& first = list.as_array()[1];
  CHECK(first["status"].as_string() == "ok");
  CHECK(first["streams"].as_array().size() == 2);
  CHECK(first["streams"].as_array()[0]["rows"].as_int() == 30000);
  CHECK(last["status"].as_string() == "failed");
  CHECK(contains(last["error"].as_string(), "has no stream 'nope'"));
  Result text = w.ingestd({"runs", "flows.toml", "--limit", "1"});
  CHECK(contains(text.out, "failed"));
  CHECK_FALSE(contains(text.out, " ok "));
}

TEST_CASE("state: reset forgets checkpoints everywhere, and --full-refresh ignores them for one run") {
  Workspace w;
  w.write("flows.toml", kIncremental);
  REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  Result r;
  Value report = w.run_with_report(r, {"--full-refresh"});
  REQUIRE(r.exit_code == 0);
  CHECK(stream_of(report, "generated")["rows"].as_int() == 30000);  // read again despite the state
  CHECK(w.lines("out/generated.jsonl").size() == 60000);            // append: at-least-once, as documented
  report = w.run_with_report(r);
  CHECK(stream_of(report, "generated")["rows"].as_int() == 0);  // and saved anew

  Result reset = w.ingestd({"state", "reset", "flows.toml", "--flow", "inc"});
  REQUIRE_MESSAGE(reset.exit_code == 0, dump(reset));
  CHECK(contains(reset.out, "2 saved checkpoint(s) removed"));
  CHECK(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out == "[]\n");
  CHECK(testing::scalar(w.path("w.db"), "SELECT count(*) FROM _ingestd_state") == "0");
  report = w.run_with_report(r);
  CHECK(stream_of(report, "generated")["rows"].as_int() == 30000);
  CHECK(w.ingestd({"state", "reset", "flows.toml", "--flow", "nope"}).exit_code == 2);
  // A source that keeps nothing at a server has no slot to drop, and says so.
  Result drop = w.ingestd({"state", "reset", "flows.toml", "--flow", "inc", "--drop-slot"});
  REQUIRE_MESSAGE(drop.exit_code == 0, dump(drop));
  CHECK(contains(drop.out, "keeps nothing at its server"));
  CHECK(contains(drop.out, "saved checkpoint(s) removed"));
}

TEST_CASE("state: [state] path is relative to the flow file") {
  Workspace w;
  w.write("conf/flows.toml", std::string("[state]\npath = \"../var/state.db\"\n") + kIncremental);
  Result r = w.ingestd({"run", "conf/flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(testing::file_exists(w.path("var/state.db")));
  CHECK(testing::file_exists(w.path("conf/out/generated.jsonl")));
}

TEST_CASE("state: settings per stream override the flow's") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 1000, streams = 2, stream = \"s\" }\n"
          "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"gen\"\nto = \"db\"\n"
          "[flows.streams.s_0]\nextract = \"incremental-appends\"\ncursor = \"id\"\nload = \"merge\"\n"
          "table = \"first\"\n"
          "[flows.streams.s_1]\nload = \"replace\"\n");
  Result v = w.ingestd({"validate", "flows.toml"});
  CHECK(contains(v.out, "stream s_0: extract incremental-appends, load merge"));
  for (int i = 0; i < 2; ++i) REQUIRE(w.ingestd({"run", "flows.toml"}).exit_code == 0);
  CHECK(testing::scalar(w.path("w.db"), "SELECT count(*) FROM first") == "1000");
  CHECK(testing::scalar(w.path("w.db"), "SELECT count(*) FROM s_1") == "1000");
  Value state = Value::parse(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out);
  REQUIRE(state.as_array().size() == 1);  // the snapshot stream has no checkpoints
  CHECK(state.as_array()[0]["stream"].as_string() == "s_0");
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\n[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"w.db\" }\n"
          "[[flows]]\nname = \"f\"\nfrom = \"gen\"\nto = \"db\"\n[flows.streams.generated]\nextract = \"incremental-appends\"\n"
          "cursor = \"id\"\nload = \"replace\"\n");
  Result bad = w.ingestd({"validate", "flows.toml"});
  CHECK(bad.exit_code == 2);
  CHECK(contains(bad.err, "flows.f.streams.generated.load: load = \"replace\" rebuilds the whole table every run"));
}

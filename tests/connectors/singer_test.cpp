// The singer source through the real binary, running the Singer tap fixture
// (tests/connectors/singer_tap.py) as a child process: schemas, incremental
// state passed back, crashes and malformed output, secrets, cancellation.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <csignal>
#include <dirent.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::scalar;

namespace {

// A singer source with `tap_config` (TOML inline table body) feeding SQLite:
// users merged incrementally on updated_at, orders replaced.
std::string singer_flow(const std::string& tap_config, const std::string& users_keys = "",
                        const std::string& tap_script = SINGER_TAP_SCRIPT) {
  return "[sources.tap]\nplugin = \"singer\"\n[sources.tap.config]\n"
         "command = [\"/usr/bin/python3\", \"" + tap_script + "\"]\n"
         "config = { " +
         tap_config +
         " }\n"
         "secrets = { api_token = \"tok-3f9a77c1-secret\" }\n"
         "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
         "[[flows]]\nname = \"users\"\nfrom = \"tap\"\nto = \"db\"\nstreams = [\"users\"]\n"
         "extract = \"incremental-updates\"\ncursor = \"updated_at\"\nload = \"merge\"\n" +
         users_keys +
         "[[flows]]\nname = \"orders\"\nfrom = \"tap\"\nto = \"db\"\nstreams = [\"orders\"]\nload = \"replace\"\n";
}

// The saved checkpoint of the users flow.
std::string saved(const Workspace& w) {
  return scalar(w.path(".ingestd/state.db"), "SELECT checkpoint FROM checkpoints WHERE flow = 'users'");
}

// The tap's own state inside it (beside it ingestd keeps the records
// delivered at the cursor).
std::string checkpoint(const Workspace& w) { return Value::parse(saved(w))["tap_state"].dump(); }

// Processes whose command line mentions `marker`.
int processes_with(const std::string& marker) {
  int n = 0;
  DIR* d = opendir("/proc");
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmd.find(marker) != std::string::npos) ++n;
  }
  closedir(d);
  return n;
}

}  // namespace

TEST_CASE("singer: schema and records into SQLite, the state passed back, only new records on the second run") {
  Workspace w;
  w.write("flows.toml", singer_flow("users = 100, orders = 10, state_every = 30"));
  Result r;
  Value first = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(first, "users")["rows"].as_int() == 100);
  CHECK(scalar(w.path("out.db"), "SELECT count(DISTINCT id) || ' ' || sum(id) FROM users") == "100 5050");
  // JSON Schema types: date-time → timestamp text in SQLite, arrays as JSON text.
  CHECK(scalar(w.path("out.db"), "SELECT tags FROM users WHERE id = 4") == "[\"t1\"]");
  CHECK(scalar(w.path("out.db"), "SELECT count(*) || ' ' || sum(amount) FROM orders") == "10 68.75");
  CHECK(checkpoint(w) == R"({"bookmarks":{"users":{"updated_at":"2026-01-01T00:01:40Z"}}})");
  CHECK(Value::parse(saved(w))["at_cursor"]["cursor"].as_string() == "2026-01-01T00:01:40Z");
  CHECK(Value::parse(saved(w))["at_cursor"]["records"].as_array().size() == 1);
  // The token the tap prints in a METRIC line is redacted; the tap's own log
  // lines reach ingestd's log.
  CHECK(contains(r.err, "access_token=***"));
  CHECK_FALSE(contains(r.out + r.err, "tok-3f9a77c1-secret"));

  // 30 new users: the tap resumes from the bookmark, the record at it again,
  // which is known and not delivered twice.
  w.write("flows.toml", singer_flow("users = 130, orders = 12, state_every = 30"));
  Value second = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(contains(r.err, "resuming from {\"bookmarks\": {\"users\": {\"updated_at\": \"2026-01-01T00:01:40Z\"}}}"));
  CHECK(stream_of(second, "users")["rows"].as_int() == 30);
  CHECK(stream_of(second, "users")["counters"]["records_seen_before"].as_int() == 1);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM users") == "130");
  // orders is a full table (ACTIVATE_VERSION): replaced, not appended.
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM orders") == "12");
  CHECK(stream_of(second, "orders")["counters"]["activate_versions"].as_int() == 2);
}

TEST_CASE("singer: the catalog is kept between runs: a rerun runs the tap's --discover no more") {
  Workspace w;
  const std::string log = w.path("invocations.log");
  auto count = [&](const std::string& what) {
    std::ifstream in(log);
    int n = 0;
    for (std::string line; std::getline(in, line);) n += line == what;
    return n;
  };
  w.write("flows.toml", singer_flow("users = 20, orders = 5, invocations = \"" + log + "\""));
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(count("discover") == 1);  // once for the source's two flows
  CHECK(count("read") == 2);
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(count("discover") == 1);
  CHECK(count("read") == 4);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM users") == "20");
  r = w.ingestd({"run", "flows.toml", "--rediscover"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(count("discover") == 2);
  // Other settings of the source: discovered again, then kept.
  w.write("flows.toml", singer_flow("users = 25, orders = 5, invocations = \"" + log + "\""));
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(count("discover") == 3);
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(count("discover") == 3);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM users") == "25");
  // The kept catalog holds no secret.
  CHECK_FALSE(contains(scalar(w.path(".ingestd/state.db"), "SELECT group_concat(catalog) FROM catalogs"),
                       "tok-3f9a77c1-secret"));
}

TEST_CASE("singer: a tap that crashes mid-read is rerun from its last committed STATE and nothing is lost") {
  Workspace w;
  w.write("crash.marker", "");
  w.write("flows.toml", singer_flow("users = 100, state_every = 25, crash_after = 60, crash_marker = \"" +
                                    w.path("crash.marker") + "\"",
                                    "batch_rows = 20\n"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_FALSE(testing::file_exists(w.path("crash.marker")));  // it did crash
  CHECK(contains(r.err, "the tap failed (exit code 1)"));
  CHECK(contains(r.err, "simulated crash after 60 records"));
  // The rerun started from the STATE after record 50, the last one committed.
  CHECK(contains(r.err, "resuming from {\"bookmarks\": {\"users\": {\"updated_at\": \"2026-01-01T00:00:50Z\"}}}"));
  CHECK(scalar(w.path("out.db"), "SELECT count(*) || ' ' || sum(id) FROM users") == "100 5050");
  CHECK(checkpoint(w) == R"({"bookmarks":{"users":{"updated_at":"2026-01-01T00:01:40Z"}}})");
}

TEST_CASE("singer: a malformed line fails the stream with its line number, state stays at what was committed") {
  Workspace w;
  w.write("flows.toml", singer_flow("users = 100, state_every = 10, malformed_after = 35", "batch_rows = 10\n"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  // One SCHEMA, 35 RECORDs and 3 STATEs come before the bad line.
  CHECK_MESSAGE(contains(r.out + r.err, "connector output line 40: not a JSON object: this is not a Singer message"), dump(r));
  // The saved STATE is one the tap sent before the bad line (the batch of the
  // last may not have been committed when the stream failed), and every row
  // it covers is in the table.
  const std::string cp = checkpoint(w);
  const std::string prefix = R"({"bookmarks":{"users":{"updated_at":"2026-01-01T00:00:)";
  REQUIRE_MESSAGE(cp.rfind(prefix, 0) == 0, cp);
  const int covered = std::stoi(cp.substr(prefix.size(), 2));
  CHECK((covered == 10 || covered == 20 || covered == 30));
  CHECK(std::stoi(scalar(w.path("out.db"), "SELECT count(*) FROM users WHERE id <= 35")) >= covered);
}

TEST_CASE("singer: a SCHEMA re-sent mid-stream with a new property adds the column") {
  Workspace w;
  w.write("flows.toml", singer_flow("users = 60, new_column_after = 41"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM users WHERE score IS NULL") == "40");
  CHECK(scalar(w.path("out.db"), "SELECT sum(score) FROM users") == "505.0");
}

TEST_CASE("singer: a stream the tap does not have is an error naming its streams") {
  Workspace w;
  std::string flow = singer_flow("users = 5");
  flow.replace(flow.find("streams = [\"orders\"]"), 20, "streams = [\"invoices\"]");
  w.write("flows.toml", flow);
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, "invoices"), dump(r));
  CHECK_MESSAGE(contains(r.out + r.err, "users, orders"), dump(r));
}

TEST_CASE("singer: a stopped run kills its taps") {
  Workspace w;
  // A copy of the tap in the workspace tells its processes from other tests'.
  const std::string tap = w.path("tap.py");
  w.write("tap.py", read_file(SINGER_TAP_SCRIPT));
  w.write("flows.toml", singer_flow("users = 1000, delay_ms = 20", "", tap));
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child ingestd({testing::ingestd_bin(), "run", "flows.toml"}, o);
  for (int i = 0; i < 200 && processes_with(tap) < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(processes_with(tap) == 2);  // both flows' taps are reading
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ingestd.signal(SIGTERM);
  Result r = ingestd.wait();
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(processes_with(tap) == 0, dump(r));
}

// The webhook source in a running ingestd: events POSTed concurrently by
// producers (tests/http/post_events.py), answered only once committed.
#include "e2e.hpp"
#include "support/net.hpp"
#include "support/sqlite_query.hpp"

#include <csignal>

#include <chrono>
#include <set>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::Child;
using testing::free_port;
using testing::listening;
using testing::scalar;

namespace {

std::string webhook_flow(int port, const std::string& extra_config = "") {
  return "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(port) +
         ", columns = [\"event_id:string\", \"seq:int64\"], flush_interval = \"50ms\"" + extra_config +
         " }\n"
         "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"events.db\" }\n"
         "[destinations.slow]\nplugin = \"null\"\nconfig = { write_delay = \"20ms\" }\n"
         "[[flows]]\nname = \"hook\"\nfrom = \"hook\"\nto = [\"db\", \"slow\"]\nextract = \"incremental-appends\"\n"
         "load = \"merge\"\nprimary_key = [\"event_id\"]\n";
}

// ingestd running the flow, listening on `port`.
std::unique_ptr<Child> start_ingestd(const Workspace& w, int port) {
  testing::Options o;
  o.cwd = w.dir.path();
  auto child = std::make_unique<Child>(std::vector<std::string>{testing::ingestd_bin(), "run", "flows.toml"}, o);
  testing::wait_listening(port, 30);
  return child;
}

Result post(const std::string& url, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/python3", POST_EVENTS_SCRIPT, url};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::Options o;
  o.timeout_seconds = 300;
  return testing::run(argv, o);
}

}  // namespace

TEST_CASE("webhook: 10,000 events posted concurrently become exactly 10,000 rows while a destination is slow") {
  Workspace w;
  int port = free_port();
  w.write("flows.toml", webhook_flow(port));
  auto ingestd = start_ingestd(w, port);
  REQUIRE(listening(port));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/events";
  Result r = post(url, {"--count", "10000", "--concurrency", "48"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  Value summary = Value::parse(r.out);
  CHECK(summary["accepted"].as_int() == 10000);
  // Every 200 came after the commit: the rows are there before ingestd stops.
  CHECK(scalar(w.path("events.db"), "SELECT count(*) FROM events") == "10000");
  // Producers that send again are absorbed by the merge on event_id; arrays and NDJSON work too.
  Result again = post(url, {"--count", "300", "--per-request", "3", "--concurrency", "8"});
  CHECK(Value::parse(again.out)["accepted"].as_int() == 300);
  Result ndjson = post(url, {"--raw", "{\"event_id\": \"n1\", \"seq\": -1}\n{\"event_id\": \"n2\", \"seq\": -2, \"note\": \"new key\"}\n"});
  CHECK_MESSAGE(contains(ndjson.out, "200"), ndjson.out);
  ingestd->signal(SIGTERM);
  Result done = ingestd->wait();
  CHECK(done.signal == 0);
  // A continuous source stopped and drained has ended as it should.
  CHECK_MESSAGE(done.exit_code == 0, dump(done));
  CHECK(contains(done.out, "stopped on request; everything it received was committed"));
  CHECK(scalar(w.path("events.db"), "SELECT count(*) FROM events") == "10002");
  CHECK(scalar(w.path("events.db"), "SELECT count(DISTINCT seq) FROM events WHERE seq > 0") == "10000");
  CHECK(scalar(w.path("events.db"), "SELECT sum(seq) FROM events WHERE seq > 0") == "50005000");
  CHECK(scalar(w.path("events.db"), "SELECT note FROM events WHERE event_id = 'n2'") == "new key");
  CHECK(scalar(w.path("events.db"), "SELECT json_extract(payload, '$.tag') FROM events WHERE event_id = 'e8'") == "t1");
}

TEST_CASE("webhook: malformed JSON gets 400 with the reason, a large body 413, a bad signature 401") {
  Workspace w;
  int port = free_port();
  w.write("flows.toml", webhook_flow(port, ", secret = \"hook-s3cret\", max_body = \"1KiB\""));
  auto ingestd = start_ingestd(w, port);
  REQUIRE(listening(port));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/events";
  Result bad = post(url, {"--raw", "{\"event_id\": \"x\",", "--secret", "hook-s3cret"});
  CHECK_MESSAGE(bad.out.rfind("400", 0) == 0, bad.out);
  Result ndjson = post(url, {"--raw", "{\"event_id\": \"a\"}\n[1]\n", "--secret", "hook-s3cret"});
  CHECK_MESSAGE(contains(ndjson.out, "line 2: not a JSON object"), ndjson.out);
  // An empty array holds nothing to commit: refused at once (found by fuzzing).
  Result empty = post(url, {"--raw", "[]", "--secret", "hook-s3cret"});
  CHECK_MESSAGE(empty.out.rfind("400", 0) == 0, empty.out);
  CHECK_MESSAGE(contains(empty.out, "no events in the body"), empty.out);
  Result big = post(url, {"--raw", "{\"event_id\": \"" + std::string(2000, 'x') + "\"}", "--secret", "hook-s3cret"});
  CHECK_MESSAGE(big.out.rfind("413", 0) == 0, big.out);
  Result unsigned_ = post(url, {"--raw", "{\"event_id\": \"u\"}"});
  CHECK_MESSAGE(unsigned_.out.rfind("401", 0) == 0, unsigned_.out);
  Result good = post(url, {"--raw", "{\"event_id\": \"g\", \"seq\": 1}", "--secret", "hook-s3cret"});
  CHECK_MESSAGE(good.out.rfind("200", 0) == 0, good.out);
  ingestd->signal(SIGTERM);
  Result done = ingestd->wait();
  CHECK_FALSE(contains(done.err + done.out, "hook-s3cret"));
  CHECK(scalar(w.path("events.db"), "SELECT group_concat(event_id) FROM events") == "g");
}

TEST_CASE("webhook: SIGTERM mid-load commits what arrived, and every event answered 200 is in the table") {
  Workspace w;
  int port = free_port();
  w.write("flows.toml", webhook_flow(port));
  auto ingestd = start_ingestd(w, port);
  REQUIRE(listening(port));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/events";
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    ingestd->signal(SIGTERM);
  });
  Result r = post(url, {"--count", "20000", "--concurrency", "32", "--no-retry", "--accepted-file",
                        w.path("accepted.txt")});
  stopper.join();
  Result done = ingestd->wait();
  CHECK(done.signal == 0);
  auto accepted = w.lines("accepted.txt");
  CHECK(accepted.size() > 0);
  CHECK(accepted.size() < 20000);  // the stop came mid-load
  const std::string db = w.path("events.db");
  CHECK(std::stoll(scalar(db, "SELECT count(*) FROM events")) >= static_cast<long long>(accepted.size()));
  std::set<std::string> stored;
  for (const auto& row : testing::query(db, "SELECT event_id FROM events")) stored.insert(row[0]);
  std::string missing;
  for (const auto& id : accepted)
    if (!stored.count(id)) missing += id + " ";
  CHECK_MESSAGE(missing.empty(), "answered 200 but not in the table: " << missing);
}

// `ingestd serve` as an operator runs it: real daemons on 127.0.0.1, their
// schedules, reloads, admin endpoint and signals, checked against the run
// history and the rows in the destination.
#include "serve/serve.hpp"

#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <fstream>

using namespace serve;
using e2e::dump;
using ingestd::json::Value;
using testing::Exposition;

namespace {

const std::string kGenerate = "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 100, columns = 2 }\n"
                              "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n";

// A flow from gen into table `name` of out.db.
std::string flow(const std::string& name, const std::string& extra = "") {
  return "[[flows]]\nname = \"" + name + "\"\nfrom = \"gen\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
         "cursor = \"id\"\nstreams = { generated = { table = \"" + name + "\" } }\n" + extra;
}

std::size_t finished_runs(const Workspace& w, const std::string& name) {
  std::size_t n = 0;
  for (const Value& r : runs_of(w, name)) n += r["status"].as_string() != "running" ? 1 : 0;
  return n;
}

bool runs_reach(const Workspace& w, const std::string& name, std::size_t n, int seconds = 60) {
  return testing::wait_until([&] { return finished_runs(w, name) >= n; }, std::chrono::seconds(seconds));
}

}  // namespace

TEST_CASE("schedules: an interval fires start to start, a flow without a schedule runs once, a cron flow waits for its time") {
  Workspace w;
  w.write("flows.toml", kGenerate + flow("every", "schedule = \"every 1s\"\n") + flow("once") +
                            flow("yearly", "schedule = \"0 0 1 1 *\"\ntimezone = \"Pacific/Kiritimati\"\n"));
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE_MESSAGE(runs_reach(w, "every", 4), d.log());
  const Value yearly = d.flow("yearly");
  const Value once = d.flow("once");
  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());

  const std::vector<Value> every = runs_of(w, "every");
  for (std::size_t i = 1; i < every.size(); ++i) {
    // Start to start, one second apart, never earlier.
    const double gap = seconds_between(every[i - 1]["started_at"].as_string(), every[i]["started_at"].as_string());
    CHECK_MESSAGE(gap >= 0.95, "runs " << i - 1 << " and " << i << " started " << gap << " s apart");
  }
  for (const Value& run : every) CHECK(run["status"].as_string() == "ok");
  CHECK(testing::scalar(w.path("out.db"), "SELECT count(*) || ':' || count(DISTINCT id) FROM every") == "100:100");
  // Once, at start.
  CHECK(runs_of(w, "once").size() == 1);
  CHECK(once["schedule"].is_null());
  CHECK(testing::scalar(w.path("out.db"), "SELECT count(*) FROM once") == "100");
  // New Year's midnight on Kiritimati (UTC+14) is 10:00 UTC on 31 December.
  CHECK(runs_of(w, "yearly").empty());
  CHECK(yearly["timezone"].as_string() == "Pacific/Kiritimati");
  CHECK(yearly["state"].as_string() == "idle");
  CHECK_MESSAGE(e2e::contains(yearly["next_run"].as_string(), "-12-31T10:00:00.000Z"), yearly.dump());
}

TEST_CASE("schedules: a run still going when the next is due is skipped and counted, and a run asked for meanwhile gets 409") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 40000, columns = 2 }\n"
          "[sources.few]\nplugin = \"generate\"\nconfig = { rows = 10, columns = 2 }\n"
          "[destinations.slow]\nplugin = \"null\"\nconfig = { write_delay = \"250ms\" }\n"
          "[destinations.fast]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"slow\"\nfrom = \"gen\"\nto = \"slow\"\nbatch_rows = 4000\nschedule = \"every 1s\"\n"
          "[[flows]]\nname = \"manual\"\nfrom = \"few\"\nto = \"fast\"\n");
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE(testing::wait_until([&] { return d.flow("slow")["state"].as_string() == "running"; }));
  const testing::HttpReply busy = d.post("/flows/slow/run");
  CHECK_MESSAGE(busy.status == 409, busy.body);
  CHECK(e2e::contains(busy.body, "flow slow is running"));
  REQUIRE_MESSAGE(runs_reach(w, "slow", 2), d.log());

  // A flow without a schedule runs again when asked.
  REQUIRE(runs_reach(w, "manual", 1));
  const testing::HttpReply asked = d.post("/flows/manual/run");
  CHECK_MESSAGE(asked.status == 202, asked.body);
  CHECK(runs_reach(w, "manual", 2));
  const testing::HttpReply unknown = d.post("/flows/nope/run");
  CHECK(unknown.status == 404);
  CHECK(e2e::contains(unknown.body, "no flow named 'nope'"));

  const Exposition m = d.metrics();
  const Value slow = d.flow("slow");
  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());

  const std::vector<Value> runs = runs_of(w, "slow");
  for (std::size_t i = 1; i < runs.size(); ++i) {
    const double gap = seconds_between(runs[i - 1]["ended_at"].as_string(), runs[i]["started_at"].as_string());
    CHECK_MESSAGE(gap >= 0, "run " << i << " started " << -gap << " s before run " << i - 1 << " ended");
    // Start to start: each run starts on the schedule's one-second grid, not
    // a second after the last one ended (2.5 s runs would shift it by half).
    const double since_first = seconds_between(runs[0]["started_at"].as_string(), runs[i]["started_at"].as_string());
    CHECK_MESSAGE(std::abs(since_first - std::round(since_first)) <= 0.3,
                  "run " << i << " started " << since_first << " s after the first");
  }
  CHECK(m.value("ingestd_runs_skipped_total", {{"flow", "slow"}, {"reason", "overlap"}}).value_or(0) >= 1);
  CHECK(slow["runs_skipped"].as_int() >= 1);
  CHECK(e2e::contains(d.log(), "flow slow: the run due at "));
  CHECK(e2e::contains(d.log(), " is skipped: the last run is still going on"));
}

TEST_CASE("reload: an invalid file keeps the flows running, a valid one adds, changes and removes only what changed") {
  Workspace w;
  const std::string both = kGenerate + flow("a", "schedule = \"every 1s\"\n") + flow("b", "schedule = \"every 1s\"\n");
  w.write("flows.toml", both);
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE(runs_reach(w, "a", 1));

  // A typo: the file is refused and the flows go on.
  w.write("flows.toml", kGenerate + flow("a", "shedule = \"every 1s\"\n") + flow("b", "schedule = \"every 1s\"\n"));
  d.signal(SIGHUP);
  REQUIRE_MESSAGE(d.wait_for_log("reload refused"), d.log());
  const Value refused = d.status()["last_reload"];
  CHECK(refused["ok"].as_bool() == false);
  CHECK_MESSAGE(e2e::contains(refused["error"].as_string(), "flows.toml:14:1: flows[0].shedule: unknown key"),
                refused.dump());
  CHECK(d.metrics().value("ingestd_reloads_total", {{"result", "failed"}}) == 1.0);
  const std::size_t a_before = finished_runs(w, "a"), b_before = finished_runs(w, "b");
  CHECK(runs_reach(w, "a", a_before + 2));
  CHECK(runs_reach(w, "b", b_before + 2));

  // b removed, c added, a as it was: a keeps its schedule untouched.
  w.write("flows.toml", kGenerate + flow("a", "schedule = \"every 1s\"\n") + flow("c"));
  const testing::HttpReply ok = d.post("/reload");
  CHECK_MESSAGE(ok.status == 200, ok.body);
  CHECK_MESSAGE(e2e::contains(ok.body, "1 added (c), 0 changed, 1 removed (b)"), ok.body);
  REQUIRE(runs_reach(w, "c", 1));
  const std::size_t b_after = finished_runs(w, "b"), a_after = finished_runs(w, "a");
  CHECK(runs_reach(w, "a", a_after + 2));
  CHECK(finished_runs(w, "b") == b_after);  // no run of b started after its removal
  CHECK(finished_runs(w, "c") == 1);        // no schedule: once
  CHECK(d.flow("b").is_null());

  // a changed: its new schedule applies.
  w.write("flows.toml", kGenerate + flow("a", "schedule = \"every 1h\"\n") + flow("c"));
  d.signal(SIGHUP);
  REQUIRE_MESSAGE(d.wait_for_log("1 changed (a)"), d.log());
  REQUIRE(testing::wait_until([&] { return d.flow("a")["schedule"].as_string() == "every 1h"; }));
  const Exposition m = d.metrics();
  CHECK(m.value("ingestd_reloads_total", {{"result", "ok"}}) == 2.0);
  CHECK(m.value("ingestd_reloads_total", {{"result", "failed"}}) == 1.0);
  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());
  for (const char* name : {"a", "b", "c"})
    for (const Value& run : runs_of(w, name)) CHECK_MESSAGE(run["status"].as_string() == "ok", run.dump());
}

TEST_CASE("metrics: strict Prometheus text whose families match the golden list and whose counters match the rows") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
                                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
                                     "INSERT INTO t SELECT i, 'v' || i FROM n;");
  w.write("flows.toml", "[sources.src]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                        "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
                        "[[flows]]\nname = \"copy\"\nfrom = \"src\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
                        "cursor = \"id\"\n");
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  auto ok_runs = [&] { return d.metrics().value("ingestd_runs_total", {{"flow", "copy"}, {"status", "ok"}}).value_or(0); };
  REQUIRE_MESSAGE(testing::wait_until([&] { return ok_runs() == 1; }), d.log());
  const Exposition first = d.metrics();
  const std::string rows = testing::scalar(w.path("out.db"), "SELECT count(*) FROM t");
  CHECK(rows == "1000");
  CHECK(first.value("ingestd_rows_read_total", {{"flow", "copy"}, {"stream", "t"}}) == 1000.0);
  CHECK(first.value("ingestd_rows_written_total", {{"destination", "db"}, {"flow", "copy"}, {"stream", "t"}}) == 1000.0);
  CHECK(first.value("ingestd_run_duration_seconds_count", {{"flow", "copy"}}) == 1.0);
  CHECK(first.value("ingestd_flow_last_success_timestamp_seconds", {{"flow", "copy"}}).value_or(0) > 1.7e9);

  testing::execute(w.path("src.db"), "WITH RECURSIVE n(i) AS (SELECT 1001 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
                                     "INSERT INTO t SELECT i, 'v' || i FROM n;");
  REQUIRE(d.post("/flows/copy/run").status == 202);
  REQUIRE_MESSAGE(testing::wait_until([&] { return ok_runs() == 2; }), d.log());
  const Exposition second = d.metrics();
  CHECK(testing::scalar(w.path("out.db"), "SELECT count(*) || ':' || count(DISTINCT id) FROM t") == "1500:1500");
  CHECK(second.value("ingestd_rows_read_total", {{"flow", "copy"}, {"stream", "t"}}) == 1500.0);
  CHECK(second.value("ingestd_rows_written_total", {{"destination", "db"}, {"flow", "copy"}, {"stream", "t"}}) == 1500.0);
  CHECK(second.sum("ingestd_errors_total") == 0.0);

  // The names and types are a contract with dashboards: pinned here.
  std::ifstream golden(METRIC_FAMILIES_GOLDEN);
  std::map<std::string, std::string> expected;
  for (std::string name, type; golden >> name >> type;) expected[name] = type;
  std::map<std::string, std::string> exposed;
  for (const auto& [name, type] : second.types())
    if (name.rfind("ingestd_plugin_", 0) != 0) exposed[name] = type;
  CHECK(exposed == expected);
  CHECK(expected.size() >= 13);

  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());
}

TEST_CASE("signals: SIGTERM during a run commits what was read, exits 0, and the saved state agrees with the data") {
  Workspace w;
  w.write("flows.toml", "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 1000000, columns = 3 }\n"
                        "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
                        "[[flows]]\nname = \"big\"\nfrom = \"gen\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
                        "cursor = \"id\"\nbatch_rows = 10000\n");
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE_MESSAGE(testing::wait_until([&] {
                    return d.metrics().sum("ingestd_rows_written_total", {{"flow", "big"}}) >= 50000;
                  }),
                  d.log());
  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());
  const std::vector<Value> runs = runs_of(w, "big");
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["status"].as_string() == "stopped");
  // Everything up to the saved cursor is in the table, and nothing past it.
  const e2e::Result state = w.ingestd({"state", "show", "flows.toml", "--format", "json"});
  REQUIRE(state.exit_code == 0);
  const Value saved = Value::parse(Value::parse(state.out).as_array().at(0)["checkpoint"].as_string());
  const std::string loaded = testing::scalar(w.path("out.db"), "SELECT count(*) || ':' || max(id) FROM generated");
  CHECK(loaded == std::to_string(saved["id"].as_int()) + ":" + std::to_string(saved["id"].as_int()));
  CHECK(saved["id"].as_int() < 1000000);
  // The next run reads the rest.
  const e2e::Result rest = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK_MESSAGE(rest.exit_code == 0, dump(rest));
  CHECK(testing::scalar(w.path("out.db"), "SELECT count(*) || ':' || count(DISTINCT id) FROM generated") ==
        "1000000:1000000");
}

TEST_CASE("admin: with a token every endpoint but /healthz asks for it, the token is never logged, port 0 is logged") {
  Workspace w;
  w.write("flows.toml", kGenerate + flow("a") + "[serve]\nlisten = \"127.0.0.1:0\"\ntoken = \"${ADMIN_TOKEN}\"\n");
  testing::Options o;
  o.cwd = w.dir.path();
  o.stderr_path = w.path("serve.log");
  o.env = {{"ADMIN_TOKEN", "s3cret-admin-token-42"}};
  testing::Child child({testing::ingestd_bin(), "--log-level", "debug", "serve", "flows.toml"}, o);
  int port = 0;
  REQUIRE(testing::wait_until([&] {
    const std::string log = log_of(w);
    const std::size_t at = log.find("listening on http://127.0.0.1:");
    if (at != std::string::npos) port = std::atoi(log.c_str() + at + 30);
    return port > 0;
  }));
  CHECK(testing::http_request(port, "GET", "/healthz").status == 200);
  for (const char* path : {"/metrics", "/status", "/readyz"}) {
    const testing::HttpReply refused = testing::http_request(port, "GET", path);
    CHECK_MESSAGE(refused.status == 401, path);
    CHECK(testing::http_request(port, "GET", path, "Authorization: Bearer wrong\r\n").status == 401);
    CHECK(testing::http_request(port, "GET", path, "Authorization: Bearer s3cret-admin-token-42\r\n").status == 200);
  }
  CHECK(testing::http_request(port, "POST", "/reload").status == 401);
  CHECK(testing::http_request(port, "GET", "/nowhere", "Authorization: Bearer s3cret-admin-token-42\r\n").status == 404);
  child.signal(SIGTERM);
  const e2e::Result r = child.wait();
  CHECK(r.exit_code == 0);
  const std::string log = log_of(w);
  CHECK(!e2e::contains(log, "s3cret-admin-token-42"));
  CHECK(e2e::contains(log, "admin endpoint listening on http://127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("continuous: a webhook flow runs until stopped, and SIGTERM commits every answered event before exit 0") {
  Workspace w;
  const int hook = testing::free_port();
  w.write("flows.toml", "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(hook) +
                            ", columns = [\"event_id:string\"], flush_interval = \"20ms\" }\n"
                            "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"events.db\" }\n"
                            "[[flows]]\nname = \"hook\"\nfrom = \"hook\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
                            "load = \"merge\"\nprimary_key = [\"event_id\"]\nschedule = \"every 1s\"\n");
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE(testing::wait_listening(hook, 60));
  int answered = 0;
  for (int i = 0; i < 50; ++i) {
    const std::string body = "{\"event_id\": \"e" + std::to_string(i) + "\"}";
    answered += testing::http_request(hook, "POST", "/events", "Content-Type: application/json\r\n", body).status == 200;
  }
  CHECK(answered == 50);
  const Value f = d.flow("hook");
  CHECK(f["state"].as_string() == "running");
  CHECK(f["continuous"].as_bool());
  CHECK(f["next_run"].is_null());
  CHECK(e2e::contains(d.log(), "flow hook: its source never ends, so it runs continuously; its schedule is not used"));
  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());
  CHECK(testing::scalar(w.path("events.db"), "SELECT count(*) FROM events") == "50");
  CHECK(runs_of(w, "hook").size() == 1);
}

TEST_CASE("continuous: a flow that fails is started again, waiting longer each time, until it comes up") {
  Workspace w;
  // Something else holds the webhook's port at first.
  const int hook = testing::free_port();
  const int squatter = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // not inherited by ingestd
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(hook));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(squatter, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(listen(squatter, 4) == 0);
  w.write("flows.toml", "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(hook) +
                            ", columns = [\"event_id:string\"], flush_interval = \"20ms\" }\n"
                            "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"events.db\" }\n"
                            "[[flows]]\nname = \"hook\"\nfrom = \"hook\"\nto = \"db\"\nextract = \"incremental-appends\"\n");
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE_MESSAGE(d.wait_for_log("flow hook: its continuous run ended (failed); starting it again in 2 s"), d.log());
  REQUIRE_MESSAGE(d.wait_for_log("starting it again in 4 s"), d.log());
  const Value failed = d.flow("hook");
  CHECK(failed["state"].as_string() == "failed");
  CHECK_MESSAGE(e2e::contains(failed["last_run"]["error"].as_string(), "cannot listen"), failed.dump());
  close(squatter);
  REQUIRE_MESSAGE(testing::wait_until([&] { return d.flow("hook")["state"].as_string() == "running"; },
                                      std::chrono::seconds(30)),
                  d.log());
  REQUIRE(testing::wait_listening(hook, 30));
  CHECK(testing::http_request(hook, "POST", "/events", "", "{\"event_id\": \"late\"}").status == 200);
  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());
  CHECK(testing::scalar(w.path("events.db"), "SELECT event_id FROM events") == "late");
}

TEST_CASE("metrics: the strict reader refuses what a scraper could misread") {
  auto refused = [](const std::string& text) {
    try {
      Exposition::parse(text);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string head = "# HELP m_total x\n# TYPE m_total counter\n";
  CHECK(refused(head + "m_total{a=\"1\"} 2\n") == "accepted");
  CHECK(e2e::contains(refused("m_total 1\n"), "a sample before its family's TYPE"));
  CHECK(e2e::contains(refused(head + "m_total{a=\"x\\t\"} 1\n"), "an escape other than"));
  CHECK(e2e::contains(refused(head + "m_total{a=\"1\"} 1\nm_total{a=\"1\"} 2\n"), "a duplicate series"));
  CHECK(e2e::contains(refused(head + "m_total -1\n"), "a counter below zero"));
  CHECK(e2e::contains(refused(head + "m_total{1a=\"1\"} 1\n"), "a malformed label name"));
  CHECK(e2e::contains(refused(head + "m_total one\n"), "is not a number"));
  CHECK(e2e::contains(refused(head + "# TYPE g gauge\ng 1\nm_total 1\n"), "a family's samples are not together"));
  CHECK(e2e::contains(refused("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n"),
                      "buckets are not cumulative"));
  CHECK(e2e::contains(refused("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\nh_sum 1\n"),
                      "the +Inf bucket is not _count"));
  CHECK(e2e::contains(refused(head + "m_total 1"), "does not end with a newline"));
}

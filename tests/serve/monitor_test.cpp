// What `ingestd serve` tells operators beyond rows: stale flows, runs whose
// volume or columns are odd, alerts to a webhook and a command, `ingestd
// status`, and the status page as a browser shows it.
#include "serve/serve.hpp"

#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <csignal>
#include <filesystem>
#include <fstream>

using namespace serve;
using e2e::contains;
using e2e::dump;
using ingestd::json::Value;

namespace {

// The test's alert receiver (tests/serve/alert_receiver.py) on a free port.
class Receiver {
 public:
  explicit Receiver(const Workspace& w) : port_(testing::free_port()), path_(w.path("received.jsonl")) {
    testing::Options o;
    o.timeout_seconds = 600;
    child_ = std::make_unique<testing::Child>(
        std::vector<std::string>{"/usr/bin/python3", ALERT_RECEIVER_SCRIPT, std::to_string(port_), path_, "alert-secret"},
        o);
    started_ = testing::wait_listening(port_, 30);
  }
  bool started() const { return started_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/alerts"; }
  // Every alert received so far, in order, each {"verified", "alert"}.
  std::vector<Value> received() const { return json_lines(path_); }
  std::vector<std::string> events() const {
    std::vector<std::string> out;
    for (const Value& v : received()) out.push_back(v["alert"]["event"].as_string());
    return out;
  }

  static std::vector<Value> json_lines(const std::string& path) {
    std::vector<Value> out;
    if (!std::filesystem::exists(path)) return out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(Value::parse(line));
    return out;
  }

 private:
  int port_;
  std::string path_;
  std::unique_ptr<testing::Child> child_;
  bool started_ = false;
};

std::size_t count(const std::vector<std::string>& events, const std::string& event) {
  return static_cast<std::size_t>(std::count(events.begin(), events.end(), event));
}

std::string alerts_and_flow(const Receiver& r, const std::string& flow_extra) {
  return "[sources.shop]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
         "[destinations.dw]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
         "[alerts.hook]\nkind = \"webhook\"\nurl = \"" + r.url() + "\"\nsecret = \"${ALERT_SECRET}\"\n"
         "[alerts.script]\nkind = \"command\"\ncommand = [\"/bin/sh\", \"-c\", "
         "\"cat >> command_alerts.jsonl && echo >> command_alerts.jsonl\"]\n"
         "[[flows]]\nname = \"orders\"\nfrom = \"shop\"\nto = \"dw\"\nstreams = [\"t\"]\n"
         "extract = \"incremental-appends\"\ncursor = \"id\"\nalerts = [\"hook\", \"script\"]\n" + flow_extra;
}

void insert_rows(const Workspace& w, int64_t from, int64_t count) {
  testing::execute(w.path("src.db"), "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(from) +
                                         " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(from + count - 1) +
                                         ") INSERT INTO t (id, v) SELECT i, 'v' || i FROM n;");
}

}  // namespace

TEST_CASE("freshness: a flow whose source goes away fails once, goes stale once, and recovers once when it returns") {
  Workspace w;
  Receiver receiver(w);
  REQUIRE(receiver.started());
  testing::execute(w.path("src.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);");
  insert_rows(w, 1, 10);
  w.write("flows.toml", alerts_and_flow(receiver, "schedule = \"every 1s\"\nfreshness = \"3s\"\n"));
  Daemon d(w, {}, {{"ALERT_SECRET", "alert-secret"}});
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE(testing::wait_until([&] { return runs_of(w, "orders").size() >= 2; }));

  std::filesystem::rename(w.path("src.db"), w.path("away.db"));
  REQUIRE_MESSAGE(testing::wait_until([&] { return count(receiver.events(), "stale") == 1; }), d.log());
  CHECK(d.flow("orders")["stale"].as_bool());
  CHECK(d.metrics().value("ingestd_flow_stale", {{"flow", "orders"}}) == 1.0);
  testing::Options with_secret;
  with_secret.env = {{"ALERT_SECRET", "alert-secret"}};
  const e2e::Result status = w.ingestd({"status", "flows.toml", "--format", "json"}, with_secret);
  CHECK_MESSAGE(status.exit_code == 1, dump(status));  // a stale flow is something to act on
  CHECK(Value::parse(status.out).as_array().at(0)["stale"].as_bool());
  const e2e::Result text = w.ingestd({"status", "flows.toml"}, with_secret);
  CHECK(contains(text.out, "STALE"));

  std::filesystem::rename(w.path("away.db"), w.path("src.db"));
  insert_rows(w, 11, 5);
  REQUIRE_MESSAGE(testing::wait_until([&] { return count(receiver.events(), "recovered") == 1; }), d.log());
  // A while longer: nothing is told twice.
  const double ok_before = d.metrics().value("ingestd_runs_total", {{"flow", "orders"}, {"status", "ok"}}).value_or(0);
  REQUIRE(testing::wait_until([&] {
    return d.metrics().value("ingestd_runs_total", {{"flow", "orders"}, {"status", "ok"}}).value_or(0) >= ok_before + 3;
  }));
  const std::vector<std::string> events = receiver.events();
  CHECK(count(events, "run_failed") == 1);
  CHECK(count(events, "stale") == 1);
  CHECK(count(events, "recovered") == 1);
  CHECK(events.back() == "recovered");
  for (const Value& v : receiver.received()) {
    CHECK_MESSAGE(v["verified"].as_bool(), v.dump());  // signed with the secret
    CHECK(v["alert"]["flow"].as_string() == "orders");
    CHECK(v["alert"]["host"].is_string());
  }
  for (const Value& v : receiver.received())
    if (v["alert"]["event"].as_string() == "run_failed") {
      CHECK_MESSAGE(v["alert"]["error_class"].is_string(), v.dump());
      CHECK(v["alert"]["message"].is_string());
    }
  // The command sink was told the same, one document per line.
  std::vector<std::string> by_command;
  for (const Value& v : Receiver::json_lines(w.path("command_alerts.jsonl"))) by_command.push_back(v["event"].as_string());
  CHECK(by_command == events);
  const testing::Exposition m = d.metrics();
  CHECK(m.value("ingestd_flow_stale", {{"flow", "orders"}}) == 0.0);
  CHECK(m.value("ingestd_alerts_total", {{"alert", "hook"}, {"event", "stale"}, {"result", "sent"}}) == 1.0);
  CHECK(m.value("ingestd_alerts_total", {{"alert", "script"}, {"event", "recovered"}, {"result", "sent"}}) == 1.0);
  CHECK(testing::scalar(w.path("dw.db"), "SELECT count(*) FROM t") == "15");
  d.signal(SIGTERM);
  const e2e::Result r = d.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << d.log());
  CHECK(!contains(d.log(), "alert-secret"));
}

TEST_CASE("volume: twenty runs of about 1,000 rows and then one of 10 make one anomaly, and new columns one drift") {
  Workspace w;
  Receiver receiver(w);
  REQUIRE(receiver.started());
  testing::execute(w.path("src.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);");
  int64_t next = 1;
  insert_rows(w, next, 1000);
  next += 1000;
  w.write("flows.toml", alerts_and_flow(receiver, ""));
  Daemon d(w, {}, {{"ALERT_SECRET", "alert-secret"}});
  REQUIRE_MESSAGE(d.started(), d.log());
  auto ok_runs = [&] { return d.metrics().value("ingestd_runs_total", {{"flow", "orders"}, {"status", "ok"}}).value_or(0); };
  auto run_now = [&](double expected_runs) {
    REQUIRE(d.post("/flows/orders/run").status == 202);
    REQUIRE_MESSAGE(testing::wait_until([&] { return ok_runs() == expected_runs; }), d.log());
  };
  REQUIRE(testing::wait_until([&] { return ok_runs() == 1; }));
  for (int i = 2; i <= 20; ++i) {
    const int64_t rows = 990 + (i * 7) % 21;  // about 1,000
    insert_rows(w, next, rows);
    next += rows;
    run_now(i);
  }
  CHECK(receiver.events().empty());
  insert_rows(w, next, 10);
  next += 10;
  run_now(21);
  REQUIRE(testing::wait_until([&] { return count(receiver.events(), "volume_anomaly") == 1; }));
  // New columns at the source: a drift, named, and no volume anomaly.
  testing::execute(w.path("src.db"), "ALTER TABLE t ADD COLUMN region TEXT;");
  testing::execute(w.path("src.db"), "WITH RECURSIVE n(i) AS (SELECT " + std::to_string(next) +
                                         " UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(next + 999) +
                                         ") INSERT INTO t (id, v, region) SELECT i, 'v' || i, 'EU' FROM n;");
  run_now(22);
  REQUIRE(testing::wait_until([&] { return count(receiver.events(), "schema_drift") == 1; }));

  const std::vector<Value> received = receiver.received();
  CHECK(receiver.events() == std::vector<std::string>{"volume_anomaly", "schema_drift"});
  const Value& anomaly = received.at(0)["alert"];
  CHECK(anomaly["stream"].as_string() == "t");
  CHECK_MESSAGE(contains(anomaly["message"].as_string(), "moved 10 rows, "), anomaly.dump());
  CHECK(contains(anomaly["message"].as_string(), "standard deviations below the mean of the last 20 successful runs"));
  CHECK_MESSAGE(contains(received.at(1)["alert"]["message"].as_string(), "added region (string)"), received.at(1).dump());
  const testing::Exposition m = d.metrics();
  CHECK(m.value("ingestd_volume_anomalies_total", {{"flow", "orders"}, {"stream", "t"}}) == 1.0);
  CHECK(m.value("ingestd_schema_drifts_total", {{"flow", "orders"}, {"stream", "t"}}) == 1.0);
  CHECK(contains(d.log(), "orders/t: volume anomaly: moved 10 rows"));
  // In run history, /status and `ingestd status`.
  testing::Options with_secret;
  with_secret.env = {{"ALERT_SECRET", "alert-secret"}};
  const e2e::Result runs = w.ingestd({"runs", "flows.toml", "--format", "json", "--limit", "2"}, with_secret);
  REQUIRE(runs.exit_code == 0);
  const Value history = Value::parse(runs.out);
  CHECK(history.as_array().at(1)["streams"].as_array().at(0)["flags"].as_array().at(0)["kind"].as_string() == "volume");
  CHECK(history.as_array().at(0)["streams"].as_array().at(0)["flags"].as_array().at(0)["kind"].as_string() ==
        "schema_drift");
  CHECK(d.flow("orders")["flags"].as_array().size() == 2);
  const e2e::Result status = w.ingestd({"status", "flows.toml"}, with_secret);
  CHECK_MESSAGE(status.exit_code == 0, dump(status));
  CHECK(contains(status.out, "t volume: moved 10 rows"));
  CHECK(contains(status.out, "t schema_drift: columns changed at the source: added region (string)"));
  d.signal(SIGTERM);
  CHECK(d.wait().exit_code == 0);
}

TEST_CASE("status page: headless Chromium shows every flow, a chart of its runs, and a stale flow as stale") {
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);");
  insert_rows(w, 1, 100);
  w.write("flows.toml", "[sources.shop]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                        "[sources.gone]\nplugin = \"sqlite\"\nconfig = { path = \"missing.db\" }\n"
                        "[destinations.dw]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
                        "[[flows]]\nname = \"fresh_flow\"\nfrom = \"shop\"\nto = \"dw\"\nstreams = [\"t\"]\n"
                        "extract = \"incremental-appends\"\ncursor = \"id\"\nschedule = \"every 1s\"\nfreshness = \"1h\"\n"
                        "[[flows]]\nname = \"stale_flow\"\nfrom = \"gone\"\nto = \"dw\"\nstreams = [\"t\"]\n"
                        "schedule = \"every 1s\"\nfreshness = \"1s\"\n");
  Daemon d(w);
  REQUIRE_MESSAGE(d.started(), d.log());
  REQUIRE(testing::wait_until([&] { return runs_of(w, "fresh_flow").size() >= 3; }));
  REQUIRE(testing::wait_until([&] { return d.flow("stale_flow")["stale"].as_bool(); }));

  const std::string url = "http://127.0.0.1:" + std::to_string(d.port()) + "/";
  const std::vector<std::string> chromium = {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                             "--disable-quic", "--no-first-run", "--disable-background-networking",
                                             "--disable-component-update", "--disable-sync",
                                             "--user-data-dir=" + w.path("chromium-profile")};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = chromium;
    argv.insert(argv.end(), extra.begin(), extra.end());
    testing::Options o;
    o.timeout_seconds = 120;
    return testing::run(argv, o);
  };
  const e2e::Result dom = with({"--dump-dom", url});
  REQUIRE_MESSAGE(dom.exit_code == 0, dump(dom));
  CHECK(contains(dom.out, "data-flow=\"fresh_flow\""));
  CHECK(contains(dom.out, "data-flow=\"stale_flow\""));
  CHECK(contains(dom.out, "<svg class=\"chart\""));
  CHECK(contains(dom.out, "rows and duration per run of flow fresh_flow"));
  CHECK(contains(dom.out, "<rect class=\"bar\""));
  // The stale flow's row says stale; the fresh one's says fresh.
  const std::size_t stale_row = dom.out.find("data-flow=\"stale_flow\"");
  const std::size_t fresh_row = dom.out.find("data-flow=\"fresh_flow\"");
  CHECK(dom.out.find("data-stale=\"true\"", stale_row) < dom.out.find("</tr>", stale_row));
  CHECK(dom.out.find("data-stale=\"false\"", fresh_row) < dom.out.find("</tr>", fresh_row));
  CHECK(contains(dom.out, "id=\"errors\""));  // the failing flow's error is listed

  std::filesystem::create_directories(TEST_OUTPUT_DIR);
  const std::string png = std::string(TEST_OUTPUT_DIR) + "/status_page.png";
  std::filesystem::remove(png);
  const e2e::Result shot = with({"--screenshot=" + png, "--window-size=1280,1000", "--hide-scrollbars", url});
  CHECK_MESSAGE(shot.exit_code == 0, dump(shot));
  REQUIRE(std::filesystem::exists(png));
  CHECK(std::filesystem::file_size(png) > 10000);
  d.signal(SIGTERM);
  // 1 when the stop caught a run of stale_flow, whose source is missing: a run
  // that fails during the stop is reported so.
  const e2e::Result stopped = d.wait();
  CHECK_MESSAGE((stopped.exit_code == 0 || stopped.exit_code == 1), d.log());
}

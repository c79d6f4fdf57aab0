#include "serve/serve.hpp"

#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>

namespace serve {

using ingestd::json::Value;

Daemon::Daemon(const Workspace& w, const std::vector<std::string>& extra_args, const std::map<std::string, std::string>& env)
    : w_(w), port_(testing::free_port()) {
  std::vector<std::string> argv{testing::ingestd_bin(), "serve", "flows.toml", "--listen",
                                "127.0.0.1:" + std::to_string(port_)};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  testing::Options o;
  o.cwd = w.dir.path();
  o.stderr_path = w.path("serve.log");
  o.timeout_seconds = 240;
  o.env = env;
  child_ = std::make_unique<testing::Child>(argv, o);
  started_ = testing::wait_listening(port_, 60);
}

std::string Daemon::log() const { return log_of(w_); }

std::string log_of(const Workspace& w) {
  std::ifstream in(w.path("serve.log"));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Daemon::wait_for_log(const std::string& needle, double seconds) const {
  return testing::wait_until([&] { return log().find(needle) != std::string::npos; },
                             std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000)));
}

testing::HttpReply Daemon::get(const std::string& path, const std::string& headers) const {
  return testing::http_request(port_, "GET", path, headers);
}

testing::HttpReply Daemon::post(const std::string& path, const std::string& headers) const {
  return testing::http_request(port_, "POST", path, headers);
}

Value Daemon::status() const {
  const testing::HttpReply r = get("/status");
  REQUIRE_MESSAGE(r.status == 200, "GET /status: " << r.status << " " << r.body);
  return Value::parse(r.body);
}

testing::Exposition Daemon::metrics() const {
  const testing::HttpReply r = get("/metrics");
  REQUIRE_MESSAGE(r.status == 200, "GET /metrics: " << r.status << " " << r.body);
  try {
    return testing::Exposition::parse(r.body);
  } catch (const std::exception& e) {
    FAIL("GET /metrics is not valid Prometheus text: " << e.what() << "\n" << r.body);
  }
  return {};
}

Value Daemon::flow(const std::string& name) const {
  const Value s = status();
  for (const Value& f : s["flows"].as_array())
    if (f["name"].as_string() == name) return f;
  return Value();
}

std::vector<Value> runs_of(const Workspace& w, const std::string& flow) {
  // From the state store itself: the flow file may be one a test made invalid.
  const testing::Rows rows = testing::query(
      w.path(".ingestd/state.db"),
      "SELECT r.run_id, r.status, r.started_at, coalesce(r.ended_at, '') FROM runs r WHERE EXISTS (SELECT 1 FROM "
      "run_streams s WHERE s.run_id = r.run_id AND s.flow = '" + flow + "') ORDER BY r.started_at, r.run_id");
  std::vector<Value> out;
  for (const auto& row : rows) {
    ingestd::json::Object o;
    o.set("run_id", Value(row[0]));
    o.set("status", Value(row[1]));
    o.set("started_at", Value(row[2]));
    o.set("ended_at", Value(row[3]));
    out.push_back(Value(std::move(o)));
  }
  return out;
}

double seconds_between(const std::string& from, const std::string& to) {
  auto seconds = [](const std::string& t) {
    std::tm tm{};
    int ms = 0;
    std::sscanf(t.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                &tm.tm_sec, &ms);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + ms / 1000.0;
  };
  return seconds(to) - seconds(from);
}

}  // namespace serve

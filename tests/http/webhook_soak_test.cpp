// The webhook under attack while good producers post: slowloris connections
// dripping one header byte at a time (more than one client may hold), bodies
// dripped as slowly, chunked bodies far over max_body, and malformed events,
// all at once. Good producers keep being answered quickly, every event
// answered 200 is in the table, and each attacker got the answer it earned.
#include "e2e.hpp"
#include "support/net.hpp"
#include "support/sqlite_query.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace e2e;
using ingestd::json::Value;

namespace {

// What the attackers were answered: kind -> status -> how often (-1: the
// connection was closed without an answer).
class Tally {
 public:
  void add(const std::string& kind, int status) {
    std::lock_guard lock(mutex_);
    ++seen_[kind][status];
  }
  int of(const std::string& kind, int status) {
    std::lock_guard lock(mutex_);
    return seen_[kind][status];
  }
  std::set<int> statuses(const std::string& kind) {
    std::lock_guard lock(mutex_);
    std::set<int> out;
    for (const auto& [status, n] : seen_[kind])
      if (n > 0) out.insert(status);
    return out;
  }
  std::string text() {
    std::lock_guard lock(mutex_);
    std::ostringstream out;
    for (const auto& [kind, by_status] : seen_) {
      out << kind << ":";
      for (const auto& [status, n] : by_status) out << " " << status << "x" << n;
      out << "\n";
    }
    return out.str();
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::map<int, int>> seen_;
};

// The status of an answer that arrives within `ms`: 0 when none did yet,
// -1 when the server closed without one.
int answer_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return 0;
  char buffer[4096];
  const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
  if (n <= 0) return -1;
  return testing::http_status(std::string(buffer, static_cast<std::size_t>(n)));
}

// Sends `head`, then one byte every half second until the server answers.
int drip(const std::string& source, int port, const std::string& head, const std::atomic<bool>& stop) {
  const int fd = testing::connect_from(source, port);
  if (fd < 0) return -1;
  int status = ::send(fd, head.data(), head.size(), MSG_NOSIGNAL) > 0 ? 0 : -1;
  while (status == 0 && !stop) {
    status = answer_within(fd, 500);
    if (status == 0 && ::send(fd, "a", 1, MSG_NOSIGNAL) != 1) status = answer_within(fd, 1000);
  }
  ::close(fd);
  return status;
}

// Sends `request` whole (as fast as the server reads), then waits for the answer.
int blast(const std::string& source, int port, const std::string& request) {
  const int fd = testing::connect_from(source, port);
  if (fd < 0) return -1;
  int status = 0;
  for (std::size_t sent = 0; sent < request.size();) {
    if ((status = answer_within(fd, 0)) != 0) break;  // answered (or closed) before the end
    const ssize_t n = ::send(fd, request.data() + sent, std::min<std::size_t>(64 * 1024, request.size() - sent),
                             MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  for (int waited = 0; status == 0 && waited < 100; ++waited) status = answer_within(fd, 100);
  ::close(fd);
  return status;
}

std::string chunked_body_over_limit() {
  std::string request = "POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "{\"event_id\": \"" + std::string(32 * 1024, 'x') + "\"}\n";
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
  for (int i = 0; i < 128; ++i) request += size + chunk + "\r\n";  // 4 MiB against 64 KiB
  return request + "0\r\n\r\n";
}

std::string post_of(const std::string& body) {
  return "POST /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("webhook soak: good producers are served while slowloris, slow bodies, oversized chunked bodies and "
          "malformed events go on") {
  Workspace w;
  const int port = testing::free_port();
  w.write("flows.toml",
          "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(port) +
              ", columns = [\"event_id:string\", \"seq:int64\"], flush_interval = \"20ms\", max_body = \"64KiB\", "
              "header_timeout = \"2s\", body_timeout = \"2s\", idle_timeout = \"2s\", "
              "max_connections_per_client = 32 }\n"
              "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"events.db\" }\n"
              "[[flows]]\nname = \"hook\"\nfrom = \"hook\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
              "load = \"merge\"\nprimary_key = [\"event_id\"]\n");
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child ingestd({testing::ingestd_bin(), "run", "flows.toml", "--no-progress", "--report", "report.json"}, o);
  REQUIRE(testing::wait_listening(port, 30));

  std::atomic<bool> stop{false};
  Tally tally;
  std::vector<std::thread> attackers;
  auto attack = [&](const std::string& kind, auto once) {
    attackers.emplace_back([&, kind, once] {
      while (!stop) {
        const int status = once();
        if (!stop) tally.add(kind, status);
        if (status == 503) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    });
  };
  // 128 slowloris connections from two clients, twice what either may hold
  // (so some are refused even while others are between a 408 and their next
  // connection on a loaded machine), and more than a thread pool of 64 would serve.
  for (int i = 0; i < 128; ++i) {
    const std::string source = i % 2 ? "127.0.0.2" : "127.0.0.3";
    attack("slowloris", [&, source] {
      return drip(source, port, "POST /events HTTP/1.1\r\nHost: x\r\nX-Padding: ", stop);
    });
  }
  for (int i = 0; i < 8; ++i)
    attack("slow body", [&] {
      return drip("127.0.0.4", port, "POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n", stop);
    });
  const std::string oversized = chunked_body_over_limit();
  for (int i = 0; i < 2; ++i) attack("oversized", [&] { return blast("127.0.0.5", port, oversized); });
  const std::vector<std::string> malformed = {"{\"event_id\": \"m\", \"EVENT_ID\": \"n\"}", "{\"event_id\": ",
                                              "{\"event_id\": \"m\", \"seq\": \"seven\"}", "[1, 2]"};
  for (int i = 0; i < 2; ++i)
    attack("malformed", [&, i] {
      static thread_local std::size_t next = static_cast<std::size_t>(i);
      return blast("127.0.0.5", port, post_of(malformed[next++ % malformed.size()]));
    });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let the attack take hold first

  testing::Options producer;
  producer.timeout_seconds = 240;
  Result good = testing::run({"/usr/bin/python3", POST_EVENTS_SCRIPT, "http://127.0.0.1:" + std::to_string(port) +
                                                                          "/events",
                              "--count", "6000", "--per-request", "4", "--concurrency", "16", "--accepted-file",
                              w.path("accepted.txt")},
                             producer);
  // The attack lasts as long as the good producers post, and at least past
  // the header and body deadlines.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  stop = true;
  for (auto& t : attackers) t.join();
  ingestd.signal(SIGTERM);
  Result done = ingestd.wait();
  REQUIRE_MESSAGE(good.exit_code == 0, dump(good));
  CHECK_MESSAGE(done.exit_code == 0, dump(done));

  const Value stats = Value::parse(good.out);
  INFO("good producers: " << good.out << "attackers:\n" << tally.text());
  CHECK(stats["accepted"].as_int() == 6000);
  CHECK(stats["statuses"]["200"].as_int() == 1500);
  CHECK(stats["statuses"].as_object().size() == 1);
  CHECK(stats["latency_p99"].as_double() < 1.0);

  // Each attacker was answered what it earned, and nothing else.
  CHECK(tally.statuses("slowloris") == std::set<int>{408, 503});
  CHECK(tally.statuses("slow body") == std::set<int>{408});
  CHECK(tally.statuses("oversized") == std::set<int>{413});
  CHECK(tally.statuses("malformed") == std::set<int>{400});

  // Every 200 is a row, and nothing else is.
  std::set<std::string> accepted;
  for (const auto& id : w.lines("accepted.txt")) accepted.insert(id);
  std::set<std::string> rows;
  std::istringstream ids(testing::scalar(w.path("events.db"), "SELECT group_concat(event_id, char(10)) FROM events"));
  for (std::string id; std::getline(ids, id);) rows.insert(id);
  CHECK(accepted.size() == 6000);
  CHECK(rows == accepted);

  const Value report = Value::parse(w.read("report.json"));
  const Value& counters = stream_of(report, "events")["counters"];
  CHECK(counters["connections_refused"].as_int() > 0);
  CHECK(counters["requests_timed_out"].as_int() > 0);
#ifndef INGESTD_SANITIZED  // ASan's shadow and quarantine make a resident-size limit meaningless
  CHECK_MESSAGE(done.max_rss_kb < 300 * 1024, "peak " << done.max_rss_kb << " KiB");
#endif
}

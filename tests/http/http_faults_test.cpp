// The http source when its server misbehaves at the socket: a response cut
// off mid-body (the server went away mid-page), and a server that accepts the
// connection and never answers. Without retries the run fails within its
// timeouts as transient; with them it completes, every record once.
#include "e2e.hpp"
#include "support/net.hpp"
#include "support/sqlite_query.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace e2e;
using testing::scalar;

namespace {

// Answers the n-th connection as script[n] says (the last entry repeats):
// "cut" sends the headers and part of the body, then closes; "silent" reads
// the request and never answers; "ok" sends a whole page of three records.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> script) : script_(std::move(script)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    thread_.join();
    for (int c : held_) close(c);
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return count_.load(); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      const std::string& what = script_[std::min<std::size_t>(count_++, script_.size() - 1)];
      char buf[8192];
      (void)!read(c, buf, sizeof buf);  // the request; its content does not matter here
      const std::string body = "{\"data\": [{\"id\": 1}, {\"id\": 2}, {\"id\": 3}]}";
      if (what == "silent") {
        held_.push_back(c);  // open, never answered
        continue;
      }
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(what == "cut" ? 1000 : body.size()) + "\r\n\r\n";
      std::string out = head + (what == "cut" ? body.substr(0, 12) : body);
      (void)!write(c, out.data(), out.size());
      close(c);
    }
  }

  std::vector<std::string> script_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> count_{0};
  std::vector<int> held_;
};

std::string flow(const ScriptedServer& s, int retries) {
  return "[sources.api]\nplugin = \"http\"\n[sources.api.config]\nbase_url = \"" + s.url() +
         "\"\ntimeout = \"1s\"\nmax_retries = 0\n[sources.api.config.streams.items]\npath = \"/items\"\n"
         "records = \"/data\"\nprimary_key = [\"id\"]\n"
         "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"api\"\nto = \"db\"\nload = \"merge\"\nretries = " +
         std::to_string(retries) + "\n";
}

}  // namespace

TEST_CASE("faults: an HTTP response cut off mid-body is transient, and with retries every record arrives once") {
  {
    ScriptedServer cut({"cut"});
    Workspace w;
    w.write("flows.toml", flow(cut, 0));
    Result r = w.ingestd({"run", "flows.toml"});
    CHECK(r.exit_code == 1);
    CHECK_MESSAGE(contains(r.out + r.err, "GET " + cut.url() + "/items"), dump(r));
  }
  // Discovery's page and the first read are cut; the retries get whole ones.
  ScriptedServer flaky({"cut", "ok", "cut", "ok"});
  Workspace w;
  w.write("flows.toml", flow(flaky, 3));
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(scalar(w.path("out.db"), "SELECT count(*) || '/' || count(DISTINCT id) FROM items") == "3/3");
}

TEST_CASE("faults: an HTTP server that accepts and never answers fails the run within its timeout") {
  ScriptedServer silent({"silent"});
  Workspace w;
  w.write("flows.toml", flow(silent, 0));
  const auto started = std::chrono::steady_clock::now();
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  CHECK_MESSAGE(contains(r.out + r.err, "timed out"), dump(r));

  ScriptedServer slow_start({"silent", "ok"});
  Workspace w2;
  w2.write("flows.toml", flow(slow_start, 2));
  Result ok = w2.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(ok.exit_code == 0, dump(ok));
  CHECK(scalar(w2.path("out.db"), "SELECT count(*) FROM items") == "3");
}

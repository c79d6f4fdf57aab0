// The scene of the fencing tests: two runs of one webhook flow (a.toml and
// b.toml, on two ports) sharing a state store and a destination. A takes the
// flow and answers "a1", and is paused with "a2" waiting in its listen queue;
// once A's lease has run out B takes the flow over and answers "b1". What a
// test checks is what A does when it wakes up.
#pragma once

#include "e2e.hpp"
#include "support/net.hpp"
#include "support/wait.hpp"

#include <csignal>
#include <functional>
#include <memory>
#include <thread>

namespace e2e {

// The flow "events" for the scene: a webhook on `port` into one destination
// (`plugin` with `config`, an inline table), a lease of 3 s, and the other
// keys of [state] as given.
inline std::string events_flow(int port, const std::string& state_keys, const std::string& plugin,
                               const std::string& config) {
  return "[state]\n" + state_keys + "lease_ttl = \"3s\"\n[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " +
         std::to_string(port) + ", columns = [\"id:string\"] }\n[destinations.dst]\nplugin = \"" + plugin +
         "\"\nconfig = " + config + "\n[[flows]]\nname = \"events\"\nfrom = \"hook\"\nto = \"dst\"\n"
         "extract = \"incremental-appends\"\n";
}

struct PausedTakeover {
  // Starts A, which answers "a1". `flows(port)`: the flow file with the
  // webhook on `port` (events_flow); `lease_pid()`: the pid holding the
  // flow's lease ("" when none is unexpired).
  PausedTakeover(const Workspace& w, const std::function<std::string(int port)>& flows,
                 std::function<std::string()> lease_pid)
      : port_a(testing::free_port()), port_b(testing::free_port()), holder(std::move(lease_pid)) {
    w.write("a.toml", flows(port_a));
    w.write("b.toml", flows(port_b));
    options.cwd = w.dir.path();
    a = std::make_unique<testing::Child>(std::vector<std::string>{testing::ingestd_bin(), "run", "a.toml", "--no-progress"},
                                         options);
    REQUIRE(testing::wait_until([&] { return holder() == std::to_string(a->pid()); }));
    REQUIRE(testing::wait_listening(port_a, 30));
    REQUIRE(testing::http_request(port_a, "POST", "/events", "", R"({"id":"a1"})").status == 200);
  }
  ~PausedTakeover() {
    if (late_sender.joinable()) {
      a->signal(SIGCONT);
      late_sender.join();
    }
  }
  PausedTakeover(const PausedTakeover&) = delete;
  PausedTakeover& operator=(const PausedTakeover&) = delete;

  // Pauses A with "a2" waiting, and once its lease ran out starts B, which answers "b1".
  void take_over() {
    a->signal(SIGSTOP);
    late_sender = std::thread([this] { late = testing::http_request(port_a, "POST", "/events", "", R"({"id":"a2"})"); });
    REQUIRE(testing::wait_until([&] { return holder().empty(); }, std::chrono::seconds(30)));
    b = std::make_unique<testing::Child>(std::vector<std::string>{testing::ingestd_bin(), "run", "b.toml", "--no-progress"},
                                         options);
    REQUIRE(testing::wait_until([&] { return holder() == std::to_string(b->pid()); }));
    REQUIRE(testing::wait_listening(port_b, 30));
    REQUIRE(testing::http_request(port_b, "POST", "/events", "", R"({"id":"b1"})").status == 200);
  }

  // Wakes A and waits for it to end; `late` is then the answer to "a2".
  Result resume_a() {
    a->signal(SIGCONT);
    Result r = a->wait();
    late_sender.join();
    return r;
  }
  // Stops B with SIGTERM and waits for it.
  Result stop_b() {
    b->signal(SIGTERM);
    return b->wait();
  }

  int port_a, port_b;
  std::function<std::string()> holder;
  testing::Options options;
  std::unique_ptr<testing::Child> a, b;
  testing::HttpReply late;
  std::thread late_sender;
};

}  // namespace e2e

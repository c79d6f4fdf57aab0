// Fencing on a real PostgreSQL: lease epochs and fenced saves in the state
// store, and a destination that keeps its state with its rows refusing the
// late commit of a run paused past its lease.
#include "e2e.hpp"
#include "support/lease_fencing.hpp"
#include "support/net.hpp"
#include "support/pg.hpp"
#include "support/wait.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <thread>

using namespace e2e;
using testing::PgDatabase;

TEST_CASE("state store: postgres: leases change hands with growing epochs, and saves under an ended holding are refused") {
  PgDatabase state;
  auto store = ingestd::open_postgres_state_store(state.dsn(), "ops");
  testing::check_lease_fencing(*store, [&](const std::string& name) {
    state.execute("UPDATE ops.leases SET expires_at = now() - interval '1 second' WHERE name = '" + name + "'");
  });
}

TEST_CASE("fencing: a run paused past its lease commits neither rows nor state into PostgreSQL behind the run that took over") {
  // Two flow files, one state store and one destination: the same flow on
  // two webhook ports, the second standing for the run that takes over.
  PgDatabase state, dst;
  Workspace w;
  const int port_a = testing::free_port(), port_b = testing::free_port();
  auto flows = [&](int port) {
    return "[state]\nbackend = \"postgres\"\ndsn = \"" + state.dsn() + "\"\nschema = \"ops\"\nlease_ttl = \"3s\"\n"
           "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(port) +
           ", columns = [\"id:string\"] }\n"
           "[destinations.db]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\" }\n"
           "[[flows]]\nname = \"events\"\nfrom = \"hook\"\nto = \"db\"\nextract = \"incremental-appends\"\n";
  };
  w.write("a.toml", flows(port_a));
  w.write("b.toml", flows(port_b));
  auto holder = [&] {
    try {
      return state.scalar("SELECT coalesce((SELECT pid::text FROM ops.leases WHERE name = 'events' AND expires_at > "
                          "now()), '')");
    } catch (const std::exception&) {  // not made yet
      return std::string();
    }
  };
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child a({testing::ingestd_bin(), "run", "a.toml", "--no-progress"}, o);
  REQUIRE(testing::wait_until([&] { return holder() == std::to_string(a.pid()); }));
  REQUIRE(testing::wait_listening(port_a, 30));
  REQUIRE(testing::http_request(port_a, "POST", "/events", "", R"({"id":"a1"})").status == 200);

  a.signal(SIGSTOP);
  testing::HttpReply late;
  std::thread late_sender([&] { late = testing::http_request(port_a, "POST", "/events", "", R"({"id":"a2"})"); });
  REQUIRE(testing::wait_until([&] { return holder().empty(); }, std::chrono::seconds(30)));

  testing::Child b({testing::ingestd_bin(), "run", "b.toml", "--no-progress"}, o);
  REQUIRE(testing::wait_until([&] { return holder() == std::to_string(b.pid()); }));
  REQUIRE(testing::wait_listening(port_b, 30));
  REQUIRE(testing::http_request(port_b, "POST", "/events", "", R"({"id":"b1"})").status == 200);
  const std::string b_state = dst.scalar("SELECT generation || ' ' || run_id FROM _ingestd_state");
  CHECK(b_state == state.scalar("SELECT generation || ' ' || run_id FROM ops.checkpoints"));
  // B counts from its own, later epoch.
  CHECK((std::stoll(b_state) >> 32) == std::stoll(state.scalar("SELECT epoch FROM ops.leases")));

  a.signal(SIGCONT);
  Result ra = a.wait();
  late_sender.join();
  CHECK_MESSAGE(ra.exit_code != 0, dump(ra));
  CHECK(late.status != 200);
  // Neither A's late row nor its state reached the destination or the store.
  CHECK(dst.scalar("SELECT string_agg(id, ',' ORDER BY id) FROM events") == "a1,b1");
  CHECK(dst.scalar("SELECT generation || ' ' || run_id FROM _ingestd_state") == b_state);
  CHECK(state.scalar("SELECT generation || ' ' || run_id FROM ops.checkpoints") == b_state);

  b.signal(SIGTERM);
  Result rb = b.wait();
  CHECK_MESSAGE(rb.exit_code == 0, dump(rb));
}

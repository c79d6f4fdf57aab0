// Two runs of one flow into one Parquet lake table: the first paused past
// its lease, the second taking the flow over. Resumed, the first must not
// write its manifest over the second's, which would drop the second's files
// and move the table's state back.
#include "e2e.hpp"
#include "support/duckdb_query.hpp"
#include "support/net.hpp"
#include "support/wait.hpp"
#include "support/sqlite_query.hpp"

#include <csignal>
#include <thread>

using namespace e2e;
using testing::lake_files;
using testing::lake_query;
using testing::Rows;

namespace {

std::string lease_pid(const Workspace& w) {
  try {
    return testing::scalar(w.path(".ingestd/state.db"),
                           "SELECT coalesce((SELECT pid FROM leases WHERE name = 'events' AND expires_at >= "
                           "unixepoch()), '')");
  } catch (const std::exception&) {  // not made yet
    return "";
  }
}

}  // namespace

TEST_CASE("fencing: a run paused past its lease cannot write the lake's manifest over the run that took over") {
  Workspace w;
  const int port_a = testing::free_port(), port_b = testing::free_port();
  auto flows = [](int port) {
    return "[state]\nlease_ttl = \"3s\"\n"
           "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(port) +
           ", columns = [\"id:string\"] }\n"
           "[destinations.lake]\nplugin = \"parquet\"\nconfig = { path = \"lake\" }\n"
           "[[flows]]\nname = \"events\"\nfrom = \"hook\"\nto = \"lake\"\nextract = \"incremental-appends\"\n";
  };
  w.write("a.toml", flows(port_a));
  w.write("b.toml", flows(port_b));
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child a({testing::ingestd_bin(), "run", "a.toml", "--no-progress"}, o);
  REQUIRE(testing::wait_until([&] { return lease_pid(w) == std::to_string(a.pid()); }));
  REQUIRE(testing::wait_listening(port_a, 30));
  REQUIRE(testing::http_request(port_a, "POST", "/events", "", R"({"id":"a1"})").status == 200);

  a.signal(SIGSTOP);
  testing::HttpReply late;
  std::thread late_sender([&] { late = testing::http_request(port_a, "POST", "/events", "", R"({"id":"a2"})"); });
  REQUIRE(testing::wait_until([&] { return lease_pid(w).empty(); }, std::chrono::seconds(30)));

  testing::Child b({testing::ingestd_bin(), "run", "b.toml", "--no-progress"}, o);
  REQUIRE(testing::wait_until([&] { return lease_pid(w) == std::to_string(b.pid()); }));
  REQUIRE(testing::wait_listening(port_b, 30));
  REQUIRE(testing::http_request(port_b, "POST", "/events", "", R"({"id":"b1"})").status == 200);
  const std::string table = w.path("lake/events");
  REQUIRE(lake_query(table, "SELECT string_agg(id, ',' ORDER BY id) FROM t") == Rows{{"a1,b1"}});
  const std::string b_manifest = w.read("lake/events/_ingestd_manifest.json");

  a.signal(SIGCONT);
  Result ra = a.wait();
  late_sender.join();
  CHECK_MESSAGE(ra.exit_code != 0, dump(ra));
  CHECK_MESSAGE(contains(ra.err, "was committed here after this run lost its lease"), dump(ra));
  CHECK(late.status != 200);
  // B's files and state are the table's still; A's late row is in no listed file.
  CHECK(w.read("lake/events/_ingestd_manifest.json") == b_manifest);
  CHECK(lake_query(table, "SELECT string_agg(id, ',' ORDER BY id) FROM t") == Rows{{"a1,b1"}});

  REQUIRE(testing::http_request(port_b, "POST", "/events", "", R"({"id":"b2"})").status == 200);
  b.signal(SIGTERM);
  Result rb = b.wait();
  CHECK_MESSAGE(rb.exit_code == 0, dump(rb));
  CHECK(lake_query(table, "SELECT string_agg(id, ',' ORDER BY id) FROM t") == Rows{{"a1,b1,b2"}});
  // Nothing on disk that the manifest does not list, once the table is opened again.
  CHECK(lake_files(table).size() == testing::parquet_files_on_disk(table).size());
}

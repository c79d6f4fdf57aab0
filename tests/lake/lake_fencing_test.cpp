// Two runs of one flow into one Parquet lake table: the first paused past
// its lease, the second taking the flow over. Resumed, the first must not
// write its manifest over the second's, which would drop the second's files
// and move the table's state back.
#include "e2e.hpp"
#include "paused_takeover.hpp"
#include "support/duckdb_query.hpp"
#include "support/sqlite_query.hpp"

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
  PausedTakeover t(
      w,
      [](int port) { return events_flow(port, "", "parquet", "{ path = \"lake\" }"); },
      [&] { return lease_pid(w); });
  t.take_over();
  const std::string table = w.path("lake/events");
  REQUIRE(lake_query(table, "SELECT string_agg(id, ',' ORDER BY id) FROM t") == Rows{{"a1,b1"}});
  const std::string b_manifest = w.read("lake/events/_ingestd_manifest.json");

  Result ra = t.resume_a();
  CHECK_MESSAGE(ra.exit_code != 0, dump(ra));
  // Its lease keeper may find the loss before its commit does; either way it stops.
  CHECK_MESSAGE((contains(ra.err, "was committed here after this run lost its lease") ||
                 contains(ra.err, "lost its lease to another run") || contains(ra.err, "its lease passed to another run")),
                dump(ra));
  CHECK(t.late.status != 200);
  // B's files and state are the table's still; A's late row is in no listed file.
  CHECK(w.read("lake/events/_ingestd_manifest.json") == b_manifest);
  CHECK(lake_query(table, "SELECT string_agg(id, ',' ORDER BY id) FROM t") == Rows{{"a1,b1"}});

  REQUIRE(testing::http_request(t.port_b, "POST", "/events", "", R"({"id":"b2"})").status == 200);
  Result rb = t.stop_b();
  CHECK_MESSAGE(rb.exit_code == 0, dump(rb));
  CHECK(lake_query(table, "SELECT string_agg(id, ',' ORDER BY id) FROM t") == Rows{{"a1,b1,b2"}});
  // Nothing on disk that the manifest does not list, once the table is opened again.
  CHECK(lake_files(table).size() == testing::parquet_files_on_disk(table).size());
}

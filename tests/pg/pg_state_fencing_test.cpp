// Fencing on a real PostgreSQL: lease epochs and fenced saves in the state
// store, and a destination that keeps its state with its rows refusing the
// late commit of a run paused past its lease.
#include "e2e.hpp"
#include "paused_takeover.hpp"
#include "support/lease_fencing.hpp"
#include "support/pg.hpp"

#include <doctest/doctest.h>

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
  // One state store and one destination; the second flow file stands for the run that takes over.
  PgDatabase state, dst;
  Workspace w;
  PausedTakeover t(
      w,
      [&](int port) {
        return events_flow(port, "backend = \"postgres\"\ndsn = \"" + state.dsn() + "\"\nschema = \"ops\"\n", "postgres",
                           "{ dsn = \"" + dst.dsn() + "\" }");
      },
      [&] {
        try {
          return state.scalar("SELECT coalesce((SELECT pid::text FROM ops.leases WHERE name = 'events' AND expires_at > "
                              "now()), '')");
        } catch (const std::exception&) {  // not made yet
          return std::string();
        }
      });
  t.take_over();
  const std::string b_state = dst.scalar("SELECT generation || ' ' || run_id FROM _ingestd_state");
  CHECK(b_state == state.scalar("SELECT generation || ' ' || run_id FROM ops.checkpoints"));
  // B counts from its own, later epoch.
  CHECK((std::stoll(b_state) >> 32) == std::stoll(state.scalar("SELECT epoch FROM ops.leases")));

  Result ra = t.resume_a();
  CHECK_MESSAGE(ra.exit_code != 0, dump(ra));
  CHECK(t.late.status != 200);
  // Neither A's late row nor its state reached the destination or the store.
  CHECK(dst.scalar("SELECT string_agg(id, ',' ORDER BY id) FROM events") == "a1,b1");
  CHECK(dst.scalar("SELECT generation || ' ' || run_id FROM _ingestd_state") == b_state);
  CHECK(state.scalar("SELECT generation || ' ' || run_id FROM ops.checkpoints") == b_state);

  Result rb = t.stop_b();
  CHECK_MESSAGE(rb.exit_code == 0, dump(rb));
}

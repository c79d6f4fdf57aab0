// Lease epochs and fenced saves in the PostgreSQL state store, on a real
// server: what keeps a worker paused past its lease from moving state back.
#include "support/lease_fencing.hpp"
#include "support/pg.hpp"

#include <doctest/doctest.h>

TEST_CASE("state store: postgres: leases change hands with growing epochs, and saves under an ended holding are refused") {
  testing::PgDatabase state;
  auto store = ingestd::open_postgres_state_store(state.dsn(), "ops");
  testing::check_lease_fencing(*store, [&](const std::string& name) {
    state.execute("UPDATE ops.leases SET expires_at = now() - interval '1 second' WHERE name = '" + name + "'");
  });
}

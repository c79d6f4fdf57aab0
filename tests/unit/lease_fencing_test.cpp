// Lease epochs and fenced saves in the SQLite state store.
#include "support/files.hpp"
#include "support/lease_fencing.hpp"
#include "support/sqlite_query.hpp"

#include <doctest/doctest.h>

TEST_CASE("state store: sqlite: leases change hands with growing epochs, and saves under an ended holding are refused") {
  testing::TempDir dir;
  const std::string path = dir / "state.db";
  auto store = ingestd::open_sqlite_state_store(path);
  testing::check_lease_fencing(*store, [&](const std::string& name) {
    testing::execute(path, "UPDATE leases SET expires_at = unixepoch() - 1 WHERE name = '" + name + "'");
  });
}

// Lease epochs and fenced saves in the SQLite state store.
#include "support/lease_fencing.hpp"
#include "support/sqlite_query.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

TEST_CASE("state store: sqlite: leases change hands with growing epochs, and saves under an ended holding are refused") {
  std::string dir = (std::filesystem::temp_directory_path() / "ingestd-fence-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  const std::string path = dir + "/state.db";
  {
    auto store = ingestd::open_sqlite_state_store(path);
    testing::check_lease_fencing(*store, [&](const std::string& name) {
      testing::execute(path, "UPDATE leases SET expires_at = unixepoch() - 1 WHERE name = '" + name + "'");
    });
  }
  std::filesystem::remove_all(dir);
}

// `ingestd singer-target`: the Singer tap fixture piped into ingestd, which
// writes through file and SQLite destinations and passes STATE lines on only
// after what precedes them is committed.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using testing::scalar;

namespace {

const char* kDestinations =
    "[destinations.lake]\nplugin = \"files\"\nconfig = { path = \"lake\", format = \"jsonl\" }\n"
    "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n";

// `tap --config config.json --catalog catalog.json | ingestd singer-target ...`
Result pipe(const Workspace& w, const std::string& tap_config, const std::string& target_args) {
  w.write("config.json", tap_config);
  // Both streams selected, users incremental.
  w.write("catalog.json",
          R"({"streams": [
  {"tap_stream_id": "users", "stream": "users", "schema": {}, "metadata": [{"breadcrumb": [], "metadata": {"selected": true, "replication-method": "INCREMENTAL"}}]},
  {"tap_stream_id": "orders", "stream": "orders", "schema": {}, "metadata": [{"breadcrumb": [], "metadata": {"selected": true}}]}]})");
  const std::string cmd = "/usr/bin/python3 " SINGER_TAP_SCRIPT " --config config.json --catalog catalog.json | " +
                          testing::ingestd_bin() + " singer-target flows.toml " + target_args;
  testing::Options o;
  o.cwd = w.dir.path();
  return testing::run({"/bin/bash", "-c", "set -o pipefail; " + cmd}, o);
}

}  // namespace

TEST_CASE("singer-target: a tap's streams into JSON Lines files, every STATE passed on") {
  Workspace w;
  w.write("flows.toml", kDestinations);
  Result r = pipe(w, R"({"users": 40, "orders": 5, "state_every": 15})", "--destination lake");
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(r.out ==
        "{\"type\":\"STATE\",\"value\":{\"bookmarks\":{\"users\":{\"updated_at\":\"2026-01-01T00:00:15Z\"}}}}\n"
        "{\"type\":\"STATE\",\"value\":{\"bookmarks\":{\"users\":{\"updated_at\":\"2026-01-01T00:00:30Z\"}}}}\n"
        "{\"type\":\"STATE\",\"value\":{\"bookmarks\":{\"users\":{\"updated_at\":\"2026-01-01T00:00:40Z\"}}}}\n");
  const auto users = w.lines("lake/users.jsonl");
  REQUIRE(users.size() == 40);
  CHECK(contains(users[3], "\"id\":4"));
  CHECK(contains(users[3], "\"updated_at\":\"2026-01-01T00:00:04"));
  CHECK(w.lines("lake/orders.jsonl").size() == 5);
  CHECK(contains(r.err, "45 record(s) in 2 stream(s), 3 state(s)"));
  // users has key_properties, but files cannot merge: said, then appended.
  CHECK(contains(r.err, "singer-target/users: the destination cannot merge; appending"));
}

TEST_CASE("singer-target: a load the destination cannot do is refused, as run refuses it") {
  Workspace w;
  w.write("flows.toml", kDestinations);
  Result r = pipe(w, R"({"users": 5, "orders": 1})", "--destination lake --load merge");
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "--load: destination 'lake' (plugin files) does not support merge loads (it supports: "
                                "append, replace)"),
                dump(r));
  CHECK_FALSE(testing::file_exists(w.path("lake/users.jsonl")));
}

TEST_CASE("singer-target: a STATE is passed on only after the rows before it are committed") {
  Workspace w;
  w.write("flows.toml", kDestinations);
  // The tap prints a line that is not a message after record 35.
  Result r = pipe(w, R"({"users": 100, "state_every": 10, "malformed_after": 35})", "--destination db");
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.err, "not a JSON object: this is not a Singer message"), dump(r));
  // The last STATE passed on covers record 30, and exactly what it covers is
  // in the table: rows after it were never committed.
  CHECK(contains(r.out, "\"updated_at\":\"2026-01-01T00:00:30Z\""));
  CHECK_FALSE(contains(r.out, "00:00:40Z"));
  CHECK(scalar(w.path("out.db"), "SELECT count(*) || ' ' || max(id) FROM users") == "30 30");
}

TEST_CASE("singer-target: key_properties merge, ACTIVATE_VERSION replaces") {
  Workspace w;
  w.write("flows.toml", kDestinations);
  Result r = pipe(w, R"({"users": 40, "orders": 10})", "--destination db");
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  // Again, with users changed and fewer orders: users are merged by id, the
  // orders table is replaced by the new version.
  r = pipe(w, R"({"users": 45, "orders": 6, "updated_shift": 3600})", "--destination db");
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(scalar(w.path("out.db"), "SELECT count(*) || ' ' || count(DISTINCT id) FROM users") == "45 45");
  CHECK(scalar(w.path("out.db"), "SELECT updated_at FROM users WHERE id = 1") == "2026-01-01T01:00:01Z");
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM orders") == "6");
}

TEST_CASE("singer-target: an unknown destination names the ones the flow file has") {
  Workspace w;
  w.write("flows.toml", kDestinations);
  Result r = w.ingestd({"singer-target", "flows.toml", "--destination", "warehouse"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "no destination named 'warehouse' (destinations: db, lake)"), dump(r));
}

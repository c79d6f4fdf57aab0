// The airbyte source through the real binary, running the fixture written on
// faros-airbyte-cdk (tests/connectors/airbyte_source.js) with node: spec and
// check, discover, read with LEGACY (compressed) and STREAM state passed back,
// TRACE errors.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using ingestd::json::Value;
using testing::scalar;

namespace {

std::string airbyte_flow(const std::string& config, const std::string& secrets = "api_key = \"key-good-123\"",
                         const std::string& flow_keys = "") {
  return "[sources.ab]\nplugin = \"airbyte\"\n[sources.ab.config]\n"
         "command = [\"node\", \"" AIRBYTE_SOURCE_SCRIPT "\"]\n"
         "config = { " +
         config + " }\nsecrets = { " + secrets +
         " }\n"
         "env = { NPM_PREFIX = \"" NPM_PREFIX "\" }\n"
         "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
         "[[flows]]\nname = \"items\"\nfrom = \"ab\"\nto = \"db\"\nextract = \"incremental-updates\"\nload = \"merge\"\n" +
         flow_keys;
}

std::string checkpoint(const Workspace& w) {
  return scalar(w.path(".ingestd/state.db"), "SELECT checkpoint FROM checkpoints WHERE flow = 'items'");
}

}  // namespace

TEST_CASE("airbyte: check runs spec and check, and names the source's options when the config does not fit") {
  Workspace w;
  w.write("flows.toml", airbyte_flow("items = 5"));
  Result r = w.ingestd({"check", "flows.toml"});
  CHECK_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "the source's options: api_key (required, secret), items, state_type"), dump(r));

  w.write("flows.toml", airbyte_flow("items = 5", "api_key = \"key-wrong-456\""));
  r = w.ingestd({"check", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, "the API refused the key"), dump(r));
  CHECK_FALSE(contains(r.out + r.err, "key-wrong-456"));

  w.write("flows.toml", airbyte_flow("items = 5, colour = \"red\""));
  r = w.ingestd({"check", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, "unknown option(s) colour"), dump(r));
  CHECK(contains(r.out + r.err, "api_key (required, secret), items, state_type"));

  w.write("flows.toml", airbyte_flow("items = 5", "other = \"x\""));
  r = w.ingestd({"check", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, "lacks required option(s) api_key"), dump(r));
}

TEST_CASE("airbyte: LEGACY state, compressed by the source, is passed back untouched and the second run reads only new records") {
  Workspace w;
  w.write("flows.toml", airbyte_flow("items = 50"));
  Result r;
  Value first = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(first, "items")["rows"].as_int() == 50);
  CHECK(scalar(w.path("out.db"), "SELECT count(DISTINCT id) || ' ' || sum(id) FROM items") == "50 1275");
  CHECK(scalar(w.path("out.db"), "SELECT labels FROM items WHERE id = 6") == "[\"l2\"]");
  const Value saved = Value::parse(checkpoint(w));
  CHECK(saved["kind"].as_string() == "LEGACY");
  CHECK(saved["state"]["data"]["format"].as_string() == "base64/gzip");
  CHECK_FALSE(contains(r.out + r.err, "key-good-123"));

  w.write("flows.toml", airbyte_flow("items = 65"));
  Value second = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  // The source logs the state file it read: the compressed form it emitted.
  CHECK_MESSAGE(contains(r.err, "State: " + saved["state"]["data"].dump()), dump(r));
  CHECK(stream_of(second, "items")["rows"].as_int() == 15);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM items") == "65");
}

TEST_CASE("airbyte: STREAM state is saved per stream descriptor and passed back as the array it came in") {
  Workspace w;
  w.write("flows.toml", airbyte_flow("items = 30, state_type = \"STREAM\""));
  Result r;
  Value first = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const Value saved = Value::parse(checkpoint(w));
  CHECK(saved["kind"].as_string() == "STREAM");
  REQUIRE(saved["streams"].as_array().size() == 1);
  CHECK(saved["streams"].as_array()[0]["stream"]["stream_state"]["updated_at"].as_string() ==
        "2026-01-01T00:00:30.000Z");

  w.write("flows.toml", airbyte_flow("items = 42, state_type = \"STREAM\""));
  Value second = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "states received: " + saved["streams"].dump()), dump(r));
  CHECK(stream_of(second, "items")["rows"].as_int() == 12);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM items") == "42");
}

TEST_CASE("airbyte: a GLOBAL state is passed back as the one-element array it belongs in") {
  Workspace w;
  w.write("flows.toml", airbyte_flow("items = 20, state_type = \"GLOBAL\""));
  Result r;
  w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const Value saved = Value::parse(checkpoint(w));
  CHECK(saved["kind"].as_string() == "GLOBAL");
  CHECK(saved["state"]["global"]["shared_state"].dump() == "{\"cursor_version\":1}");

  w.write("flows.toml", airbyte_flow("items = 26, state_type = \"GLOBAL\""));
  Value second = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "states received: [" + saved["state"].dump() + "]"), dump(r));
  CHECK(stream_of(second, "items")["rows"].as_int() == 6);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM items") == "26");
}

TEST_CASE("airbyte: a TRACE system_error is rerun from the last state, a config_error fails at once with its type") {
  Workspace w;
  w.write("fail.marker", "");
  w.write("flows.toml",
          airbyte_flow("items = 50, fail_after = 25, fail_marker = \"" + w.path("fail.marker") + "\""));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(contains(r.err, "the Airbyte source reported a system_error: items endpoint answered 502 after 25 records"));
  CHECK(contains(r.err, "Setting initial state of items stream to {\"updated_at\":\"2026-01-01T00:00:20.000Z\"}"));
  CHECK(scalar(w.path("out.db"), "SELECT count(*) || ' ' || sum(id) FROM items") == "50 1275");

  Workspace w2;
  w2.write("flows.toml", airbyte_flow("items = 50, fail_after = 5, failure_type = \"config_error\""));
  r = w2.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.out + r.err, "reported a config_error: items endpoint answered 502 after 5 records"), dump(r));
  CHECK_FALSE(contains(r.err, "retrying"));
}

// The flow settings the host owns travel as JSON under the ABI's keys: what
// the host writes from a flow file, the SDK's adapter reads back as the same
// typed settings, so no plugin parses them itself.
#include <doctest/doctest.h>

#include "config/flow_file.hpp"

#include <ingestd/sdk/plugin.hpp>

using namespace ingestd;

namespace {

FlowDef only_flow(const std::string& settings) {
  ErrorCollector errors;
  FlowFile ff = parse_flow_file("[sources.s]\nplugin = \"generate\"\n[destinations.d]\nplugin = \"null\"\n"
                                "[[flows]]\nname = \"f\"\nfrom = \"s\"\nto = \"d\"\n" + settings,
                                "f.toml", true, errors);
  errors.throw_if_any();
  REQUIRE(ff.flows.size() == 1);
  return ff.flows[0];
}

sdk::StreamSettings as_plugin_sees(const sdk::StreamSettings& s) {
  return sdk::detail::stream_settings(sdk::Options(sdk::settings_json(s)));
}
sdk::TableSettings as_plugin_sees(const sdk::TableSettings& s) {
  return sdk::detail::table_settings(sdk::Options(sdk::settings_json(s)));
}

}  // namespace

TEST_CASE("settings: a duration lookback, start, deleted_column and where reach the source typed") {
  FlowDef f = only_flow("extract = \"incremental-updates\"\ncursor = \"at\"\nlookback = \"2h\"\n"
                        "start = \"2026-01-01\"\ndeleted_column = \"gone\"\nwhere = \"region = 'eu'\"\n");
  const sdk::StreamSettings s = as_plugin_sees(f.settings.source);
  CHECK(s.lookback_ms == 7'200'000);
  CHECK_FALSE(s.lookback.has_value());
  REQUIRE(s.start.has_value());
  CHECK(s.start->as_string() == "2026-01-01");
  CHECK(s.deleted_column == "gone");
  CHECK(s.where == "region = 'eu'");
}

TEST_CASE("settings: a numeric lookback stays a number in the cursor's units, and unset settings stay unset") {
  const sdk::StreamSettings s = as_plugin_sees(only_flow("extract = \"incremental-appends\"\ncursor = \"id\"\nlookback = 500\n").settings.source);
  REQUIRE(s.lookback.has_value());
  CHECK(s.lookback->as_int() == 500);
  CHECK_FALSE(s.lookback_ms.has_value());
  CHECK_FALSE(s.start.has_value());
  CHECK(s.where.empty());
}

TEST_CASE("settings: schema_changes, hard_delete and delete_stale reach each destination typed, evolve by default") {
  CHECK(as_plugin_sees(only_flow("").settings.tables).schema_changes == sdk::SchemaChanges::Evolve);
  for (const char* policy : {"freeze", "discard", "evolve"}) {
    const sdk::TableSettings t = as_plugin_sees(only_flow(std::string("schema_changes = \"") + policy + "\"\n").settings.tables);
    CHECK(std::string(sdk::schema_changes_name(t.schema_changes)) == policy);
  }
  const sdk::TableSettings t =
      as_plugin_sees(only_flow("load = \"merge\"\nprimary_key = [\"id\"]\nhard_delete = true\ndelete_stale = true\n").settings.tables);
  CHECK(t.hard_delete);
  CHECK(t.delete_stale);
}

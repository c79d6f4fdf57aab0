// The repeated-runs matrix for connector processes: the Singer tap fixture
// and the Airbyte source fixture.
#include "support/rerun_matrix.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace testing;

namespace {

Rows numbered(int from, int to, const std::string& prefix) {
  Rows out;
  for (int i = from; i <= to; ++i) out.push_back({std::to_string(i), prefix + std::to_string(i)});
  return out;
}

}  // namespace

TEST_CASE("rerun: singer, every mode: an idle rerun succeeds and rewrites nothing") {
  auto users = std::make_shared<int>(3);
  RerunSource s;
  s.label = "singer";
  s.source_toml = [users] {
    return "[sources.src]\nplugin = \"singer\"\n[sources.src.config]\ncommand = [\"/usr/bin/python3\", \"" +
           std::string(SINGER_TAP_SCRIPT) + "\"]\nconfig = { users = " + std::to_string(*users) +
           ", orders = 0, state_every = 2 }\n";
  };
  s.stream = "users";
  s.columns = {"id", "name"};
  s.cursor = "updated_at";
  s.extract_modes = {"snapshot", "incremental-appends", "incremental-updates"};
  s.setup = [users](const std::string&) { *users = 3; };
  s.change = [users](const std::string&) { *users = 5; };
  s.before = numbered(1, 3, "user ");
  s.delta = numbered(4, 5, "user ");
  run_rerun_matrix(s, sqlite_rerun_destination());
}

TEST_CASE("rerun: airbyte, every mode: an idle rerun succeeds and rewrites nothing") {
  auto items = std::make_shared<int>(3);
  RerunSource s;
  s.label = "airbyte";
  s.source_toml = [items] {
    return "[sources.src]\nplugin = \"airbyte\"\n[sources.src.config]\ncommand = [\"node\", \"" +
           std::string(AIRBYTE_SOURCE_SCRIPT) + "\"]\nenv = { NPM_PREFIX = \"" + NPM_PREFIX +
           "\" }\nconfig = { items = " + std::to_string(*items) + " }\nsecrets = { api_key = \"key-good-123\" }\n";
  };
  s.stream = "items";
  s.columns = {"id", "title"};
  s.cursor = "updated_at";
  s.extract_modes = {"snapshot", "incremental-appends", "incremental-updates"};
  s.setup = [items](const std::string&) { *items = 3; };
  s.change = [items](const std::string&) { *items = 5; };
  s.before = numbered(1, 3, "item ");
  s.delta = numbered(4, 5, "item ");
  run_rerun_matrix(s, sqlite_rerun_destination());
}

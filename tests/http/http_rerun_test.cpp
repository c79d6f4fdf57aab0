// The repeated-runs matrix for the http source against the test API server.
#include "support/api_server.hpp"
#include "support/files.hpp"
#include "support/rerun_matrix.hpp"

#include <doctest/doctest.h>

using namespace testing;

namespace {

std::string items_json(const Rows& rows, const std::vector<std::string>& times) {
  std::string out;
  for (std::size_t i = 0; i < rows.size(); ++i)
    out += std::string(i ? "," : "") + "{\"id\": " + rows[i][0] + ", \"name\": \"" + rows[i][1] +
           "\", \"amount\": " + rows[i][2] + ", \"updated_at\": \"2026-01-01T00:00:0" + times[i] + "Z\"}";
  return "{\"items\": [" + out + "]}";
}

}  // namespace

TEST_CASE("rerun: http, every mode: an idle rerun succeeds and rewrites nothing") {
  TempDir data;
  const std::string data_file = data / "data.json";
  const Rows before = {{"1", "ann", "1.5"}, {"2", "bob", "2.5"}, {"3", "cy", "3.5"}};
  auto write_before = [=] { write_file(data_file, items_json(before, {"1", "2", "3"})); };
  write_before();
  ApiServer api(data.path(), {"--data", data_file});

  RerunSource s;
  s.label = "http";
  s.source_toml = [url = api.url()] {
    return "[sources.src]\nplugin = \"http\"\n[sources.src.config]\nbase_url = \"" + url +
           "\"\n[sources.src.config.streams.items]\nprimary_key = [\"id\"]\npath = \"/page/items\"\n"
           "records = \"/data\"\nparams = { per_page = 2 }\npagination = { style = \"page\", total_path = \"/total\" }\n"
           "cursor = \"updated_at\"\ncursor_param = \"updated_since\"\nascending = true\n";
  };
  s.stream = "items";
  s.columns = {"id", "name", "amount"};
  s.cursor = "updated_at";
  s.extract_modes = {"snapshot", "incremental-appends", "incremental-updates"};
  s.setup = [=](const std::string&) { write_before(); };
  s.change = [=](const std::string&) {
    // Record 3 keeps its time: the saved cursor, which the API answers inclusively.
    write_file(data_file, items_json({{"1", "ann", "1.5"}, {"2", "bob jr", "20.5"}, {"3", "cy", "3.5"},
                                      {"4", "dee", "4.5"}, {"5", "eve", "5.5"}},
                                     {"1", "4", "3", "5", "6"}));
  };
  s.before = before;
  s.delta = {{"2", "bob jr", "20.5"}, {"4", "dee", "4.5"}, {"5", "eve", "5.5"}};
  run_rerun_matrix(s, sqlite_rerun_destination());
}

// ingestd usage: active rows (distinct keys changed) and rows inserted,
// updated and deleted, per table and calendar month, exact for a known
// sequence of changes over two months.
#include "e2e.hpp"
#include "support/sqlite_query.hpp"

#include <ctime>

using namespace e2e;
using ingestd::json::Value;

namespace {

std::string month_of(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m", &tm);
  return text;
}

// The month before `month` ("2026-01" -> "2025-12").
std::string month_before(const std::string& month) {
  int y = std::stoi(month.substr(0, 4)), m = std::stoi(month.substr(5, 2));
  if (--m == 0) {
    m = 12;
    --y;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02d", y, m);
  return text;
}

const Value* row_of(const Value& usage, const std::string& month) {
  for (const Value& r : usage.as_array())
    if (r["month"].as_string() == month) return &r;
  return nullptr;
}

}  // namespace

TEST_CASE("usage: inserts, updates and deletes over two months give exact active rows and change counts") {
  Workspace w;
  const std::string src = w.path("src.db");
  testing::execute(src, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, version INTEGER, is_deleted INTEGER DEFAULT 0);");
  w.write("flows.toml", "[sources.shop]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                        "[destinations.dw]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
                        "[[flows]]\nname = \"items\"\nfrom = \"shop\"\nto = \"dw\"\nstreams = [\"t\"]\n"
                        "extract = \"incremental-updates\"\ncursor = \"version\"\ndeleted_column = \"is_deleted\"\n"
                        "primary_key = [\"id\"]\nload = \"merge\"\n");
  auto run = [&] {
    const Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  };
  // The first month: 10 inserted, 3 updated, 1 deleted, then an idle rerun.
  testing::execute(src, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10) "
                        "INSERT INTO t (id, v, version) SELECT i, 'v', i FROM n;");
  run();
  testing::execute(src, "UPDATE t SET v = 'changed', version = 10 + id WHERE id <= 3;");
  run();
  testing::execute(src, "UPDATE t SET is_deleted = 1, version = 20 WHERE id = 10;");
  run();
  run();
  // That month is moved back one in the state store, as if a month passed.
  const std::string now = month_of(std::time(nullptr)), before = month_before(now);
  testing::execute(w.path(".ingestd/state.db"),
                   "UPDATE key_sketches SET month = '" + before + "'; UPDATE runs SET started_at = '" + before +
                       "' || substr(started_at, 8)");
  // This month: 2 updated, 2 inserted, 1 deleted.
  testing::execute(src, "UPDATE t SET v = 'again', version = 30 + id WHERE id IN (2, 4);");
  run();
  testing::execute(src, "INSERT INTO t (id, v, version) VALUES (11, 'v', 40), (12, 'v', 41);");
  run();
  testing::execute(src, "UPDATE t SET is_deleted = 1, version = 50 WHERE id = 1;");
  run();

  const Result r = w.ingestd({"usage", "flows.toml", "--format", "json"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const Value usage = Value::parse(r.out);
  REQUIRE(usage.as_array().size() == 2);
  const Value* first = row_of(usage, before);
  const Value* second = row_of(usage, now);
  REQUIRE(first);
  REQUIRE(second);
  CHECK((*first)["flow"].as_string() == "items");
  CHECK((*first)["stream"].as_string() == "t");
  CHECK((*first)["destination"].as_string() == "dw");
  CHECK((*first)["active_rows"].as_int() == 10);
  CHECK((*first)["rows_inserted"].as_int() == 10);
  CHECK((*first)["rows_updated"].as_int() == 3);
  CHECK((*first)["rows_deleted"].as_int() == 1);
  CHECK((*first)["rows_moved"].as_int() == 14);
  CHECK((*first)["runs"].as_int() == 4);
  CHECK((*second)["active_rows"].as_int() == 5);  // keys 1, 2, 4, 11, 12
  CHECK((*second)["rows_inserted"].as_int() == 2);
  CHECK((*second)["rows_updated"].as_int() == 2);
  CHECK((*second)["rows_deleted"].as_int() == 1);
  CHECK((*second)["rows_moved"].as_int() == 5);
  CHECK((*second)["runs"].as_int() == 3);

  const Result one = w.ingestd({"usage", "flows.toml", "--month", before});
  REQUIRE_MESSAGE(one.exit_code == 0, dump(one));
  CHECK(contains(one.out, "ACTIVE ROWS"));
  CHECK(contains(one.out, before));
  CHECK(!contains(one.out, now + " "));
  CHECK(w.ingestd({"usage", "flows.toml", "--month", "11/2026"}).exit_code == 2);
}

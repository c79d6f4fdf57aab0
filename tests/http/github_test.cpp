// The github plugin against the test API server speaking GitHub's
// conventions: Link pagination, since, sort, x-ratelimit quota headers.
#include "e2e.hpp"
#include "support/api_server.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using ingestd::json::Value;
using testing::ApiServer;
using testing::scalar;

namespace {

std::string at(int day, int second) {
  char s[32];
  std::snprintf(s, sizeof s, "2026-03-%02dT10:00:%02dZ", day, second);
  return s;
}

// Issues, pulls, commits and releases of two repositories. `changed` edits
// issue 4 of each and adds one to the second.
std::string github_data(bool changed) {
  std::string repos;
  for (int r = 0; r < 2; ++r) {
    const std::string name = r == 0 ? "acme/widgets" : "acme/gadgets";
    std::string issues, pulls, commits, releases;
    for (int i = 1; i <= 12; ++i) {
      int id = r * 1000 + i;
      std::string title = changed && i == 4 ? "edited" : "issue " + std::to_string(i);
      std::string updated = changed && i == 4 ? at(20, 0) : at(1, i);
      issues += (issues.empty() ? "" : ",") + ("{\"id\": " + std::to_string(id) + ", \"number\": " + std::to_string(i) +
                                               ", \"title\": \"" + title + "\", \"state\": \"open\", \"updated_at\": \"" +
                                               updated + "\", \"labels\": [{\"name\": \"bug\"}]}");
    }
    if (changed && r == 1)
      issues += ",{\"id\": 1013, \"number\": 13, \"title\": \"new\", \"state\": \"open\", \"updated_at\": \"" + at(21, 0) +
                "\", \"labels\": []}";
    for (int i = 1; i <= 3; ++i)
      pulls += (pulls.empty() ? "" : ",") + ("{\"id\": " + std::to_string(r * 1000 + 500 + i) +
                                             ", \"number\": " + std::to_string(20 + i) + ", \"updated_at\": \"" +
                                             at(2, i) + "\", \"merged_at\": null}");
    for (int i = 1; i <= 7; ++i)
      commits += (commits.empty() ? "" : ",") +
                 ("{\"sha\": \"" + std::to_string(r) + "abc" + std::to_string(i) +
                  "\", \"commit\": {\"message\": \"change " + std::to_string(i) +
                  "\", \"committer\": {\"name\": \"dev\", \"date\": \"" + at(3, i) + "\"}}}");
    releases = "{\"id\": " + std::to_string(r * 1000 + 900) + ", \"tag_name\": \"v1.0\", \"created_at\": \"" + at(4, 0) +
               "\"}";
    repos += (repos.empty() ? "" : ",") + ("\"" + name + "\": {\"issues\": [" + issues + "], \"pulls\": [" + pulls +
                                           "], \"commits\": [" + commits + "], \"releases\": [" + releases + "]}");
  }
  return "{\"github\": {" + repos + "}}";
}

std::string github_flow(const ApiServer& api) {
  return "[sources.gh]\nplugin = \"github\"\nconfig = { repositories = [\"acme/widgets\", \"acme/gadgets\"], "
         "token = \"t0ken-secret\", base_url = \"" +
         api.url() +
         "\", page_size = 5 }\n"
         "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"gh.db\" }\n"
         "[[flows]]\nname = \"gh\"\nfrom = \"gh\"\nto = \"db\"\nextract = \"incremental-updates\"\nload = \"merge\"\n";
}

}  // namespace

TEST_CASE("github: every stream of two repositories, Link pages, the quota waited out, then only what changed") {
  Workspace w;
  w.write("data.json", github_data(false));
  // Ten requests per two-second quota window: the run must wait for resets.
  ApiServer api(w.dir.path(), {"--data", w.path("data.json"), "--github-quota", "10"});
  w.write("flows.toml", github_flow(api));
  Result r;
  Value first = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const std::string db = w.path("gh.db");
  CHECK(scalar(db, "SELECT count(*) FROM issues") == "24");
  CHECK(scalar(db, "SELECT count(*) FROM pulls") == "6");
  CHECK(scalar(db, "SELECT count(*) FROM commits") == "14");
  CHECK(scalar(db, "SELECT count(*) FROM releases") == "2");
  CHECK(scalar(db, "SELECT count(*) FROM issues WHERE repository = 'acme/gadgets'") == "12");
  CHECK(scalar(db, "SELECT labels FROM issues WHERE id = 1") == "[{\"name\":\"bug\"}]");
  CHECK(scalar(db, "SELECT json_extract(\"commit\", '$.committer.date') FROM commits WHERE sha = '1abc7'") == at(3, 7));
  // Issues of one repository: 12 at 5 per page, 3 pages followed by Link.
  CHECK(api.requests("/repos/acme/widgets/issues") >= 3);
  CHECK(api.responses(403) >= 1);  // the quota ran out at least once, and was waited for

  w.write("data.json", github_data(true));
  Value second = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  // Issues asked with since= the newest update seen per repository: back came
  // the issue at each saved cursor (known, so not delivered again), the two
  // edited and the new one.
  bool since = false;
  for (const auto& q : api.queries())
    since = since || contains(q, "/repos/acme/widgets/issues?per_page=5&state=all&sort=updated&direction=asc&since=");
  CHECK(since);
  CHECK(stream_of(second, "issues")["rows"].as_int() == 3);
  CHECK(stream_of(second, "issues")["counters"]["records_seen_before"].as_int() == 2);
  CHECK(scalar(db, "SELECT count(*) FROM issues") == "25");
  CHECK(scalar(db, "SELECT group_concat(id) FROM (SELECT id FROM issues WHERE title = 'edited' ORDER BY id)") ==
        "4,1004");
  CHECK(scalar(db, "SELECT title FROM issues WHERE id = 1013") == "new");
}

TEST_CASE("github: an unknown stream is a config error listing the valid ones") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gh]\nplugin = \"github\"\nconfig = { repositories = [\"acme/widgets\"], streams = [\"issue\"] }\n"
          "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"gh.db\" }\n"
          "[[flows]]\nname = \"gh\"\nfrom = \"gh\"\nto = \"db\"\n");
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "unknown stream 'issue' (valid: issues, pulls, commits, releases)"), dump(r));
}

// The http source through the real binary against the test API server:
// pagination styles, auth kinds, token refresh, Retry-After, rate limits, the
// circuit breaker, incremental reads, and secrets kept out of output.
#include "e2e.hpp"
#include "support/api_server.hpp"
#include "support/net.hpp"
#include "support/sqlite_query.hpp"

using namespace e2e;
using ingestd::json::Value;
using testing::ApiServer;
using testing::scalar;

namespace {

// An http source with `config` lines and one stream `items` with `stream`
// lines, into a SQLite destination merging on id.
std::string http_flow(const ApiServer& api, const std::string& config, const std::string& stream,
                      const std::string& flow_keys = "load = \"merge\"\n") {
  return "[sources.api]\nplugin = \"http\"\n[sources.api.config]\nbase_url = \"" + api.url() + "\"\n" + config +
         "\n[sources.api.config.streams.items]\nprimary_key = [\"id\"]\n" + stream +
         "\n[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
         "\n[[flows]]\nname = \"f\"\nfrom = \"api\"\nto = \"db\"\n" +
         flow_keys;
}

int64_t counter(const Value& report, const std::string& name) {
  const Value& v = stream_of(report, "items")["counters"][name];
  return v.is_int() ? v.as_int() : 0;
}

// Checks that items 1..n arrived exactly once.
void check_items(const Workspace& w, int n) {
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM items") == std::to_string(n));
  CHECK(scalar(w.path("out.db"), "SELECT count(DISTINCT id) FROM items") == std::to_string(n));
  CHECK(scalar(w.path("out.db"), "SELECT sum(id) FROM items") == std::to_string(n * (n + 1) / 2));
}

}  // namespace

TEST_CASE("source: every pagination style reads every record exactly once and stops where it should") {
  struct Style {
    std::string path, stream, name;
    int64_t requests;  // one more than the stream's pages: discovery samples the first page
  };
  // 95 items, 10 per page: 10 pages.
  const std::vector<Style> styles = {
      {"/page/items", "records = \"/data\"\nparams = { per_page = 10 }\npagination = { style = \"page\", total_path = \"/total\" }",
       "page, stopped by the total", 11},
      {"/page/items", "records = \"/data\"\nparams = { per_page = 10 }\npagination = { style = \"page\" }",
       "page, stopped by an empty page", 12},
      {"/offset/items", "records = \"/results\"\npagination = { style = \"offset\", size_param = \"limit\", page_size = 10, total_path = \"/count\" }",
       "offset", 11},
      {"/cursor/items", "records = \"/data\"\nparams = { limit = 10 }\npagination = { style = \"cursor\", cursor_path = \"/next_cursor\" }",
       "cursor", 11},
      {"/link/items", "params = { per_page = 10 }\npagination = { style = \"link\" }", "Link header", 11},
      {"/next/items", "records = \"/items\"\nparams = { per_page = 10 }\npagination = { style = \"next_url\", next_url_path = \"/links/next\" }",
       "next URL in the body", 11},
  };
  for (const auto& s : styles) {
    CAPTURE(s.name);
    Workspace w;
    ApiServer api(w.dir.path(), {"--items", "95"});
    w.write("flows.toml", http_flow(api, "", "path = \"" + s.path + "\"\n" + s.stream));
    Result r = w.ingestd({"run", "flows.toml"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    check_items(w, 95);
    CHECK(api.requests(s.path) == s.requests);
  }
}

TEST_CASE("source: the catalog is kept between runs: a rerun asks only for the data pages") {
  Workspace w;
  ApiServer api(w.dir.path(), {"--items", "95"});
  const std::string stream = "path = \"/page/items\"\nrecords = \"/data\"\npagination = { style = \"page\", total_path = \"/total\" }\n";
  w.write("flows.toml", http_flow(api, "", stream + "params = { per_page = 10 }"));
  // The first run samples page 1 to discover the stream, then reads 10 pages.
  Result r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(api.requests("/page/items") == 11);
  // The rerun discovers nothing: the kept catalog serves.
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(api.requests("/page/items") == 21);
  check_items(w, 95);
  // Asked to, it discovers again.
  r = w.ingestd({"run", "flows.toml", "--rediscover"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(api.requests("/page/items") == 32);
  // Other settings of the source: another catalog (and then kept again).
  w.write("flows.toml", http_flow(api, "", stream + "params = { per_page = 19 }"));
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(api.requests("/page/items") == 32 + 1 + 5);
  r = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(api.requests("/page/items") == 32 + 1 + 5 + 5);
  check_items(w, 95);
}

TEST_CASE("source: each auth kind is accepted by the server, and wrong credentials fail with the server's answer") {
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"/auth/bearer/items", "auth = \"bearer\"\ntoken = \"t0ken-secret\""},
      {"/auth/basic/items", "auth = \"basic\"\nusername = \"alice\"\npassword = \"s3cret-pw\""},
      {"/auth/apikey/items", "auth = \"api_key\"\napi_key = \"k3y-secret\""},
      {"/auth/apikey-query/items", "auth = \"api_key\"\napi_key = \"k3y-secret\"\napi_key_in = \"query\"\napi_key_name = \"api_key\""},
      {"/auth/oauth2/items", "auth = \"oauth2\"\ntoken_url = \"TOKEN_URL\"\nclient_id = \"ingestd-client\"\nclient_secret = \"c1ient-secret\""},
      {"/auth/oauth2/items", "auth = \"oauth2\"\ntoken_url = \"TOKEN_URL\"\nclient_id = \"ingestd-client\"\nclient_secret = \"c1ient-secret\"\noauth_client_auth = \"body\""},
      {"/auth/hmac/items", "auth = \"hmac\"\nhmac_secret = \"hm4c-secret\""},
  };
  const std::string stream = "records = \"/data\"\nparams = { per_page = 10 }\npagination = { style = \"page\", total_path = \"/total\" }";
  for (const auto& [path, auth] : kinds) {
    CAPTURE(auth);
    Workspace w;
    ApiServer api(w.dir.path(), {"--items", "25"});
    std::string config = auth;
    auto at = config.find("TOKEN_URL");
    if (at != std::string::npos) config.replace(at, 9, api.url() + "/oauth/token");
    w.write("flows.toml", http_flow(api, config, "path = \"" + path + "\"\n" + stream));
    Result r = w.ingestd({"run", "flows.toml"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    check_items(w, 25);
    CHECK(api.responses(401) == 0);

    // The same with every secret wrong: refused at once, the secret nowhere in the output.
    std::string wrong = config;
    for (const char* secret : {"t0ken-secret", "s3cret-pw", "k3y-secret", "c1ient-secret", "hm4c-secret"}) {
      auto p = wrong.find(secret);
      if (p != std::string::npos) wrong.replace(p, std::string(secret).size(), "wr0ng-value");
    }
    w.write("flows.toml", http_flow(api, wrong, "path = \"" + path + "\"\n" + stream));
    Result bad = w.ingestd({"run", "flows.toml"});
    CHECK_MESSAGE(bad.exit_code != 0, dump(bad));
    CHECK_MESSAGE(contains(bad.err + bad.out, "401"), dump(bad));
    CHECK_FALSE(contains(bad.err + bad.out, "wr0ng-value"));
  }
}

TEST_CASE("source: an OAuth2 token is fetched again before it expires") {
  Workspace w;
  // Tokens live 1 s; each request takes 300 ms; 8 requests need several tokens.
  ApiServer api(w.dir.path(), {"--items", "35", "--token-ttl", "1", "--delay-ms", "300"});
  w.write("flows.toml",
          http_flow(api,
                    "auth = \"oauth2\"\ntoken_url = \"" + api.url() +
                        "/oauth/token\"\nclient_id = \"ingestd-client\"\nclient_secret = \"c1ient-secret\"",
                    "path = \"/auth/oauth2/items\"\nrecords = \"/data\"\nparams = { per_page = 5 }\n"
                    "pagination = { style = \"page\", total_path = \"/total\" }"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  check_items(w, 35);
  CHECK(api.stats()["tokens_issued"].as_int() >= 2);
  CHECK(api.responses(401) == 0);  // refreshed ahead of expiry, never refused
}

TEST_CASE("source: 429 and 503 are retried after the Retry-After the server asked for, 500 with backoff") {
  Workspace w;
  // Discovery and the stream's first page pass; then two 429s asking for 1 s,
  // a 503 asking for an HTTP date, and a 500 without advice.
  ApiServer api(w.dir.path(),
                {"--items", "30", "--fault", R"({"path": "/page/items", "status": 429, "retry_after": "1", "count": 2, "after": 2})",
                 "--fault", R"({"path": "/page/items", "status": 503, "retry_after": "date:1", "count": 1, "after": 4})",
                 "--fault", R"({"path": "/page/items", "status": 500, "count": 1, "after": 5})"});
  w.write("flows.toml", http_flow(api, "retry_backoff = \"50ms\"",
                                  "path = \"/page/items\"\nrecords = \"/data\"\nparams = { per_page = 10 }\n"
                                  "pagination = { style = \"page\", total_path = \"/total\" }"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  check_items(w, 30);
  CHECK(api.responses(429) == 2);
  CHECK(api.responses(503) == 1);
  CHECK(api.responses(500) == 1);
  CHECK(counter(report, "http_retries") == 4);
  // The two delta-seconds asked for exactly 1000 ms each; the date at most 1000 ms more.
  CHECK(counter(report, "http_retry_after_ms") >= 2000);
  CHECK(counter(report, "http_retry_after_ms") <= 3000);
  // The 500 was the request's fourth retry: 50 ms doubled three times, with jitter.
  CHECK(counter(report, "http_backoff_ms") >= 200);
  CHECK(counter(report, "http_backoff_ms") <= 400);
  CHECK(counter(report, "http_requests") == 3 + 4);
}

TEST_CASE("source: the circuit breaker gives a failing stream up, across the host's reruns, with a clear error") {
  Workspace w;
  ApiServer api(w.dir.path(), {"--items", "30", "--fault", R"({"path": "/page/items", "status": 500, "count": -1, "after": 1})"});
  w.write("flows.toml", http_flow(api, "max_retries = 1\nretry_backoff = \"10ms\"\ncircuit_breaker = 4",
                                  "path = \"/page/items\"\nrecords = \"/data\"\nparams = { per_page = 10 }\n"
                                  "pagination = { style = \"page\" }",
                                  "load = \"merge\"\nretries = 5\n"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(contains(r.err, "circuit_breaker = 4"), dump(r));
  CHECK_MESSAGE(contains(r.err, "HTTP 500"), dump(r));
  // Discovery's one request, then exactly four failures: the breaker stops the reruns.
  CHECK(api.requests("/page/items") == 1 + 4);
}

TEST_CASE("source: other 4xx fail at once with an excerpt of the answer") {
  Workspace w;
  ApiServer api(w.dir.path(), {"--items", "5"});
  w.write("flows.toml", http_flow(api, "", "path = \"/missing/items\""));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code != 0);
  CHECK_MESSAGE(contains(r.err, "HTTP 404"), dump(r));
  CHECK_MESSAGE(contains(r.err, "no route /missing/items"), dump(r));
  CHECK(api.requests("/missing/items") == 1);  // no retries
}

TEST_CASE("source: the token bucket spaces requests shared by the streams of a source") {
  Workspace w;
  ApiServer api(w.dir.path(), {"--items", "40"});
  w.write("flows.toml", http_flow(api, "rate_limit = { requests_per_second = 5, burst = 1 }",
                                  "path = \"/page/items\"\nrecords = \"/data\"\nparams = { per_page = 5 }\n"
                                  "pagination = { style = \"page\", total_path = \"/total\" }"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  check_items(w, 40);
  // 8 pages at 5 per second: the stream waited for most of them (about 200 ms each).
  CHECK(counter(report, "http_rate_limit_wait_ms") >= 1000);
}

TEST_CASE("source: an incremental second run asks only for records changed since the saved cursor") {
  Workspace w;
  struct Item {
    int id;
    std::string name, at;
  };
  std::vector<Item> items;
  for (int i = 1; i <= 20; ++i) {
    char at[32];
    std::snprintf(at, sizeof at, "2026-01-01T00:00:%02dZ", i);
    items.push_back({i, "v1", at});
  }
  auto write_data = [&] {
    std::string json;
    for (const auto& i : items)
      json += (json.empty() ? "" : ",") + ("{\"id\": " + std::to_string(i.id) + ", \"name\": \"" + i.name +
                                           "\", \"updated_at\": \"" + i.at + "\"}");
    w.write("data.json", "{\"items\": [" + json + "]}");
  };
  write_data();
  ApiServer api(w.dir.path(), {"--data", w.path("data.json")});
  const std::string stream =
      "path = \"/page/items\"\nrecords = \"/data\"\nparams = { per_page = 7 }\n"
      "pagination = { style = \"page\", total_path = \"/total\" }\ncursor = \"updated_at\"\n"
      "cursor_param = \"updated_since\"\nascending = true";
  w.write("flows.toml", http_flow(api, "", stream, "extract = \"incremental-updates\"\nload = \"merge\"\n"));
  Result r;
  Value first = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(first, "items")["rows"].as_int() == 20);

  // Two records change, one is added.
  items[2] = {3, "v2", "2026-01-02T00:00:00Z"};
  items[8] = {9, "v2", "2026-01-02T00:00:00.5Z"};
  items.push_back({21, "v1", "2026-01-02T00:00:01Z"});
  write_data();
  Value second = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  // The server was asked from the saved cursor; it sent the record at the
  // cursor again (>=), which is not delivered twice, and the three that changed.
  bool asked_since = false;
  for (const auto& q : api.queries()) asked_since = asked_since || contains(q, "updated_since=2026-01-01T00%3A00%3A20Z");
  CHECK(asked_since);
  CHECK(stream_of(second, "items")["rows"].as_int() == 3);
  CHECK(counter(second, "records_seen_before") == 1);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM items") == "21");
  CHECK(scalar(w.path("out.db"), "SELECT group_concat(id) FROM (SELECT id FROM items WHERE name = 'v2' ORDER BY id)") ==
        "3,9");
  CHECK(contains(w.ingestd({"state", "show", "flows.toml"}).out, "2026-01-02T00:00:01Z"));
}

TEST_CASE("source: a bad pagination table is a config error naming the key and the valid values") {
  Workspace w;
  ApiServer api(w.dir.path(), {"--items", "5"});
  w.write("flows.toml", http_flow(api, "", "path = \"/page/items\"\npagination = { style = \"pages\" }"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "streams.items.pagination.style must be one of none, page, offset, cursor, link, next_url"),
                dump(r));
  w.write("flows.toml", http_flow(api, "", "path = \"/page/items\"\nrecord = \"/data\""));
  r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "unknown key 'record'"), dump(r));
}

TEST_CASE("source: a server that ignores the page parameter stops the walk with an error naming it") {
  Workspace w;
  ApiServer api(w.dir.path(), {"--items", "95"});
  // The server pages with "page"; this flow sends "p", which it ignores.
  w.write("flows.toml", http_flow(api, "", "path = \"/page/items\"\nrecords = \"/data\"\nparams = { per_page = 10 }\n"
                                           "pagination = { style = \"page\", page_param = \"p\" }"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "page 2 holds the same records as page 1: the server ignores the 'p' parameter"), dump(r));
  // Discovery's sample, then pages 1 and 2 of the run: no walk without end.
  CHECK(api.requests("/page/items") <= 4);
}

TEST_CASE("source: a cursor the server ignores repeats the first page, and the walk stops naming the parameter") {
  Workspace w;
  ApiServer api(w.dir.path(), {"--items", "30"});
  // "after" means nothing to this endpoint: every page is the first.
  w.write("flows.toml", http_flow(api, "", "path = \"/page/items\"\nrecords = \"/data\"\nparams = { per_page = 10 }\n"
                                           "pagination = { style = \"cursor\", cursor_path = \"/data/9/id\", cursor_param = \"after\" }"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 2);
  CHECK_MESSAGE(contains(r.err, "the server ignores the 'after' parameter (from /data/9/id)"), dump(r));
  CHECK(api.requests("/page/items") <= 4);
}

TEST_CASE("source: each retry of a refused connection is logged with the reason and the wait") {
  Workspace w;
  const int port = testing::free_port();  // nothing listens there
  w.write("flows.toml",
          "[sources.api]\nplugin = \"http\"\n[sources.api.config]\nbase_url = \"http://127.0.0.1:" +
              std::to_string(port) +
              "\"\nmax_retries = 2\nretry_backoff = \"100ms\"\n[sources.api.config.streams.items]\npath = \"/items\"\n"
              "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
              "[[flows]]\nname = \"f\"\nfrom = \"api\"\nto = \"db\"\nstreams = [\"items\"]\nretries = 0\n");
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(contains(r.err, "retry 1 of 2 in "), dump(r));
  CHECK_MESSAGE(contains(r.err, "retry 2 of 2 in "), dump(r));
  CHECK_MESSAGE(contains(r.err, "failed after 3 attempts"), dump(r));
}

// The http source against json-server (npm), a REST server many teams mock
// their APIs with: `_page`/`_limit` pages of a top-level array, and
// `updated_at_gte` for incremental reads of records changed through its API.
#include <csignal>
#include <memory>

#include "e2e.hpp"
#include "support/net.hpp"
#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

using namespace e2e;
using ingestd::json::Value;
using testing::Child;
using testing::scalar;

namespace {

// json-server on 127.0.0.1 serving `db` (a JSON file it also writes changes
// to).
class JsonServer {
 public:
  JsonServer(const std::string &db) : port_(testing::free_port()) {
    testing::Options o;
    o.timeout_seconds = 600;
    child_ = std::make_unique<Child>(
        std::vector<std::string>{"/usr/bin/env", "node", NPM_PREFIX "/node_modules/json-server/lib/cli/bin.js",
                                 "--host", "127.0.0.1", "--port", std::to_string(port_), db},
        o);
    if (!testing::wait_listening(port_, 30)) {
      child_->signal(SIGKILL);
      FAIL("json-server did not start: " << child_->wait().err);
    }
  }
  ~JsonServer() { stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Stops the server and returns its request log.
  std::string stop() {
    if (!child_) return log_;
    child_->signal(SIGTERM);
    log_ = child_->wait().out;
    child_.reset();
    return log_;
  }

  // Sends a JSON body with `method` to `path`, through python's urllib.
  void send(const std::string &method, const std::string &path, const std::string &body) const {
    const std::string script =
        "import sys, urllib.request\n"
        "r = urllib.request.Request(sys.argv[1], data=sys.argv[3].encode(), "
        "method=sys.argv[2],"
        " headers={'Content-Type': 'application/json'})\n"
        "urllib.request.urlopen(r).read()\n";
    Result r = testing::run({"/usr/bin/python3", "-c", script, url() + path, method, body});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  }

 private:
  int port_;
  std::unique_ptr<Child> child_;
  std::string log_;
};

// Request lines in json-server's log that ask for `path`.
std::vector<std::string> requests_for(const std::string &log, const std::string &path) {
  std::vector<std::string> out;
  size_t at = 0;
  while ((at = log.find("GET " + path, at)) != std::string::npos) {
    const size_t end = log.find_first_of(" \n", at + 4);
    out.push_back(log.substr(at + 4, end - at - 4));
    at = end;
  }
  return out;
}

}  // namespace

TEST_CASE(
    "source: json-server pages with _page and _limit, and a second run "
    "asks with updated_at_gte") {
  Workspace w;
  std::string items;
  for (int i = 1; i <= 57; ++i) {
    char at[32];
    std::snprintf(at, sizeof at, "2026-03-01T10:%02d:00Z", i);
    items += std::string(items.empty() ? "" : ",") + "{\"id\": " + std::to_string(i) + ", \"title\": \"v1\", " +
             "\"tags\": [\"t" + std::to_string(i % 3) + "\"], \"updated_at\": \"" + at + "\"}";
  }
  w.write("db.json", "{\"items\": [" + items + "]}");
  auto server = std::make_unique<JsonServer>(w.path("db.json"));
  // The flow file names the server's port, which each start picks anew.
  auto write_flow = [&w](const JsonServer &server) {
    w.write("flows.toml",
            "[sources.api]\nplugin = \"http\"\n[sources.api.config]\nbase_url "
            "= \"" +
                server.url() +
                "\"\n"
                "[sources.api.config.streams.items]\npath = "
                "\"/items\"\nprimary_key = [\"id\"]\n"
                "params = { _sort = \"updated_at\", _order = \"asc\" }\n"
                "pagination = { style = \"page\", page_param = \"_page\", "
                "size_param = \"_limit\", page_size = 10 }\n"
                "cursor = \"updated_at\"\ncursor_param = "
                "\"updated_at_gte\"\nascending = true\n"
                "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = "
                "\"out.db\" }\n"
                "[[flows]]\nname = \"f\"\nfrom = \"api\"\nto = \"db\"\nextract "
                "= \"incremental-updates\"\n"
                "load = \"merge\"\n");
  };
  write_flow(*server);

  Result r;
  Value first = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(first, "items")["rows"].as_int() == 57);
  CHECK(scalar(w.path("out.db"), "SELECT count(DISTINCT id) || ' ' || sum(id) FROM items") == "57 1653");
  CHECK(scalar(w.path("out.db"), "SELECT tags FROM items WHERE id = 4") == "[\"t1\"]");

  // Changes through json-server's own API: two records edited, one added.
  server->send("PATCH", "/items/5", R"({"title": "v2", "updated_at": "2026-03-02T08:00:00Z"})");
  server->send("PATCH", "/items/40", R"({"title": "v2", "updated_at": "2026-03-02T09:00:00Z"})");
  server->send("POST", "/items", R"({"id": 58, "title": "v1", "tags": [], "updated_at": "2026-03-02T10:00:00Z"})");
  // json-server answers before it writes db.json, and a stop does not wait
  // for the write: the changes must be in the file before it is stopped.
  REQUIRE(testing::wait_until([&] {
    const std::string db = w.read("db.json");
    return contains(db, "2026-03-02T08:00:00Z") && contains(db, "2026-03-02T09:00:00Z") &&
           contains(db, "2026-03-02T10:00:00Z");
  }));
  const std::string first_log = server->stop();
  // Six full pages, then the empty seventh; discovery sampled page 1 first.
  const auto first_requests = requests_for(first_log, "/items?");
  CHECK(first_requests.size() == 8);
  CHECK(contains(first_log, "_page=7&_limit=10"));

  server = std::make_unique<JsonServer>(w.path("db.json"));
  write_flow(*server);
  Value second = w.run_with_report(r);
  const std::string second_log = server->stop();
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r) << "--- json-server\n" << second_log);
  // From the saved cursor (id 57's instant, sent again since the filter is >=)
  // the server sent that record, which is not delivered twice, and the three
  // that changed: one page.
  bool asked_since = false;
  for (const auto &q : requests_for(second_log, "/items?"))
    asked_since = asked_since || contains(q, "updated_at_gte=2026-03-01T10%3A57%3A00Z");
  CHECK_MESSAGE(asked_since, second_log);
  CHECK(stream_of(second, "items")["rows"].as_int() == 3);
  CHECK(stream_of(second, "items")["counters"]["records_seen_before"].as_int() == 1);
  CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM items") == "58");
  CHECK(scalar(w.path("out.db"),
               "SELECT group_concat(id) FROM (SELECT id FROM "
               "items WHERE title = 'v2' ORDER BY id)") == "5,40");
  CHECK(contains(w.ingestd({"state", "show", "flows.toml"}).out, "2026-03-02T10:00:00Z"));
}

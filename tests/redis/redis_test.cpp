// The redis plugin against a real redis-server started per test: Redis
// Streams read through a consumer group and acknowledged only after the
// destinations committed, SIGKILLs that lose nothing and leave nothing
// pending, a dead consumer's entries claimed, and rows added as entries.
#include "e2e.hpp"
#include "serve/serve.hpp"
#include "support/redis.hpp"
#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <csignal>
#include <random>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::RedisServer;

namespace {

std::string redis_source(const RedisServer& r, const std::string& extra = "") {
  return "[sources.r]\nplugin = \"redis\"\nconfig = { url = \"" + r.url() + "\", streams = [\"events:*\"]" + extra +
         " }\n";
}

const std::string kSqlite = "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n";

std::string flow(const std::string& streams, const std::string& extra = "") {
  return "[[flows]]\nname = \"ev\"\nfrom = \"r\"\nto = \"lite\"\nstreams = " + streams +
         "\nextract = \"incremental-appends\"\nload = \"merge\"\n" + extra;
}

Result run_ok(const Workspace& w) {
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return r;
}

std::string lite(const Workspace& w, const std::string& sql) { return testing::scalar(w.path("dw.db"), sql); }

}  // namespace

TEST_CASE("source: entries of two streams into SQLite merge, typed, acknowledged once saved, a rerun reads nothing and the next only what is new") {
  RedisServer r("s3cret-pass");
  r.add_entries("events:a", 12000);
  r.add_entries("events:b", 8000, 12001);
  Workspace w;
  w.write("flows.toml", redis_source(r) + kSqlite + flow("[\"events:a\", \"events:b\"]"));
  const Result first = run_ok(w);
  CHECK_FALSE(contains(first.err, "s3cret-pass"));
  CHECK(lite(w, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || sum(id) FROM \"events:a\"") ==
        "12000:12000:" + std::to_string(12000L * 12001 / 2));
  CHECK(lite(w, "SELECT count(*) || ':' || min(id) || ':' || max(id) FROM \"events:b\"") == "8000:12001:20000");
  // Fields typed by their values, the entry id kept.
  CHECK(lite(w, "SELECT typeof(id) || ':' || typeof(amount) || ':' || name || ':' || amount FROM \"events:a\" WHERE id = 7") ==
        "integer:real:n7:7.5");
  CHECK(lite(w, "SELECT count(*) FROM \"events:a\" WHERE _redis_id NOT LIKE '%-%'") == "0");
  // Every entry was acknowledged: nothing left pending in the group.
  CHECK(r.pending("events:a", "ingestd_ev") == 0);
  CHECK(r.pending("events:b", "ingestd_ev") == 0);

  const Result idle = run_ok(w);
  CHECK(lite(w, "SELECT count(DISTINCT _ingestd_run_id) FROM \"events:a\"") == "1");
  CHECK_FALSE(contains(idle.err, "columns changed"));

  r.add_entries("events:a", 100, 20001);
  run_ok(w);
  CHECK(lite(w, "SELECT count(*) FROM \"events:a\"") == "12100");
  // Two runs loaded rows: the first all 12,000, the last only the 100 new ones.
  CHECK(lite(w, "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM \"events:a\" GROUP BY _ingestd_run_id "
                "ORDER BY n)") == "100,12000");
  CHECK(r.pending("events:a", "ingestd_ev") == 0);

  // A wrong password: a clear error that does not show it.
  w.write("flows.toml", "[sources.r]\nplugin = \"redis\"\nconfig = { url = \"redis://:wrong-pass@127.0.0.1:" +
                            std::to_string(r.port()) + "\", streams = [\"events:*\"] }\n" + kSqlite +
                            flow("[\"events:a\"]"));
  const Result refused = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(refused.exit_code != 0);
  CHECK_MESSAGE(contains(refused.err, "refused the password"), dump(refused));
  CHECK_FALSE(contains(refused.err, "wrong-pass"));
}

TEST_CASE("source: SIGKILL of a streaming daemon at random moments, 10 times, loses nothing, and every entry ends acknowledged") {
  RedisServer r;
  Workspace w;
  // Another process's consumer name each time: the dead ones' entries are claimed.
  w.write("flows.toml", redis_source(r, ", claim_idle = \"1s\"") + kSqlite + flow("[\"events:a\"]", "batch_rows = 500\n"));
  long added = 0;
  const auto add = [&](long n) {
    r.add_entries("events:a", n, added + 1);
    added += n;
  };
  add(10000);
  std::mt19937 random(3);
  for (int kill = 0; kill < 10; ++kill) {
    testing::Options o;
    o.cwd = w.dir.path();
    o.stderr_path = w.path("serve.log");
    testing::Child serve({testing::ingestd_bin(), "serve", "flows.toml", "--listen", "127.0.0.1:0"}, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(300 + random() % 1200));
    add(2000);
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 300));
    serve.signal(SIGKILL);
    serve.wait();
  }
  CHECK(std::stol(lite(w, "SELECT count(*) FROM \"events:a\"")) > 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the dead consumers' entries are idle long enough
  run_ok(w);
  CHECK(lite(w, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || count(DISTINCT _redis_id) FROM \"events:a\"") ==
        std::to_string(added) + ":" + std::to_string(added) + ":" + std::to_string(added));
  CHECK(r.pending("events:a", "ingestd_ev") == 0);
  run_ok(w);
  CHECK(lite(w, "SELECT count(*) FROM \"events:a\"") == std::to_string(added));
}

TEST_CASE("source: entries a dead consumer took and never acknowledged are claimed once idle for claim_idle") {
  RedisServer r;
  r.add_entries("events:a", 300);
  r.command({"XGROUP", "CREATE", "events:a", "ingestd_ev", "0"});
  // A consumer takes 100 entries and dies before acknowledging them.
  r.command({"XREADGROUP", "GROUP", "ingestd_ev", "ghost", "COUNT", "100", "STREAMS", "events:a", ">"});
  REQUIRE(r.pending("events:a", "ingestd_ev") == 100);
  Workspace w;
  w.write("flows.toml", redis_source(r, ", claim_idle = \"60s\"") + kSqlite + flow("[\"events:a\"]"));
  run_ok(w);
  // Not idle long enough: left to their consumer.
  CHECK(lite(w, "SELECT count(*) || ':' || min(id) FROM \"events:a\"") == "200:101");
  CHECK(r.pending("events:a", "ingestd_ev") == 100);

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  w.write("flows.toml", redis_source(r, ", claim_idle = \"1s\"") + kSqlite + flow("[\"events:a\"]"));
  Result run;
  const Value report = w.run_with_report(run);
  REQUIRE_MESSAGE(run.exit_code == 0, dump(run));
  CHECK(lite(w, "SELECT count(*) || ':' || min(id) || ':' || max(id) FROM \"events:a\"") == "300:1:300");
  CHECK(stream_of(report, "events:a")["counters"]["entries_claimed"].as_int() == 100);
  CHECK(r.pending("events:a", "ingestd_ev") == 0);
}

TEST_CASE("destination: rows become stream entries with their columns as fields, trimmed to maxlen") {
  RedisServer r;
  Workspace w;
  std::string lines;
  for (int i = 1; i <= 3000; ++i) lines += "{\"id\": " + std::to_string(i) + ", \"name\": \"n" + std::to_string(i) + "\"}\n";
  w.write("in/people.jsonl", lines);
  w.write("flows.toml", "[sources.files]\nplugin = \"files\"\nconfig = { path = \"in/people.jsonl\" }\n"
                        "[destinations.r]\nplugin = \"redis\"\nconfig = { url = \"" + r.url() +
                            "\", stream = \"copy:{stream}\" }\n"
                            "[destinations.trimmed]\nplugin = \"redis\"\nconfig = { url = \"" + r.url() +
                            "\", stream = \"last:{stream}\", maxlen = 1000 }\n"
                            "[[flows]]\nname = \"out\"\nfrom = \"files\"\nto = [\"r\", \"trimmed\"]\n"
                            "extract = \"incremental-appends\"\nload = \"append\"\n");
  run_ok(w);
  CHECK(r.command({"XLEN", "copy:people"}) == "3000");
  const long trimmed = std::stol(r.command({"XLEN", "last:people"}));
  CHECK(trimmed >= 1000);
  CHECK(trimmed < 3000);
  // The first entry: its columns as fields, in order.
  const std::string first = r.command({"XRANGE", "copy:people", "-", "+", "COUNT", "1"});
  CHECK_MESSAGE(contains(first, "[id,1,name,n1"), first);
  run_ok(w);  // nothing new
  CHECK(r.command({"XLEN", "copy:people"}) == "3000");
}

// The kafka plugin against librdkafka's mock cluster (the Kafka protocol over
// TCP, started per test by the kafka-mock-cluster helper): topics read
// through a consumer group with offsets saved by ingestd and committed to the
// group after, SIGKILLs that lose and double nothing, two processes sharing a
// group, brokers failing, and rows sent back as messages.
#include "e2e.hpp"
#include "serve/serve.hpp"
#include "support/kafka.hpp"
#include "support/net.hpp"
#include "support/pg.hpp"
#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <csignal>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::KafkaCluster;

namespace {

// The mock cluster keeps a group that lost its last member waiting for a
// session timeout before a new member may join: a short one keeps reruns fast.
const char* kGroupTimings = "\"session.timeout.ms\" = \"3000\", \"heartbeat.interval.ms\" = \"500\"";

std::string kafka_source(const KafkaCluster& k, const std::string& extra = "") {
  return "[sources.k]\nplugin = \"kafka\"\nconfig = { brokers = \"" + k.bootstrap() +
         "\", topics = [\"events\"], properties = { " + kGroupTimings + " }" + extra + " }\n";
}

std::string flow(const std::string& to, const std::string& load, const std::string& extra = "",
                 const std::string& name = "ev") {
  return "[[flows]]\nname = \"" + name + "\"\nfrom = \"k\"\nto = " + to +
         "\nstreams = [\"events\"]\nextract = \"incremental-appends\"\nload = \"" + load + "\"\n" + extra;
}

const std::string kSqlite = "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n";

Result run_ok(const Workspace& w) {
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return r;
}

std::string lite(const Workspace& w, const std::string& sql) { return testing::scalar(w.path("dw.db"), sql); }

// Sum of the next offsets a checkpoint holds: the messages it covers.
long covered(const Value& checkpoint) {
  long n = 0;
  for (const auto& [p, next] : checkpoint["offsets"].as_object()) n += next.as_int();
  return n;
}

Value saved_checkpoint(const Workspace& w) {
  const Value state = Value::parse(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out);
  REQUIRE(state.as_array().size() == 1);
  return Value::parse(state.as_array()[0]["checkpoint"].as_string());
}

}  // namespace

TEST_CASE("source: 100,000 JSON messages over 6 partitions into SQLite merge, a rerun reads nothing, then only what is new, and the group's offsets follow the saved state") {
  KafkaCluster k;
  k.create("events", 6);
  k.produce("events", 100000);
  Workspace w;
  w.write("flows.toml", kafka_source(k) + kSqlite + flow("\"lite\"", "merge"));
  run_ok(w);
  CHECK(lite(w, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || sum(id) || ':' || count(DISTINCT _kafka_partition) "
                "FROM events") == "100000:100000:5000050000:6");
  // Values typed as JSON Lines would be, the message's place kept with each row.
  CHECK(lite(w, "SELECT name || ':' || amount || ':' || _kafka_key FROM events WHERE id = 42") == "n42:42.5:k42");
  CHECK(lite(w, "SELECT count(*) FROM events WHERE _kafka_timestamp IS NULL OR _kafka_offset < 0") == "0");
  const Value cp = saved_checkpoint(w);
  CHECK(covered(cp) == 100000);
  // The group heard of exactly what was saved.
  const auto committed = k.committed("ingestd_ev", "events");
  REQUIRE(committed.size() == 6);
  for (const auto& [p, next] : committed) CHECK(next == cp["offsets"][std::to_string(p)].as_int());

  const std::string runs = "SELECT count(DISTINCT _ingestd_run_id) FROM events";
  const Result idle = run_ok(w);
  CHECK(lite(w, runs) == "1");  // nothing rewritten
  CHECK_FALSE(contains(idle.err, "columns changed"));

  k.produce("events", 500, 100001);
  const Result more = run_ok(w);
  CHECK(lite(w, "SELECT count(*) || ':' || count(DISTINCT id) FROM events") == "100500:100500");
  // Two runs loaded rows (run ids of one second do not sort by time): 100,000, then the 500 new ones.
  CHECK(lite(w, "SELECT group_concat(n) FROM (SELECT count(*) AS n FROM events GROUP BY _ingestd_run_id ORDER BY n)") ==
        "500,100000");
  CHECK_FALSE(contains(more.err, "columns changed"));  // the learned columns were saved with the offsets
  CHECK(covered(saved_checkpoint(w)) == 100500);
}

TEST_CASE("source: a message that is not JSON fails the run with its place, or is skipped and counted with on_error = skip") {
  KafkaCluster k(1);
  k.create("events", 1);
  k.produce("events", 10);
  k.command("send events 0 bad {\"id\": 11, not json");
  k.produce("events", 10, 12);
  Workspace w;
  w.write("flows.toml", kafka_source(k) + kSqlite + flow("\"lite\"", "append"));
  const Result failed = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(failed.exit_code != 0);
  CHECK_MESSAGE(contains(failed.err, "topic events partition 0 offset 10: not JSON"), dump(failed));
  CHECK(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out == "[]\n");  // nothing saved past it

  w.write("flows.toml", kafka_source(k, ", on_error = \"skip\"") + kSqlite + flow("\"lite\"", "append"));
  Result r;
  const Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(lite(w, "SELECT count(*) || ':' || sum(id) FROM events") == "20:" + std::to_string(55 + (12 + 21) * 10 / 2));
  CHECK(stream_of(report, "events")["counters"]["messages_rejected"].as_int() == 1);
  CHECK(contains(r.err, "offset 10"));
  run_ok(w);
  CHECK(lite(w, "SELECT count(*) FROM events") == "20");

  // format = "raw": every message, the bad one too, its value as bytes.
  w.write("flows.toml", kafka_source(k, ", format = \"raw\"") +
                            "[destinations.lite]\nplugin = \"sqlite\"\nconfig = { path = \"raw.db\" }\n" +
                            flow("\"lite\"", "append", "", "raw"));
  run_ok(w);
  CHECK(testing::scalar(w.path("raw.db"), "SELECT count(*) || ':' || sum(typeof(value) = 'blob') || ':' || "
                                          "sum(CAST(value AS TEXT) LIKE '%not json') FROM events") == "21:21:1");
}

TEST_CASE("source: SIGKILL of a streaming daemon at random moments, 10 times: exactly once into SQLite, at least once into files") {
  KafkaCluster k;
  k.create("events", 6);
  Workspace w;
  // Two flows, each its own consumer group: a run resumes from the oldest
  // checkpoint of its destinations, so SQLite alone in its flow is loaded
  // from exactly where it committed.
  w.write("flows.toml", kafka_source(k) + kSqlite +
                            "[destinations.files]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n" +
                            flow("\"lite\"", "append", "batch_rows = 500\n", "to_lite") +
                            flow("\"files\"", "append", "batch_rows = 500\n", "to_files"));
  long produced = 0;
  const auto produce = [&](long n) {
    k.produce("events", n, produced + 1);
    produced += n;
  };
  produce(20000);
  std::mt19937 random(7);
  for (int kill = 0; kill < 10; ++kill) {
    testing::Options o;
    o.cwd = w.dir.path();
    o.stderr_path = w.path("serve.log");
    testing::Child serve({testing::ingestd_bin(), "serve", "flows.toml", "--listen", "127.0.0.1:0"}, o);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500 + random() % 2500));
    produce(3000);  // while it streams
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % 500));
    serve.signal(SIGKILL);
    serve.wait();
  }
  // The daemons loaded part of it between the kills.
  CHECK(std::stol(lite(w, "SELECT count(*) FROM events")) > 0);
  run_ok(w);
  // Append into SQLite with its state in the same transaction: every message once.
  CHECK(lite(w, "SELECT count(*) || ':' || count(DISTINCT id) || ':' || count(DISTINCT _kafka_partition || '/' || "
                "_kafka_offset) FROM events") == std::to_string(produced) + ":" + std::to_string(produced) + ":" +
                                                      std::to_string(produced));
  // Files keep no state with the data: every message at least once.
  std::set<long> ids;
  const auto lines = w.lines("out/events.jsonl");
  for (const auto& line : lines) ids.insert(Value::parse(line)["id"].as_int());
  CHECK(ids.size() == static_cast<std::size_t>(produced));
  CHECK(lines.size() >= static_cast<std::size_t>(produced));
  const Result idle = run_ok(w);
  CHECK(lite(w, "SELECT count(*) FROM events") == std::to_string(produced));
}

TEST_CASE("source: two serve processes in one group share the partitions, and when one is killed the other takes them over and every message lands once") {
  testing::PgDatabase dst;
  KafkaCluster k;
  k.create("events", 6);
  const std::string flows = kafka_source(k, ", group_id = \"shared\"") + "[destinations.pg]\nplugin = \"postgres\"\nconfig = { dsn = \"" +
                            dst.dsn() + "\" }\n" + flow("\"pg\"", "merge", "batch_rows = 1000\n");
  Workspace a, b;  // each its own state; the group and the destination are shared
  a.write("flows.toml", flows);
  b.write("flows.toml", flows);
  serve::Daemon first(a), second(b);
  REQUIRE(first.started());
  REQUIRE(second.started());
  k.produce("events", 30000);
  const auto loaded = [&] {
    try {
      return std::stol(dst.scalar("SELECT count(*) FROM events"));
    } catch (const std::exception&) {
      return 0L;  // no table yet
    }
  };
  REQUIRE(testing::wait_until([&] { return loaded() == 30000; }, std::chrono::seconds(120)));
  // Both processes load part of it (each run id is one process's run). On a
  // loaded machine the second may join the group after the first took the
  // whole burst: messages keep coming until it has loaded some too.
  long produced = 30000;
  CHECK_MESSAGE(testing::wait_until([&] {
                  if (dst.scalar("SELECT count(DISTINCT _ingestd_run_id) FROM events") == "2") return true;
                  k.produce("events", 60, produced + 1);
                  produced += 60;
                  return false;
                }, std::chrono::seconds(60)),
                "one process loaded everything");
  REQUIRE(testing::wait_until([&] { return loaded() == produced; }, std::chrono::seconds(120)));
  first.signal(SIGKILL);
  first.wait();
  k.produce("events", 10000, produced + 1);
  produced += 10000;
  REQUIRE_MESSAGE(testing::wait_until([&] { return loaded() == produced; }, std::chrono::seconds(120)), loaded());
  const std::string n = std::to_string(produced);
  CHECK(dst.scalar("SELECT count(*) || ':' || count(DISTINCT id) || ':' || min(id) || ':' || max(id) FROM events") ==
        n + ":" + n + ":1:" + n);
  second.signal(SIGTERM);
  CHECK(second.wait().exit_code == 0);
}

TEST_CASE("source: a broker down for seconds and injected request errors delay the stream but lose nothing") {
  KafkaCluster k;
  k.create("events", 6);
  Workspace w;
  w.write("flows.toml", kafka_source(k) + kSqlite + flow("\"lite\"", "merge", "batch_rows = 1000\n"));
  k.produce("events", 20000);
  serve::Daemon d(w);
  REQUIRE(d.started());
  const auto loaded = [&] {
    try {
      return std::stol(lite(w, "SELECT count(*) FROM events"));
    } catch (const std::exception&) {
      return 0L;
    }
  };
  REQUIRE(testing::wait_until([&] { return loaded() > 0; }));
  k.command("down 2");
  k.command("fail 1 5 6");   // Fetch: NOT_LEADER_FOR_PARTITION, five times
  k.command("fail 8 3 15");  // OffsetCommit: COORDINATOR_NOT_AVAILABLE, three times
  std::this_thread::sleep_for(std::chrono::seconds(4));
  k.command("up 2");
  k.produce("events", 5000, 20001);
  REQUIRE_MESSAGE(testing::wait_until([&] { return loaded() == 25000; }, std::chrono::seconds(120)), loaded());
  d.signal(SIGTERM);
  CHECK(d.wait().exit_code == 0);
  CHECK(lite(w, "SELECT count(DISTINCT id) || ':' || sum(id) FROM events") == "25000:" + std::to_string(25000L * 25001 / 2));
  const Result idle = run_ok(w);
  CHECK(lite(w, "SELECT count(*) FROM events") == "25000");
}

TEST_CASE("destination: rows go out as keyed JSON messages, and a delivery that fails fails the commit, and the batch is sent again") {
  KafkaCluster k;
  k.create("out", 3);
  Workspace w;
  std::string lines;
  for (int i = 1; i <= 1000; ++i) lines += "{\"id\": " + std::to_string(i) + ", \"name\": \"n" + std::to_string(i) + "\"}\n";
  w.write("in/people.jsonl", lines);
  const std::string source = "[sources.files]\nplugin = \"files\"\nconfig = { path = \"in/people.jsonl\" }\n";
  const std::string destination = "[destinations.k]\nplugin = \"kafka\"\nconfig = { brokers = \"" + k.bootstrap() +
                                  "\", topic = \"out\", key = [\"id\"] }\n";
  w.write("flows.toml", source + destination +
                            "[[flows]]\nname = \"out\"\nfrom = \"files\"\nto = \"k\"\nextract = \"incremental-appends\"\n"
                            "load = \"append\"\n");
  const auto messages = [&] {
    k.command("dump out " + w.path("dump.tsv"));
    std::map<std::string, int> by_key;  // key -> times sent
    for (const auto& line : w.lines("dump.tsv")) {
      std::istringstream in(line);
      std::string partition, offset, key, value;
      std::getline(in, partition, '\t');
      std::getline(in, offset, '\t');
      std::getline(in, key, '\t');
      std::getline(in, value);
      const Value v = Value::parse(value);
      CHECK(std::to_string(v["id"].as_int()) == key);
      CHECK(v["name"].as_string() == "n" + key);
      ++by_key[key];
    }
    return by_key;
  };
  run_ok(w);
  auto sent = messages();
  CHECK(sent.size() == 1000);
  CHECK(std::all_of(sent.begin(), sent.end(), [](const auto& e) { return e.second == 1; }));
  run_ok(w);  // nothing new
  CHECK(messages().size() == 1000);
  CHECK(w.lines("dump.tsv").size() == 1000);

  // Produce requests fail: first with an error the producer retries on its
  // own, then with one it cannot; the commit fails and the batch goes again.
  lines.clear();
  for (int i = 1001; i <= 1500; ++i) lines += "{\"id\": " + std::to_string(i) + ", \"name\": \"n" + std::to_string(i) + "\"}\n";
  w.write("in/people.jsonl", w.read("in/people.jsonl") + lines);
  k.command("fail 0 2 7");   // REQUEST_TIMED_OUT: retried by the idempotent producer
  k.command("fail 0 1 87");  // INVALID_RECORD: the messages of that request are not delivered
  const Result r = run_ok(w);
  sent = messages();
  CHECK(sent.size() == 1500);
  CHECK_MESSAGE(contains(r.err, "not delivered"), dump(r));
}

TEST_CASE("config: a topic the cluster lacks, a secret in properties and a property ingestd sets are refused, naming what is wrong") {
  KafkaCluster k(1);
  k.create("events", 1);
  k.create("orders", 1);
  Workspace w;
  w.write("flows.toml", "[sources.k]\nplugin = \"kafka\"\nconfig = { brokers = \"" + k.bootstrap() +
                            "\", properties = { " + kGroupTimings + " } }\n" + kSqlite +
                            "[[flows]]\nname = \"ev\"\nfrom = \"k\"\nto = \"lite\"\nstreams = [\"evnts\"]\n"
                            "extract = \"incremental-appends\"\n");
  const Result missing = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK(missing.exit_code != 0);
  CHECK_MESSAGE(contains(missing.err, "evnts"), dump(missing));
  CHECK(contains(missing.err, "events, orders"));

  // Refused when the source is made, before anything is read.
  const auto run_with_properties = [&](const std::string& properties) {
    w.write("flows.toml", "[sources.k]\nplugin = \"kafka\"\nconfig = { brokers = \"" + k.bootstrap() +
                              "\", properties = { " + properties + " } }\n" + kSqlite + flow("\"lite\"", "append"));
    return w.ingestd({"run", "flows.toml", "--no-progress"});
  };
  const Result secret = run_with_properties("\"sasl.password\" = \"hunter2\"");
  CHECK(secret.exit_code == 2);
  CHECK_MESSAGE(contains(secret.err, "sasl.password"), dump(secret));
  CHECK_FALSE(contains(secret.err + secret.out, "hunter2"));
  const Result reserved = run_with_properties("\"enable.auto.commit\" = \"true\"");
  CHECK(reserved.exit_code == 2);
  CHECK_MESSAGE(contains(reserved.err, "enable.auto.commit"), dump(reserved));

  // No broker listening: check fails naming the brokers, and not the password.
  const std::string nowhere = "127.0.0.1:" + std::to_string(testing::free_port());
  w.write("flows.toml", "[sources.k]\nplugin = \"kafka\"\nconfig = { brokers = \"" + nowhere +
                            "\", sasl_password = \"hunter2\" }\n" + kSqlite + flow("\"lite\"", "append"));
  const Result unreachable = w.ingestd({"check", "flows.toml"});
  CHECK(unreachable.exit_code == 1);
  CHECK_MESSAGE(contains(unreachable.out + unreachable.err, "cannot read the cluster's topics"), dump(unreachable));
  CHECK(contains(unreachable.out + unreachable.err, nowhere));
  CHECK_FALSE(contains(unreachable.out + unreachable.err, "hunter2"));
}

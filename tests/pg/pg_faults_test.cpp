// Faults at every phase of a PostgreSQL -> PostgreSQL run: the server
// restarted (fast, immediate) from connect to commit, ingestd's sessions
// reset, the server stalled past read_timeout, its connection slots used up.
// With retries the run ends with the destination equal to the source, every
// column; without, it fails as transient with the state never past the data.
// Injections wait for a condition (rows committed, a log line), not a clock.
#include "e2e.hpp"
#include "support/pg.hpp"
#include "support/pg_server.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::PgDatabase;
using testing::PgServer;
using testing::wait_until;

namespace {

const char* kChecksum =
    "SELECT count(*) || ':' || count(DISTINCT id) || ':' || coalesce(sum(hashtextextended(ROW(id, v)::text, 0)), 0) "
    "FROM public.t";
constexpr int kRows = 600000;

std::string flow(const PgDatabase& src, const PgDatabase& dst, const std::string& keys,
                 const std::string& options = "") {
  return "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() + "\"" + options + " }\n"
         "[destinations.dst]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\"" + options + " }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nextract = \"incremental-appends\"\ncursor = \"id\"\n"
         "batch_rows = 20000\n" + keys;
}

void fill(const PgDatabase& src) {
  src.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text);"
              "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, " + std::to_string(kRows) + ") g;");
}

// Whether a child process is still running (not ended and waiting to be reaped).
bool running(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

// Rows committed at the destination so far (0 while it cannot answer).
int64_t committed(const PgDatabase& dst) {
  try {
    return std::stoll(dst.scalar("SELECT CASE WHEN to_regclass('public.t') IS NULL THEN 0 ELSE "
                                 "(SELECT count(*) FROM public.t) END"));
  } catch (const std::exception&) {
    return 0;
  }
}

testing::Child start(const Workspace& w) {
  testing::Options o;
  o.cwd = w.dir.path();
  return testing::Child({testing::ingestd_bin(), "run", "flows.toml", "--no-progress", "--report", "report.json"}, o);
}

// The saved cursor never passes what the destination holds.
void check_state_behind_data(const Workspace& w, const PgDatabase& dst) {
  Value state = Value::parse(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out);
  if (state.as_array().empty()) return;
  const Value cp = Value::parse(state.as_array()[0]["checkpoint"].as_string());
  const int64_t saved = std::stoll(cp["cursor"].as_string());
  CHECK(std::stoll(dst.scalar("SELECT coalesce(max(id), 0) FROM public.t")) >= saved);
}

// Generated rows into a file and a slow second destination (which keeps the
// run going while the store is disturbed), with the state store in `store`.
std::string generated_with_store_in(const PgDatabase& store, int rows, int retries) {
  return "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = " + std::to_string(rows) + ", columns = 3 }\n"
         "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
         "[destinations.slow]\nplugin = \"null\"\nconfig = { write_delay = \"50ms\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"gen\"\nto = [\"out\", \"slow\"]\nextract = \"incremental-appends\"\n"
         "cursor = \"id\"\nbatch_rows = 5000\nretries = " + std::to_string(retries) + "\n"
         "[state]\nbackend = \"postgres\"\ndsn = \"" + store.dsn() + "\"\n";
}

// Checkpoints saved under the current lease: the newest generation in the
// state store, less its lease's epoch times 2^32 (0 while it cannot answer).
int64_t checkpoints_saved(const PgDatabase& store) {
  try {
    return std::stoll(store.scalar("SELECT coalesce(max(generation) % 4294967296, 0) FROM ingestd.checkpoints"));
  } catch (const std::exception&) {
    return 0;
  }
}

// While held, a commit anywhere on the server but in `exempt`'s database
// waits for a synchronous standby that never comes: it is committed on the
// server but not visible, and the client waiting for it times out.
class CommitsHeldForAStandby {
 public:
  explicit CommitsHeldForAStandby(const PgDatabase& exempt) : exempt_(exempt) {
    exempt_.execute("ALTER DATABASE " + exempt_.name() + " SET synchronous_commit = local");
    exempt_.execute("ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
    exempt_.execute("SELECT pg_reload_conf()");
  }
  ~CommitsHeldForAStandby() {
    try {
      release();
    } catch (const std::exception&) {
    }
  }
  CommitsHeldForAStandby(const CommitsHeldForAStandby&) = delete;
  CommitsHeldForAStandby& operator=(const CommitsHeldForAStandby&) = delete;

  void release() {
    if (!held_) return;
    held_ = false;
    exempt_.execute("ALTER SYSTEM RESET synchronous_standby_names");
    exempt_.execute("SELECT pg_reload_conf()");
  }

 private:
  const PgDatabase& exempt_;
  bool held_ = true;
};

// Sessions of ingestd's trying to take a state lock.
int trying_for_state_lock(const PgDatabase& db) {
  return std::stoi(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ingestd' "
                             "AND query LIKE '%pg_try_advisory_xact_lock%'"));
}

// A first run loads 1000 rows of t; 2000 more then wait at the source.
void loaded_with_more_to_come(const PgDatabase& src, const PgDatabase& dst, Workspace& w, int retries) {
  src.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text);"
              "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;");
  w.write("flows.toml", flow(src, dst, "retries = " + std::to_string(retries) + "\n",
                             ", read_timeout = \"2s\", connect_timeout = \"2s\""));
  REQUIRE(w.ingestd({"run", "flows.toml", "--no-progress"}).exit_code == 0);
  src.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1001, 3000) g;");
}

}  // namespace

TEST_CASE("faults: restarts at every phase, fast and immediate, with commits the server may lose, lose and double nothing") {
  // synchronous_commit = off: an immediate restart takes back commits the
  // server acknowledged. Retries must resume from what the stores hold then.
  PgServer server("-c synchronous_commit=off");
  PgDatabase src(server.settings());
  fill(src);
  const std::string expected = src.scalar(kChecksum);
  for (const char* mode : {"fast", "immediate"}) {
    CAPTURE(mode);
    PgDatabase dst(server.settings());
    Workspace w;
    w.write("flows.toml", flow(src, dst, "retries = 8\n"));
    testing::Child child = start(w);
    // While it connects and discovers; then mid-copy; then further on.
    server.restart(mode);
    bool ended_before_a_restart = false;
    for (int64_t at : {int64_t{100000}, int64_t{300000}}) {
      if (!wait_until([&] { return committed(dst) >= at; })) continue;
      ended_before_a_restart = ended_before_a_restart || !running(child.pid());
      server.restart(mode);
    }
    Result r = child.wait();
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    if (ended_before_a_restart) {
      // The run had ended, and an immediate restart lawfully took back commits it
      // was told were made (synchronous_commit = off): a run after it restores them.
      MESSAGE("the run ended before a restart; one more run first");
      REQUIRE(w.ingestd({"run", "flows.toml", "--no-progress"}).exit_code == 0);
    }
    CHECK(dst.scalar(kChecksum) == expected);
    CHECK(stream_of(Value::parse(w.read("report.json")), "public.t")["retries"].as_int() >= 1);
    // And the idle rerun after it moves nothing.
    Result idle = w.ingestd({"run", "flows.toml", "--report", "idle.json"});
    REQUIRE_MESSAGE(idle.exit_code == 0, dump(idle));
    CHECK(stream_of(Value::parse(w.read("idle.json")), "public.t")["rows"].as_int() == 0);
  }
}

TEST_CASE("faults: ingestd's sessions reset mid-read and mid-write are ridden out exactly") {
  PgServer server;
  PgDatabase src(server.settings()), dst(server.settings());
  fill(src);
  Workspace w;
  w.write("flows.toml", flow(src, dst, "retries = 5\nload = \"merge\"\nprimary_key = [\"id\"]\n"));
  testing::Child child = start(w);
  int reset = 0;
  for (int64_t at : {int64_t{60000}, int64_t{300000}})
    if (wait_until([&] { return committed(dst) >= at; })) reset += server.terminate();
  Result r = child.wait();
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(reset >= 2);  // the source's session and the destination's, at least once
  CHECK(dst.scalar(kChecksum) == src.scalar(kChecksum));
}

TEST_CASE("faults: a stalled server fails the run within read_timeout, and the run after it completes exactly") {
  PgServer server;
  PgDatabase src(server.settings()), dst(server.settings());
  fill(src);
  Workspace w;
  w.write("flows.toml", flow(src, dst, "retries = 0\n", ", read_timeout = \"2s\", connect_timeout = \"2s\""));
  testing::Child child = start(w);
  REQUIRE(wait_until([&] { return committed(dst) >= 60000; }));
  server.freeze();
  const auto frozen = std::chrono::steady_clock::now();
  Result r = child.wait();
  const auto took = std::chrono::steady_clock::now() - frozen;
  server.thaw();
  CHECK(r.exit_code == 1);
  CHECK_MESSAGE(contains(r.out + r.err, "did not answer within 2 s (read_timeout)"), dump(r));
  CHECK_MESSAGE(contains(r.out + r.err, "PostgreSQL at 127.0.0.1:" + server.settings().at("PGPORT")), dump(r));
  CHECK(took < std::chrono::seconds(30));  // bounded: never a hang
  check_state_behind_data(w, dst);

  // With retries, a stall shorter than the retries' patience is ridden out.
  w.write("flows.toml", flow(src, dst, "retries = 5\n", ", read_timeout = \"2s\", connect_timeout = \"2s\""));
  testing::Child again = start(w);
  REQUIRE(wait_until([&] { return committed(dst) >= 200000; }));
  server.freeze();
  std::this_thread::sleep_for(std::chrono::seconds(3));  // the fault itself: a stall longer than read_timeout
  server.thaw();
  Result done = again.wait();
  REQUIRE_MESSAGE(done.exit_code == 0, dump(done));
  CHECK_MESSAGE(dst.scalar(kChecksum) == src.scalar(kChecksum), dump(done));
}

TEST_CASE("faults: connection slots used up at connect is transient, and the run gets in once they free") {
  PgServer server("-c max_connections=8 -c superuser_reserved_connections=0");
  PgDatabase src(server.settings()), dst(server.settings());
  src.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM "
              "generate_series(1, 50000) g;");
  // Every slot taken by idle sessions.
  std::vector<PGconn*> held;
  for (;;) {
    PGconn* c = PQconnectdb(testing::pg_dsn("postgres", server.settings()).c_str());
    if (PQstatus(c) != CONNECTION_OK) {
      PQfinish(c);
      break;
    }
    held.push_back(c);
  }
  REQUIRE(!held.empty());
  auto release = [&] {
    for (PGconn* c : held) PQfinish(c);
    held.clear();
  };
  Workspace w;
  w.write("flows.toml", flow(src, dst, "retries = 0\n", ", connect_attempts = 1"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);  // not a configuration error: it may pass later
  CHECK_MESSAGE(contains(r.out + r.err, "too many clients"), dump(r));

  w.write("flows.toml", flow(src, dst, "retries = 3\n", ", connect_attempts = 8"));
  testing::Child child = start(w);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the fault lasts a moment
  release();
  Result done = child.wait();
  REQUIRE_MESSAGE(done.exit_code == 0, dump(done));
  CHECK(dst.scalar(kChecksum) == src.scalar(kChecksum));
}

TEST_CASE("faults: the PostgreSQL state store restarted mid-run is ridden out, nothing lost") {
  PgServer server;
  PgDatabase store(server.settings());
  Workspace w;
  const int rows = 400000;
  w.write("flows.toml", generated_with_store_in(store, rows, 5));
  testing::Child child = start(w);
  // Once checkpoints are being saved there, the store goes away a moment.
  REQUIRE(wait_until([&] { return checkpoints_saved(store) >= 5; }));
  server.restart("immediate");
  Result r = child.wait();
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "state store"), dump(r));  // it did notice the restart
  // Append is at-least-once: a batch may come twice, none is missing.
  std::set<int64_t> ids;
  for (const auto& line : w.lines("out/generated.jsonl")) ids.insert(Value::parse(line)["id"].as_int());
  CHECK(static_cast<int>(ids.size()) == rows);
  CHECK(*ids.rbegin() == rows);
}

TEST_CASE("faults: a checkpoint the state store cannot save fails the stream, not the destination that committed it") {
  PgServer server;
  PgDatabase store(server.settings());
  Workspace w;
  w.write("flows.toml", generated_with_store_in(store, 400000, 0));
  testing::Child child = start(w);
  REQUIRE(wait_until([&] { return checkpoints_saved(store) >= 3; }));
  server.stop("immediate");
  Result r = child.wait();
  server.start();
  CHECK_MESSAGE(r.exit_code == 1, dump(r));
  const Value report = Value::parse(w.read("report.json"));
  const Value& stream = report["streams"].as_array().at(0);
  CHECK(stream["status"].as_string() == "failed");
  CHECK_MESSAGE(stream["error"].is_string(), report.dump());
  // Both destinations committed what they were given; neither failed.
  for (const Value& lane : stream["destinations"].as_array())
    CHECK_MESSAGE(lane["error"].is_null(), report.dump());
  // The next run resumes from what the store kept and completes.
  Result again = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK_MESSAGE(again.exit_code == 0, dump(again));
}

TEST_CASE("faults: a commit left waiting on the server is settled before the retry reads the stored checkpoint") {
  PgServer server;
  PgDatabase src(server.settings()), dst(server.settings());
  Workspace w;
  loaded_with_more_to_come(src, dst, w, 1);
  // The data and its checkpoint are committed on the server but not visible,
  // and ingestd's session times out. The retry must see that commit (by
  // ending the session first), not the state before it.
  CommitsHeldForAStandby held(src);
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  held.release();
  CHECK_MESSAGE(contains(r.err, "did not answer within 2 s (read_timeout) during COMMIT"), dump(r));
  CHECK_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(dst.scalar("SELECT count(*) || ':' || count(DISTINCT id) FROM public.t") == "3000:3000");
}

TEST_CASE("faults: a commit another run left waiting on the server is waited for before the next run reads the stored checkpoint") {
  PgServer server;
  PgDatabase src(server.settings()), dst(server.settings());
  Workspace w;
  loaded_with_more_to_come(src, dst, w, 0);
  CommitsHeldForAStandby held(src);
  // The first run's COMMIT of the new rows and their checkpoint waits on the
  // server; the run gives up and exits, its session left behind.
  Result first = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK_MESSAGE(first.exit_code == 1, dump(first));
  // The next run (another process) must wait for that commit, not resume
  // from the checkpoint before it.
  w.write("flows.toml", flow(src, dst, "retries = 0\n", ", read_timeout = \"30s\", connect_timeout = \"2s\""));
  testing::Child next = start(w);
  const bool waited = wait_until([&] { return trying_for_state_lock(src) > 0; });
  held.release();
  Result r = next.wait();
  CHECK(waited);
  CHECK_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(dst.scalar("SELECT count(*) || ':' || count(DISTINCT id) FROM public.t") == "3000:3000");
}

TEST_CASE("faults: a session another run left idle in its state transaction is ended, not waited for") {
  PgServer server;
  PgDatabase src(server.settings()), dst(server.settings());
  Workspace w;
  loaded_with_more_to_come(src, dst, w, 0);
  // A process that died between taking the state lock and sending COMMIT,
  // its connection not yet seen gone by the server: the lock stays held.
  const std::string key = dst.scalar("SELECT key FROM public._ingestd_state");
  PGconn* abandoned = PQconnectdb((dst.dsn() + " application_name=ingestd").c_str());
  REQUIRE(PQstatus(abandoned) == CONNECTION_OK);
  const std::string lock = "BEGIN; SELECT pg_advisory_xact_lock(hashtextextended('ingestd_state:public:" + key + "', 0))";
  PGresult* held = PQexec(abandoned, lock.c_str());
  REQUIRE(PQresultStatus(held) == PGRES_TUPLES_OK);
  PQclear(held);
  Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(dst.scalar("SELECT count(*) || ':' || count(DISTINCT id) FROM public.t") == "3000:3000");
  PGresult* after = PQexec(abandoned, "SELECT 1");
  CHECK(PQresultStatus(after) != PGRES_TUPLES_OK);  // its session was ended
  PQclear(after);
  PQfinish(abandoned);
  Result again = w.ingestd({"run", "flows.toml", "--no-progress"});
  CHECK_MESSAGE(again.exit_code == 0, dump(again));
  CHECK(dst.scalar("SELECT count(*) FROM public.t") == "3000");
}

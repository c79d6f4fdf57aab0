// `ingestd serve` as a pool of workers sharing a flow file and a PostgreSQL
// state store ([cluster]): real processes, a real PostgreSQL holding the
// state, a PostgreSQL source and destination and a SQLite source.
#include "e2e.hpp"
#include "support/net.hpp"
#include "support/pg.hpp"
#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <ingestd/sdk/json.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::PgDatabase;
using testing::Rows;

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string two_digits(int i) {
  char s[8];
  std::snprintf(s, sizeof s, "%02d", i);
  return s;
}

std::string header(const PgDatabase& state, const std::string& ttl = "3s") {
  return "[state]\nbackend = \"postgres\"\ndsn = \"" + state.dsn() + "\"\nschema = \"ops\"\n"
         "[cluster]\nenabled = true\nlease_ttl = \"" + ttl + "\"\n"
         "[serve]\nmax_concurrent_runs = 4\n";
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "\"" : ", \"") + n + "\"";
  return "[" + out + "]";
}

std::string flow(const std::string& name, const std::string& from, const std::vector<std::string>& streams,
                 const std::string& extra = "") {
  return "[[flows]]\nname = \"" + name + "\"\nfrom = \"" + from + "\"\nto = \"db\"\nstreams = " + quoted_list(streams) +
         "\nextract = \"incremental-appends\"\ncursor = \"id\"\nload = \"merge\"\nschedule = \"every 1s\"\n" + extra;
}

// One worker: `ingestd serve` with its log in its own file.
struct Worker {
  Worker(const Workspace& w, const std::string& name, const std::string& flows = "flows.toml")
      : log_path(w.path(name + ".log")), port(testing::free_port()) {
    testing::Options o;
    o.cwd = w.dir.path();
    o.stderr_path = log_path;
    o.timeout_seconds = 300;
    child = std::make_unique<testing::Child>(
        std::vector<std::string>{testing::ingestd_bin(), "serve", flows, "--listen", "127.0.0.1:" + std::to_string(port)},
        o);
  }
  std::string log() const {
    try {
      return read_file(log_path);
    } catch (const std::exception&) {  // nothing logged yet
      return "";
    }
  }
  // The worker id it holds units under: HOST-PID-RANDOM.
  bool owns(const std::string& owner) const {
    return owner.find("-" + std::to_string(child->pid()) + "-") != std::string::npos;
  }
  Result stop() {
    child->signal(SIGTERM);
    return child->wait();
  }

  std::string log_path;
  int port;
  std::unique_ptr<testing::Child> child;
};

int64_t count_of(const PgDatabase& db, const std::string& sql) { return std::stoll(db.scalar(sql)); }

// Every run of a stream (that ended ok, when `ok_only`: a worker paused past
// its lease overlaps the one that took over, and fails), in the order they
// started: none may start before the one before it ended.
void check_no_overlap(const PgDatabase& state, bool ok_only = false) {
  const Rows runs = state.query(
      "SELECT s.flow || '/' || s.stream, r.started_at, coalesce(r.ended_at, ''), r.status FROM ops.runs r JOIN "
      "ops.run_streams s USING (run_id)" + std::string(ok_only ? " WHERE r.status = 'ok'" : "") + " ORDER BY 1, 2");
  REQUIRE(!runs.empty());
  for (std::size_t i = 1; i < runs.size(); ++i) {
    if (runs[i][0] != runs[i - 1][0]) continue;
    INFO(runs[i][0] << ": a run " << runs[i - 1][1] << " .. " << runs[i - 1][2] << " then one from " << runs[i][1]);
    CHECK(!runs[i - 1][2].empty());
    CHECK(runs[i - 1][2] <= runs[i][1]);
  }
}

}  // namespace

TEST_CASE("cluster: three workers share 60 streams of three flows: each runs, none twice at once, the load spreads, idle reruns rewrite nothing") {
  PgDatabase state, src, dst;
  Workspace w;
  std::vector<std::string> lite_a, lite_b, pg;
  std::string sqlite_sql = "BEGIN;";
  for (int i = 0; i < 50; ++i) {
    const std::string t = "l" + two_digits(i);
    (i < 25 ? lite_a : lite_b).push_back(t);
    sqlite_sql += "CREATE TABLE " + t + " (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO " + t +
                  " VALUES (1, 'a'), (2, 'b'), (3, 'c');";
  }
  testing::execute(w.path("src.db"), sqlite_sql + "COMMIT;");
  for (int i = 0; i < 10; ++i) {
    const std::string t = "p" + std::to_string(i);
    pg.push_back("public." + t);
    src.execute("CREATE TABLE " + t + " (id int PRIMARY KEY, v text); INSERT INTO " + t +
                " SELECT g, 'v' || g FROM generate_series(1, 4) g");
  }
  w.write("flows.toml", header(state) + "[sources.lite]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                        "[sources.pg]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() + "\" }\n"
                        "[destinations.db]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\" }\n" +
                        flow("lite_a", "lite", lite_a) + flow("lite_b", "lite", lite_b) + flow("pg", "pg", pg));

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < 3; ++i) workers.push_back(std::make_unique<Worker>(w, "worker" + std::to_string(i)));
  for (auto& worker : workers) REQUIRE_MESSAGE(testing::wait_listening(worker->port, 60), worker->log());
  auto all_ran = [&] {
    try {
      return count_of(state, "SELECT count(*) FROM ops.cluster_units WHERE last_status = 'ok'") == 60;
    } catch (const std::exception&) {  // the tables are not made yet
      return false;
    }
  };
  REQUIRE_MESSAGE(testing::wait_until(all_ran, std::chrono::seconds(120)), workers[0]->log());

  // Each stream's rows, once: merge took the reruns.
  auto loaded = [&](const std::string& table, int64_t rows) {
    try {
      return count_of(dst, "SELECT count(*) FROM " + table) == rows &&
             count_of(dst, "SELECT count(DISTINCT id) FROM " + table) == rows;
    } catch (const std::exception&) {
      return false;
    }
  };
  for (const auto& t : lite_a) CHECK_MESSAGE(loaded("public." + t, 3), t);
  for (const auto& t : lite_b) CHECK_MESSAGE(loaded("public." + t, 3), t);
  for (const auto& t : pg) CHECK_MESSAGE(loaded(t, 4), t);

  // Idle reruns, on whichever worker, rewrite nothing: no row and no destination state gets a new version.
  std::string versions_sql = "SELECT string_agg(v, ',' ORDER BY v) FROM (SELECT 'state ' || key || ' ' || xmin::text "
                             "AS v FROM public._ingestd_state";
  for (const auto& t : lite_a) versions_sql += " UNION ALL SELECT '" + t + " ' || id || ' ' || xmin::text FROM public." + t;
  for (const auto& t : lite_b) versions_sql += " UNION ALL SELECT '" + t + " ' || id || ' ' || xmin::text FROM public." + t;
  for (const auto& t : pg) versions_sql += " UNION ALL SELECT '" + t + " ' || id || ' ' || xmin::text FROM " + t;
  versions_sql += ") x";
  const std::string versions_before = dst.scalar(versions_sql);
  state.execute("CREATE TABLE public.runs_before AS SELECT run_id FROM ops.run_streams");
  const std::string idle_since = state.scalar("SELECT now()");
  CHECK(testing::wait_until([&] {
    return count_of(state, "SELECT count(*) FROM ops.cluster_units WHERE last_status = 'ok' AND last_run_at > '" +
                               idle_since + "'") == 60;
  }, std::chrono::seconds(60)));
  CHECK(dst.scalar(versions_sql) == versions_before);
  CHECK(count_of(state, "SELECT count(DISTINCT stream) FROM ops.run_streams WHERE run_id NOT IN (SELECT run_id FROM "
                        "public.runs_before)") == 60);
  CHECK(count_of(state, "SELECT coalesce(sum(rows), 0) FROM ops.run_streams WHERE run_id NOT IN (SELECT run_id FROM "
                        "public.runs_before)") == 0);

  // New rows at both sources reach the destination on the next runs, wherever they run.
  testing::execute(w.path("src.db"), "INSERT INTO l07 VALUES (4, 'd'); INSERT INTO l42 VALUES (4, 'd'), (5, 'e');");
  src.execute("INSERT INTO p3 VALUES (5, 'v5')");
  CHECK(testing::wait_until([&] { return loaded("public.l07", 4) && loaded("public.l42", 5) && loaded("public.p3", 5); },
                            std::chrono::seconds(60)));

  // The pool as an operator sees it.
  Result status = w.ingestd({"cluster", "status", "flows.toml", "--format", "json"});
  REQUIRE_MESSAGE(status.exit_code == 0, dump(status));
  const Value pool = Value::parse(status.out);
  int live = 0;
  for (const Value& x : pool["workers"].as_array()) live += x["live"].as_bool() ? 1 : 0;
  CHECK(live == 3);
  CHECK(pool["units"].as_array().size() == 60);
  Result text = w.ingestd({"cluster", "status", "flows.toml"});
  CHECK(text.out.find("lite_b/l42") != std::string::npos);
  const testing::HttpReply metrics = testing::http_request(workers[0]->port, "GET", "/metrics");
  CHECK(metrics.body.find("ingestd_cluster_units_run_total ") != std::string::npos);
  CHECK(metrics.body.find("ingestd_cluster_workers 3") != std::string::npos);
  const Value worker_status = Value::parse(testing::http_request(workers[1]->port, "GET", "/status").body);
  CHECK(worker_status["cluster"]["live_workers"].as_int() == 3);
  CHECK(worker_status["cluster"]["agreed"].as_bool());
  CHECK(worker_status["flows"].as_array().size() == 3);
  CHECK(testing::http_request(workers[2]->port, "GET", "/").body.find("of a pool of 3 live worker(s)") != std::string::npos);

  for (auto& worker : workers) {
    const Result r = worker->stop();
    CHECK_MESSAGE(r.exit_code == 0, worker->log());
  }
  check_no_overlap(state);
  // Who ran what, from the run history: every worker took part, none took more than half.
  const Rows by_pid = state.query("SELECT r.pid, count(*) FROM ops.runs r JOIN ops.run_streams s USING (run_id) "
                                  "GROUP BY r.pid ORDER BY 2 DESC");
  int64_t total = 0;
  for (const auto& row : by_pid) total += std::stoll(row[1]);
  CHECK(by_pid.size() == 3);
  for (const auto& row : by_pid) CHECK_MESSAGE(std::stoll(row[1]) * 2 <= total, "pid " << row[0] << " ran " << row[1] << " of " << total);
  // Left the pool: nobody holds a unit any more.
  CHECK(count_of(state, "SELECT count(*) FROM ops.cluster_units WHERE expires_at > now()") == 0);
  CHECK(count_of(state, "SELECT count(*) FROM ops.cluster_workers") == 0);
}

namespace {

// A flow file with one large SQLite table and a few small ones, for the
// tests that stop a worker in the middle of a run.
// A worker paused inside a destination transaction holds its row locks
// until it resumes, and the worker taking over would wait on them: the
// server ends such a session after idle_in_transaction_session_timeout (the
// README's advice for pools: below the lease ttl).
void large_table_setup(Workspace& w, const PgDatabase& state, const PgDatabase& dst, int rows) {
  testing::execute(w.path("src.db"),
                   "BEGIN; CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT); WITH RECURSIVE g(n) AS (SELECT 1 UNION "
                   "ALL SELECT n + 1 FROM g WHERE n < " + std::to_string(rows) +
                       ") INSERT INTO big SELECT n, 'value ' || n FROM g; CREATE TABLE s1 (id INTEGER PRIMARY KEY, v "
                       "TEXT); INSERT INTO s1 VALUES (1, 'a'); CREATE TABLE s2 (id INTEGER PRIMARY KEY, v TEXT); "
                       "INSERT INTO s2 VALUES (1, 'a'); COMMIT;");
  w.write("flows.toml", header(state) + "[sources.lite]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                        "[destinations.db]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() +
                        " options='-c idle_in_transaction_session_timeout=2000'\" }\n" +
                        flow("f", "lite", {"big", "s1", "s2"}, "batch_rows = 5000\n"));
}

struct UnitRow {
  std::string owner;
  int64_t epoch = 0;
  bool held = false;
  std::string last_status, last_run_id;
};

UnitRow unit_row(const PgDatabase& state, const std::string& stream) {
  try {
    const Rows r = state.query("SELECT owner, epoch, expires_at > now(), coalesce(last_status, ''), "
                               "coalesce(last_run_id, '') FROM ops.cluster_units WHERE stream = '" + stream + "'");
    if (r.empty()) return {};
    return {r[0][0], std::stoll(r[0][1]), r[0][2] == "t", r[0][3], r[0][4]};
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace

TEST_CASE("cluster: a worker killed mid-run has its units taken over after the lease expires, nothing lost or doubled") {
  PgDatabase state, dst;
  Workspace w;
  const int rows = 300000;
  large_table_setup(w, state, dst, rows);
  Worker a(w, "a"), b(w, "b");
  // Whichever worker takes the large table's first run is killed in it.
  UnitRow first;
  REQUIRE(testing::wait_until([&] {
    first = unit_row(state, "big");
    return first.held && first.last_status.empty();
  }, std::chrono::seconds(60)));
  Worker& victim = a.owns(first.owner) ? a : b;
  Worker& survivor = a.owns(first.owner) ? b : a;
  REQUIRE(victim.owns(first.owner));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  victim.child->signal(SIGKILL);
  const auto killed = SteadyClock::now();
  victim.child->wait();
  // It died holding the unit, its run unfinished.
  const UnitRow at_kill = unit_row(state, "big");
  REQUIRE(at_kill.owner == first.owner);
  REQUIRE(at_kill.epoch == first.epoch);
  REQUIRE(at_kill.last_status.empty());

  UnitRow taken;
  REQUIRE_MESSAGE(testing::wait_until([&] {
    taken = unit_row(state, "big");
    return survivor.owns(taken.owner) && taken.epoch > first.epoch;
  }, std::chrono::seconds(60)), survivor.log());
  const double takeover = std::chrono::duration<double>(SteadyClock::now() - killed).count();
  MESSAGE("the large table ran elsewhere " << takeover << " s after its worker died (lease 3 s)");
  CHECK(takeover >= 2.0);  // not before the lease ran out

  auto loaded = [&](int64_t n) {
    try {
      return count_of(dst, "SELECT count(*) FROM public.big") == n &&
             count_of(dst, "SELECT count(DISTINCT id) FROM public.big") == n;
    } catch (const std::exception&) {
      return false;
    }
  };
  CHECK_MESSAGE(testing::wait_until([&] { return loaded(rows); }, std::chrono::seconds(120)), survivor.log());
  testing::execute(w.path("src.db"), "INSERT INTO big VALUES (" + std::to_string(rows + 1) + ", 'late')");
  CHECK(testing::wait_until([&] { return loaded(rows + 1); }, std::chrono::seconds(60)));
  CHECK(count_of(dst, "SELECT count(*) FROM public.s1") == 1);
  const Result r = survivor.stop();
  CHECK_MESSAGE(r.exit_code == 0, survivor.log());
  check_no_overlap(state);
}

TEST_CASE("cluster: a worker paused past its lease cannot commit rows or state behind the worker that took over") {
  PgDatabase state, dst;
  Workspace w;
  const int rows = 400000;
  large_table_setup(w, state, dst, rows);
  Worker a(w, "a"), b(w, "b");
  // Pause whichever worker runs the large table once it committed some of it.
  UnitRow first;
  auto committed_generation = [&]() -> int64_t {
    try {
      return std::stoll(dst.scalar("SELECT coalesce((SELECT generation FROM _ingestd_state WHERE key = 'f/big'), 0)"));
    } catch (const std::exception&) {
      return 0;
    }
  };
  REQUIRE(testing::wait_until([&] {
    first = unit_row(state, "big");
    return first.held && first.last_status.empty() && (committed_generation() >> 32) == first.epoch;
  }, std::chrono::seconds(90)));
  Worker& paused = a.owns(first.owner) ? a : b;
  Worker& other = a.owns(first.owner) ? b : a;
  paused.child->signal(SIGSTOP);
  const int64_t paused_generation = committed_generation();
  CHECK((paused_generation >> 32) == first.epoch);

  // The state the destination keeps never moves back, whatever happens next.
  std::atomic<bool> watching{true}, went_back{false};
  std::thread watcher([&] {
    int64_t seen = 0;
    while (watching) {
      const int64_t g = committed_generation();
      if (g < seen) went_back = true;
      seen = std::max(seen, g);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  UnitRow done;
  const bool taken_over = testing::wait_until([&] {
    done = unit_row(state, "big");
    return other.owns(done.owner) && done.epoch > first.epoch && done.last_status == "ok";
  }, std::chrono::seconds(120));
  paused.child->signal(SIGCONT);
  if (!taken_over) {
    watching = false;
    watcher.join();
  }
  REQUIRE_MESSAGE(taken_over, "paused worker:\n" << paused.log() << "\nthe other:\n" << other.log());
  const std::string taken_over_state = dst.scalar("SELECT generation || ' ' || run_id FROM _ingestd_state WHERE key = 'f/big'");

  // Resumed, the paused worker finds its unit gone (its renewal, its fenced save or the destination's state
  // check, whichever comes first): its commit is refused and it stops the run.
  CHECK_MESSAGE(testing::wait_until([&] {
    const std::string log = paused.log();
    return log.find("passed to another worker") != std::string::npos ||
           log.find("was committed here after this run lost its lease") != std::string::npos;
  }, std::chrono::seconds(60)), paused.log());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  watching = false;
  watcher.join();
  CHECK_FALSE(went_back);
  // The destination's state is a later holder's, never the paused worker's. The unit runs every second, so
  // `done` may be an idle rerun after the one that took over: an idle run writes no state, so the epoch
  // under the state may be older than done.epoch, but it is newer than the paused worker's.
  const std::string now_state = dst.scalar("SELECT generation || ' ' || run_id FROM _ingestd_state WHERE key = 'f/big'");
  INFO("paused epoch ", first.epoch, ", taken over at ", done.epoch, ", state ", now_state);
  CHECK((std::stoll(now_state) >> 32) > first.epoch);
  CHECK((std::stoll(now_state) >> 32) <= done.epoch);
  CHECK(std::stoll(now_state) >= std::stoll(taken_over_state));
  CHECK(count_of(dst, "SELECT count(*) FROM public.big") == rows);
  CHECK(count_of(dst, "SELECT count(DISTINCT id) FROM public.big") == rows);
  CHECK(count_of(state, "SELECT count(*) FROM ops.checkpoints WHERE stream = 'big'") > 0);
  CHECK(count_of(state, "SELECT count(*) FROM ops.checkpoints WHERE stream = 'big' AND (generation >> 32) <= " +
                            std::to_string(first.epoch)) == 0);
  const Result ra = paused.stop(), rb = other.stop();
  CHECK_MESSAGE(rb.exit_code == 0, other.log());
  (void)ra;  // its lost run counts as a failure at the stop or not, depending on when it ended
  // The paused worker's run of the large table did not end well.
  CHECK(state.scalar("SELECT r.status FROM ops.runs r JOIN ops.run_streams s USING (run_id) WHERE s.stream = 'big' "
                     "AND r.pid = " + std::to_string(paused.child->pid()) + " ORDER BY r.started_at LIMIT 1") != "ok");
  check_no_overlap(state, true);
}

TEST_CASE("cluster: state reset is refused while a worker runs one of the flow's streams, and after it the pool reads them again") {
  PgDatabase state, dst;
  Workspace w;
  const int rows = 200000;
  large_table_setup(w, state, dst, rows);
  auto worker = std::make_unique<Worker>(w, "a");
  REQUIRE(testing::wait_until([&] {
    const UnitRow big = unit_row(state, "big");
    return big.held && big.last_status.empty();
  }, std::chrono::seconds(60)));

  // The large table's run is going on: the reset would be saved over.
  Result busy = w.ingestd({"state", "reset", "flows.toml", "--flow", "f"});
  CHECK_MESSAGE(busy.exit_code == 3, dump(busy));
  CHECK_MESSAGE(contains(busy.err, "flow 'f' is running in the pool: f/big ("), dump(busy));
  CHECK_MESSAGE(contains(busy.err, "reset it when those runs have ended"), dump(busy));
  // Refused, it held nothing: the worker's run goes on and ends well.
  REQUIRE(testing::wait_until([&] {
    return count_of(state, "SELECT count(*) FROM ops.cluster_units WHERE last_status = 'ok'") == 3;
  }, std::chrono::seconds(120)));
  CHECK(count_of(dst, "SELECT count(*) FROM public.big") == rows);
  const Result stopped = worker->stop();
  CHECK_MESSAGE(stopped.exit_code == 0, worker->log());
  const int64_t epoch_before = unit_row(state, "big").epoch;

  // Nobody runs the flow: the reset goes through, here and at the destination.
  Result reset = w.ingestd({"state", "reset", "flows.toml", "--flow", "f"});
  REQUIRE_MESSAGE(reset.exit_code == 0, dump(reset));
  CHECK(count_of(state, "SELECT count(*) FROM ops.checkpoints WHERE flow = 'f'") == 0);
  CHECK(count_of(dst, "SELECT count(*) FROM public._ingestd_state WHERE key LIKE 'f/%'") == 0);
  // It held the units under a newer epoch while it ran, and let them go.
  const UnitRow after = unit_row(state, "big");
  CHECK(after.epoch > epoch_before);
  CHECK_FALSE(after.held);
  CHECK(after.owner.rfind("state-reset-", 0) == 0);

  // The pool reads every stream from the start again: merge keeps one row per key.
  state.execute("CREATE TABLE public.runs_before AS SELECT run_id FROM ops.run_streams");
  worker = std::make_unique<Worker>(w, "b");
  CHECK_MESSAGE(testing::wait_until([&] {
    return count_of(state, "SELECT coalesce(sum(rows), 0) FROM ops.run_streams WHERE stream = 'big' AND run_id NOT IN "
                           "(SELECT run_id FROM public.runs_before)") == rows;
  }, std::chrono::seconds(120)), worker->log());
  CHECK(count_of(dst, "SELECT count(*) FROM public.big") == rows);
  CHECK(count_of(dst, "SELECT count(DISTINCT id) FROM public.big") == rows);
  const Result r = worker->stop();
  CHECK_MESSAGE(r.exit_code == 0, worker->log());
}

TEST_CASE("cluster: a worker with another version of the flow file does not join the pool, nor does ingestd run") {
  PgDatabase state, dst;
  Workspace w;
  testing::execute(w.path("src.db"), "CREATE TABLE s1 (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO s1 VALUES (1, 'a');");
  const std::string common = header(state) + "[sources.lite]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
                             "[destinations.db]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\" }\n";
  w.write("flows.toml", common + flow("f", "lite", {"s1"}));
  w.write("other.toml", common + flow("f", "lite", {"s1"}, "batch_rows = 100\n"));
  // The same flows written differently (a comment, the order of keys) are the same file to the pool.
  w.write("same.toml", "# reformatted\n" + common + flow("f", "lite", {"s1"}));
  Worker a(w, "a");
  REQUIRE(testing::wait_listening(a.port, 60));
  Result refused = w.ingestd({"serve", "other.toml", "--listen", "127.0.0.1:0"});
  CHECK(refused.exit_code == 2);
  CHECK_MESSAGE(refused.err.find("another version of the flow file") != std::string::npos, dump(refused));
  CHECK(refused.err.find(std::to_string(a.child->pid())) != std::string::npos);
  // Nor does a run beside the pool: it would read the streams the workers hold.
  Result run = w.ingestd({"run", "flows.toml"});
  CHECK(run.exit_code == 2);
  CHECK_MESSAGE(run.err.find("runs as a pool of workers") != std::string::npos, dump(run));
  Worker same(w, "same", "same.toml");
  CHECK_MESSAGE(testing::wait_listening(same.port, 60), same.log());
  CHECK(testing::wait_until([&] { return same.log().find("joined the pool") != std::string::npos; }));
  CHECK(same.stop().exit_code == 0);
  CHECK(a.stop().exit_code == 0);
  // With the pool gone, the other file makes a pool of its own.
  Worker later(w, "later", "other.toml");
  CHECK_MESSAGE(testing::wait_until([&] { return later.log().find("joined the pool") != std::string::npos; }), later.log());
  CHECK(later.stop().exit_code == 0);
}

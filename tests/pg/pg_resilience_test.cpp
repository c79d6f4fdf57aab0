// When PostgreSQL goes away: unreachable servers, wrong passwords, a server
// stopped and restarted mid-run, ingestd killed mid-run. Nothing is lost,
// nothing duplicated, and no password is ever printed.
#include "e2e.hpp"
#include "support/pg.hpp"
#include "support/pg_server.hpp"

#include <chrono>
#include <csignal>
#include <random>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::PgDatabase;
using testing::PgServer;
using testing::wait_until;

namespace {

// Rows committed at the destination so far (0 while it cannot answer).
int64_t committed(const PgDatabase& dst) {
  try {
    return std::stoll(dst.scalar("SELECT CASE WHEN to_regclass('public.t') IS NULL THEN 0 ELSE "
                                 "(SELECT count(*) FROM public.t) END"));
  } catch (const std::exception&) {
    return 0;
  }
}

std::string flow(const std::string& src_dsn, const std::string& dst_dsn, const std::string& keys) {
  return "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src_dsn + "\" }\n"
         "[destinations.dst]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst_dsn + "\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n" + keys;
}

const char* kChecksum = "SELECT count(*) || ':' || count(DISTINCT id) || ':' || sum(hashtextextended(ROW(id, v)::text, 0)) FROM public.t";

}  // namespace

TEST_CASE("resilience: an unreachable server and a wrong password give clear errors without the password") {
  const auto& s = testing::pg_server();
  Workspace w;
  std::string password = s.at("PGPASSWORD");
  std::string dead = "host=127.0.0.1 port=1 user=ingestd password=" + password + " dbname=postgres";
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dead +
                            "\", connect_attempts = 2 }\n[destinations.d]\nplugin = \"null\"\n"
                            "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"d\"\nretries = 0\n");
  Result r = w.ingestd({"--log-level", "debug", "run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out + r.err, "cannot connect to PostgreSQL after 2 attempts"));
  CHECK_FALSE(contains(r.out + r.err, password));

  std::string wrong = "host=127.0.0.1 port=" + s.at("PGPORT") + " user=ingestd password=not-the-password-42 dbname=postgres";
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + wrong +
                            "\" }\n[destinations.d]\nplugin = \"null\"\n[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"d\"\n");
  r = w.ingestd({"--log-level", "debug", "run", "flows.toml"});
  CHECK(r.exit_code == 2);  // a configuration problem
  CHECK(contains(r.out + r.err, "password authentication failed"));
  CHECK_FALSE(contains(r.out + r.err, "not-the-password-42"));
  Result c = w.ingestd({"check", "flows.toml"});
  CHECK(c.exit_code == 2);  // as run: the password is the configuration's
  CHECK(contains(c.out, "FAIL  source src (postgres): flows.toml:1:10: sources.src: cannot connect to PostgreSQL: "));
  CHECK_FALSE(contains(c.out + c.err, "not-the-password-42"));
}

TEST_CASE("resilience: the server stopped mid-run and restarted loses and duplicates nothing") {
  PgServer server;
  PgDatabase src(server.settings()), dst(server.settings());
  src.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text);"
              "INSERT INTO t SELECT g, repeat('x', 50) || g FROM generate_series(1, 1500000) g;");
  std::string expected = src.scalar(kChecksum);
  Workspace w;
  w.write("flows.toml", flow(src.dsn(), dst.dsn(), "extract = \"incremental-appends\"\ncursor = \"id\"\nload = \"merge\"\n"
                                                   "batch_rows = 20000\nretries = 0\n"));
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child child({testing::ingestd_bin(), "run", "flows.toml", "--no-progress"}, o);
  wait_until([&] { return committed(dst) >= 100000; });
  server.stop("immediate");
  Result r = child.wait();
  server.start();
  // The run either failed clearly or (had it finished first) succeeded.
  if (r.exit_code != 0) {
    CHECK_MESSAGE(r.exit_code == 1, dump(r));
    CHECK_MESSAGE(contains(r.out, "PostgreSQL"), dump(r));
    CHECK_FALSE(contains(r.out + r.err, server.settings().at("PGPASSWORD")));
  }
  // The state never passed what the destination holds.
  Value state = Value::parse(w.ingestd({"state", "show", "flows.toml", "--format", "json"}).out);
  if (!state.as_array().empty()) {
    int64_t saved = std::stoll(Value::parse(state.as_array()[0]["checkpoint"].as_string())["cursor"].as_string());
    CHECK_MESSAGE(std::stoll(dst.scalar("SELECT coalesce(max(id), 0) FROM public.t")) >= saved, dump(r));
  }
  Result again = w.ingestd({"run", "flows.toml"});
  REQUIRE_MESSAGE(again.exit_code == 0, dump(again));
  CHECK(dst.scalar(kChecksum) == expected);
}

TEST_CASE("resilience: with retries, a restart mid-run is ridden out within the run") {
  PgServer server;
  PgDatabase src(server.settings()), dst(server.settings());
  src.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text);"
              "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1500000) g;");
  std::string expected = src.scalar(kChecksum);
  Workspace w;
  w.write("flows.toml", flow(src.dsn(), dst.dsn(), "extract = \"incremental-appends\"\ncursor = \"id\"\n"
                                                   "batch_rows = 20000\nretries = 5\n"));
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child child({testing::ingestd_bin(), "run", "flows.toml", "--no-progress", "--report", "report.json"}, o);
  wait_until([&] { return committed(dst) >= 100000; });
  server.stop("immediate");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the fault itself: down for half a second
  server.start();
  Result r = child.wait();
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  // Append, and yet no duplicates: the destination's state and data commit together.
  CHECK(dst.scalar(kChecksum) == expected);
}

TEST_CASE("resilience: ingestd killed at random moments of a PostgreSQL append is exactly-once") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE t (id bigint PRIMARY KEY, v text);");
  Workspace w;
  w.write("flows.toml", flow(src.dsn(), dst.dsn(), "extract = \"incremental-appends\"\ncursor = \"id\"\nbatch_rows = 5000\n"));
  std::mt19937 random(4);
  int64_t rows = 0;
  for (int round = 0; round < 8; ++round) {
    src.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(" + std::to_string(rows + 1) + ", " +
                std::to_string(rows + 100000) + ") g;");
    rows += 100000;
    testing::Options o;
    o.cwd = w.dir.path();
    {
      testing::Child child({testing::ingestd_bin(), "--log-level", "warn", "run", "flows.toml", "--no-progress"}, o);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 600)(random)));
      child.signal(SIGKILL);
      child.wait();
    }
    Result r = w.ingestd({"run", "flows.toml", "--no-progress"});
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    CHECK(dst.scalar(kChecksum) == src.scalar(kChecksum));
  }
}

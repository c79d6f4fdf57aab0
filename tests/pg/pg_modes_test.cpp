// Extract and load modes against a real PostgreSQL, state in the destination
// and in a PostgreSQL state store, schema changes, filters and snapshots.
#include "e2e.hpp"
#include "support/net.hpp"
#include "support/pg.hpp"
#include "support/wait.hpp"

#include <chrono>
#include <csignal>
#include <thread>

using namespace e2e;
using ingestd::json::Value;
using testing::PgDatabase;
using testing::Rows;

namespace {

std::string flow(const PgDatabase& src, const PgDatabase& dst, const std::string& keys) {
  return "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() + "\" }\n"
         "[destinations.dst]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\" }\n"
         "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\n" + keys;
}

Result run_ok(const Workspace& w, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"run", "flows.toml"};
  args.insert(args.end(), extra.begin(), extra.end());
  Result r = w.ingestd(args);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  return r;
}

}  // namespace

TEST_CASE("modes: snapshot with append, replace and merge") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE items (id int PRIMARY KEY, v text); INSERT INTO items VALUES (1, 'a'), (2, 'b');");
  Workspace w;
  for (const char* load : {"append", "replace", "merge"}) {
    w.write("flows.toml", flow(src, dst, std::string("load = \"") + load + "\"\n[flows.streams.\"public.items\"]\ntable = \"" +
                                            load + "\"\n"));
    run_ok(w);
    src.execute("UPDATE items SET v = v || '+'");
    run_ok(w);
    src.execute("UPDATE items SET v = rtrim(v, '+')");
  }
  CHECK(dst.query("SELECT id, v FROM public.append ORDER BY id, v") == Rows{{"1", "a"}, {"1", "a+"}, {"2", "b"}, {"2", "b+"}});
  CHECK(dst.query("SELECT id, v FROM public.replace ORDER BY id") == Rows{{"1", "a+"}, {"2", "b+"}});
  CHECK(dst.query("SELECT id, v FROM public.merge ORDER BY id") == Rows{{"1", "a+"}, {"2", "b+"}});
}

TEST_CASE("modes: incremental-appends resume exactly, ties on the cursor broken by the key, with state in the destination") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE ev (id int PRIMARY KEY, at int, what text);"
              "INSERT INTO ev SELECT g, 1, 'e' || g FROM generate_series(1, 10) g;");
  Workspace w;
  w.write("flows.toml", flow(src, dst, "extract = \"incremental-appends\"\ncursor = \"at\"\nbatch_rows = 3\n"));
  run_ok(w);
  src.execute("INSERT INTO ev VALUES (11, 1, 'late tie'), (12, 2, 'new');");
  run_ok(w);
  run_ok(w);
  CHECK(dst.scalar("SELECT count(*) || '/' || count(DISTINCT id) FROM public.ev") == "12/12");
  CHECK(dst.scalar("SELECT convert_from(checkpoint, 'UTF8') FROM public._ingestd_state WHERE key = 'f/public.ev'") ==
        "{\"cursor\":\"2\",\"key\":[\"12\"]}");
}

TEST_CASE("modes: start bounds the first run and lookback re-reads late rows into a merge") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE m (id int PRIMARY KEY, at timestamptz, v int);"
              "INSERT INTO m VALUES (1, '2024-01-01Z', 1), (2, '2024-01-02Z', 2), (3, '2024-01-03Z', 3);");
  Workspace w;
  w.write("flows.toml", flow(src, dst, "extract = \"incremental-appends\"\ncursor = \"at\"\nload = \"merge\"\n"
                                       "start = \"2024-01-02T00:00:00Z\"\nlookback = \"12h\"\n"));
  run_ok(w);
  CHECK(dst.query("SELECT id FROM public.m ORDER BY id") == Rows{{"2"}, {"3"}});
  src.execute("INSERT INTO m VALUES (4, '2024-01-02T18:00:00Z', 4), (5, '2024-01-01T00:00:00Z', 5);");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "public.m")["rows"].as_int() == 2);  // the late row 4, and 3 again
  CHECK(dst.query("SELECT id FROM public.m ORDER BY id") == Rows{{"2"}, {"3"}, {"4"}});
}

TEST_CASE("modes: incremental-updates merge updates, soft and hard deletes, latest version in a batch wins") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE u (id int PRIMARY KEY, name text, version bigint, gone boolean DEFAULT false, "
              "deleted_at timestamptz);"
              "INSERT INTO u VALUES (1, 'ann', 1), (2, 'bob', 2), (3, 'cy', 3), (4, 'di', 4);");
  Workspace w;
  auto keys = [](const std::string& deleted, bool hard) {
    return "extract = \"incremental-updates\"\ncursor = \"version\"\nload = \"merge\"\ndeleted_column = \"" + deleted +
           "\"\n" + (hard ? "hard_delete = true\n" : "");
  };
  w.write("flows.toml", flow(src, dst, keys("gone", false)));
  run_ok(w);
  src.execute("UPDATE u SET name = 'bobby', version = 10 WHERE id = 2; UPDATE u SET gone = true, version = 11 WHERE id = 3;");
  run_ok(w);
  CHECK(dst.query("SELECT id, name, _ingestd_deleted FROM public.u ORDER BY id") ==
        Rows{{"1", "ann", "f"}, {"2", "bobby", "f"}, {"3", "cy", "t"}, {"4", "di", "f"}});
  // A timestamp column works as the flag too (set means deleted), and removes rows with hard_delete.
  PgDatabase hard;
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() +
                            "\" }\n[destinations.dst]\nplugin = \"postgres\"\nconfig = { dsn = \"" + hard.dsn() +
                            "\" }\n[[flows]]\nname = \"h\"\nfrom = \"src\"\nto = \"dst\"\n" + keys("deleted_at", true));
  src.execute("UPDATE u SET deleted_at = now(), version = 12 WHERE id = 4;");
  run_ok(w);
  CHECK(hard.query("SELECT id, name FROM public.u ORDER BY id") == Rows{{"1", "ann"}, {"2", "bobby"}, {"3", "cy"}});
}

TEST_CASE("modes: merge keeps the latest version when a key repeats within one load") {
  PgDatabase dst;
  Workspace w;
  w.write("t.csv", "id,v\n1,first\n2,x\n1,second\n1,third\n");
  w.write("flows.toml", "[sources.csv]\nplugin = \"files\"\nconfig = { path = \"t.csv\" }\n"
                        "[destinations.pg]\nplugin = \"postgres\"\nconfig = { dsn = \"" + dst.dsn() + "\" }\n"
                        "[[flows]]\nname = \"f\"\nfrom = \"csv\"\nto = \"pg\"\nload = \"merge\"\nprimary_key = \"id\"\n");
  run_ok(w);
  CHECK(dst.query("SELECT id, v FROM public.t ORDER BY id") == Rows{{"1", "third"}, {"2", "x"}});
}

TEST_CASE("modes: delete_stale marks rows a complete snapshot did not deliver, replace swaps atomically") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE s (id int PRIMARY KEY, v text); INSERT INTO s VALUES (1, 'a'), (2, 'b'), (3, 'c');");
  Workspace w;
  w.write("flows.toml", flow(src, dst, "load = \"merge\"\ndelete_stale = true\n"));
  run_ok(w);
  src.execute("DELETE FROM s WHERE id = 2");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(dst.query("SELECT id, _ingestd_deleted FROM public.s ORDER BY id") == Rows{{"1", "f"}, {"2", "t"}, {"3", "f"}});
  CHECK(stream_of(report, "public.s")["destinations"].as_array()[0]["error"].is_null());
}

TEST_CASE("modes: a column added at the source between runs is added at the destination") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE e (id int PRIMARY KEY, a int); INSERT INTO e VALUES (1, 10);");
  Workspace w;
  w.write("flows.toml", flow(src, dst, "load = \"merge\"\n"));
  run_ok(w);
  src.execute("ALTER TABLE e ADD COLUMN b text; INSERT INTO e VALUES (2, 20, 'new');"
              "ALTER TABLE e ALTER COLUMN a TYPE numeric(20,1);");
  run_ok(w);
  CHECK(dst.query("SELECT id, a, b FROM public.e ORDER BY id") == Rows{{"1", "10.0", "NULL"}, {"2", "20.0", "new"}});
  CHECK(dst.scalar("SELECT data_type FROM information_schema.columns WHERE table_name = 'e' AND column_name = 'a'") ==
        "numeric");
  // freeze names what would change instead.
  src.execute("ALTER TABLE e ADD COLUMN c date;");
  w.write("flows.toml", flow(src, dst, "load = \"merge\"\nschema_changes = \"freeze\"\n"));
  Result r = w.ingestd({"run", "flows.toml"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.out, "would need to change and schema_changes = \"freeze\": new columns c (date)"));
}

TEST_CASE("modes: a where filter is applied by the server") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE w (id int PRIMARY KEY, region text);"
              "INSERT INTO w SELECT g, CASE WHEN g % 2 = 0 THEN 'EU' ELSE 'US' END FROM generate_series(1, 10) g;");
  Workspace w;
  w.write("flows.toml", flow(src, dst, "where = \"region = 'EU'\"\n"));
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "public.w")["rows"].as_int() == 5);
  CHECK(dst.scalar("SELECT string_agg(DISTINCT region, ',') FROM public.w") == "EU");
}

TEST_CASE("modes: consistent_snapshot reads every table as of one moment") {
  PgDatabase src;
  src.execute("CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a SELECT generate_series(1, 20);"
              "CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT generate_series(1, 20);");
  for (bool consistent : {true, false}) {
    Workspace w;
    w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() +
                              "\", consistent_snapshot = " + (consistent ? "true" : "false") +
                              " }\n[destinations.slow]\nplugin = \"null\"\nconfig = { write_delay = \"700ms\" }\n"
                              "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"slow\"\nparallelism = 1\nbatch_rows = 10\n");
    testing::Options o;
    o.cwd = w.dir.path();
    testing::Child child({testing::ingestd_bin(), "run", "flows.toml", "--report", "report.json"}, o);
    // Table a takes about 1.4 s to drain; b is read after it. With
    // consistent_snapshot the rows come after the snapshot was exported (a
    // slow start must not put them before it).
    if (consistent)
      REQUIRE(testing::wait_until([&] {
        return src.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_export_snapshot()%' "
                          "AND state = 'idle in transaction'") == "1";
      }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    src.execute("INSERT INTO b SELECT generate_series(21, 30);");
    Result r = child.wait();
    REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
    Value report = Value::parse(w.read("report.json"));
    CHECK_MESSAGE(stream_of(report, "public.b")["rows"].as_int() == (consistent ? 20 : 30),
                  "consistent_snapshot = " << consistent);
    src.execute("DELETE FROM b WHERE id > 20;");
  }
}

TEST_CASE("modes: the state store can live in PostgreSQL") {
  PgDatabase src, dst, state;
  src.execute("CREATE TABLE k (id int PRIMARY KEY); INSERT INTO k SELECT generate_series(1, 100);");
  Workspace w;
  w.write("flows.toml", "[state]\nbackend = \"postgres\"\ndsn = \"" + state.dsn() + "\"\nschema = \"ops\"\n" +
                            flow(src, dst, "extract = \"incremental-appends\"\ncursor = \"id\"\nbatch_rows = 30\n"));
  run_ok(w);
  src.execute("INSERT INTO k SELECT generate_series(101, 110);");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "public.k")["rows"].as_int() == 10);
  CHECK(!testing::file_exists(w.path(".ingestd/state.db")));
  CHECK(state.scalar("SELECT convert_from(checkpoint, 'UTF8') FROM ops.checkpoints") == "{\"cursor\":\"110\",\"key\":[]}");
  CHECK(state.scalar("SELECT count(*) FROM ops.runs WHERE status = 'ok'") == "2");
  Result show = w.ingestd({"state", "show", "flows.toml"});
  CHECK(contains(show.out, "PostgreSQL 127.0.0.1"));
  CHECK_FALSE(contains(show.out + show.err, testing::pg_server().at("PGPASSWORD")));
  Result runs = w.ingestd({"runs", "flows.toml", "--format", "json"});
  CHECK(Value::parse(runs.out).as_array().size() == 2);
}

TEST_CASE("modes: with the state store in PostgreSQL, one run of a flow at a time, across hosts") {
  PgDatabase state;
  Workspace w;
  const int port = testing::free_port();
  w.write("flows.toml", "[state]\nbackend = \"postgres\"\ndsn = \"" + state.dsn() + "\"\nschema = \"ops\"\n"
                        "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(port) +
                        ", columns = [\"id:string\"] }\n[destinations.out]\nplugin = \"files\"\nconfig = { path = "
                        "\"out\", format = \"jsonl\" }\n[[flows]]\nname = \"events\"\nfrom = \"hook\"\nto = \"out\"\n"
                        "extract = \"incremental-appends\"\n");
  auto holder = [&] {
    try {
      return state.scalar("SELECT coalesce((SELECT pid || '@' || host FROM ops.leases WHERE name = 'events' AND "
                          "expires_at > now()), '')");
    } catch (const std::exception&) {  // not made yet
      return std::string();
    }
  };
  auto start = [&] {
    testing::Options o;
    o.cwd = w.dir.path();
    return std::make_unique<testing::Child>(
        std::vector<std::string>{testing::ingestd_bin(), "run", "flows.toml", "--no-progress"}, o);
  };
  auto first = start();
  const std::string first_pid = std::to_string(first->pid());
  REQUIRE(testing::wait_until([&] { return holder().rfind(first_pid + "@", 0) == 0; }));
  Result busy = w.ingestd({"run", "flows.toml"});
  CHECK_MESSAGE(busy.exit_code == 3, dump(busy));
  CHECK_MESSAGE(contains(busy.err, "flow events is being run by pid " + first_pid), dump(busy));
  REQUIRE(testing::wait_listening(port, 30));
  first->signal(SIGTERM);
  Result done = first->wait();
  CHECK_MESSAGE(done.exit_code == 0, dump(done));
  CHECK(holder().empty());

  // A run on another machine holds it until its lease runs out.
  state.execute("INSERT INTO ops.leases (name, owner, pid, host, since, expires_at) VALUES ('events', "
                "'run-elsewhere', 4242, 'worker-7', '2026-01-01T00:00:00Z', now() + interval '10 minutes') ON CONFLICT "
                "(name) DO UPDATE SET owner = EXCLUDED.owner, pid = EXCLUDED.pid, host = EXCLUDED.host, since = "
                "EXCLUDED.since, expires_at = EXCLUDED.expires_at, epoch = ops.leases.epoch + 1");
  busy = w.ingestd({"run", "flows.toml"});
  CHECK_MESSAGE(busy.exit_code == 3, dump(busy));
  CHECK_MESSAGE(contains(busy.err, "flow events is being run by pid 4242 on host worker-7"), dump(busy));
  state.execute("UPDATE ops.leases SET expires_at = now() - interval '1 second'");
  auto next = start();
  REQUIRE(testing::wait_until([&] { return holder().rfind(std::to_string(next->pid()) + "@", 0) == 0; }));
  REQUIRE(testing::wait_listening(port, 30));
  next->signal(SIGTERM);
  done = next->wait();
  CHECK_MESSAGE(done.exit_code == 0, dump(done));
}

TEST_CASE("modes: loading into a table made elsewhere adds the metadata columns and keeps its types") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE x (id int PRIMARY KEY, ref uuid, doc jsonb);"
              "INSERT INTO x VALUES (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": 1}');");
  dst.execute("CREATE TABLE x (id int PRIMARY KEY, ref uuid, doc jsonb);");
  Workspace w;
  w.write("flows.toml", flow(src, dst, "load = \"merge\"\n"));
  run_ok(w);
  CHECK(dst.query("SELECT id, ref, doc, _ingestd_deleted FROM public.x") ==
        Rows{{"1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "{\"k\": 1}", "f"}});
  CHECK(dst.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'x' AND column_name IN ('ref', "
                  "'doc') ORDER BY column_name") == Rows{{"jsonb"}, {"uuid"}});
}

TEST_CASE("modes: incremental-updates into an append keeps every version, deletes included") {
  PgDatabase src, dst;
  src.execute("CREATE TABLE h (id int PRIMARY KEY, v text, version bigint, gone boolean DEFAULT false);"
              "INSERT INTO h VALUES (1, 'a', 1), (2, 'b', 2);");
  Workspace w;
  w.write("flows.toml", flow(src, dst, "extract = \"incremental-updates\"\ncursor = \"version\"\n"
                                       "deleted_column = \"gone\"\n"));
  run_ok(w);
  src.execute("UPDATE h SET v = 'a2', version = 3 WHERE id = 1; UPDATE h SET gone = true, version = 4 WHERE id = 2;");
  run_ok(w);
  CHECK(dst.query("SELECT id, v, _ingestd_deleted FROM public.h ORDER BY version") ==
        Rows{{"1", "a", "f"}, {"2", "b", "f"}, {"1", "a2", "f"}, {"2", "b", "t"}});
}

TEST_CASE("modes: partitions read a table snapshot in page ranges at once, every row exactly once, as of one moment") {
  PgDatabase src, dst;
  // About 60 MB: seven 8 MiB ranges' worth, read by 4. Deletes leave holes,
  // updates move rows to later pages: each row must still come once.
  src.execute("CREATE TABLE big (id bigint PRIMARY KEY, v int, pad text);"
              "INSERT INTO big SELECT g, g % 1000, repeat(md5(g::text), 3) FROM generate_series(1, 400000) g;"
              "DELETE FROM big WHERE id % 97 = 0; UPDATE big SET v = -v WHERE id % 89 = 0;");
  src.execute("VACUUM ANALYZE big");
  const std::string checksum = "SELECT count(*) || ':' || sum(hashtextextended(ROW(id, v, pad)::text, 0)) FROM public.big";
  const std::string expected = src.scalar(checksum);
  Workspace w;
  w.write("flows.toml", "[sources.src]\nplugin = \"postgres\"\nconfig = { dsn = \"" + src.dsn() +
                            "\", partitions = 4 }\n[destinations.dst]\nplugin = \"postgres\"\nconfig = { dsn = \"" +
                            dst.dsn() + "\" }\n[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"dst\"\nload = \"merge\"\n");
  testing::Options slow;
  slow.timeout_seconds = 300;
  slow.cwd = w.dir.path();
  Result r = w.ingestd({"run", "flows.toml", "--log-level", "debug"}, slow);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(contains(r.err, "reading public.big in 4 page ranges at once"));
  CHECK(dst.scalar(checksum) == expected);
  // The idle rerun reads the same rows and rewrites none of them.
  const std::string runs = "SELECT count(DISTINCT _ingestd_run_id) || ':' || count(*) FROM public.big";
  CHECK(dst.scalar(runs) == "1:" + expected.substr(0, expected.find(':')));
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(stream_of(report, "public.big")["rows"].as_int() == std::stoll(expected.substr(0, expected.find(':'))));
  CHECK(dst.scalar(runs) == "1:" + expected.substr(0, expected.find(':')));
  CHECK(dst.scalar(checksum) == expected);
  // A change, then a run: the table again, with the change and only it rewritten.
  src.execute("UPDATE big SET pad = 'changed' WHERE id = 12345");
  run_ok(w);
  CHECK(dst.scalar(checksum) == src.scalar(checksum));
  CHECK(dst.scalar(runs) == "2:" + expected.substr(0, expected.find(':')));
  // A small table is read whole by one connection.
  src.execute("CREATE TABLE small (id int PRIMARY KEY); INSERT INTO small SELECT generate_series(1, 100);");
  r = w.ingestd({"run", "flows.toml", "--log-level", "debug", "--rediscover"}, slow);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_FALSE(contains(r.err, "reading public.small in"));
  CHECK(dst.scalar("SELECT count(*) FROM public.small") == "100");
}

// One run of a flow at a time: a cron job overlapping a slow run, or two
// started together, never read and write the same rows twice. The second
// run exits 3 naming who holds the flow, or waits with --wait; a holder that
// died frees the flow at once on its host, and after its lease expires
// anywhere else.
#include "e2e.hpp"
#include "paused_takeover.hpp"
#include "support/net.hpp"
#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <csignal>
#include <thread>

using namespace e2e;
using testing::scalar;

namespace {

// flows.toml: "events", a webhook (a source that runs until stopped, so a
// test holds the flow as long as it likes), and "numbers", generated rows;
// both into JSON Lines files.
void write_flows(const Workspace& w, int port) {
  w.write("flows.toml",
          "[sources.hook]\nplugin = \"webhook\"\nconfig = { port = " + std::to_string(port) +
              ", columns = [\"id:string\"] }\n"
              "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 1000 }\n"
              "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
              "[[flows]]\nname = \"events\"\nfrom = \"hook\"\nto = \"out\"\nextract = \"incremental-appends\"\n"
              "[[flows]]\nname = \"numbers\"\nfrom = \"gen\"\nto = \"out\"\n");
}

std::string state_db(const Workspace& w) { return w.path(".ingestd/state.db"); }

// The pid holding the flow's lease, or "" when nobody does.
std::string lease_pid(const Workspace& w, const std::string& flow) {
  try {
    return scalar(state_db(w), "SELECT coalesce((SELECT pid FROM leases WHERE name = '" + flow +
                                   "' AND expires_at >= unixepoch()), '')");
  } catch (const std::exception&) {  // the store or its table not made yet
    return "";
  }
}

testing::Child start(const Workspace& w, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{testing::ingestd_bin(), "run", "flows.toml", "--flow", "events", "--no-progress"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  testing::Options o;
  o.cwd = w.dir.path();
  return testing::Child(argv, o);
}

}  // namespace

TEST_CASE("concurrent runs: a second run of a running flow exits 3 naming the holder, or waits for it") {
  Workspace w;
  const int port = testing::free_port();
  write_flows(w, port);
  testing::Child first = start(w);
  const std::string first_pid = std::to_string(first.pid());
  REQUIRE(testing::wait_until([&] { return lease_pid(w, "events") == first_pid; }));
  REQUIRE(testing::wait_listening(port, 30));

  Result busy = w.ingestd({"run", "flows.toml", "--flow", "events"});
  CHECK_MESSAGE(busy.exit_code == 3, dump(busy));
  CHECK_MESSAGE(contains(busy.err, "flow events is being run by pid " + first_pid + " on host "), dump(busy));
  CHECK_MESSAGE(contains(busy.err, "nothing was run"), dump(busy));
  // A flow the running one does not hold runs meanwhile.
  Result other = w.ingestd({"run", "flows.toml", "--flow", "numbers"});
  CHECK_MESSAGE(other.exit_code == 0, dump(other));
  // Asking for both runs neither.
  Result both = w.ingestd({"run", "flows.toml"});
  CHECK_MESSAGE(both.exit_code == 3, dump(both));
  CHECK(lease_pid(w, "numbers").empty());
  // state reset would be overwritten by the running flow's next save.
  Result reset = w.ingestd({"state", "reset", "flows.toml", "--flow", "events"});
  CHECK_MESSAGE(reset.exit_code == 3, dump(reset));
  CHECK_MESSAGE(contains(reset.err, "is being run by pid " + first_pid), dump(reset));

  Result waited = w.ingestd({"run", "flows.toml", "--flow", "events", "--wait-timeout", "1s"});
  CHECK_MESSAGE(waited.exit_code == 3, dump(waited));
  CHECK_MESSAGE(contains(waited.err, "waiting for it to finish"), dump(waited));
  Result bad = w.ingestd({"run", "flows.toml", "--wait-timeout", "soon"});
  CHECK_MESSAGE(bad.exit_code == 2, dump(bad));

  // A waiting run takes the flow over when the first one ends.
  testing::Child second = start(w, {"--wait"});
  const std::string second_pid = std::to_string(second.pid());
  REQUIRE(second.wait_for_stderr("waiting for it to finish"));
  first.signal(SIGTERM);
  Result first_done = first.wait();
  CHECK_MESSAGE(first_done.exit_code == 0, dump(first_done));
  REQUIRE(testing::wait_until([&] { return lease_pid(w, "events") == second_pid; }));
  REQUIRE(testing::wait_listening(port, 30));
  second.signal(SIGTERM);
  Result second_done = second.wait();
  CHECK_MESSAGE(second_done.exit_code == 0, dump(second_done));
  CHECK_MESSAGE(contains(second_done.err, "waiting for it to finish"), dump(second_done));
  CHECK(lease_pid(w, "events").empty());  // released on the way out
  CHECK(scalar(state_db(w), "SELECT count(*) FROM runs WHERE status = 'ok'") == "3");
}

TEST_CASE("concurrent runs: the lease of a killed run is taken over at once on its host") {
  Workspace w;
  const int port = testing::free_port();
  write_flows(w, port);
  testing::Child killed = start(w);
  const std::string killed_pid = std::to_string(killed.pid());
  REQUIRE(testing::wait_until([&] { return lease_pid(w, "events") == killed_pid; }));
  killed.signal(SIGKILL);
  killed.wait();
  CHECK(lease_pid(w, "events") == killed_pid);  // nobody released it

  testing::Child next = start(w);
  const std::string next_pid = std::to_string(next.pid());
  REQUIRE(testing::wait_until([&] { return lease_pid(w, "events") == next_pid; }));
  REQUIRE(testing::wait_listening(port, 30));
  next.signal(SIGTERM);
  Result r = next.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r));
  CHECK_MESSAGE(contains(r.err, "pid " + killed_pid + ") ended without releasing it; taking it over"), dump(r));
}

TEST_CASE("concurrent runs: a lease held on another host counts until it expires") {
  Workspace w;
  write_flows(w, testing::free_port());
  REQUIRE(w.ingestd({"run", "flows.toml", "--flow", "numbers"}).exit_code == 0);  // makes the store
  testing::execute(state_db(w),
                   "INSERT INTO leases (name, owner, pid, host, since, expires_at) VALUES ('numbers', 'run-elsewhere', "
                   "4242, 'worker-7', '2026-01-01T00:00:00Z', unixepoch() + 600) ON CONFLICT (name) DO UPDATE SET "
                   "owner = excluded.owner, pid = excluded.pid, host = excluded.host, since = excluded.since, "
                   "expires_at = excluded.expires_at, epoch = leases.epoch + 1");
  Result busy = w.ingestd({"run", "flows.toml", "--flow", "numbers"});
  CHECK_MESSAGE(busy.exit_code == 3, dump(busy));
  CHECK_MESSAGE(contains(busy.err, "flow numbers is being run by pid 4242 on host worker-7 since 2026-01-01T00:00:00Z"),
                dump(busy));
  // That run stopped renewing ten minutes ago: its lease is over.
  testing::execute(state_db(w), "UPDATE leases SET expires_at = unixepoch() - 1");
  Result free = w.ingestd({"run", "flows.toml", "--flow", "numbers"});
  CHECK_MESSAGE(free.exit_code == 0, dump(free));
  CHECK(lease_pid(w, "numbers").empty());
}

TEST_CASE("concurrent runs: two runs of a files to SQLite append started together load every row once") {
  Workspace w;
  // Enough rows that the runs overlap; 20 files, 10,000 rows each.
  for (int f = 0; f < 20; ++f) {
    std::string csv = "id,name\n";
    for (int i = 0; i < 10000; ++i) csv += std::to_string(f * 10000 + i) + ",name " + std::to_string(i) + "\n";
    w.write("in/part-" + std::to_string(100 + f) + ".csv", csv);
  }
  w.write("flows.toml",
          "[sources.in]\nplugin = \"files\"\nconfig = { path = \"in\", format = \"csv\" }\n"
          "[destinations.db]\nplugin = \"sqlite\"\nconfig = { path = \"out.db\" }\n"
          "[[flows]]\nname = \"load\"\nfrom = \"in\"\nto = \"db\"\nextract = \"incremental-appends\"\n"
          "load = \"append\"\nbatch_rows = 2000\n");
  for (int round = 0; round < 3; ++round) {
    if (round == 1)  // later rounds: the table and state exist, new files arrive
      for (int f = 20; f < 25; ++f) {
        std::string csv = "id,name\n";
        for (int i = 0; i < 10000; ++i) csv += std::to_string(f * 10000 + i) + ",late\n";
        w.write("in/part-" + std::to_string(100 + f) + ".csv", csv);
      }
    testing::Options o;
    o.cwd = w.dir.path();
    testing::Child a({testing::ingestd_bin(), "run", "flows.toml", "--no-progress"}, o);
    testing::Child b({testing::ingestd_bin(), "run", "flows.toml", "--no-progress"}, o);
    Result ra = a.wait(), rb = b.wait();
    // Each either ran (0) or found the other running (3); never a
    // configuration error, never a lock error.
    CHECK_MESSAGE((ra.exit_code == 0 || ra.exit_code == 3), dump(ra));
    CHECK_MESSAGE((rb.exit_code == 0 || rb.exit_code == 3), dump(rb));
    CHECK((ra.exit_code == 0 || rb.exit_code == 0));
    const int expected = round == 0 ? 200000 : 250000;
    CHECK(scalar(w.path("out.db"), "SELECT count(*) FROM \"in\"") == std::to_string(expected));
    CHECK(scalar(w.path("out.db"), "SELECT count(DISTINCT id) FROM \"in\"") == std::to_string(expected));
  }
}

TEST_CASE("concurrent runs: a run paused past its lease cannot save state behind the run that took its flow over") {
  // The second flow file stands for the run that takes over.
  Workspace w;
  PausedTakeover t(
      w,
      [](int port) { return events_flow(port, "", "files", "{ path = \"out\", format = \"jsonl\" }"); },
      [&] { return lease_pid(w, "events"); });
  const std::string a_run = scalar(state_db(w), "SELECT run_id FROM checkpoints WHERE flow = 'events'");
  const std::string a_epoch = scalar(state_db(w), "SELECT epoch FROM leases WHERE name = 'events'");

  t.take_over();
  const std::string b_run = scalar(state_db(w), "SELECT run_id FROM checkpoints WHERE flow = 'events'");
  const std::string b_generation = scalar(state_db(w), "SELECT generation FROM checkpoints WHERE flow = 'events'");
  CHECK(b_run != a_run);
  CHECK(std::stoll(scalar(state_db(w), "SELECT epoch FROM leases WHERE name = 'events'")) > std::stoll(a_epoch));

  // Woken, the paused run finds its holding over: whatever it read is not
  // acknowledged, its checkpoint is refused, and it stops.
  Result ra = t.resume_a();
  CHECK_MESSAGE(ra.exit_code != 0, dump(ra));
  CHECK_MESSAGE((contains(ra.err, "lost its lease to another run") || contains(ra.err, "its lease passed to another run")),
                dump(ra));
  CHECK(t.late.status != 200);
  CHECK(scalar(state_db(w), "SELECT run_id FROM checkpoints WHERE flow = 'events'") == b_run);
  CHECK(scalar(state_db(w), "SELECT generation FROM checkpoints WHERE flow = 'events'") == b_generation);
  CHECK(lease_pid(w, "events") == std::to_string(t.b->pid()));

  Result rb = t.stop_b();
  CHECK_MESSAGE(rb.exit_code == 0, dump(rb));
}

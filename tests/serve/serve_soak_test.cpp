// About a minute of `ingestd serve` under change: a SQLite table gaining,
// changing and losing rows and a landing folder gaining CSV files, several
// times a second, flows every second merging both into SQLite; two reloads
// and a SIGKILL with a restart on the way. At the end the destination equals
// the source and no run failed (the killed ones stay "running" in history).
#include "serve/serve.hpp"

#include "support/sqlite_query.hpp"
#include "support/wait.hpp"

#include <sqlite3.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

using namespace serve;
using e2e::dump;
using ingestd::json::Value;

namespace {

std::string flows(const std::string& items_schedule, int events_batch_rows) {
  return "[sources.shop]\nplugin = \"sqlite\"\nconfig = { path = \"src.db\" }\n"
         "[sources.landing]\nplugin = \"files\"\nconfig = { path = \"landing/*.csv\", stream = \"events\" }\n"
         "[destinations.dw]\nplugin = \"sqlite\"\nconfig = { path = \"dw.db\" }\n"
         "[[flows]]\nname = \"items\"\nfrom = \"shop\"\nto = \"dw\"\nstreams = [\"items\"]\n"
         "extract = \"incremental-updates\"\ncursor = \"version\"\ndeleted_column = \"is_deleted\"\n"
         "primary_key = [\"id\"]\nload = \"merge\"\nhard_delete = true\nschedule = \"" + items_schedule + "\"\n"
         "[[flows]]\nname = \"events\"\nfrom = \"landing\"\nto = \"dw\"\nextract = \"incremental-appends\"\n"
         "primary_key = [\"event_id\"]\nload = \"merge\"\nbatch_rows = " + std::to_string(events_batch_rows) + "\n"
         "schedule = \"every 1s\"\n";
}

// Changes the sources several times a second until stopped: in the table,
// new rows, updates and soft deletes, each with a version above all before
// (one writer: versions commit in order); in the folder, new CSV files,
// renamed into place whole.
class Mutator {
 public:
  explicit Mutator(const Workspace& w) : w_(w) {
    testing::execute(w.path("src.db"), "PRAGMA journal_mode=WAL; CREATE TABLE items (id INTEGER PRIMARY KEY, "
                                       "v TEXT NOT NULL, version INTEGER NOT NULL, is_deleted INTEGER NOT NULL DEFAULT 0)");
    std::filesystem::create_directories(w.path("landing"));
    std::filesystem::create_directories(w.path("staging"));
    thread_ = std::thread([this] { loop(); });
  }
  ~Mutator() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int64_t events() const { return next_event_; }
  int64_t rounds() const { return rounds_; }

 private:
  void loop() {
    sqlite3* db = nullptr;
    sqlite3_open(w_.path("src.db").c_str(), &db);
    sqlite3_busy_timeout(db, 10000);
    std::mt19937 random(7);
    int64_t next_id = 1, version = 0;
    for (int file = 0; !stop_; ++file) {
      std::string sql = "BEGIN IMMEDIATE;";
      for (int i = 0; i < 5; ++i, ++next_id)
        sql += "INSERT INTO items VALUES (" + std::to_string(next_id) + ", 'new', " + std::to_string(++version) + ", 0);";
      for (int i = 0; i < 3 && next_id > 2; ++i) {
        const int64_t id = 1 + static_cast<int64_t>(random() % static_cast<uint32_t>(next_id - 1));
        const std::string v = std::to_string(++version);
        sql += "UPDATE items SET v = 'changed " + v + "', version = " + v + " WHERE id = " + std::to_string(id) +
               " AND is_deleted = 0;";
      }
      if (next_id > 2) {
        const int64_t id = 1 + static_cast<int64_t>(random() % static_cast<uint32_t>(next_id - 1));
        sql += "UPDATE items SET is_deleted = 1, version = " + std::to_string(++version) + " WHERE id = " +
               std::to_string(id) + " AND is_deleted = 0;";
      }
      sql += "COMMIT;";
      char* error = nullptr;
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        failure_ = error ? error : "?";
        sqlite3_free(error);
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      }
      char name[32];
      std::snprintf(name, sizeof name, "events_%06d.csv", file);
      std::string csv = "event_id,kind\n";
      for (int i = 0; i < 4; ++i) csv += "ev" + std::to_string(next_event_++) + ",k" + std::to_string(i) + "\n";
      testing::write_file(w_.path("staging/") + name, csv);
      std::filesystem::rename(w_.path("staging/") + name, w_.path("landing/") + name);
      ++rounds_;
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    sqlite3_close(db);
  }

 public:
  std::string failure_;

 private:
  const Workspace& w_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> next_event_{0}, rounds_{0};
  std::thread thread_;
};

void for_seconds(int seconds) { std::this_thread::sleep_for(std::chrono::seconds(seconds)); }

}  // namespace

TEST_CASE("soak: a minute of changing sources, two reloads and a SIGKILL, and the destination equals the source") {
  Workspace w;
  w.write("flows.toml", flows("every 1s", 16384));
  Mutator mutator(w);
  auto first = std::make_unique<Daemon>(w);
  REQUIRE_MESSAGE(first->started(), first->log());
  for_seconds(12);

  // A changed flow is restarted; the other is left alone.
  w.write("flows.toml", flows("every 1s", 1000));
  first->signal(SIGHUP);
  REQUIRE_MESSAGE(first->wait_for_log("0 added, 1 changed (events), 0 removed"), first->log());
  for_seconds(10);

  // Killed mid-run, started again: it resumes from what was committed.
  first->signal(SIGKILL);
  first->wait();
  first.reset();
  Daemon second(w);
  REQUIRE_MESSAGE(second.started(), second.log());
  for_seconds(10);

  w.write("flows.toml", flows("every 2s", 1000));
  const testing::HttpReply reloaded = second.post("/reload");
  CHECK_MESSAGE(reloaded.status == 200, reloaded.body);
  CHECK(e2e::contains(reloaded.body, "1 changed (items)"));
  for_seconds(12);

  // Sources stop changing; one more run of each catches up.
  mutator.stop();
  REQUIRE_MESSAGE(mutator.failure_.empty(), mutator.failure_);
  const std::size_t items_runs = runs_of(w, "items").size(), events_runs = runs_of(w, "events").size();
  REQUIRE(testing::wait_until([&] {
    return runs_of(w, "items").size() >= items_runs + 2 && runs_of(w, "events").size() >= events_runs + 2;
  }, std::chrono::seconds(90)));
  const Value status = second.status();
  second.signal(SIGTERM);
  const e2e::Result r = second.wait();
  CHECK_MESSAGE(r.exit_code == 0, dump(r) << second.log());

  // The destination is the source: live rows equal, deleted rows gone.
  const testing::Attach src = {{"src", w.path("src.db")}};
  const std::string dw = w.path("dw.db");
  CHECK(testing::scalar(dw, "SELECT count(*) FROM src.items WHERE is_deleted = 0", src) ==
        testing::scalar(dw, "SELECT count(*) FROM items", src));
  CHECK(testing::scalar(dw, "SELECT count(*) FROM (SELECT id, v, version FROM src.items WHERE is_deleted = 0 EXCEPT "
                            "SELECT id, v, version FROM items)", src) == "0");
  CHECK(testing::scalar(dw, "SELECT count(*) FROM (SELECT id, v, version FROM items EXCEPT SELECT id, v, version FROM "
                            "src.items WHERE is_deleted = 0)", src) == "0");
  CHECK(std::stoll(testing::scalar(dw, "SELECT count(*) FROM src.items WHERE is_deleted = 1", src)) > 10);
  CHECK(testing::scalar(dw, "SELECT count(*) || ':' || count(DISTINCT event_id) FROM events") ==
        std::to_string(mutator.events()) + ":" + std::to_string(mutator.events()));
  CHECK(mutator.rounds() > 100);

  // No run failed; a run the kill cut short stays "running" (or is found
  // "interrupted"), one per flow at most.
  for (const char* flow : {"items", "events"}) {
    int cut_short = 0;
    for (const Value& run : runs_of(w, flow)) {
      const std::string s = run["status"].as_string();
      CHECK_MESSAGE((s == "ok" || s == "running" || s == "interrupted"), flow << " " << run.dump());
      cut_short += s != "ok";
    }
    CHECK(cut_short <= 1);
  }
  for (const Value& f : status["flows"].as_array()) CHECK_MESSAGE(f["state"].as_string() != "failed", f.dump());
}

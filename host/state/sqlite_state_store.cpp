#include "state/state_store.hpp"
#include "monitor/key_sketch.hpp"
#include "util/process.hpp"
#include "util/time.hpp"

#include <sqlite3.h>

#include <fcntl.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <unistd.h>

namespace ingestd {

namespace {

// What went wrong, naming the file; a lock another process holds may pass.
StateStoreError failure(sqlite3* db) {
  const char* file = sqlite3_db_filename(db, "main");
  const int code = sqlite3_errcode(db) & 0xff;
  return StateStoreError(std::string("state store ") + (file ? file : "") + ": " + sqlite3_errmsg(db),
                         code == SQLITE_BUSY || code == SQLITE_LOCKED);
}

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS checkpoints (
  flow TEXT NOT NULL,
  stream TEXT NOT NULL,
  destination TEXT NOT NULL,
  checkpoint BLOB NOT NULL,
  generation INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  saved_at TEXT NOT NULL,
  PRIMARY KEY (flow, stream, destination)
);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  flow_file TEXT NOT NULL,
  started_at TEXT NOT NULL,
  ended_at TEXT,
  status TEXT NOT NULL,
  error TEXT,
  pid INTEGER,
  host TEXT
);
CREATE TABLE IF NOT EXISTS run_streams (
  run_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  stream TEXT NOT NULL,
  destination TEXT NOT NULL,
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  seconds REAL NOT NULL,
  status TEXT NOT NULL,
  error TEXT,
  counters TEXT,
  PRIMARY KEY (run_id, flow, stream, destination)
);
CREATE TABLE IF NOT EXISTS key_sketches (
  flow TEXT NOT NULL,
  stream TEXT NOT NULL,
  month TEXT NOT NULL,
  sketch BLOB NOT NULL,
  PRIMARY KEY (flow, stream, month)
);
CREATE TABLE IF NOT EXISTS catalogs (
  source TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  catalog TEXT NOT NULL,
  saved_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  since TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  epoch INTEGER NOT NULL DEFAULT 0
);
)sql";

class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw failure(db);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind_blob(int i, const std::string& v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  // true while there is a row
  bool step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw failure(db_);
  }
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int i) const {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }
  std::string blob(int i) const {
    const void* b = sqlite3_column_blob(stmt_, i);
    return b ? std::string(static_cast<const char*>(b), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string();
  }
  int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  double real(int i) const { return sqlite3_column_double(stmt_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Run history holds errors and the checkpoints hold cursors: the store, its
// journal and a folder made for it are this user's alone.
void make_private(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::path(path).parent_path();
  if (!dir.empty() && !fs::exists(dir, ec) && fs::create_directories(dir, ec))
    fs::permissions(dir, fs::perms::owner_all, ec);
  if (!fs::exists(path, ec)) {
    int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  for (const std::string& f : {path, path + "-wal", path + "-shm"})
    if (fs::exists(f, ec)) fs::permissions(f, fs::perms::owner_read | fs::perms::owner_write, ec);
}

class SqliteStateStore : public StateStore {
 public:
  explicit SqliteStateStore(const std::string& path) : path_(path) {
    make_private(path);
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open state store " + path + ": " + why);
    }
    // Other ingestd processes may share the store: wait for their writes.
    sqlite3_busy_timeout(db_, 30000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");  // a saved checkpoint survives a power cut
    exec(kSchema);
    // Stores made before run_streams had these columns.
    for (const char* column : {"counters", "columns", "flags"}) {
      Statement has(db_, "SELECT count(*) FROM pragma_table_info('run_streams') WHERE name = ?1");
      has.bind(1, std::string(column));
      if (has.step() && has.integer(0) == 0) exec((std::string("ALTER TABLE run_streams ADD COLUMN ") + column + " TEXT").c_str());
    }
    // And before leases had epochs.
    Statement has_epoch(db_, "SELECT count(*) FROM pragma_table_info('leases') WHERE name = 'epoch'");
    if (has_epoch.step() && has_epoch.integer(0) == 0) exec("ALTER TABLE leases ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0");
  }
  ~SqliteStateStore() override { sqlite3_close(db_); }

  std::vector<CheckpointRecord> checkpoints(const std::optional<std::string>& flow,
                                            const std::optional<std::string>& stream) override {
    std::lock_guard lock(mutex_);
    Statement q(db_,
                "SELECT flow, stream, destination, checkpoint, generation, run_id, saved_at FROM checkpoints "
                "WHERE (?1 IS NULL OR flow = ?1) AND (?2 IS NULL OR stream = ?2) ORDER BY flow, stream, destination");
    if (flow) q.bind(1, *flow);
    if (stream) q.bind(2, *stream);
    std::vector<CheckpointRecord> out;
    while (q.step())
      out.push_back({q.text(0), q.text(1), q.text(2), q.blob(3), q.integer(4), q.text(5), q.text(6)});
    return out;
  }

  void save(const std::string& flow, const std::string& stream, const std::vector<std::string>& destinations,
            const std::string& checkpoint, int64_t generation, const std::string& run_id,
            const LeaseFence* fence) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);  // a write transaction: no claim comes between the check and the commit
    if (fence && !fence->stream.empty())  // [cluster] requires postgres: the flow file refuses it
      throw StateStoreError("cluster units are kept only in a PostgreSQL state store", false);
    if (fence) {
      Statement held(db_, "SELECT 1 FROM leases WHERE name = ?1 AND owner = ?2 AND epoch = ?3");
      held.bind(1, fence->name).bind(2, fence->owner).bind(3, fence->epoch);
      if (!held.step()) throw LeaseLostError(*fence);
    }
    Statement up(db_,
                 "INSERT INTO checkpoints (flow, stream, destination, checkpoint, generation, run_id, saved_at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (flow, stream, destination) DO UPDATE SET "
                 "checkpoint = excluded.checkpoint, generation = excluded.generation, run_id = excluded.run_id, "
                 "saved_at = excluded.saved_at");
    std::string now = utc_timestamp();
    for (const auto& d : destinations) {
      up.bind(1, flow).bind(2, stream).bind(3, d).bind_blob(4, checkpoint).bind(5, generation).bind(6, run_id).bind(7, now);
      up.run();
    }
    tx.commit();
  }

  int64_t reset(const std::string& flow, const std::optional<std::string>& stream) override {
    std::lock_guard lock(mutex_);
    Statement del(db_, "DELETE FROM checkpoints WHERE flow = ?1 AND (?2 IS NULL OR stream = ?2)");
    del.bind(1, flow);
    if (stream) del.bind(2, *stream);
    del.run();
    return sqlite3_changes(db_);
  }

  void begin_run(const RunRecord& run) override {
    std::lock_guard lock(mutex_);
    mark_interrupted();
    Statement ins(db_, "INSERT INTO runs (run_id, flow_file, started_at, status, pid, host) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    ins.bind(1, run.run_id).bind(2, run.flow_file).bind(3, run.started_at).bind(4, run.status);
    ins.bind(5, static_cast<int64_t>(getpid())).bind(6, this_host());
    ins.run();
  }

  void end_run(const RunRecord& run) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    Statement up(db_, "UPDATE runs SET ended_at = ?2, status = ?3, error = ?4 WHERE run_id = ?1");
    up.bind(1, run.run_id).bind(2, run.ended_at).bind(3, run.status).bind(4, run.error);
    up.run();
    Statement ins(db_,
                  "INSERT OR REPLACE INTO run_streams (run_id, flow, stream, destination, rows, bytes, seconds, status, "
                  "error, counters, columns, flags) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    for (const auto& s : run.streams) {
      ins.bind(1, run.run_id).bind(2, s.flow).bind(3, s.stream).bind(4, s.destination).bind(5, s.rows);
      ins.bind(6, s.bytes).bind(7, s.seconds).bind(8, s.status).bind(9, s.error).bind(10, s.counters);
      ins.bind(11, s.columns).bind(12, s.flags);
      ins.run();
    }
    tx.commit();
  }

  std::vector<RunRecord> runs(int limit, const std::optional<std::string>& flow_file) override {
    std::lock_guard lock(mutex_);
    std::vector<RunRecord> out;
    Statement q(db_,
                "SELECT run_id, flow_file, started_at, coalesce(ended_at, ''), status, coalesce(error, '') FROM runs "
                "WHERE ?2 IS NULL OR flow_file = ?2 ORDER BY started_at DESC, rowid DESC LIMIT ?1");
    q.bind(1, static_cast<int64_t>(limit));
    if (flow_file) q.bind(2, *flow_file);
    while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), {}});
    add_streams(out, std::nullopt);
    return out;
  }

  std::vector<RunRecord> flow_runs(const std::string& flow, int limit) override {
    std::lock_guard lock(mutex_);
    std::vector<RunRecord> out;
    Statement q(db_,
                "SELECT run_id, flow_file, started_at, coalesce(ended_at, ''), status, coalesce(error, '') FROM runs r "
                "WHERE EXISTS (SELECT 1 FROM run_streams s WHERE s.run_id = r.run_id AND s.flow = ?2) "
                "ORDER BY started_at DESC, rowid DESC LIMIT ?1");
    q.bind(1, static_cast<int64_t>(limit)).bind(2, flow);
    while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), {}});
    add_streams(out, flow);
    return out;
  }

  void merge_key_sketch(const std::string& flow, const std::string& stream, const std::string& month,
                        const KeySketch& keys) override {
    std::lock_guard lock(mutex_);
    Transaction tx(*this);
    Statement get(db_, "SELECT sketch FROM key_sketches WHERE flow = ?1 AND stream = ?2 AND month = ?3");
    get.bind(1, flow).bind(2, stream).bind(3, month);
    KeySketch merged = get.step() ? KeySketch::parse(get.blob(0)) : KeySketch();
    get.reset();
    merged.add(keys);
    Statement put(db_, "INSERT INTO key_sketches (flow, stream, month, sketch) VALUES (?1, ?2, ?3, ?4) "
                       "ON CONFLICT (flow, stream, month) DO UPDATE SET sketch = excluded.sketch");
    put.bind(1, flow).bind(2, stream).bind(3, month).bind_blob(4, merged.serialize());
    put.run();
    tx.commit();
  }

  std::vector<TouchedKeys> touched_keys(const std::optional<std::string>& month) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT flow, stream, month, sketch FROM key_sketches WHERE ?1 IS NULL OR month = ?1 "
                     "ORDER BY month, flow, stream");
    if (month) q.bind(1, *month);
    std::vector<TouchedKeys> out;
    while (q.step()) {
      const KeySketch keys = KeySketch::parse(q.blob(3));
      out.push_back({q.text(0), q.text(1), q.text(2), keys.count(), keys.exact()});
    }
    return out;
  }

  std::optional<int64_t> claim_lease(const std::string& name, const LeaseHolder& me, int ttl_seconds) override {
    std::lock_guard lock(mutex_);
    // One statement: SQLite serialises writers, so two claims cannot both win.
    Statement up(db_,
                 "INSERT INTO leases (name, owner, pid, host, since, expires_at, epoch) VALUES (?1, ?2, ?3, ?4, ?5, "
                 "unixepoch() + ?6, 1) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, "
                 "host = excluded.host, since = CASE WHEN leases.owner = excluded.owner THEN leases.since ELSE "
                 "excluded.since END, expires_at = excluded.expires_at, epoch = CASE WHEN leases.owner = "
                 "excluded.owner AND leases.expires_at >= unixepoch() THEN leases.epoch ELSE leases.epoch + 1 END "
                 "WHERE leases.owner = excluded.owner OR leases.expires_at < unixepoch() RETURNING epoch");
    up.bind(1, name).bind(2, me.owner).bind(3, me.pid).bind(4, me.host).bind(5, me.since);
    up.bind(6, static_cast<int64_t>(ttl_seconds));
    std::optional<int64_t> epoch;
    if (up.step()) epoch = up.integer(0);
    while (up.step()) {
    }
    return epoch;
  }

  bool renew_lease(const std::string& name, const std::string& owner, int64_t epoch, int ttl_seconds) override {
    std::lock_guard lock(mutex_);
    Statement up(db_, "UPDATE leases SET expires_at = unixepoch() + ?4 WHERE name = ?1 AND owner = ?2 AND epoch = ?3 "
                      "RETURNING 1");
    up.bind(1, name).bind(2, owner).bind(3, epoch).bind(4, static_cast<int64_t>(ttl_seconds));
    bool held = up.step();
    while (up.step()) {
    }
    return held;
  }

  std::optional<LeaseHolder> lease_holder(const std::string& name) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT owner, pid, host, since FROM leases WHERE name = ?1 AND expires_at >= unixepoch()");
    q.bind(1, name);
    if (!q.step()) return std::nullopt;
    return LeaseHolder{q.text(0), q.integer(1), q.text(2), q.text(3)};
  }

  void release_lease(const std::string& name, const std::string& owner) override {
    std::lock_guard lock(mutex_);
    Statement end(db_, "UPDATE leases SET expires_at = 0 WHERE name = ?1 AND owner = ?2");
    end.bind(1, name).bind(2, owner);
    end.run();
  }

  std::optional<KeptCatalog> kept_catalog(const std::string& source) override {
    std::lock_guard lock(mutex_);
    Statement q(db_, "SELECT fingerprint, catalog, saved_at FROM catalogs WHERE source = ?1");
    q.bind(1, source);
    if (!q.step()) return std::nullopt;
    return KeptCatalog{q.text(0), q.text(1), q.text(2)};
  }

  void keep_catalog(const std::string& source, const std::string& fingerprint, const std::string& catalog) override {
    std::lock_guard lock(mutex_);
    Statement up(db_,
                 "INSERT INTO catalogs (source, fingerprint, catalog, saved_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT "
                 "(source) DO UPDATE SET fingerprint = excluded.fingerprint, catalog = excluded.catalog, saved_at = "
                 "excluded.saved_at");
    up.bind(1, source).bind(2, fingerprint).bind(3, catalog).bind(4, utc_timestamp());
    up.run();
  }

  void forget_catalog(const std::string& source) override {
    std::lock_guard lock(mutex_);
    Statement del(db_, "DELETE FROM catalogs WHERE source = ?1");
    del.bind(1, source);
    del.run();
  }

  std::string describe() const override { return path_; }

 private:
  struct Transaction {
    explicit Transaction(SqliteStateStore& s) : s_(s) { s_.exec("BEGIN IMMEDIATE"); }
    ~Transaction() {
      if (!done_) sqlite3_exec(s_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
      s_.exec("COMMIT");
      done_ = true;
    }
    SqliteStateStore& s_;
    bool done_ = false;
  };

  void exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      sqlite3_free(err);
      throw failure(db_);
    }
  }

  // Runs of this host whose process is gone were cut off (killed, crashed).
  // Each run's per-stream figures (of `flow` only, when given).
  void add_streams(std::vector<RunRecord>& runs, const std::optional<std::string>& flow) {
    Statement s(db_,
                "SELECT flow, stream, destination, rows, bytes, seconds, status, coalesce(error, ''), "
                "coalesce(counters, '{}'), coalesce(columns, '[]'), coalesce(flags, '[]') FROM run_streams "
                "WHERE run_id = ?1 AND (?2 IS NULL OR flow = ?2) ORDER BY flow, stream, destination");
    for (auto& r : runs) {
      s.bind(1, r.run_id);
      if (flow) s.bind(2, *flow);
      while (s.step())
        r.streams.push_back({s.text(0), s.text(1), s.text(2), s.integer(3), s.integer(4), s.real(5), s.text(6),
                             s.text(7), s.text(8), s.text(9), s.text(10)});
      s.reset();
    }
  }

  void mark_interrupted() {
    const std::string host = this_host();
    Statement q(db_, "SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ?1");
    q.bind(1, host);
    std::vector<std::string> gone;
    while (q.step())
      if (process_gone(host, q.integer(1))) gone.push_back(q.text(0));
    Statement up(db_, "UPDATE runs SET status = 'interrupted', error = 'the process ended without finishing the run' "
                      "WHERE run_id = ?1");
    for (const auto& id : gone) {
      up.bind(1, id);
      up.run();
    }
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<StateStore> open_sqlite_state_store(const std::string& path) {
  return std::make_unique<SqliteStateStore>(path);
}

}  // namespace ingestd

#include "log/logging.hpp"
#include "state/state_store.hpp"
#include "monitor/key_sketch.hpp"
#include "util/process.hpp"
#include "util/time.hpp"

#include <ingestd/kit/pg/connection.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <unistd.h>

namespace ingestd {

namespace {

using PgResult = kit::pg::Result;

// A state store's statements are small: a server silent for a minute is
// gone, and the run fails rather than hangs.
constexpr int64_t kReadTimeoutMs = 60000;

class PostgresStateStore : public StateStore {
 public:
  PostgresStateStore(const std::string& dsn, const std::string& schema) : schema_(schema) {
    options_.dsn = dsn;
    options_.attempts = 3;
    options_.read_timeout_ms = kReadTimeoutMs;
    connect();
    std::string s = kit::pg::quote_ident(schema_);
    // Processes starting together (a pool of workers) would race on the
    // catalog: CREATE ... IF NOT EXISTS is not safe against a concurrent one.
    // The lock is the session's: a failure below closes the connection with it.
    const std::string lock_key = "hashtext('ingestd state store ' || " + db_->literal(schema_) + ")";
    run("SELECT pg_advisory_lock(" + lock_key + ")");
    run("CREATE SCHEMA IF NOT EXISTS " + s);
    run("CREATE TABLE IF NOT EXISTS " + s + ".checkpoints (flow text NOT NULL, stream text NOT NULL, destination text "
        "NOT NULL, checkpoint bytea NOT NULL, generation bigint NOT NULL, run_id text NOT NULL, saved_at text NOT NULL, "
        "PRIMARY KEY (flow, stream, destination))");
    run("CREATE TABLE IF NOT EXISTS " + s + ".runs (run_id text PRIMARY KEY, flow_file text NOT NULL, started_at text "
        "NOT NULL, ended_at text, status text NOT NULL, error text, pid bigint, host text)");
    run("CREATE TABLE IF NOT EXISTS " + s + ".run_streams (run_id text NOT NULL, flow text NOT NULL, stream text NOT "
        "NULL, destination text NOT NULL, rows bigint NOT NULL, bytes bigint NOT NULL, seconds double precision NOT "
        "NULL, status text NOT NULL, error text, PRIMARY KEY (run_id, flow, stream, destination))");
    run("ALTER TABLE " + s + ".run_streams ADD COLUMN IF NOT EXISTS counters text");
    run("ALTER TABLE " + s + ".run_streams ADD COLUMN IF NOT EXISTS columns text");
    run("ALTER TABLE " + s + ".run_streams ADD COLUMN IF NOT EXISTS flags text");
    run("CREATE TABLE IF NOT EXISTS " + s + ".key_sketches (flow text NOT NULL, stream text NOT NULL, month text NOT "
        "NULL, sketch bytea NOT NULL, PRIMARY KEY (flow, stream, month))");
    run("CREATE TABLE IF NOT EXISTS " + s + ".leases (name text PRIMARY KEY, owner text NOT NULL, pid bigint NOT NULL, "
        "host text NOT NULL, since text NOT NULL, expires_at timestamptz NOT NULL)");
    run("ALTER TABLE " + s + ".leases ADD COLUMN IF NOT EXISTS epoch bigint NOT NULL DEFAULT 0");
    run("CREATE TABLE IF NOT EXISTS " + s + ".catalogs (source text PRIMARY KEY, fingerprint text NOT NULL, catalog "
        "text NOT NULL, saved_at timestamptz NOT NULL)");
    run("SELECT pg_advisory_unlock(" + lock_key + ")");
  }

  std::vector<CheckpointRecord> checkpoints(const std::optional<std::string>& flow,
                                            const std::optional<std::string>& stream) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("SELECT flow, stream, destination, encode(checkpoint, 'escape'), generation, run_id, saved_at "
                       "FROM " + table("checkpoints") + " WHERE ($1::text IS NULL OR flow = $1) AND ($2::text IS NULL OR "
                       "stream = $2) ORDER BY flow, stream, destination",
                       {flow, stream});
    std::vector<CheckpointRecord> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), unescape_bytea(r.get(), i, 3), r.integer(i, 4),
                     r.text(i, 5), r.text(i, 6)});
    return out;
  }

  void save(const std::string& flow, const std::string& stream, const std::vector<std::string>& destinations,
            const std::string& checkpoint, int64_t generation, const std::string& run_id,
            const LeaseFence* fence) override {
    std::lock_guard lock(mutex_);
    // Idempotent: after a lost connection it is simply done again (whether
    // the first COMMIT took or not, the rows end the same).
    std::string now = utc_timestamp();
    transaction([&] {
      // The lease row stays locked until COMMIT: a claim that would end
      // this holding waits for the save, or the save sees it ended.
      if (fence && !holds(*fence)) throw LeaseLostError(*fence);
      for (const auto& d : destinations)
        db_->exec_params("INSERT INTO " + table("checkpoints") + " (flow, stream, destination, checkpoint, generation, "
                         "run_id, saved_at) VALUES ($1, $2, $3, decode($4, 'hex'), $5::bigint, $6, $7) ON CONFLICT "
                         "(flow, stream, destination) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, generation = "
                         "EXCLUDED.generation, run_id = EXCLUDED.run_id, saved_at = EXCLUDED.saved_at",
                         {flow, stream, d, hex(checkpoint), std::to_string(generation), run_id, now});
    });
  }

  int64_t reset(const std::string& flow, const std::optional<std::string>& stream) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("DELETE FROM " + table("checkpoints") + " WHERE flow = $1 AND ($2::text IS NULL OR stream = $2)",
                       {flow, stream});
    return std::atoll(PQcmdTuples(r.get()));
  }

  void begin_run(const RunRecord& run) override {
    std::lock_guard lock(mutex_);
    mark_interrupted();
    query("INSERT INTO " + table("runs") + " (run_id, flow_file, started_at, status, pid, host) VALUES ($1, $2, $3, $4, "
          "$5::bigint, $6)",
          {run.run_id, run.flow_file, run.started_at, run.status, std::to_string(getpid()), this_host()});
  }

  void end_run(const RunRecord& r) override {
    std::lock_guard lock(mutex_);
    transaction([&] {
      db_->exec_params("UPDATE " + table("runs") + " SET ended_at = $2, status = $3, error = $4 WHERE run_id = $1",
                       {r.run_id, r.ended_at, r.status, r.error});
      for (const auto& s : r.streams)
        db_->exec_params("INSERT INTO " + table("run_streams") + " (run_id, flow, stream, destination, rows, bytes, "
                         "seconds, status, error, counters, columns, flags) VALUES ($1, $2, $3, $4, $5::bigint, "
                         "$6::bigint, $7::double precision, $8, $9, $10, $11, $12) ON CONFLICT (run_id, flow, stream, "
                         "destination) DO UPDATE SET rows = EXCLUDED.rows, bytes = EXCLUDED.bytes, seconds = "
                         "EXCLUDED.seconds, status = EXCLUDED.status, error = EXCLUDED.error, counters = "
                         "EXCLUDED.counters, columns = EXCLUDED.columns, flags = EXCLUDED.flags",
                         {r.run_id, s.flow, s.stream, s.destination, std::to_string(s.rows), std::to_string(s.bytes),
                          std::to_string(s.seconds), s.status, s.error, s.counters, s.columns, s.flags});
    });
  }

  std::vector<RunRecord> runs(int limit, const std::optional<std::string>& flow_file) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("SELECT run_id, flow_file, started_at, coalesce(ended_at, ''), status, coalesce(error, '') FROM " +
                           table("runs") + " WHERE $2::text IS NULL OR flow_file = $2 ORDER BY started_at DESC, run_id "
                           "DESC LIMIT $1::bigint",
                       {std::to_string(limit), flow_file});
    return with_streams(r, std::nullopt);
  }

  std::vector<RunRecord> flow_runs(const std::string& flow, int limit) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("SELECT run_id, flow_file, started_at, coalesce(ended_at, ''), status, coalesce(error, '') FROM " +
                           table("runs") + " r WHERE EXISTS (SELECT 1 FROM " + table("run_streams") +
                           " s WHERE s.run_id = r.run_id AND s.flow = $2) ORDER BY started_at DESC, run_id DESC "
                           "LIMIT $1::bigint",
                       {std::to_string(limit), flow});
    return with_streams(r, flow);
  }

  void merge_key_sketch(const std::string& flow, const std::string& stream, const std::string& month,
                        const KeySketch& keys) override {
    std::lock_guard lock(mutex_);
    transaction([&] {
      // Locked for the read-merge-write: several processes may share the store.
      PgResult r = query("SELECT encode(sketch, 'escape') FROM " + table("key_sketches") +
                             " WHERE flow = $1 AND stream = $2 AND month = $3 FOR UPDATE",
                         {flow, stream, month});
      KeySketch merged = r.rows() ? KeySketch::parse(unescape_bytea(r.get(), 0, 0)) : KeySketch();
      merged.add(keys);
      query("INSERT INTO " + table("key_sketches") + " (flow, stream, month, sketch) VALUES ($1, $2, $3, "
            "decode($4, 'hex')) ON CONFLICT (flow, stream, month) DO UPDATE SET sketch = EXCLUDED.sketch",
            {flow, stream, month, hex(merged.serialize())});
    });
  }

  std::vector<TouchedKeys> touched_keys(const std::optional<std::string>& month) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("SELECT flow, stream, month, encode(sketch, 'escape') FROM " + table("key_sketches") +
                           " WHERE $1::text IS NULL OR month = $1 ORDER BY month, flow, stream",
                       {month});
    std::vector<TouchedKeys> out;
    for (int i = 0; i < r.rows(); ++i) {
      const KeySketch keys = KeySketch::parse(unescape_bytea(r.get(), i, 3));
      out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), keys.count(), keys.exact()});
    }
    return out;
  }

  static std::string hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 15]);
    }
    return out;
  }

  // Expiry by the server's clock: the hosts sharing the store need not agree.
  std::optional<int64_t> claim_lease(const std::string& name, const LeaseHolder& me, int ttl_seconds) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("INSERT INTO " + table("leases") + " AS l (name, owner, pid, host, since, expires_at, epoch) "
                       "VALUES ($1, $2, $3::bigint, $4, $5, now() + make_interval(secs => $6::int), 1) ON CONFLICT "
                       "(name) DO UPDATE SET owner = EXCLUDED.owner, pid = EXCLUDED.pid, host = EXCLUDED.host, since = "
                       "CASE WHEN l.owner = EXCLUDED.owner THEN l.since ELSE EXCLUDED.since END, expires_at = "
                       "EXCLUDED.expires_at, epoch = CASE WHEN l.owner = EXCLUDED.owner AND l.expires_at >= now() "
                       "THEN l.epoch ELSE l.epoch + 1 END WHERE l.owner = EXCLUDED.owner OR l.expires_at < now() "
                       "RETURNING epoch",
                       {name, me.owner, std::to_string(me.pid), me.host, me.since, std::to_string(ttl_seconds)});
    if (r.rows() == 0) return std::nullopt;
    return r.integer(0, 0);
  }

  bool renew_lease(const std::string& name, const std::string& owner, int64_t epoch, int ttl_seconds) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("UPDATE " + table("leases") + " SET expires_at = now() + make_interval(secs => $4::int) WHERE "
                       "name = $1 AND owner = $2 AND epoch = $3::bigint RETURNING 1",
                       {name, owner, std::to_string(epoch), std::to_string(ttl_seconds)});
    return r.rows() > 0;
  }

  std::optional<LeaseHolder> lease_holder(const std::string& name) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("SELECT owner, pid, host, since FROM " + table("leases") + " WHERE name = $1 AND expires_at >= "
                       "now()",
                       {name});
    if (r.rows() == 0) return std::nullopt;
    return LeaseHolder{r.text(0, 0), r.integer(0, 1), r.text(0, 2), r.text(0, 3)};
  }

  void release_lease(const std::string& name, const std::string& owner) override {
    std::lock_guard lock(mutex_);
    query("UPDATE " + table("leases") + " SET expires_at = '-infinity' WHERE name = $1 AND owner = $2", {name, owner});
  }

  std::optional<KeptCatalog> kept_catalog(const std::string& source) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("SELECT fingerprint, catalog, to_char(saved_at AT TIME ZONE 'UTC', "
                       "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM " + table("catalogs") + " WHERE source = $1",
                       {source});
    if (r.rows() == 0) return std::nullopt;
    return KeptCatalog{r.text(0, 0), r.text(0, 1), r.text(0, 2)};
  }

  void keep_catalog(const std::string& source, const std::string& fingerprint, const std::string& catalog) override {
    std::lock_guard lock(mutex_);
    query("INSERT INTO " + table("catalogs") + " (source, fingerprint, catalog, saved_at) VALUES ($1, $2, $3, now()) "
          "ON CONFLICT (source) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, catalog = EXCLUDED.catalog, "
          "saved_at = EXCLUDED.saved_at",
          {source, fingerprint, catalog});
  }

  void forget_catalog(const std::string& source) override {
    std::lock_guard lock(mutex_);
    query("DELETE FROM " + table("catalogs") + " WHERE source = $1", {source});
  }

  std::string describe() const override {
    return "PostgreSQL " + db_->server() + "/" + PQdb(db_->raw()) + " schema " + schema_;
  }

 private:
  std::string table(const char* name) const { return kit::pg::quote_ident(schema_) + "." + name; }

  static std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 15]);
    }
    return out;
  }

  // Within a transaction: whether `fence` is the current holding, locking
  // the row so that a claim ending it waits for COMMIT. A cluster unit must
  // also be unexpired: its claims pass over locked rows (SKIP LOCKED) rather
  // than wait, and take expired ones.
  bool holds(const LeaseFence& fence) {
    if (fence.stream.empty())
      return db_->exec_params("SELECT 1 FROM " + table("leases") + " WHERE name = $1 AND owner = $2 AND epoch = "
                              "$3::bigint FOR SHARE",
                              {fence.name, fence.owner, std::to_string(fence.epoch)})
                 .rows() > 0;
    return db_->exec_params("SELECT 1 FROM " + table("cluster_units") + " WHERE flow = $1 AND stream = $2 AND owner = "
                            "$3 AND epoch = $4::bigint AND expires_at > now() FOR SHARE",
                            {fence.name, fence.stream, fence.owner, std::to_string(fence.epoch)})
               .rows() > 0;
  }

  static std::string unescape_bytea(PGresult* r, int row, int col) {
    std::size_t len = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col)), &len);
    std::string out(reinterpret_cast<char*>(raw), len);
    PQfreemem(raw);
    return out;
  }

  void connect() {
    try {
      db_ = std::make_unique<kit::pg::Connection>(options_);
    } catch (const sdk::Error& e) {
      throw StateStoreError("cannot connect to the PostgreSQL state store: " + std::string(e.what()),
                            e.retry_class() == INGESTD_RETRY_TRANSIENT);
    }
  }

  // Runs `f` (statements on db_) once more on a new connection when the
  // first one is lost (a restart, a reset): each use here is idempotent.
  template <class F>
  auto reconnecting(F&& f) {
    try {
      return f();
    } catch (const sdk::Error& e) {
      if (e.retry_class() != INGESTD_RETRY_TRANSIENT) throw StateStoreError("state store: " + std::string(e.what()), false);
      log::warn("state store: " + std::string(e.what()) + "; reconnecting");
    }
    connect();
    try {
      return f();
    } catch (const sdk::Error& e) {
      throw StateStoreError("state store: " + std::string(e.what()), e.retry_class() == INGESTD_RETRY_TRANSIENT);
    }
  }

  template <class F>
  void transaction(F&& f) {
    reconnecting([&] {
      db_->exec("BEGIN");
      try {
        f();
        db_->exec("COMMIT");
      } catch (...) {
        try {
          db_->exec("ROLLBACK");
        } catch (...) {  // the connection is gone; the server rolls back
        }
        throw;
      }
    });
  }

  PgResult query(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    return reconnecting([&] { return db_->exec_params(sql, params); });
  }
  void run(const std::string& sql) { query(sql, {}); }

  // The runs of `r`, each with its per-stream figures (of `flow` only, when given).
  std::vector<RunRecord> with_streams(const PgResult& r, const std::optional<std::string>& flow) {
    std::vector<RunRecord> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5), {}});
    for (auto& run : out) {
      PgResult s = query("SELECT flow, stream, destination, rows, bytes, seconds, status, coalesce(error, ''), "
                         "coalesce(counters, '{}'), coalesce(columns, '[]'), coalesce(flags, '[]') FROM " +
                             table("run_streams") + " WHERE run_id = $1 AND ($2::text IS NULL OR flow = $2) "
                             "ORDER BY flow, stream, destination",
                         {run.run_id, flow});
      for (int i = 0; i < s.rows(); ++i)
        run.streams.push_back({s.text(i, 0), s.text(i, 1), s.text(i, 2), s.integer(i, 3), s.integer(i, 4),
                               std::atof(s.text(i, 5).c_str()), s.text(i, 6), s.text(i, 7), s.text(i, 8),
                               s.text(i, 9), s.text(i, 10)});
    }
    return out;
  }

  void mark_interrupted() {
    PgResult r = query("SELECT run_id, pid FROM " + table("runs") + " WHERE status = 'running' AND host = $1", {this_host()});
    for (int i = 0; i < r.rows(); ++i)
      if (process_gone(this_host(), r.integer(i, 1)))
        query("UPDATE " + table("runs") + " SET status = 'interrupted', error = 'the process ended without finishing "
              "the run' WHERE run_id = $1",
              {r.text(i, 0)});
  }

  kit::pg::ConnectOptions options_;
  std::string schema_;
  std::unique_ptr<kit::pg::Connection> db_;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<StateStore> open_postgres_state_store(const std::string& dsn, const std::string& schema) {
  return std::make_unique<PostgresStateStore>(dsn, schema);
}

}  // namespace ingestd

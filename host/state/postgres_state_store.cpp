#include "state/state_store.hpp"
#include "util/time.hpp"

#include <libpq-fe.h>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <signal.h>
#include <stdexcept>
#include <unistd.h>

namespace ingestd {

namespace {

class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  ~PgResult() { PQclear(r_); }
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  int rows() const { return PQntuples(r_); }
  std::string text(int row, int col) const { return PQgetisnull(r_, row, col) ? "" : PQgetvalue(r_, row, col); }
  int64_t integer(int row, int col) const { return std::atoll(PQgetvalue(r_, row, col)); }
  PGresult* get() const { return r_; }

 private:
  PGresult* r_;
};

std::string hostname() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return host;
}

class PostgresStateStore : public StateStore {
 public:
  PostgresStateStore(const std::string& dsn, const std::string& schema) : dsn_(dsn), schema_(schema) {
    connect();
    std::string s = quoted(schema_);
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
  }
  ~PostgresStateStore() override { PQfinish(conn_); }

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
            const std::string& checkpoint, int64_t generation, const std::string& run_id) override {
    std::lock_guard lock(mutex_);
    run("BEGIN");
    try {
      std::string now = utc_timestamp();
      for (const auto& d : destinations)
        query("INSERT INTO " + table("checkpoints") + " (flow, stream, destination, checkpoint, generation, run_id, "
              "saved_at) VALUES ($1, $2, $3, decode($4, 'hex'), $5::bigint, $6, $7) ON CONFLICT (flow, stream, "
              "destination) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, generation = EXCLUDED.generation, "
              "run_id = EXCLUDED.run_id, saved_at = EXCLUDED.saved_at",
              {flow, stream, d, hex(checkpoint), std::to_string(generation), run_id, now});
      run("COMMIT");
    } catch (...) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
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
          {run.run_id, run.flow_file, run.started_at, run.status, std::to_string(getpid()), hostname()});
  }

  void end_run(const RunRecord& r) override {
    std::lock_guard lock(mutex_);
    run("BEGIN");
    try {
      query("UPDATE " + table("runs") + " SET ended_at = $2, status = $3, error = $4 WHERE run_id = $1",
            {r.run_id, r.ended_at, r.status, r.error});
      for (const auto& s : r.streams)
        query("INSERT INTO " + table("run_streams") + " (run_id, flow, stream, destination, rows, bytes, seconds, "
              "status, error, counters) VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7::double precision, $8, $9, "
              "$10) ON CONFLICT (run_id, flow, stream, destination) DO UPDATE SET rows = EXCLUDED.rows, bytes = "
              "EXCLUDED.bytes, seconds = EXCLUDED.seconds, status = EXCLUDED.status, error = EXCLUDED.error, "
              "counters = EXCLUDED.counters",
              {r.run_id, s.flow, s.stream, s.destination, std::to_string(s.rows), std::to_string(s.bytes),
               std::to_string(s.seconds), s.status, s.error, s.counters});
      run("COMMIT");
    } catch (...) {
      PQclear(PQexec(conn_, "ROLLBACK"));
      throw;
    }
  }

  std::vector<RunRecord> runs(int limit, const std::optional<std::string>& flow_file) override {
    std::lock_guard lock(mutex_);
    PgResult r = query("SELECT run_id, flow_file, started_at, coalesce(ended_at, ''), status, coalesce(error, '') FROM " +
                           table("runs") + " WHERE $2::text IS NULL OR flow_file = $2 ORDER BY started_at DESC, run_id "
                           "DESC LIMIT $1::bigint",
                       {std::to_string(limit), flow_file});
    std::vector<RunRecord> out;
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5), {}});
    for (auto& run : out) {
      PgResult s = query("SELECT flow, stream, destination, rows, bytes, seconds, status, coalesce(error, ''), "
                         "coalesce(counters, '{}') FROM " + table("run_streams") +
                             " WHERE run_id = $1 ORDER BY flow, stream, destination",
                         {run.run_id});
      for (int i = 0; i < s.rows(); ++i)
        run.streams.push_back({s.text(i, 0), s.text(i, 1), s.text(i, 2), s.integer(i, 3), s.integer(i, 4),
                               std::atof(s.text(i, 5).c_str()), s.text(i, 6), s.text(i, 7), s.text(i, 8)});
    }
    return out;
  }

  std::string describe() const override {
    return std::string("PostgreSQL ") + PQhost(conn_) + ":" + PQport(conn_) + "/" + PQdb(conn_) + " schema " + schema_;
  }

 private:
  static std::string quoted(const std::string& id) {
    std::string out = "\"";
    for (char c : id) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
  }
  std::string table(const char* name) const { return quoted(schema_) + "." + name; }

  static std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 15]);
    }
    return out;
  }

  static std::string unescape_bytea(PGresult* r, int row, int col) {
    std::size_t len = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, col)), &len);
    std::string out(reinterpret_cast<char*>(raw), len);
    PQfreemem(raw);
    return out;
  }

  void connect() {
    conn_ = PQconnectdb(dsn_.c_str());
    if (!conn_ || PQstatus(conn_) != CONNECTION_OK) {
      std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
      throw std::runtime_error("cannot connect to the PostgreSQL state store: " + why);
    }
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  }

  // Runs a query once; a lost connection is reopened and the query tried again.
  PgResult query(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    for (int attempt = 0;; ++attempt) {
      std::vector<const char*> values;
      for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
      PgResult r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                              nullptr, 0));
      ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
      if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
      bool in_transaction = PQtransactionStatus(conn_) != PQTRANS_IDLE;
      if (PQstatus(conn_) == CONNECTION_BAD && attempt == 0 && !in_transaction) {
        PQreset(conn_);
        continue;
      }
      throw std::runtime_error(std::string("state store: ") + PQerrorMessage(conn_));
    }
  }
  void run(const std::string& sql) { query(sql, {}); }

  void mark_interrupted() {
    PgResult r = query("SELECT run_id, pid FROM " + table("runs") + " WHERE status = 'running' AND host = $1", {hostname()});
    for (int i = 0; i < r.rows(); ++i)
      if (kill(static_cast<pid_t>(r.integer(i, 1)), 0) != 0 && errno == ESRCH)
        query("UPDATE " + table("runs") + " SET status = 'interrupted', error = 'the process ended without finishing "
              "the run' WHERE run_id = $1",
              {r.text(i, 0)});
  }

  std::string dsn_, schema_;
  PGconn* conn_ = nullptr;
  std::mutex mutex_;
};

}  // namespace

std::unique_ptr<StateStore> open_postgres_state_store(const std::string& dsn, const std::string& schema) {
  return std::make_unique<PostgresStateStore>(dsn, schema);
}

}  // namespace ingestd

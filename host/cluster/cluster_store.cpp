#include "cluster/cluster_store.hpp"

#include "log/logging.hpp"

#include <ingestd/kit/http/hmac.hpp>
#include <ingestd/kit/pg/connection.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <type_traits>

namespace ingestd {

namespace {

using PgResult = kit::pg::Result;

constexpr int64_t kReadTimeoutMs = 30000;
// A worker gone this long leaves the workers table (cluster status shows the
// dead ones until then).
constexpr const char* kForgetWorkersAfter = "1 hour";

// A timestamptz column as RFC 3339 UTC text, "" when null or infinite.
std::string rfc3339(const std::string& column) {
  return "CASE WHEN " + column + " IS NULL OR NOT isfinite(" + column + ") THEN '' ELSE to_char(" + column +
         " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END";
}

std::string seconds_text(double unix_seconds) { return std::to_string(unix_seconds); }

}  // namespace

// The connection and the statements' plumbing: one reconnect when the
// connection was lost (each use is a single statement or a transaction,
// safe to repeat).
class ClusterStore::Session {
 public:
  Session(const std::string& dsn, const std::string& schema, std::atomic<int64_t>& queries)
      : schema_(kit::pg::quote_ident(schema)), queries_(queries) {
    options_.dsn = dsn;
    options_.attempts = 3;
    options_.read_timeout_ms = kReadTimeoutMs;
    connect();
  }

  std::string table(const char* name) const { return schema_ + "." + name; }

  PgResult query(const std::string& sql, const std::vector<std::optional<std::string>>& params = {}) {
    return reconnecting([&] { return exec(sql, params); });
  }

  template <class F>
  void transaction(F&& f) {
    reconnecting([&] {
      exec("BEGIN", {});
      try {
        f();
        exec("COMMIT", {});
      } catch (...) {
        try {
          db_->exec("ROLLBACK");
        } catch (...) {  // the connection is gone; the server rolls back
        }
        throw;
      }
      return 0;
    });
  }

  PgResult exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
    ++queries_;
    return db_->exec_params(sql, params);
  }

 private:
  void connect() {
    try {
      db_ = std::make_unique<kit::pg::Connection>(options_);
    } catch (const sdk::Error& e) {
      throw StateStoreError("cluster: cannot connect to the PostgreSQL state store: " + std::string(e.what()),
                            e.retry_class() == INGESTD_RETRY_TRANSIENT);
    }
  }

  template <class F>
  std::invoke_result_t<F&> reconnecting(F&& f) {
    try {
      return f();
    } catch (const sdk::Error& e) {
      if (e.retry_class() != INGESTD_RETRY_TRANSIENT) throw StateStoreError("cluster: " + std::string(e.what()), false);
      log::warn("cluster: " + std::string(e.what()) + "; reconnecting");
    }
    connect();
    try {
      return f();
    } catch (const sdk::Error& e) {
      throw StateStoreError("cluster: " + std::string(e.what()), e.retry_class() == INGESTD_RETRY_TRANSIENT);
    }
  }

  kit::pg::ConnectOptions options_;
  std::string schema_;
  std::atomic<int64_t>& queries_;
  std::unique_ptr<kit::pg::Connection> db_;
};

ClusterStore::ClusterStore(const std::string& dsn, const std::string& schema)
    : session_(std::make_unique<Session>(dsn, schema, queries_)) {
  Session& s = *session_;
  // As the state store does: workers starting together would race on the catalog.
  s.transaction([&] {
    s.exec("SELECT pg_advisory_xact_lock(hashtext('ingestd state store ' || $1))", {schema});
    create_tables(s, schema);
  });
}

void ClusterStore::create_tables(Session& s, const std::string& schema) {
  s.exec("CREATE SCHEMA IF NOT EXISTS " + kit::pg::quote_ident(schema), {});
  s.exec("CREATE TABLE IF NOT EXISTS " + s.table("cluster_workers") +
          " (worker_id text PRIMARY KEY, host text NOT NULL, pid bigint NOT NULL, fingerprint text NOT NULL, "
          "started_at timestamptz NOT NULL, heartbeat_at timestamptz NOT NULL)", {});
  s.exec("CREATE TABLE IF NOT EXISTS " + s.table("cluster_units") +
          " (flow text NOT NULL, stream text NOT NULL, owner text NOT NULL DEFAULT '', epoch bigint NOT NULL DEFAULT "
          "0, expires_at timestamptz NOT NULL DEFAULT '-infinity', next_due_at timestamptz NOT NULL, last_run_at "
          "timestamptz, last_status text, last_run_id text, failures bigint NOT NULL DEFAULT 0, PRIMARY KEY (flow, "
          "stream))", {});
}

ClusterStore::~ClusterStore() = default;

void ClusterStore::join(const ClusterWorkerInfo& me, int ttl_seconds) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  s.transaction([&] {
    // Serialises joins: two workers with different files cannot both see
    // the other absent.
    s.exec("LOCK TABLE " + s.table("cluster_workers") + " IN SHARE ROW EXCLUSIVE MODE", {});
    PgResult other = s.exec("SELECT worker_id, host, pid FROM " + s.table("cluster_workers") +
                                " WHERE heartbeat_at > now() - make_interval(secs => $1::int) AND fingerprint <> $2 "
                                "AND worker_id <> $3 ORDER BY worker_id LIMIT 3",
                            {std::to_string(ttl_seconds), me.fingerprint, me.worker_id});
    if (other.rows() > 0) {
      std::string who;
      for (int i = 0; i < other.rows(); ++i)
        who += (i ? ", " : "") + other.text(i, 0) + " (pid " + other.text(i, 2) + " on " + other.text(i, 1) + ")";
      throw ClusterRefusedError("the pool's live workers run another version of the flow file (" + who +
                                "); every worker of a pool must run the same flow file: deploy it to all of them "
                                "and reload them, or use another [state] schema for another pool");
    }
    s.exec("DELETE FROM " + s.table("cluster_workers") + " WHERE heartbeat_at < now() - interval '" +
               kForgetWorkersAfter + "'",
           {});
    s.exec("INSERT INTO " + s.table("cluster_workers") +
               " (worker_id, host, pid, fingerprint, started_at, heartbeat_at) VALUES ($1, $2, $3::bigint, $4, now(), "
               "now()) ON CONFLICT (worker_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, heartbeat_at = now()",
           {me.worker_id, me.host, std::to_string(me.pid), me.fingerprint});
  });
}

ClusterStore::Pool ClusterStore::heartbeat(const std::string& worker_id, const std::string& fingerprint,
                                           int ttl_seconds) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  // One statement: the update, then the live workers as it leaves them.
  PgResult r = s.query("WITH me AS (UPDATE " + s.table("cluster_workers") +
                           " SET heartbeat_at = now(), fingerprint = $2 WHERE worker_id = $1 RETURNING worker_id) "
                           "SELECT (SELECT count(*) FROM me), count(*) + (SELECT count(*) FROM me), count(*) FILTER "
                           "(WHERE fingerprint <> $2) FROM " + s.table("cluster_workers") +
                           " WHERE heartbeat_at > now() - make_interval(secs => $3::int) AND worker_id <> $1",
                       {worker_id, fingerprint, std::to_string(ttl_seconds)});
  return {r.integer(0, 1), r.integer(0, 2) == 0, r.integer(0, 0) > 0};
}

void ClusterStore::leave(const std::string& worker_id) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  s.transaction([&] {
    s.exec("UPDATE " + s.table("cluster_units") + " SET expires_at = '-infinity' WHERE owner = $1 AND expires_at > "
           "now()",
           {worker_id});
    s.exec("DELETE FROM " + s.table("cluster_workers") + " WHERE worker_id = $1", {worker_id});
  });
}

void ClusterStore::sync_units(const std::map<std::string, std::optional<std::vector<std::string>>>& streams_by_flow,
                              const std::map<std::string, std::optional<double>>& first_due) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  s.transaction([&] {
    PgResult have = s.exec("SELECT flow, stream FROM " + s.table("cluster_units") + " WHERE expires_at < now()", {});
    std::set<std::pair<std::string, std::string>> wanted;
    for (const auto& [flow, streams] : streams_by_flow)
      if (streams)
        for (const auto& stream : *streams) wanted.insert({flow, stream});
    for (int i = 0; i < have.rows(); ++i) {
      const std::string flow = have.text(i, 0), stream = have.text(i, 1);
      const auto f = streams_by_flow.find(flow);
      const bool unknown_now = f != streams_by_flow.end() && !f->second;
      if (!unknown_now && !wanted.count({flow, stream}))
        s.exec("DELETE FROM " + s.table("cluster_units") + " WHERE flow = $1 AND stream = $2", {flow, stream});
    }
    for (const auto& [flow, stream] : wanted) {
      const auto due = first_due.find(flow);
      const std::optional<std::string> at =
          due != first_due.end() && due->second ? std::optional<std::string>(seconds_text(*due->second)) : std::nullopt;
      s.exec("INSERT INTO " + s.table("cluster_units") +
                 " (flow, stream, next_due_at) VALUES ($1, $2, coalesce(to_timestamp($3::double precision), now())) "
                 "ON CONFLICT (flow, stream) DO NOTHING",
             {flow, stream, at});
    }
  });
}

std::vector<ClaimedUnit> ClusterStore::claim(const std::string& worker_id, int limit, int ttl_seconds) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  PgResult r = s.query(
      "UPDATE " + s.table("cluster_units") +
          " u SET owner = $1, epoch = greatest(u.epoch, coalesce((SELECT l.epoch FROM " + s.table("leases") +
          " l WHERE l.name = u.flow), 0)) + 1, expires_at = now() + make_interval(secs => $3::int) FROM (SELECT "
          "flow, stream FROM " + s.table("cluster_units") +
          " WHERE next_due_at <= now() AND expires_at < now() ORDER BY next_due_at, flow, stream LIMIT $2::int FOR "
          "UPDATE SKIP LOCKED) due WHERE u.flow = due.flow AND u.stream = due.stream RETURNING u.flow, u.stream, "
          "u.epoch, extract(epoch FROM u.next_due_at), extract(epoch FROM now()), u.failures",
      {worker_id, std::to_string(limit), std::to_string(ttl_seconds)});
  std::vector<ClaimedUnit> out;
  for (int i = 0; i < r.rows(); ++i) {
    ClaimedUnit c;
    c.fence = {r.text(i, 0), worker_id, r.integer(i, 2), r.text(i, 1)};
    c.due = std::atof(r.text(i, 3).c_str());
    c.now = std::atof(r.text(i, 4).c_str());
    c.failures = r.integer(i, 5);
    out.push_back(std::move(c));
  }
  return out;
}

bool ClusterStore::renew(const LeaseFence& unit, int ttl_seconds) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  return s.query("UPDATE " + s.table("cluster_units") +
                     " SET expires_at = now() + make_interval(secs => $5::int) WHERE flow = $1 AND stream = $2 AND "
                     "owner = $3 AND epoch = $4::bigint AND expires_at > now() RETURNING 1",
                 {unit.name, unit.stream, unit.owner, std::to_string(unit.epoch), std::to_string(ttl_seconds)})
             .rows() > 0;
}

void ClusterStore::finish(const LeaseFence& unit, const std::string& status, const std::string& run_id,
                          std::optional<double> next_due, bool failed) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  s.query("UPDATE " + s.table("cluster_units") +
              " SET expires_at = '-infinity', last_run_at = now(), last_status = $5, last_run_id = $6, next_due_at = "
              "coalesce(to_timestamp($7::double precision), 'infinity'), failures = CASE WHEN $8 THEN failures + 1 "
              "ELSE 0 END WHERE flow = $1 AND stream = $2 AND owner = $3 AND epoch = $4::bigint",
          {unit.name, unit.stream, unit.owner, std::to_string(unit.epoch), status, run_id,
           next_due ? std::optional<std::string>(seconds_text(*next_due)) : std::nullopt, failed ? "true" : "false"});
}

bool ClusterStore::trigger(const std::string& flow) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  return s.query("UPDATE " + s.table("cluster_units") + " SET next_due_at = now() WHERE flow = $1 RETURNING 1", {flow})
             .rows() > 0;
}

std::vector<std::string> ClusterStore::hold_units(const std::string& flow, const std::optional<std::string>& stream,
                                                  const std::string& holder, int ttl_seconds) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  std::vector<std::string> busy;
  s.transaction([&] {
    busy.clear();
    // Locks every row, held or not: a claim passes over them (SKIP LOCKED) until COMMIT, when they are held;
    // a claim that locked one first is waited for and seen.
    PgResult r = s.exec("SELECT stream, owner, expires_at > now() FROM " + s.table("cluster_units") + " WHERE flow = "
                        "$1 AND ($2::text IS NULL OR stream = $2) ORDER BY stream FOR UPDATE",
                        {flow, stream});
    for (int i = 0; i < r.rows(); ++i)
      if (r.text(i, 2) == "t") busy.push_back(flow + "/" + r.text(i, 0) + " (" + r.text(i, 1) + ")");
    if (!busy.empty()) return;
    s.exec("UPDATE " + s.table("cluster_units") + " SET owner = $3, epoch = epoch + 1, expires_at = now() + "
           "make_interval(secs => $4::int) WHERE flow = $1 AND ($2::text IS NULL OR stream = $2)",
           {flow, stream, holder, std::to_string(ttl_seconds)});
  });
  return busy;
}

void ClusterStore::release_units(const std::string& holder) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  s.query("UPDATE " + s.table("cluster_units") + " SET expires_at = '-infinity' WHERE owner = $1", {holder});
}

double ClusterStore::now() {
  std::lock_guard lock(mutex_);
  return std::atof(session_->query("SELECT extract(epoch FROM now())").text(0, 0).c_str());
}

std::vector<ClusterWorkerInfo> ClusterStore::workers(int ttl_seconds) {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  PgResult r = s.query("SELECT worker_id, host, pid, fingerprint, " + rfc3339("started_at") + ", " +
                           rfc3339("heartbeat_at") + ", heartbeat_at > now() - make_interval(secs => $1::int) FROM " +
                           s.table("cluster_workers") + " ORDER BY started_at, worker_id",
                       {std::to_string(ttl_seconds)});
  std::vector<ClusterWorkerInfo> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.text(i, 1), r.integer(i, 2), r.text(i, 3), r.text(i, 4), r.text(i, 5),
                   r.text(i, 6) == "t"});
  return out;
}

std::vector<ClusterUnitInfo> ClusterStore::units() {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  PgResult r = s.query("SELECT flow, stream, owner, epoch, expires_at > now(), " + rfc3339("expires_at") + ", " +
                       rfc3339("last_run_at") + ", coalesce(last_status, ''), coalesce(last_run_id, ''), " +
                       rfc3339("next_due_at") + ", failures FROM " + s.table("cluster_units") + " ORDER BY flow, stream");
  std::vector<ClusterUnitInfo> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.integer(i, 3), r.text(i, 4) == "t", r.text(i, 5),
                   r.text(i, 6), r.text(i, 7), r.text(i, 8), r.text(i, 9), r.integer(i, 10)});
  return out;
}

int64_t ClusterStore::unit_count() {
  std::lock_guard lock(mutex_);
  Session& s = *session_;
  return s.query("SELECT count(*) FROM " + s.table("cluster_units")).integer(0, 0);
}

std::string flow_file_fingerprint(const std::map<std::string, std::string>& definitions) {
  std::string all;
  for (const auto& [flow, text] : definitions) all += flow + '\0' + text + '\0';
  return kit::http::hmac_sha256_hex("ingestd flow file", all).substr(0, 16);
}

}  // namespace ingestd

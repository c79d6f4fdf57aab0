#include <ingestd/kit/pg/connection.hpp>

#include <ingestd/sdk/backoff.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <thread>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>

namespace ingestd::kit::pg {

using ingestd::sdk::config_error;
using ingestd::sdk::data_error;
using ingestd::sdk::Error;
using ingestd::sdk::io_error;

std::string quote_ident(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string quote_table(const std::string& schema, const std::string& table) {
  return quote_ident(schema) + "." + quote_ident(table);
}

namespace {

std::string trimmed(const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

// Errors by SQLSTATE class: what retrying could achieve.
[[noreturn]] void throw_for(const char* sqlstate, const std::string& message) {
  std::string s = sqlstate ? sqlstate : "";
  // No SQLSTATE: the server never answered (libpq's own "server closed the
  // connection unexpectedly", "could not send data"): the connection, not
  // the statement, failed.
  if (s.empty()) throw io_error(message, true);
  std::string cls = s.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || s == "40001" || s == "40P01" || cls == "58")
    throw io_error(message, true);
  if (cls == "28" || cls == "42" || cls == "3D" || cls == "3F" || cls == "0A") throw config_error(message);
  if (cls == "22" || cls == "23") throw data_error(message);
  throw Error(INGESTD_ERROR_IO, message);
}

}  // namespace

namespace {

// The statement's first word ("COPY", "INSERT"): the phase a timeout names,
// without any of the statement's values.
std::string phase_of(const std::string& sql) {
  std::size_t start = sql.find_first_not_of(" \t\n(");
  if (start == std::string::npos) return "a statement";
  std::size_t end = sql.find_first_of(" \t\n;(", start);
  return sql.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string seconds_text(int64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// Backend pids of sessions whose COMMIT was sent and never answered, by
// server ("host:port").
struct CommitsInDoubt {
  std::mutex mutex;
  std::map<std::string, std::vector<int>> pids;

  void add(const std::string& server, int pid) {
    std::lock_guard lock(mutex);
    pids[server].push_back(pid);
  }
  std::vector<int> take(const std::string& server) {
    std::lock_guard lock(mutex);
    auto it = pids.find(server);
    if (it == pids.end()) return {};
    std::vector<int> out = std::move(it->second);
    pids.erase(it);
    return out;
  }
};

CommitsInDoubt& commits_in_doubt() {
  static CommitsInDoubt c;
  return c;
}

}  // namespace

Connection::Connection(const ConnectOptions& options) : options_(options) {
  sdk::Backoff backoff(options.first_backoff_ms, 8000, sdk::Backoff::Jitter::Above);
  for (int attempt = 1;; ++attempt) {
    std::string why;
    try {
      connect_once();
      break;
    } catch (const Error& e) {
      if (e.status() == INGESTD_ERROR_CANCELLED || e.retry_class() != INGESTD_RETRY_TRANSIENT) throw;
      why = e.what();
    }
    if (attempt >= options.attempts)
      throw io_error("cannot connect to PostgreSQL after " + std::to_string(attempt) + " attempts: " + why, true);
    // Waits for the server to come back, noticing a stop meanwhile.
    if (!backoff.wait(attempt - 1, options_.cancelled)) throw ingestd::sdk::cancelled_error();
  }
  // Server notices ("schema already exists, skipping") are not for the user's terminal.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; "
       "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'; "
       "SET statement_timeout = " + std::to_string(options_.statement_timeout_ms));
  settle_commits_in_doubt();
}

void Connection::settle_commits_in_doubt() {
  std::vector<int> pids = commits_in_doubt().take(server());
  if (pids.empty()) return;
  std::string array = "{";
  for (int pid : pids) array += (array.size() > 1 ? "," : "") + std::to_string(pid);
  array += "}";
  // Only ingestd's own sessions of this role: a pid the server reused for
  // someone else's session is left alone.
  const std::string ours = " FROM pg_stat_activity WHERE pid = ANY($1::int[]) AND application_name = 'ingestd' "
                           "AND usename = current_user";
  try {
    exec_params("SELECT pg_terminate_backend(pid)" + ours, {array});
    const int64_t deadline = now_ms() + options_.read_timeout_ms;
    while (exec_params("SELECT count(*)" + ours, {array}).integer(0, 0) > 0) {
      if (options_.cancelled && options_.cancelled()) throw ingestd::sdk::cancelled_error();
      if (now_ms() > deadline)
        throw io_error("a commit sent to PostgreSQL at " + server() + " before its session was given up is still "
                           "running there after " + seconds_text(options_.read_timeout_ms) + " (read_timeout)",
                       true);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (...) {
    for (int pid : pids) commits_in_doubt().add(server(), pid);
    throw;
  }
}

void Connection::connect_once() {
  // A malformed DSN is the configuration's fault, not the network's: no retries.
  char* parse_error = nullptr;
  if (PQconninfoOption* parsed = PQconninfoParse(options_.dsn.c_str(), &parse_error)) {
    PQconninfoFree(parsed);
  } else {
    std::string why = parse_error ? trimmed(parse_error) : "out of memory";
    PQfreemem(parse_error);
    throw config_error("the PostgreSQL connection string is malformed: " + why);
  }
  // Defaults first; what the DSN says wins. Keepalives find a peer that
  // vanished (a dead host, a cut network) even while nothing is owed.
  const std::string connect_s = std::to_string(std::max<int64_t>(1, (options_.connect_timeout_ms + 999) / 1000));
  // application_name tells an operator (and pg_stat_activity) whose sessions these are.
  const char* keys[] = {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
                        "tcp_user_timeout", "application_name", "dbname",
                        options_.replication ? "replication" : nullptr, nullptr};
  const char* values[] = {connect_s.c_str(), "1", "30", "10", "3", "60000", "ingestd", options_.dsn.c_str(),
                          options_.replication ? "database" : nullptr, nullptr};
  conn_ = PQconnectStartParams(keys, values, 1);
  if (!conn_) throw io_error("cannot connect to PostgreSQL: out of memory", true);
  const int64_t deadline = now_ms() + options_.connect_timeout_ms;
  for (PostgresPollingStatusType st = PGRES_POLLING_WRITING;;) {
    if (PQstatus(conn_) == CONNECTION_BAD) st = PGRES_POLLING_FAILED;
    if (st == PGRES_POLLING_OK) break;
    if (st == PGRES_POLLING_FAILED) {
      std::string why = trimmed(PQerrorMessage(conn_));
      PQfinish(conn_);
      conn_ = nullptr;
      // Wrong credentials or a malformed DSN will not improve with time.
      bool permanent = why.find("password authentication failed") != std::string::npos ||
                       why.find("invalid connection option") != std::string::npos ||
                       why.find("missing \"=\"") != std::string::npos ||
                       why.find("does not exist") != std::string::npos ||
                       why.find("invalid URI") != std::string::npos;
      if (permanent) throw config_error("cannot connect to PostgreSQL: " + why);
      throw io_error(why, true);
    }
    pollfd p{PQsocket(conn_), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    for (;;) {
      if (options_.cancelled && options_.cancelled()) {
        PQfinish(conn_);
        conn_ = nullptr;
        throw ingestd::sdk::cancelled_error();
      }
      const int64_t left = deadline - now_ms();
      if (left <= 0) {
        std::string where = server();
        PQfinish(conn_);
        conn_ = nullptr;
        throw io_error("PostgreSQL at " + where + " did not accept the connection within " +
                           seconds_text(options_.connect_timeout_ms) + " (connect_timeout)",
                       true);
      }
      int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
      if (n > 0 || (n < 0 && errno != EINTR)) break;
    }
    st = PQconnectPoll(conn_);
  }
  // Sends never block: a stalled server is noticed by wait(), not by a
  // write stuck in the kernel.
  PQsetnonblocking(conn_, 1);
}

Connection::~Connection() {
  if (copy_buffer_) PQfreemem(copy_buffer_);
  PQfinish(conn_);
}

void Connection::fail(PGresult* result, const std::string& what) const {
  std::string message = trimmed(result ? PQresultErrorMessage(result) : nullptr);
  if (message.empty()) message = trimmed(PQerrorMessage(conn_));
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string full = (what.empty() ? "" : what + ": ") + message;
  if (PQstatus(conn_) == CONNECTION_BAD)
    throw io_error("lost the connection to PostgreSQL at " + server() + ": " + full, true);
  throw_for(state, full);
}

std::string Connection::server() const {
  const char* host = conn_ ? PQhost(conn_) : nullptr;
  const char* port = conn_ ? PQport(conn_) : nullptr;
  return std::string(host && *host ? host : "?") + ":" + (port && *port ? port : "?");
}

void Connection::wait(bool for_write, const char* phase) {
  const int64_t deadline = now_ms() + options_.read_timeout_ms;
  pollfd p{PQsocket(conn_), static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  if (p.fd < 0) fail(nullptr, phase);
  for (;;) {
    // Cancelled: the connection is given up (closing it ends the server's
    // side too). No PQcancel: it waits on the server without a bound, and a
    // stalled server is often why the run is being stopped.
    if (options_.cancelled && options_.cancelled()) throw ingestd::sdk::cancelled_error();
    const int64_t left = deadline - now_ms();
    if (left <= 0)
      throw io_error("PostgreSQL at " + server() + " did not answer within " + seconds_text(options_.read_timeout_ms) +
                         " (read_timeout) during " + phase,
                     true);
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    if (n > 0) return;
    if (n < 0 && errno != EINTR) fail(nullptr, phase);
  }
}

void Connection::flush(const char* phase) {
  for (;;) {
    int r = PQflush(conn_);
    if (r == 0) return;
    if (r < 0) fail(nullptr, phase);
    wait(true, phase);
    if (PQconsumeInput(conn_) == 0) fail(nullptr, phase);  // the server may answer while we send
  }
}

Result Connection::result(const char* phase) {
  Result last;
  for (;;) {
    while (PQisBusy(conn_)) {
      wait(false, phase);
      if (PQconsumeInput(conn_) == 0) fail(nullptr, phase);
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) return last;
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) return Result(r);
    last = Result(r);
    if (st == PGRES_FATAL_ERROR) {
      // Drain what follows so the connection stays usable, then report.
      while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
      return last;
    }
  }
}

Result Connection::exec(const std::string& sql) {
  const std::string phase = phase_of(sql);
  end_open_copy(phase == "ROLLBACK");
  if (!PQsendQuery(conn_, sql.c_str())) fail(nullptr, phase);
  Result r;
  try {
    flush(phase.c_str());
    r = result(phase.c_str());
  } catch (...) {
    // Sent, never answered: the server may still commit it.
    if (phase == "COMMIT") commits_in_doubt().add(server(), PQbackendPID(conn_));
    throw;
  }
  ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r.get(), "");
  return r;
}

Result Connection::exec_params(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  const std::string phase = phase_of(sql);
  end_open_copy(false);
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  if (!PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0))
    fail(nullptr, phase);
  flush(phase.c_str());
  Result r = result(phase.c_str());
  ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r.get(), "");
  return r;
}

std::string Connection::literal(std::string_view value) const {
  char* q = PQescapeLiteral(conn_, value.data(), value.size());
  if (!q) throw data_error("cannot quote a value: " + trimmed(PQerrorMessage(conn_)));
  std::string out(q);
  PQfreemem(q);
  return out;
}

bool Connection::copy_in_start(const std::string& sql, std::string_view trailer) {
  if (!open_copy_.empty() && open_copy_ == sql) return false;
  end_open_copy(false);
  if (!PQsendQuery(conn_, sql.c_str())) fail(nullptr, "COPY");
  flush("COPY");
  Result r = result("COPY");
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COPY_IN) fail(r.get(), "");
  open_copy_ = sql;
  copy_trailer_ = trailer;
  return true;
}

void Connection::copy_in_send(std::string_view data) {
  while (!data.empty()) {
    int chunk = static_cast<int>(std::min<std::size_t>(data.size(), 1 << 20));
    int r = PQputCopyData(conn_, data.data(), chunk);
    if (r < 0) fail(nullptr, "COPY");
    if (r == 0) {  // no room in libpq's buffer: send some first
      wait(true, "COPY");
      if (PQflush(conn_) < 0) fail(nullptr, "COPY");
      continue;
    }
    data.remove_prefix(static_cast<std::size_t>(chunk));
  }
  flush("COPY");
}

void Connection::copy_in_end() { end_open_copy(false); }

void Connection::end_open_copy(bool abandon) {
  if (open_copy_.empty()) return;
  open_copy_.clear();
  if (!abandon && !copy_trailer_.empty()) copy_in_send(copy_trailer_);
  for (;;) {
    int r = PQputCopyEnd(conn_, abandon ? "abandoned by ingestd" : nullptr);
    if (r < 0) fail(nullptr, "COPY");
    if (r == 1) break;
    wait(true, "COPY");
  }
  flush("COPY");
  Result r = result("COPY");
  if (abandon) return;
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(r.get(), "");
}

void Connection::copy_out_start(const std::string& sql) {
  end_open_copy(false);
  if (!PQsendQuery(conn_, sql.c_str())) fail(nullptr, "COPY");
  flush("COPY");
  Result r = result("COPY");
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COPY_OUT) fail(r.get(), "");
}

bool Connection::copy_out_row(std::string_view& row) {
  if (copy_buffer_) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  for (;;) {
    int n = PQgetCopyData(conn_, &copy_buffer_, 1);
    if (n > 0) {
      std::size_t len = static_cast<std::size_t>(n);
      if (len > 0 && copy_buffer_[len - 1] == '\n') --len;
      row = std::string_view(copy_buffer_, len);
      return true;
    }
    if (n == 0) {  // nothing complete yet
      wait(false, "COPY");
      if (PQconsumeInput(conn_) == 0) fail(nullptr, "COPY");
      continue;
    }
    Result r = result("COPY");  // -1: COPY finished; -2: it failed
    if (n == -1 && r.get() && PQresultStatus(r.get()) == PGRES_COMMAND_OK) return false;
    fail(r.get(), "COPY");
  }
}

void Connection::copy_both_start(const std::string& command) {
  end_open_copy(false);
  if (!PQsendQuery(conn_, command.c_str())) fail(nullptr, "START_REPLICATION");
  flush("START_REPLICATION");
  Result r = result("START_REPLICATION");
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COPY_BOTH) fail(r.get(), "");
}

Connection::Message Connection::copy_message(std::string_view& data, int64_t wait_ms) {
  if (copy_buffer_) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  const int64_t deadline = now_ms() + wait_ms;
  for (;;) {
    const int n = PQgetCopyData(conn_, &copy_buffer_, 1);
    if (n > 0) {
      data = std::string_view(copy_buffer_, static_cast<std::size_t>(n));
      return Message::Data;
    }
    if (n == -1) {
      Result r = result("replication");
      if (r.get() && PQresultStatus(r.get()) == PGRES_COMMAND_OK) return Message::End;
      fail(r.get(), "replication");
    }
    if (n < -1) fail(nullptr, "replication");
    const int64_t left = deadline - now_ms();
    if (left <= 0) return Message::None;
    if (options_.cancelled && options_.cancelled()) throw ingestd::sdk::cancelled_error();
    pollfd p{PQsocket(conn_), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
    if (ready < 0 && errno != EINTR) fail(nullptr, "replication");
    if (ready > 0 && PQconsumeInput(conn_) == 0) fail(nullptr, "replication");
  }
}

void Connection::copy_send(std::string_view data) {
  for (;;) {
    const int r = PQputCopyData(conn_, data.data(), static_cast<int>(data.size()));
    if (r == 1) break;
    if (r < 0) fail(nullptr, "replication");
    wait(true, "replication");
  }
  flush("replication");
}

}  // namespace ingestd::kit::pg

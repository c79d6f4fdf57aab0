#include "pg.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>

namespace pg {

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

Connection::Connection(const ConnectOptions& options) {
  std::mt19937 jitter(std::random_device{}());
  int64_t backoff = options.first_backoff_ms;
  for (int attempt = 1;; ++attempt) {
    conn_ = PQconnectdb(options.dsn.c_str());
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) break;
    std::string why = conn_ ? trimmed(PQerrorMessage(conn_)) : "out of memory";
    PQfinish(conn_);
    conn_ = nullptr;
    // Wrong credentials or a malformed DSN will not improve with time.
    bool permanent = why.find("password authentication failed") != std::string::npos ||
                     why.find("invalid connection option") != std::string::npos ||
                     why.find("missing \"=\"") != std::string::npos ||
                     why.find("does not exist") != std::string::npos;
    if (permanent) throw config_error("cannot connect to PostgreSQL: " + why);
    if (attempt >= options.attempts)
      throw io_error("cannot connect to PostgreSQL after " + std::to_string(attempt) + " attempts: " + why, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff + static_cast<int64_t>(jitter() % (backoff / 4 + 1))));
    backoff = std::min<int64_t>(backoff * 2, 8000);
  }
  // Server notices ("schema already exists, skipping") are not for the user's terminal.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
  exec("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'; "
       "SET extra_float_digits = 3; SET bytea_output = 'hex'; SET client_encoding = 'UTF8'");
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
  if (PQstatus(conn_) == CONNECTION_BAD) throw io_error("lost the connection to PostgreSQL: " + full, true);
  throw_for(state, full);
}

Result Connection::exec(const std::string& sql) {
  Result r(PQexec(conn_, sql.c_str()));
  ExecStatusType st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) fail(r.get(), "");
  return r;
}

Result Connection::exec_params(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  Result r(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
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

void Connection::copy_in_start(const std::string& sql) {
  Result r(PQexec(conn_, sql.c_str()));
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COPY_IN) fail(r.get(), "");
}

void Connection::copy_in_send(std::string_view data) {
  if (data.empty()) return;
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) fail(nullptr, "COPY");
}

void Connection::copy_in_end() {
  if (PQputCopyEnd(conn_, nullptr) != 1) fail(nullptr, "COPY");
  Result r(PQgetResult(conn_));
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(r.get(), "");
  while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
}

void Connection::copy_out_start(const std::string& sql) {
  Result r(PQexec(conn_, sql.c_str()));
  if (!r.get() || PQresultStatus(r.get()) != PGRES_COPY_OUT) fail(r.get(), "");
}

bool Connection::copy_out_row(std::string_view& row) {
  if (copy_buffer_) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  int n = PQgetCopyData(conn_, &copy_buffer_, 0);
  if (n > 0) {
    std::size_t len = static_cast<std::size_t>(n);
    if (len > 0 && copy_buffer_[len - 1] == '\n') --len;
    row = std::string_view(copy_buffer_, len);
    return true;
  }
  if (n == -1) {  // COPY finished: collect its result
    Result r(PQgetResult(conn_));
    if (!r.get() || PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(r.get(), "");
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
    return false;
  }
  Result r(PQgetResult(conn_));
  fail(r.get(), "COPY");
}

}  // namespace pg

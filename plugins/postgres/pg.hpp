// A thin RAII layer over libpq for the postgres plugin: connections with
// retries, results, COPY, quoting, and errors as SDK errors with the right
// retry class. Nothing here ever prints the connection string.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pg {

// "name" with embedded quotes doubled; schema.table as "schema"."table".
std::string quote_ident(std::string_view identifier);
std::string quote_table(const std::string& schema, const std::string& table);

struct ConnectOptions {
  std::string dsn;
  int attempts = 5;          // connection attempts before giving up
  int64_t first_backoff_ms = 500;  // doubling between attempts, with jitter
};

class Result {
 public:
  explicit Result(PGresult* r = nullptr) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&& o) noexcept {
    if (this != &o) {
      PQclear(r_);
      r_ = o.r_;
      o.r_ = nullptr;
    }
    return *this;
  }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;

  PGresult* get() const { return r_; }
  int rows() const { return PQntuples(r_); }
  bool is_null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
  std::string text(int row, int col) const { return PQgetvalue(r_, row, col); }

 private:
  PGresult* r_;
};

class Connection {
 public:
  // Connects, retrying with backoff (the server may be restarting); sets the
  // session so that text forms are predictable (UTC, ISO dates, round-trip
  // floats, hex bytea). Throws io_error (transient) or config_error.
  explicit Connection(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  PGconn* raw() const { return conn_; }
  // Runs a command or query; throws on failure.
  Result exec(const std::string& sql);
  Result exec_params(const std::string& sql, const std::vector<std::string>& params);
  std::string literal(std::string_view value) const;  // 'value', safely quoted

  // COPY ... FROM STDIN: start, send chunks, finish (throws on failure).
  void copy_in_start(const std::string& sql);
  void copy_in_send(std::string_view data);
  void copy_in_end();
  // COPY ... TO STDOUT: start, then read rows until false.
  void copy_out_start(const std::string& sql);
  // The next row without its line end; valid until the next call.
  bool copy_out_row(std::string_view& row);

  // Throws the SDK error for a failed result or a lost connection.
  [[noreturn]] void fail(PGresult* result, const std::string& what) const;

 private:
  PGconn* conn_ = nullptr;
  char* copy_buffer_ = nullptr;
};

}  // namespace pg

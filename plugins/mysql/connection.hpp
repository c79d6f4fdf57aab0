// A thin RAII layer over MariaDB Connector/C (libmariadb, which speaks to
// MySQL and MariaDB alike): connections with retries and timeouts, queries,
// results read row by row as the server sends them, quoting, and errors as
// SDK errors with the right retry class. Nothing here prints the password.
#pragma once

#include <mysql.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::mysql {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string user;
  std::string password;
  std::string database;
  std::string ssl_mode = "preferred";  // disabled | preferred | required | verify_identity
  std::string ssl_ca;
  int attempts = 5;
  int64_t connect_timeout_ms = 10000;
  int64_t read_timeout_ms = 600000;
  std::function<bool()> cancelled;
};

// "mysql://user:password@host:port/database" into `options` (the parts it
// has); throws config_error when malformed.
void parse_dsn(const std::string& dsn, ConnectOptions& options);

// `name` with backticks doubled, in backticks; schema.table as `schema`.`table`.
std::string quote_ident(std::string_view name);
std::string quote_table(const std::string& schema, const std::string& table);

// A result read row by row as the server sends it (never held whole).
class Rows {
 public:
  explicit Rows(MYSQL_RES* result) : result_(result) {}
  ~Rows();
  Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  unsigned columns() const { return result_ ? mysql_num_fields(result_) : 0; }
  const MYSQL_FIELD* field(unsigned i) const { return mysql_fetch_field_direct(result_, i); }
  // The next row; false at the end. Values stay valid until the next call.
  bool next();
  bool is_null(unsigned i) const { return row_[i] == nullptr; }
  std::string_view value(unsigned i) const { return {row_[i], lengths_[i]}; }
  std::string text(unsigned i) const { return row_[i] ? std::string(row_[i], lengths_[i]) : std::string(); }

 private:
  friend class Connection;
  MYSQL_RES* result_;
  MYSQL_ROW row_ = nullptr;
  unsigned long* lengths_ = nullptr;
  class Connection* owner_ = nullptr;
};

class Connection {
 public:
  // Connects, retrying with backoff (a server restarting); the session reads
  // and writes UTC, utf8mb4 and strict SQL. Throws io_error (transient) or
  // config_error.
  explicit Connection(const ConnectOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  MYSQL* raw() const { return db_; }
  void exec(const std::string& sql);
  // A query whose rows are read as they arrive (one such result at a time).
  Rows query(const std::string& sql);
  // The first value of the first row ("" for none or NULL).
  std::string scalar(const std::string& sql);
  std::string literal(std::string_view value) const;  // 'value', escaped for this connection
  uint64_t affected_rows() const { return mysql_affected_rows(db_); }

  // Throws the SDK error for the connection's last error.
  [[noreturn]] void fail(const std::string& what) const;
  std::string server() const;

 private:
  void connect_once();

  ConnectOptions options_;
  MYSQL* db_ = nullptr;
};

}  // namespace ingestd::plugins::mysql

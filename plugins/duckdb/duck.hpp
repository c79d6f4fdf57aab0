// DuckDB's C API held by owners: a database shared by everything in this
// process that opens the same file, connections, and query results. Errors
// become ingestd errors carrying DuckDB's message.
#pragma once

#include <duckdb.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace ingestd::plugins::duck {

struct DatabaseSettings {
  std::string path;          // ":memory:" for a private in-memory database
  std::string memory_limit;  // DuckDB's memory_limit, e.g. "256MB"; empty: DuckDB's default
  int threads = 0;           // 0: DuckDB's default (the machine's cores)
  std::string temp_directory;  // where work beyond memory_limit spills; empty: DuckDB's default
  bool read_only = false;
};

class Database {
 public:
  // One database per file in a process (DuckDB locks the file): a second
  // open of the same path shares the first while it lives. In-memory
  // databases are never shared.
  static std::shared_ptr<Database> open(const DatabaseSettings& settings);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  duckdb_database handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  Database(duckdb_database db, std::string path) : db_(db), path_(std::move(path)) {}
  duckdb_database db_;
  std::string path_;
};

class Result {
 public:
  Result() = default;
  explicit Result(duckdb_result r) : r_(r), valid_(true) {}
  Result(Result&& o) noexcept : r_(o.r_), valid_(o.valid_) { o.valid_ = false; }
  Result& operator=(Result&& o) noexcept;
  ~Result();

  int64_t rows();
  std::size_t columns();
  bool is_null(std::size_t col, int64_t row);
  std::string text(std::size_t col, int64_t row);
  std::string blob(std::size_t col, int64_t row);
  int64_t integer(std::size_t col, int64_t row);
  int64_t rows_changed();
  duckdb_result* raw() { return &r_; }

 private:
  duckdb_result r_{};
  bool valid_ = false;
};

class Connection {
 public:
  explicit Connection(std::shared_ptr<Database> db);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql`; throws with DuckDB's message (and `what` before it).
  Result query(const std::string& sql);
  void exec(const std::string& sql) { query(sql); }
  duckdb_connection handle() const { return c_; }
  Database& database() const { return *db_; }

 private:
  std::shared_ptr<Database> db_;
  duckdb_connection c_ = nullptr;
};

// "a""b" for a"b
std::string quote(std::string_view identifier);
// 'it''s' for it's
std::string literal(std::string_view text);
// TIMESTAMPTZ '2026-...Z': the current time, for _ingestd_synced_at.
std::string now_literal();

// Throws the ingestd error for a DuckDB failure: conflicts and I/O are
// transient (a retry may pass), the rest are not.
[[noreturn]] void fail(const std::string& message);
// Throws when `e` holds an error; destroys it either way.
void check(duckdb_error_data e, const std::string& what);

}  // namespace ingestd::plugins::duck

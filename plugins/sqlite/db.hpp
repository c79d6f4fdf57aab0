// A thin RAII layer over libsqlite3 for the sqlite plugin: connections,
// prepared statements, identifier quoting, errors as SDK errors.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ingestd::plugins::sqlite {

// "name" with embedded quotes doubled: safe for any table or column name.
std::string quote(std::string_view identifier);

class Db {
 public:
  // Opens (and with `create` creates) the database; WAL, a busy timeout,
  // foreign keys as the file says. Throws a config error when it cannot.
  Db(const std::string& path, bool create, bool read_only);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  void exec(const std::string& sql);
  // Throws the SDK error matching the last failure, with `what` before it.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Stmt {
 public:
  Stmt(const Db& db, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

  sqlite3_stmt* raw() const { return stmt_; }
  // Steps once: true with a row, false when done. Throws on errors.
  bool step();
  void reset();
  void bind_null(int i) { sqlite3_bind_null(stmt_, i); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void bind_text(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  void bind_blob(int i, std::string_view v) { sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT); }
  // Without a copy: `v` must stay valid until the statement is stepped and reset.
  void bind_text_static(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
  }
  void bind_blob_static(int i, std::string_view v) { sqlite3_bind_blob64(stmt_, i, v.data(), v.size(), SQLITE_STATIC); }
  std::string text(int col) const;
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  const Db* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace ingestd::plugins::sqlite

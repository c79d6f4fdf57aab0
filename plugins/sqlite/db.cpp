#include "db.hpp"

#include <ingestd/sdk/plugin.hpp>

namespace ingestd::plugins::sqlite {

std::string quote(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Db::Db(const std::string& path, bool create, bool read_only) : path_(path) {
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  // Each connection is used by one thread at a time.
  flags |= SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw ingestd::sdk::config_error("cannot open SQLite database " + path + ": " + why);
  }
  sqlite3_busy_timeout(db_, 60000);
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() { sqlite3_close_v2(db_); }

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);  // sqlite3_errmsg() says the same, and fail() reads it
    fail("");
  }
}

void Db::fail(const std::string& what) const {
  int code = sqlite3_extended_errcode(db_);
  std::string message = path_ + ": " + (what.empty() ? "" : what + ": ") + sqlite3_errmsg(db_);
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR: throw ingestd::sdk::io_error(message, true);
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: throw ingestd::sdk::config_error(message);
    case SQLITE_CONSTRAINT: throw ingestd::sdk::data_error(message);
    default: throw ingestd::sdk::Error(INGESTD_ERROR_IO, message);
  }
}

Stmt::Stmt(const Db& db, const std::string& sql) : db_(&db) {
  if (sqlite3_prepare_v2(db.handle(), sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    db.fail("in \"" + sql.substr(0, 200) + "\"");
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->fail("");
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Stmt::text(int col) const {
  const unsigned char* t = sqlite3_column_text(stmt_, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

}  // namespace ingestd::plugins::sqlite

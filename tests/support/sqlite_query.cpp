#include "support/sqlite_query.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace testing {

namespace {

struct Connection {
  sqlite3* db = nullptr;
  // Queries look at what ingestd made: they never create the file.
  Connection(const std::string& path, bool create) {
    const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
      std::string why = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);  // a failed open still allocates the handle
      throw std::runtime_error("cannot open " + path + ": " + why);
    }
    sqlite3_busy_timeout(db, 30000);
  }
  ~Connection() { sqlite3_close(db); }
};

}  // namespace

Rows query(const std::string& db_path, const std::string& sql, const Attach& attach) {
  Connection c(db_path, false);
  for (const auto& [name, path] : attach) {
    std::string a = "ATTACH '" + path + "' AS " + name;
    if (sqlite3_exec(c.db, a.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
      throw std::runtime_error(a + ": " + sqlite3_errmsg(c.db));
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(c.db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(c.db));
  Rows rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      row.push_back(sqlite3_column_type(st, i) == SQLITE_NULL ? "NULL" : reinterpret_cast<const char*>(t));
    }
    rows.push_back(std::move(row));
  }
  std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(c.db);
  sqlite3_finalize(st);
  if (!err.empty()) throw std::runtime_error(sql + ": " + err);
  return rows;
}

std::string scalar(const std::string& db_path, const std::string& sql, const Attach& attach) {
  Rows r = query(db_path, sql, attach);
  if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error(sql + ": expected one value");
  return r[0][0];
}

void execute(const std::string& db_path, const std::string& sql) {
  Connection c(db_path, true);
  char* err = nullptr;
  if (sqlite3_exec(c.db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "error";
    sqlite3_free(err);
    throw std::runtime_error(why);
  }
}

}  // namespace testing

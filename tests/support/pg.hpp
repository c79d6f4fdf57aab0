// The PostgreSQL server the test fixture started, and a fresh database on it
// per test.
#pragma once

#include "support/sqlite_query.hpp"

#include <map>
#include <string>

namespace testing {

// Settings of the fixture's server (tools/pg-test-server writes them).
const std::map<std::string, std::string>& pg_server();
// A libpq connection string to database `db` on a server (default: the fixture's).
std::string pg_dsn(const std::string& db, const std::map<std::string, std::string>& server = pg_server());

// Runs SQL on a database; rows as text, "NULL" for NULL.
Rows pg_query(const std::string& dsn, const std::string& sql);
std::string pg_scalar(const std::string& dsn, const std::string& sql);
void pg_execute(const std::string& dsn, const std::string& sql);

// A database of its own for one test, dropped at the end.
class PgDatabase {
 public:
  explicit PgDatabase(const std::map<std::string, std::string>& server = pg_server());
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  const std::string& name() const { return name_; }
  std::string dsn() const { return pg_dsn(name_, server_); }
  Rows query(const std::string& sql) const { return pg_query(dsn(), sql); }
  std::string scalar(const std::string& sql) const { return pg_scalar(dsn(), sql); }
  void execute(const std::string& sql) const { pg_execute(dsn(), sql); }

 private:
  std::map<std::string, std::string> server_;
  std::string name_;
};

}  // namespace testing

// The MariaDB server the test fixture started, and a fresh database on it
// per test.
#pragma once

#include "support/sqlite_query.hpp"

#include <map>
#include <string>

namespace testing {

// Settings of the fixture's server (tools/mariadb-test-server writes them).
const std::map<std::string, std::string>& mysql_server();

// A database of its own for one test, dropped at the end.
class MysqlDatabase {
 public:
  MysqlDatabase();
  ~MysqlDatabase();
  MysqlDatabase(const MysqlDatabase&) = delete;
  MysqlDatabase& operator=(const MysqlDatabase&) = delete;

  const std::string& name() const { return name_; }
  // mysql://user:password@host:port/name
  std::string dsn() const;
  // Runs SQL (several statements allowed); rows as text, "NULL" for NULL.
  Rows query(const std::string& sql) const;
  std::string scalar(const std::string& sql) const;
  void execute(const std::string& sql) const { query(sql); }

 private:
  std::string name_;
};

}  // namespace testing

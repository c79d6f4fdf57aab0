// The MariaDB server the test fixture started, and a fresh database on it
// per test.
#pragma once

#include "support/sqlite_query.hpp"

#include <map>
#include <string>

namespace testing {

using MysqlSettings = std::map<std::string, std::string>;

// Settings of the fixture's server (tools/mariadb-test-server writes them).
const MysqlSettings& mysql_server();

// A MariaDB server of a test's own, for tests that change the whole server
// (purging its binary logs) and must not disturb the others.
class MysqlServer {
 public:
  MysqlServer();
  ~MysqlServer();
  MysqlServer(const MysqlServer&) = delete;
  MysqlServer& operator=(const MysqlServer&) = delete;
  const MysqlSettings& settings() const { return settings_; }

 private:
  std::string dir_;
  MysqlSettings settings_;
};

// A database of its own for one test, dropped at the end.
class MysqlDatabase {
 public:
  explicit MysqlDatabase(const MysqlSettings& server = mysql_server());
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
  MysqlSettings server_;
  std::string name_;
};

}  // namespace testing

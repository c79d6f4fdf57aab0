#include "support/mysql.hpp"

#include "support/files.hpp"
#include "support/process.hpp"

#include <mysql.h>

#include <atomic>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace testing {

namespace {

// Rows of every statement in `sql`, the last result's kept.
Rows run(const MysqlSettings& s, const std::string& database, const std::string& sql) {
  MYSQL* db = mysql_init(nullptr);
  mysql_optionsv(db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(db, s.at("MYSQL_HOST").c_str(), s.at("MYSQL_USER").c_str(), s.at("MYSQL_PASSWORD").c_str(),
                          database.empty() ? nullptr : database.c_str(),
                          static_cast<unsigned>(std::stoi(s.at("MYSQL_PORT"))), nullptr, CLIENT_MULTI_STATEMENTS)) {
    std::string why = mysql_error(db);
    mysql_close(db);
    throw std::runtime_error("test connection failed: " + why);
  }
  Rows rows;
  std::string error;
  if (mysql_real_query(db, sql.data(), sql.size()) != 0) error = mysql_error(db);
  while (error.empty()) {
    if (MYSQL_RES* res = mysql_store_result(db)) {
      rows.clear();
      const unsigned n = mysql_num_fields(res);
      while (MYSQL_ROW row = mysql_fetch_row(res)) {
        unsigned long* lengths = mysql_fetch_lengths(res);
        std::vector<std::string> out;
        for (unsigned i = 0; i < n; ++i) out.push_back(row[i] ? std::string(row[i], lengths[i]) : "NULL");
        rows.push_back(std::move(out));
      }
      mysql_free_result(res);
    }
    const int next = mysql_next_result(db);
    if (next > 0) error = mysql_error(db);
    if (next != 0) break;
  }
  mysql_close(db);
  if (!error.empty()) throw std::runtime_error(sql.substr(0, 200) + ": " + error);
  return rows;
}

}  // namespace

const MysqlSettings& mysql_server() {
  static const MysqlSettings settings = read_settings(MYSQL_TEST_ENV);
  return settings;
}

MysqlServer::MysqlServer() {
  static std::atomic<int> counter{0};
  dir_ = "/tmp/ingestd-mariadb-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  const Result r = testing::run({MYSQL_TEST_SERVER_SCRIPT, "start", dir_});
  if (r.exit_code != 0) throw std::runtime_error("cannot start a MariaDB server: " + r.err);
  settings_ = read_settings(dir_ + "/env");
}

MysqlServer::~MysqlServer() { testing::run({MYSQL_TEST_SERVER_SCRIPT, "stop", dir_}); }

MysqlDatabase::MysqlDatabase(const MysqlSettings& server) : server_(server) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  name_ = "t" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" + std::to_string(rd() % 100000);
  run(server_, "", "CREATE DATABASE " + name_);
}

MysqlDatabase::~MysqlDatabase() {
  try {
    run(server_, "", "DROP DATABASE IF EXISTS " + name_);
  } catch (...) {
  }
}

std::string MysqlDatabase::dsn() const {
  const auto& s = server_;
  return "mysql://" + s.at("MYSQL_USER") + ":" + s.at("MYSQL_PASSWORD") + "@" + s.at("MYSQL_HOST") + ":" +
         s.at("MYSQL_PORT") + "/" + name_;
}

Rows MysqlDatabase::query(const std::string& sql) const { return run(server_, name_, sql); }

std::string MysqlDatabase::scalar(const std::string& sql) const {
  Rows r = query(sql);
  if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error(sql + ": expected one value");
  return r[0][0];
}

}  // namespace testing

#include "support/pg.hpp"

#include <chrono>
#include <thread>

#include "support/files.hpp"

#include <libpq-fe.h>

#include <atomic>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace testing {

namespace {

struct Conn {
  PGconn* c;
  explicit Conn(const std::string& dsn) : c(PQconnectdb(dsn.c_str())) {
    if (PQstatus(c) != CONNECTION_OK) {
      std::string why = PQerrorMessage(c);
      PQfinish(c);
      throw std::runtime_error("test connection failed: " + why);
    }
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);
  }
  ~Conn() { PQfinish(c); }
};

}  // namespace

const std::map<std::string, std::string>& pg_server() {
  static const std::map<std::string, std::string> settings = read_settings(PG_TEST_ENV);
  return settings;
}

std::string pg_dsn(const std::string& db, const std::map<std::string, std::string>& s) {
  return "host=" + s.at("PGHOST") + " port=" + s.at("PGPORT") + " user=" + s.at("PGUSER") +
         " password=" + s.at("PGPASSWORD") + " dbname=" + db;
}

Rows pg_query(const std::string& dsn, const std::string& sql) {
  Conn conn(dsn);
  PGresult* r = PQexec(conn.c, sql.c_str());
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    std::string why = PQresultErrorMessage(r);
    PQclear(r);
    throw std::runtime_error(sql.substr(0, 200) + ": " + why);
  }
  Rows rows;
  for (int i = 0; i < PQntuples(r); ++i) {
    std::vector<std::string> row;
    for (int j = 0; j < PQnfields(r); ++j) row.push_back(PQgetisnull(r, i, j) ? "NULL" : PQgetvalue(r, i, j));
    rows.push_back(std::move(row));
  }
  PQclear(r);
  return rows;
}

std::string pg_scalar(const std::string& dsn, const std::string& sql) {
  Rows r = pg_query(dsn, sql);
  if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error(sql + ": expected one value");
  return r[0][0];
}

void pg_execute(const std::string& dsn, const std::string& sql) { pg_query(dsn, sql); }

PgDatabase::PgDatabase(const std::map<std::string, std::string>& server) : server_(server) {
  static std::atomic<int> counter{0};
  std::random_device rd;
  name_ = "t";
  name_ += std::to_string(getpid());
  name_ += "_" + std::to_string(counter++);
  name_ += "_" + std::to_string(rd() % 100000);
  pg_execute(pg_dsn("postgres", server_), "CREATE DATABASE " + name_);
}

PgDatabase::~PgDatabase() {
  try {
    // Replication slots of the database (change data capture tests) hold
    // WAL and forbid dropping it: gone first, their senders with them.
    const std::string admin = pg_dsn("postgres", server_);
    pg_execute(admin, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '" + name_ +
                          "' AND active_pid IS NOT NULL");
    for (int i = 0; i < 100 && pg_scalar(admin, "SELECT count(*) FROM pg_replication_slots WHERE database = '" + name_ +
                                                    "' AND active") != "0";
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pg_execute(admin, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" +
                          name_ + "'");
    pg_execute(admin, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

}  // namespace testing

// A PostgreSQL server of a test's own (tools/pg-test-server), for tests that
// restart, stall or starve it: stopping it disturbs no other test.
#pragma once

#include "support/wait.hpp"

#include <map>
#include <string>

namespace testing {

class PgServer {
 public:
  // `options`: server settings, "-c synchronous_commit=off -c max_connections=5".
  explicit PgServer(std::string options = "");
  ~PgServer();
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  const std::map<std::string, std::string>& settings() const { return settings_; }

  // pg_ctl stop / start / restart; mode "fast" or "immediate".
  void stop(const std::string& mode = "immediate");
  void start();
  void restart(const std::string& mode);
  // SIGSTOP / SIGCONT to the server and every backend: it stops answering,
  // though its sockets stay open.
  void freeze();
  void thaw();
  // Ends every session whose application_name is `application` (ingestd's
  // connections name themselves "ingestd"); returns how many.
  int terminate(const std::string& application = "ingestd");

 private:
  void pg_ctl(const std::vector<std::string>& args);
  void signal_all(int sig);
  std::string dir_, options_;
  std::map<std::string, std::string> settings_;
};

}  // namespace testing

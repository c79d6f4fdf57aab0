#include "support/pg_server.hpp"

#include "support/files.hpp"
#include "support/pg.hpp"
#include "support/process.hpp"

#include <csignal>
#include <dirent.h>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>
#include <unistd.h>
#include <vector>

namespace testing {

namespace {

const char* kPgCtl = "/usr/lib/postgresql/15/bin/pg_ctl";

std::vector<std::string> as_server_owner(std::vector<std::string> argv) {
  if (getuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  return argv;
}

}  // namespace

PgServer::PgServer(std::string options)
    : dir_("/tmp/ingestd-pg-own-" + std::to_string(getpid()) + "-" + std::to_string(std::random_device{}() % 1000000)),
      options_(std::move(options)) {
  Options o;
  o.env["PG_TEST_SERVER_OPTIONS"] = options_;
  Result r = run({PG_TEST_SERVER_SCRIPT, "start", dir_}, o);
  if (r.exit_code != 0) throw std::runtime_error("cannot start a server: " + r.err);
  settings_ = read_settings(dir_ + "/env");
}

PgServer::~PgServer() {
  signal_all(SIGCONT);  // a frozen server cannot stop
  run({PG_TEST_SERVER_SCRIPT, "stop", dir_});
}

void PgServer::pg_ctl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{kPgCtl, "-D", dir_ + "/data", "-w", "-t", "60", "-l", dir_ + "/server.log"};
  argv.insert(argv.end(), args.begin(), args.end());
  Result r = run(as_server_owner(argv));
  if (r.exit_code != 0) throw std::runtime_error("pg_ctl failed: " + r.err + r.out);
}

std::vector<std::string> start_options(const std::map<std::string, std::string>& s, const std::string& dir,
                                       const std::string& extra) {
  return {"-o", "-p " + s.at("PGPORT") + " -k " + dir +
                    " -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200 " + extra};
}

void PgServer::stop(const std::string& mode) { pg_ctl({"-m", mode, "stop"}); }

void PgServer::start() {
  auto args = start_options(settings_, dir_, options_);
  args.push_back("start");
  pg_ctl(args);
}

void PgServer::restart(const std::string& mode) {
  auto args = start_options(settings_, dir_, options_);
  args.insert(args.end(), {"-m", mode, "restart"});
  pg_ctl(args);
}

void PgServer::signal_all(int sig) {
  std::ifstream pidfile(dir_ + "/data/postmaster.pid");
  pid_t postmaster = 0;
  if (!(pidfile >> postmaster) || postmaster <= 0) return;
  // The postmaster's children, by the parent in /proc/PID/stat.
  std::vector<pid_t> pids{postmaster};
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
      std::string line;
      std::getline(stat, line);
      auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      char state = 0;
      pid_t parent = 0;
      if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &parent) == 2 && parent == postmaster)
        pids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
    closedir(d);
  }
  for (pid_t p : pids) kill(p, sig);
}

void PgServer::freeze() { signal_all(SIGSTOP); }
void PgServer::thaw() { signal_all(SIGCONT); }

int PgServer::terminate(const std::string& application) {
  return std::stoi(pg_scalar(pg_dsn("postgres", settings_),
                             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '" +
                                 application + "'"));
}

}  // namespace testing

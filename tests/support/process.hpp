// Runs a program (usually the real ingestd binary) and captures what it did.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace testing {

struct Result {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
  long max_rss_kb = 0;  // peak resident memory of the child
};

struct Options {
  std::string cwd;                           // empty: the current directory
  std::map<std::string, std::string> env;    // added to (or replacing in) the environment
  std::vector<std::string> unset_env;
  double timeout_seconds = 120;              // then SIGKILL, and the test fails on exit_code
  // When set, the child's standard error is appended to this file instead of
  // being captured (a daemon's log, which no pipe should hold back).
  std::string stderr_path;
};

Result run(const std::vector<std::string>& argv, const Options& options = {});

// A child running in the background, for tests that signal it mid-run.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const Options& options = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void signal(int sig);
  // Reads the child's standard error as it comes until `needle` shows (true)
  // or `seconds` pass: for tests that act once the child says it got somewhere.
  bool wait_for_stderr(const std::string& needle, double seconds = 60);
  // Waits for the child to end and collects its output (standard error from
  // the start, what wait_for_stderr read included).
  Result wait();
  int pid() const { return pid_; }

 private:
  int pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  double timeout_;
  bool waited_ = false;
  std::string err_read_;  // by wait_for_stderr
};

// The ingestd binary under test.
std::string ingestd_bin();

// Runs ingestd with `args`.
Result ingestd(const std::vector<std::string>& args, const Options& options = {});

}  // namespace testing

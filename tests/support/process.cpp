#include "support/process.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace testing {

namespace {

std::vector<std::string> build_env(const Options& o) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv(*e);
    std::string key = kv.substr(0, kv.find('='));
    bool drop = o.env.count(key) > 0;
    for (const auto& u : o.unset_env) drop = drop || u == key;
    if (!drop) env.push_back(kv);
  }
  for (const auto& [k, v] : o.env) env.push_back(k + "=" + v);
  return env;
}

int spawn(const std::vector<std::string>& argv, const Options& o, int& out_fd, int& err_fd) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> env = build_env(o);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // A test that crashes takes its children (daemons among them) with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out_pipe[1], 1);
    int err_target = err_pipe[1];
    if (!o.stderr_path.empty()) err_target = open(o.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (err_target < 0) _exit(126);
    dup2(err_target, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) _exit(127);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  out_fd = out_pipe[0];
  err_fd = err_pipe[0];
  return pid;
}

Result collect(int pid, int out_fd, int err_fd, double timeout) {
  Result r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open_fds = 2;
  bool killed = false;
  char buf[65536];
  while (open_fds > 0) {
    int ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (ms <= 0 && !killed) {
      kill(pid, SIGKILL);
      killed = true;
      r.err += "\n[test harness: killed after timeout]\n";
    }
    int n = poll(fds, 2, ms > 0 ? std::min(ms, 1000) : 1000);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  r.max_rss_kb = usage.ru_maxrss;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace

Result run(const std::vector<std::string>& argv, const Options& options) {
  int out_fd, err_fd;
  int pid = spawn(argv, options, out_fd, err_fd);
  return collect(pid, out_fd, err_fd, options.timeout_seconds);
}

Child::Child(const std::vector<std::string>& argv, const Options& options) : timeout_(options.timeout_seconds) {
  pid_ = spawn(argv, options, out_fd_, err_fd_);
}

Child::~Child() {
  if (!waited_) {
    kill(pid_, SIGKILL);
    wait();
  }
}

void Child::signal(int sig) { kill(pid_, sig); }

bool Child::wait_for_stderr(const std::string& needle, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  char buf[4096];
  while (err_read_.find(needle) == std::string::npos) {
    int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (ms <= 0 || err_fd_ < 0) return false;
    pollfd p{err_fd_, POLLIN, 0};
    if (poll(&p, 1, std::min(ms, 200)) <= 0) continue;
    ssize_t got = read(err_fd_, buf, sizeof buf);
    if (got <= 0) return false;  // the child closed it: it ended
    err_read_.append(buf, static_cast<std::size_t>(got));
  }
  return true;
}

Result Child::wait() {
  waited_ = true;
  Result r = collect(pid_, out_fd_, err_fd_, timeout_);
  r.err = err_read_ + r.err;
  return r;
}

std::string ingestd_bin() {
  if (const char* env = std::getenv("INGESTD_TEST_BIN")) return env;
#ifdef INGESTD_BIN
  return INGESTD_BIN;
#else
  throw std::runtime_error("no ingestd binary configured");
#endif
}

Result ingestd(const std::vector<std::string>& args, const Options& options) {
  std::vector<std::string> argv{ingestd_bin()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, options);
}

}  // namespace testing

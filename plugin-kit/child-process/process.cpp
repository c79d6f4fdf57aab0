#include <ingestd/kit/child/process.hpp>

#include <ingestd/sdk/plugin.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <cstring>

namespace ingestd::kit::child {

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string command_text(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

Process::Process(ProcessOptions options) : options_(std::move(options)) {
  if (options_.argv.empty()) throw sdk::config_error("the command is empty");
  int out[2], err[2], exec_report[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(exec_report, O_CLOEXEC) != 0)
    throw sdk::io_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> argv;
  for (auto& a : options_.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment is built before fork: the child may only exec.
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [k, v] : options_.env) replaced = replaced || entry.rfind(k + "=", 0) == 0;
    if (!replaced) env_text.emplace_back(entry);
  }
  for (const auto& [k, v] : options_.env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw sdk::io_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // The child: only async-signal-safe calls until exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // ingestd ended before prctl took hold
    dup2(out[1], 1);
    dup2(err[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    signal(SIGPIPE, SIG_DFL);
    if (!options_.cwd.empty() && chdir(options_.cwd.c_str()) != 0) {
      int e = errno;
      (void)!write(exec_report[1], &e, sizeof e);
      _exit(127);
    }
    execvpe(argv[0], argv.data(), envp.data());
    int e = errno;
    (void)!write(exec_report[1], &e, sizeof e);
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here, so that a kill right after fork reaches the group
  ::close(out[1]);
  ::close(err[1]);
  ::close(exec_report[1]);
  int exec_errno = 0;
  ssize_t n;
  do n = ::read(exec_report[0], &exec_errno, sizeof exec_errno);
  while (n < 0 && errno == EINTR);
  ::close(exec_report[0]);
  if (n == sizeof exec_errno) {
    ::close(out[0]);
    ::close(err[0]);
    wait();
    throw sdk::config_error("cannot run '" + command_text(options_.argv) + "': " + std::strerror(exec_errno));
  }
  out_fd_ = out[0];
  fcntl(out_fd_, F_SETFL, fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
  stderr_thread_ = std::thread([this, fd = err[0]] { relay_stderr(fd); });
}

Process::~Process() {
  if (!waited_) kill();
  close_fd(out_fd_);
  if (stderr_thread_.joinable()) stderr_thread_.join();
}

void Process::relay_stderr(int fd) {
  std::string pending;
  char chunk[8192];
  auto emit = [this](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (options_.on_stderr) options_.on_stderr(line);
    std::lock_guard lock(stderr_mutex_);
    stderr_tail_.push_back(std::move(line));
    while (stderr_tail_.size() > options_.stderr_lines_kept) stderr_tail_.pop_front();
  };
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(chunk, static_cast<std::size_t>(n));
    std::size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      emit(pending.substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
  }
  if (!pending.empty()) emit(std::move(pending));
  ::close(fd);
}

Process::Read Process::read_line(std::string& line, std::chrono::milliseconds timeout) {
  std::string_view view;
  const Read r = read_line(view, timeout);
  if (r == Read::Line) line.assign(view);
  return r;
}

Process::Read Process::read_line(std::string_view& line, std::chrono::milliseconds timeout) {
  // The deadline is taken when first needed: a line already buffered costs no clock read.
  std::optional<std::chrono::steady_clock::time_point> until;
  for (;;) {
    const char* data = buffer_.data();
    if (const void* nl = end_ > scanned_ ? std::memchr(data + scanned_, '\n', end_ - scanned_) : nullptr) {
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - data);
      line = std::string_view(data + start_, at - start_);
      start_ = scanned_ = at + 1;
      return Read::Line;
    }
    scanned_ = end_;
    // Lines taken leave the buffer only now, once per read, not once per line.
    if (start_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + start_, end_ - start_);
      end_ -= start_;
      scanned_ = end_;
      start_ = 0;
    }
    if (out_closed_) {
      if (end_ == 0) return Read::End;
      line = std::string_view(buffer_.data(), end_);  // the last line, unterminated; the next call ends
      start_ = scanned_ = end_;
      return Read::Line;
    }
    // Read straight into the buffer; it keeps kLinePadding bytes past its
    // end so that a line can be parsed where it is (simdjson reads ahead).
    constexpr std::size_t kRead = 65536;
    if (buffer_.size() < end_ + kRead + kLinePadding) buffer_.resize(end_ + kRead + kLinePadding);
    // Read first and poll only when nothing is there: a connector writing a
    // line per syscall would otherwise cost a poll per line.
    ssize_t n = ::read(out_fd_, buffer_.data() + end_, kRead);
    if (n > 0) {
      end_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) {
      out_closed_ = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) {
      out_closed_ = true;
      continue;
    }
    if (!until) until = std::chrono::steady_clock::now() + timeout;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*until - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Read::Timeout;
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) == 0) return Read::Timeout;
  }
}

int Process::wait() {
  if (waited_) return status_;
  int raw = 0;
  pid_t r;
  do r = ::waitpid(pid_, &raw, 0);
  while (r < 0 && errno == EINTR);
  return reaped(raw);
}

int Process::reaped(int raw) {
  waited_ = true;
  status_ = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + (WIFSIGNALED(raw) ? WTERMSIG(raw) : 0);
  // The group may hold grandchildren the connector started; they go too.
  ::kill(-pid_, SIGKILL);
  if (stderr_thread_.joinable()) stderr_thread_.join();
  return status_;
}

void Process::kill(std::chrono::milliseconds grace) {
  if (waited_) return;
  ::kill(-pid_, SIGTERM);
  close_fd(out_fd_);  // a child blocked writing to us gets EPIPE instead of waiting
  const auto until = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < until) {
    int raw = 0;
    if (::waitpid(pid_, &raw, WNOHANG) == pid_) {
      reaped(raw);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(-pid_, SIGKILL);
  wait();
}

std::string Process::stderr_tail() const {
  std::lock_guard lock(stderr_mutex_);
  std::string out;
  for (const auto& l : stderr_tail_) out += (out.empty() ? "" : "\n") + l;
  return out;
}

std::string Process::describe_status(int status) {
  if (status > 128) return "killed by signal " + std::to_string(status - 128);
  return "exit code " + std::to_string(status);
}

}  // namespace ingestd::kit::child

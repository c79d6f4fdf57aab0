// A connector run as a child process: stdout read line by line, stderr handed
// line by line to a callback (and its last lines kept for error messages).
// The child runs in its own process group, dies with the thread that started
// it (so it never outlives ingestd), and is killed when the object goes.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace ingestd::kit::child {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  std::string cwd;                // empty: ingestd's
  std::vector<std::pair<std::string, std::string>> env;  // set over ingestd's environment
  // Called for every stderr line, from a thread of the process object.
  std::function<void(std::string_view)> on_stderr;
  std::size_t stderr_lines_kept = 20;
};

class Process {
 public:
  // Starts the child; throws an I/O error naming the command when it cannot.
  explicit Process(ProcessOptions options);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  enum class Read { Line, Timeout, End };
  // The next stdout line (without its newline), waiting at most `timeout`.
  // End: stdout closed (the last unterminated line, if any, came before).
  Read read_line(std::string& line, std::chrono::milliseconds timeout);
  // The same, the line left in the reader's buffer: valid until the next
  // call, with at least kLinePadding readable bytes after it (for parsers
  // that read ahead, as simdjson does).
  Read read_line(std::string_view& line, std::chrono::milliseconds timeout);
  static constexpr std::size_t kLinePadding = 64;

  // Waits for the child to end. 0..255: its exit code; 128 + N: killed by N.
  int wait();
  // SIGTERM to the group, then SIGKILL after `grace`; waits for it.
  void kill(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  // The last stderr lines, oldest first, one per line.
  std::string stderr_tail() const;
  // "exit code N" or "killed by signal N".
  static std::string describe_status(int status);

 private:
  void relay_stderr(int fd);
  // Records the exit of the child (`raw` from waitpid) and ends its group.
  int reaped(int raw);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int status_ = -1;
  bool waited_ = false;
  std::vector<char> buffer_;  // stdout bytes read: [start_, end_) not yet returned
  std::size_t start_ = 0, end_ = 0;
  std::size_t scanned_ = 0;  // searched for a line end up to here
  bool out_closed_ = false;
  ProcessOptions options_;
  std::thread stderr_thread_;
  mutable std::mutex stderr_mutex_;
  std::deque<std::string> stderr_tail_;
};

}  // namespace ingestd::kit::child

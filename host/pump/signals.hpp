// SIGINT/SIGTERM during a run: the first asks for a graceful stop (stop
// reading, flush and commit what was read); the second exits at once.
// SIGHUP asks for a reload, when the watcher is given something to do then.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

namespace ingestd {

class SignalWatcher {
 public:
  // Must be constructed before other threads start, so that they inherit the
  // blocked signals and only the watcher receives them.
  explicit SignalWatcher(std::function<void(int signal)> on_stop, std::function<void()> on_reload = {});
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  const bool reload_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace ingestd

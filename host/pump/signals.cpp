#include "pump/signals.hpp"

#include "log/logging.hpp"

#include <csignal>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace ingestd {

namespace {

// Sent by the destructor to the watcher itself, so that a run ends without
// waiting for the watcher's next timeout.
int wake_signal() { return SIGRTMIN; }

sigset_t watched_signals(bool reload) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, wake_signal());
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (reload) sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> on_stop, std::function<void()> on_reload)
    : reload_(static_cast<bool>(on_reload)) {
  sigset_t set = watched_signals(reload_);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, on_stop = std::move(on_stop), on_reload = std::move(on_reload)] {
    sigset_t wait_set = watched_signals(reload_);
    int received = 0;
    while (!done_) {
      timespec timeout{1, 0};
      int sig = sigtimedwait(&wait_set, nullptr, &timeout);
      if (sig <= 0 || sig == wake_signal()) continue;
      if (sig == SIGHUP) {
        log::info("received SIGHUP: reloading the flow file");
        on_reload();
        continue;
      }
      if (++received == 1) {
        log::warn(std::string("received ") + strsignal(sig) +
                  ": stopping reads, committing what was read (send it again to exit at once)");
        on_stop(sig);
      } else {
        log::error(std::string("received ") + strsignal(sig) + " again: exiting now without committing");
        _exit(128 + sig);
      }
    }
  });
}

SignalWatcher::~SignalWatcher() {
  done_ = true;
  pthread_kill(thread_.native_handle(), wake_signal());
  thread_.join();
  sigset_t set = watched_signals(reload_);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace ingestd

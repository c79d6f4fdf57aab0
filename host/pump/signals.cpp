#include "pump/signals.hpp"

#include "log/logging.hpp"

#include <csignal>
#include <cstring>
#include <ctime>
#include <unistd.h>

namespace ingestd {

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

SignalWatcher::SignalWatcher(std::function<void(int)> on_stop) {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, on_stop = std::move(on_stop)] {
    sigset_t wait_set = stop_signals();
    int received = 0;
    while (!done_) {
      timespec timeout{0, 100 * 1000 * 1000};
      int sig = sigtimedwait(&wait_set, nullptr, &timeout);
      if (sig <= 0) continue;
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
  thread_.join();
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace ingestd

// Stops a run from outside it: what SIGINT/SIGTERM does to `ingestd run`
// (stop reading, commit what was read), asked for by `ingestd serve` on
// shutdown, reload or removal of a flow.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>

namespace ingestd {

class RunStop {
 public:
  // Any thread. Calls the run's stop action once it has one.
  void request();
  bool requested() const { return flag_.load(); }
  const std::atomic<bool>& flag() const { return flag_; }

  // The run's way of stopping its parts (called at once when already
  // requested); cleared when the run ends.
  void on_request(std::function<void()> action);

 private:
  std::atomic<bool> flag_{false};
  std::mutex mutex_;
  std::function<void()> action_;
};

}  // namespace ingestd

// Live progress on a terminal: one line per running stream, redrawn twice a
// second on stderr, erased when the run ends.
#pragma once

#include "pump/run_stats.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ingestd {

class ProgressDisplay {
 public:
  // Does nothing unless `enabled`.
  ProgressDisplay(RunStats& run, bool enabled);
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

 private:
  void draw();
  RunStats& run_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  int lines_ = 0;
  std::thread thread_;
};

}  // namespace ingestd

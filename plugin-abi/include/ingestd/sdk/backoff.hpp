// Waits between attempts: the first wait doubled on every attempt up to a
// cap, with random jitter so that many clients do not retry in step, and
// sleeps that end early when the caller is cancelled.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <thread>

namespace ingestd::sdk {

class Backoff {
 public:
  enum class Jitter {
    Below,  // a wait in [d/2, d]: spread out, never past the cap
    Above,  // a wait in [d, d + d/4]: never shorter than d
  };

  Backoff(int64_t first_ms, int64_t max_ms, Jitter jitter)
      : first_ms_(first_ms), max_ms_(max_ms), jitter_(jitter), random_(std::random_device{}()) {}

  // The wait before retry `attempt` (0: the first retry), where
  // d = first * 2^attempt, at most max.
  int64_t delay_ms(int attempt) {
    int64_t d = first_ms_;
    for (int i = 0; i < attempt && d < max_ms_; ++i) d *= 2;
    d = std::min(d, max_ms_);
    if (d <= 1) return d;
    if (jitter_ == Jitter::Below) return std::uniform_int_distribution<int64_t>(d / 2, d)(random_);
    return d + std::uniform_int_distribution<int64_t>(0, d / 4)(random_);
  }

  // Sleeps the wait before retry `attempt`, or `at_least_ms` when that is
  // longer (what the other side asked for); false when cancelled first.
  bool wait(int attempt, const std::function<bool()>& cancelled, int64_t at_least_ms = 0) {
    return sleep(std::max(delay_ms(attempt), at_least_ms), cancelled);
  }

  // Sleeps `ms`, asking `cancelled` (which may be empty) every 50 ms;
  // false when it said so before the time was up.
  static bool sleep(int64_t ms, const std::function<bool()>& cancelled) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      if (cancelled && cancelled()) return false;
      const auto now = std::chrono::steady_clock::now();
      if (now >= until) return true;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
    }
  }

 private:
  int64_t first_ms_;
  int64_t max_ms_;
  Jitter jitter_;
  std::mt19937_64 random_;
};

}  // namespace ingestd::sdk

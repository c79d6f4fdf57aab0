// A token bucket shared by every stream of an instance: on average at most
// `rate` requests per second, with bursts of up to `burst`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace ingestd::kit::http {

class TokenBucket {
 public:
  TokenBucket(double requests_per_second, double burst);

  // Takes one token, waiting for it when the bucket is empty. Returns the
  // milliseconds waited, or -1 when `cancelled` said stop while waiting.
  int64_t acquire(const std::function<bool()>& cancelled);

 private:
  using Clock = std::chrono::steady_clock;
  std::mutex mutex_;
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point refilled_;
};

// Gives up a stream after `threshold` consecutive failed attempts, so that a
// dead server fails a run quickly instead of retrying forever. Not shared.
class CircuitBreaker {
 public:
  explicit CircuitBreaker(int threshold) : threshold_(threshold) {}
  void success() { failures_ = 0; }
  // Counts one failure; true when the breaker opens.
  bool failure() { return threshold_ > 0 && ++failures_ >= threshold_; }
  int failures() const { return failures_; }
  int threshold() const { return threshold_; }

 private:
  int threshold_;
  int failures_ = 0;
};

}  // namespace ingestd::kit::http

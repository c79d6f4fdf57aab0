#include <ingestd/kit/http/rate_limit.hpp>

#include <ingestd/sdk/backoff.hpp>

#include <algorithm>
#include <cmath>

namespace ingestd::kit::http {

TokenBucket::TokenBucket(double requests_per_second, double burst)
    : rate_(requests_per_second), burst_(std::max(1.0, burst)), tokens_(std::max(1.0, burst)), refilled_(Clock::now()) {}

int64_t TokenBucket::acquire(const std::function<bool()>& cancelled) {
  int64_t waited = 0;
  for (;;) {
    int64_t wait_ms = 0;
    {
      std::lock_guard lock(mutex_);
      auto now = Clock::now();
      tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - refilled_).count());
      refilled_ = now;
      if (tokens_ >= 1.0) {
        tokens_ -= 1.0;
        return waited;
      }
      wait_ms = static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0));
    }
    if (!sdk::Backoff::sleep(std::max<int64_t>(1, wait_ms), cancelled)) return -1;
    waited += std::max<int64_t>(1, wait_ms);
  }
}

}  // namespace ingestd::kit::http

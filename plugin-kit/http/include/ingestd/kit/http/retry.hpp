// When to try a request again, and how long to wait first.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ingestd::kit::http {

struct RetryPolicy {
  int max_retries = 5;          // attempts after the first, per request
  int64_t base_delay_ms = 500;  // the first backoff; doubles each attempt (sdk::Backoff, jitter below)
  int64_t max_delay_ms = 30'000;
  int64_t max_retry_after_ms = 15 * 60'000;  // a longer Retry-After fails the request
};

// A Retry-After value, as delta-seconds or an HTTP date, in milliseconds from
// `now_unix_ms`; nullopt when it is neither. A date in the past is 0.
std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_unix_ms);

int64_t unix_now_ms();

}  // namespace ingestd::kit::http

// When to try a request again, and how long to wait first.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>

namespace ingestd::kit::http {

struct RetryPolicy {
  int max_retries = 5;          // attempts after the first, per request
  int64_t base_delay_ms = 500;  // the first backoff; doubles each attempt
  int64_t max_delay_ms = 30'000;
  int64_t max_retry_after_ms = 15 * 60'000;  // a longer Retry-After fails the request
};

// Exponential backoff with jitter: a random delay in [d/2, d] where d is
// base * 2^attempt capped at max (attempt 0 = the first retry).
int64_t backoff_ms(const RetryPolicy& policy, int attempt, std::mt19937_64& random);

// A Retry-After value, as delta-seconds or an HTTP date, in milliseconds from
// `now_unix_ms`; nullopt when it is neither. A date in the past is 0.
std::optional<int64_t> parse_retry_after_ms(std::string_view value, int64_t now_unix_ms);

// Sleeps `ms`, waking early (and returning false) when `cancelled` says so.
bool sleep_unless_cancelled(int64_t ms, const std::function<bool()>& cancelled);

int64_t unix_now_ms();

}  // namespace ingestd::kit::http

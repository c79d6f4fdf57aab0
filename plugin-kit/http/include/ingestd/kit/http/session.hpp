// What the streams of one instance share about an API (base URL, headers,
// credentials, rate limit, retry policy, circuit breakers), and the session
// a stream sends its requests through.
#pragma once

#include <ingestd/kit/http/auth.hpp>
#include <ingestd/kit/http/client.hpp>
#include <ingestd/kit/http/rate_limit.hpp>
#include <ingestd/kit/http/retry.hpp>

#include <ingestd/sdk/backoff.hpp>
#include <ingestd/sdk/plugin.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ingestd::kit::http {

struct Api {
  std::string base_url;
  std::vector<Header> headers;  // sent with every request
  std::shared_ptr<Auth> auth;
  std::shared_ptr<TokenBucket> limiter;  // null: no client-side limit
  RetryPolicy retry;
  Timeouts timeouts;
  int breaker_threshold = 10;
  // Quota headers (GitHub: x-ratelimit-remaining, x-ratelimit-reset in Unix
  // seconds): once remaining reaches 0, wait for the reset before the next
  // request; a 403 or 429 at quota 0 is retried after the reset.
  std::string quota_remaining_header;
  std::string quota_reset_header;

  // A stream's breaker outlives the stream, so that the host's reruns of a
  // failing stream count towards it.
  std::shared_ptr<CircuitBreaker> breaker(const std::string& stream) const;

 private:
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<CircuitBreaker>> breakers_;
};

// Options every HTTP-based plugin offers: base_url, headers, rate_limit,
// max_retries, retry_backoff, timeout, connect_timeout, circuit_breaker, and
// the auth options.
std::vector<sdk::OptionSpec> api_options(const std::string& default_base_url = {});
// Of those, the ones about retrying and timing requests (max_retries,
// retry_backoff, max_retry_wait, timeout, connect_timeout, circuit_breaker):
// for sources that set the rest themselves.
std::vector<sdk::OptionSpec> request_options();
// Reads them; throws config errors naming the option.
std::shared_ptr<Api> make_api(const sdk::Options& options);

class Session {
 public:
  Session(std::shared_ptr<const Api> api, const std::string& stream, sdk::Host host,
          std::function<bool()> cancelled);

  // Sends with credentials, under the rate limit, retrying 5xx, 408, 429 and
  // connection failures (Retry-After honoured, otherwise exponential backoff
  // with jitter). Returns a 2xx response; throws sdk::Error otherwise: other
  // 4xx at once with an excerpt of the body, a circuit breaker that opened
  // as a permanent error, retries exhausted as a transient one.
  Response send(const Request& request);
  Response get(const std::string& url);

  const Api& api() const { return *api_; }

 private:
  void wait_for_quota();
  void note_quota(const Response& response);

  std::shared_ptr<const Api> api_;
  std::shared_ptr<CircuitBreaker> breaker_;
  sdk::Host host_;
  std::function<bool()> cancelled_;
  Client client_;
  sdk::Backoff backoff_;
  int64_t quota_reset_ms_ = 0;  // wait until then before the next request
};

}  // namespace ingestd::kit::http

#include <ingestd/kit/http/session.hpp>

#include <ingestd/sdk/bound_options.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace ingestd::kit::http {

using sdk::config_error;
using sdk::Error;
using sdk::option;

namespace {

std::string excerpt(const std::string& body) {
  std::string s = body.substr(0, 300);
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return body.size() > 300 ? s + "..." : s;
}

std::optional<int64_t> integer_header(const Response& r, const std::string& name) {
  if (name.empty()) return std::nullopt;
  const std::string* v = r.header(name);
  if (!v) return std::nullopt;
  int64_t n = 0;
  auto res = std::from_chars(v->data(), v->data() + v->size(), n);
  if (res.ec != std::errc()) return std::nullopt;
  return n;
}

}  // namespace

std::shared_ptr<CircuitBreaker> Api::breaker(const std::string& stream) const {
  std::lock_guard lock(mutex_);
  auto& b = breakers_[stream];
  if (!b) b = std::make_shared<CircuitBreaker>(breaker_threshold);
  return b;
}

namespace {

// How requests are retried and timed, each option declared once below.
struct RequestSettings {
  int64_t max_retries = 5;
  std::chrono::milliseconds retry_backoff{500};
  std::chrono::milliseconds max_retry_wait{15 * 60'000};
  std::chrono::milliseconds timeout{60'000};
  std::chrono::milliseconds connect_timeout{10'000};
  int64_t circuit_breaker = 10;
};

const sdk::BoundOptions<RequestSettings>& request_settings() {
  static const sdk::BoundOptions<RequestSettings> o = [] {
    using R = RequestSettings;
    sdk::BoundOptions<R> b;
    b.add("max_retries", &R::max_retries, "Retries of a request after 5xx, 408, 429 or a connection failure");
    b.add("retry_backoff", &R::retry_backoff,
          "The first backoff between retries; doubles each time, with jitter (Retry-After wins)");
    b.add("max_retry_wait", &R::max_retry_wait, "A longer Retry-After or quota reset fails the request");
    b.add("timeout", &R::timeout, "Whole-request timeout");
    b.add("connect_timeout", &R::connect_timeout, "Connection timeout");
    b.add("circuit_breaker", &R::circuit_breaker,
          "Give a stream up after this many consecutive failed requests, across reruns (0: never)");
    return b;
  }();
  return o;
}

}  // namespace

std::vector<sdk::OptionSpec> request_options() { return request_settings().specs(); }

std::vector<sdk::OptionSpec> api_options(const std::string& default_base_url) {
  auto base = option("base_url", INGESTD_OPTION_STRING, "The API's base URL; stream paths are relative to it");
  if (default_base_url.empty()) base.required();
  else base.default_to(default_base_url);
  std::vector<sdk::OptionSpec> o = {
      base,
      option("headers", INGESTD_OPTION_JSON,
             "Headers sent with every request, { \"Accept\" = \"application/json\" }; values are redacted from logs")
          .secret(),
      option("rate_limit", INGESTD_OPTION_JSON,
             "Client-side limit shared by all streams: { requests_per_second = N, burst = M }"),
  };
  for (auto& r : request_options()) o.push_back(std::move(r));
  for (auto& a : auth_options()) o.push_back(std::move(a));
  return o;
}

std::shared_ptr<Api> make_api(const sdk::Options& o) {
  auto api = std::make_shared<Api>();
  api->base_url = o.string("base_url");
  while (!api->base_url.empty() && api->base_url.back() == '/') api->base_url.pop_back();
  if (api->base_url.find("://") == std::string::npos)
    throw config_error("base_url must be an absolute URL (http://host/...), got '" + api->base_url + "'");
  const json::Value& headers = o.get("headers");
  if (!headers.is_null()) {
    if (!headers.is_object()) throw config_error("headers must be a table of header names to values");
    for (const auto& [name, value] : headers.as_object()) {
      if (!value.is_string()) throw config_error("headers: '" + name + "' must be a string");
      api->headers.push_back({name, value.as_string()});
    }
  }
  const json::Value& rl = o.get("rate_limit");
  if (!rl.is_null()) {
    if (!rl.is_object() || !rl["requests_per_second"].is_number() || rl["requests_per_second"].as_double() <= 0)
      throw config_error("rate_limit must be { requests_per_second = N, burst = M } with N > 0");
    for (const auto& [key, value] : rl.as_object())
      if (key != "requests_per_second" && key != "burst")
        throw config_error("rate_limit: unknown key '" + key + "' (valid: requests_per_second, burst)");
    double burst = rl["burst"].is_number() ? rl["burst"].as_double() : 1.0;
    api->limiter = std::make_shared<TokenBucket>(rl["requests_per_second"].as_double(), burst);
  }
  const RequestSettings r = request_settings().bind(o);
  api->retry.max_retries = static_cast<int>(std::clamp<int64_t>(r.max_retries, 0, 1'000'000));
  api->retry.base_delay_ms = r.retry_backoff.count();
  api->retry.max_retry_after_ms = r.max_retry_wait.count();
  api->timeouts.total_ms = r.timeout.count();
  api->timeouts.connect_ms = r.connect_timeout.count();
  api->breaker_threshold = static_cast<int>(std::clamp<int64_t>(r.circuit_breaker, 0, 1'000'000));
  api->auth = make_auth(o, api->timeouts);
  return api;
}

Session::Session(std::shared_ptr<const Api> api, const std::string& stream, sdk::Host host,
                 std::function<bool()> cancelled)
    : api_(std::move(api)),
      breaker_(api_->breaker(stream)),
      host_(host),
      cancelled_(std::move(cancelled)),
      client_(api_->timeouts),
      backoff_(api_->retry.base_delay_ms, api_->retry.max_delay_ms, sdk::Backoff::Jitter::Below) {}

Response Session::get(const std::string& url) {
  Request r;
  r.url = url;
  return send(r);
}

namespace {

std::string format_wait(int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
  return text;
}

}  // namespace

void Session::wait_for_quota() {
  int64_t wait = quota_reset_ms_ - unix_now_ms();
  if (wait <= 0) return;
  host_.info("API quota used up; waiting " + std::to_string((wait + 999) / 1000) + " s for its reset");
  host_.count("http_quota_wait_ms", wait);
  if (!sdk::Backoff::sleep(wait, cancelled_)) throw sdk::cancelled_error();
}

void Session::note_quota(const Response& r) {
  auto remaining = integer_header(r, api_->quota_remaining_header);
  auto reset = integer_header(r, api_->quota_reset_header);
  // One second of margin: the reset is rounded to whole seconds.
  if (remaining && *remaining <= 0 && reset) quota_reset_ms_ = *reset * 1000 + 1000;
}

Response Session::send(const Request& request) {
  const Api& api = *api_;
  const std::string what = request.method + " " + request.url;  // before credentials: no secrets
  bool renewed = false;
  for (int attempt = 0;; ) {
    if (cancelled_ && cancelled_()) throw sdk::cancelled_error();
    wait_for_quota();
    if (api.limiter) {
      int64_t waited = api.limiter->acquire(cancelled_);
      if (waited < 0) throw sdk::cancelled_error();
      if (waited > 0) host_.count("http_rate_limit_wait_ms", waited);
    }
    Request r = request;
    for (const auto& h : api.headers) r.set_header(h.name, h.value);
    api.auth->apply(r, host_);
    host_.count("http_requests", 1);

    std::string failure;
    std::optional<int64_t> retry_after;
    try {
      Response resp = client_.send(r, cancelled_);
      note_quota(resp);
      if (resp.status >= 200 && resp.status < 300) {
        breaker_->success();
        return resp;
      }
      if (resp.status == 401 && !renewed && api.auth->renew()) {
        renewed = true;  // a stale token: one more try with a fresh one
        continue;
      }
      const bool quota_spent = quota_reset_ms_ > unix_now_ms() && (resp.status == 403 || resp.status == 429);
      const bool retryable = resp.status >= 500 || resp.status == 408 || resp.status == 429 || quota_spent;
      if (!retryable) {
        std::string m = what + ": HTTP " + std::to_string(resp.status) + ": " + excerpt(resp.body);
        if (resp.status == 401 || resp.status == 403) throw config_error(m);
        throw Error(INGESTD_ERROR_IO, m, INGESTD_RETRY_PERMANENT);
      }
      failure = "HTTP " + std::to_string(resp.status);
      if (resp.status == 429 || resp.status == 503)
        if (const std::string* h = resp.header("retry-after")) retry_after = parse_retry_after_ms(*h, unix_now_ms());
      if (quota_spent && !retry_after) retry_after = quota_reset_ms_ - unix_now_ms();
    } catch (const TransportError& e) {
      if (cancelled_ && cancelled_()) throw sdk::cancelled_error();
      failure = e.what();
    }

    if (breaker_->failure())
      throw Error(INGESTD_ERROR_IO,
                  what + ": giving the stream up after " + std::to_string(breaker_->failures()) +
                      " consecutive failed requests (circuit_breaker = " + std::to_string(breaker_->threshold()) +
                      "); last: " + failure,
                  INGESTD_RETRY_PERMANENT);
    if (attempt >= api.retry.max_retries)
      throw sdk::io_error(what + ": failed after " + std::to_string(attempt + 1) + " attempts; last: " + failure, true,
                          retry_after.value_or(0));
    if (retry_after && *retry_after > api.retry.max_retry_after_ms)
      throw sdk::io_error(what + ": the server asks to wait " + std::to_string(*retry_after / 1000) +
                              " s, more than max_retry_wait",
                          true, *retry_after);
    int64_t delay = retry_after ? *retry_after : backoff_.delay_ms(attempt);
    host_.count("http_retries", 1);
    host_.count(retry_after ? "http_retry_after_ms" : "http_backoff_ms", delay);
    host_.info(what + ": " + failure + "; retry " + std::to_string(attempt + 1) + " of " +
               std::to_string(api.retry.max_retries) + " in " + format_wait(delay) +
               (retry_after ? " (as the server asked)" : ""));
    if (!sdk::Backoff::sleep(delay, cancelled_)) throw sdk::cancelled_error();
    ++attempt;
  }
}

}  // namespace ingestd::kit::http

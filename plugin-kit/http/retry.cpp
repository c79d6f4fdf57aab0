#include <ingestd/kit/http/retry.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <string>

namespace ingestd::kit::http {

std::optional<int64_t> parse_retry_after_ms(std::string_view v, int64_t now_unix_ms) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  int64_t seconds = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), seconds);
  // Absurd waits (past a century) are capped there rather than overflowing:
  // they exceed any max_retry_wait and fail the request just the same.
  constexpr int64_t kCenturyMs = int64_t{100} * 365 * 24 * 3600 * 1000;
  if (r.ec == std::errc::result_out_of_range && r.ptr == v.data() + v.size())
    return v.front() == '-' ? std::nullopt : std::optional<int64_t>(kCenturyMs);
  if (r.ec == std::errc() && r.ptr == v.data() + v.size()) {
    if (seconds < 0) return std::nullopt;
    return std::min(seconds, kCenturyMs / 1000) * 1000;
  }
  // An HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"); libcurl parses every form.
  time_t when = curl_getdate(std::string(v).c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const int64_t wait_s = static_cast<int64_t>(when) - now_unix_ms / 1000;
  if (wait_s > kCenturyMs / 1000) return kCenturyMs;
  return std::max<int64_t>(0, static_cast<int64_t>(when) * 1000 - now_unix_ms);
}

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ingestd::kit::http

// HTTP headers an API sends: the Link header's rel="next" and Retry-After
// (seconds or an HTTP date). The first byte picks which.
#include <ingestd/kit/http/pagination.hpp>
#include <ingestd/kit/http/retry.hpp>

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string value(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    std::string next = ingestd::kit::http::link_next(value);
    if (next.size() > value.size()) __builtin_trap();  // the target is a part of the header
  } else {
    auto ms = ingestd::kit::http::parse_retry_after_ms(value, 1767225600000);
    if (ms && *ms < 0) __builtin_trap();  // a wait is never negative
  }
  return 0;
}

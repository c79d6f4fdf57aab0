// One HTTP exchange over libcurl: a request, its response, nothing more.
// Retries, rate limits and credentials live in Session, above this.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ingestd::kit::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method = "GET";
  std::string url;  // absolute, query included
  std::vector<Header> headers;
  std::string body;

  void set_header(std::string name, std::string value);
};

struct Response {
  long status = 0;
  std::vector<Header> headers;  // names in lower case, in arrival order
  std::string body;

  // The first header of that name (any case), or nullptr.
  const std::string* header(std::string_view name) const;
};

// The server could not be reached or did not answer in time: always worth a retry.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Timeouts {
  int64_t connect_ms = 10'000;
  int64_t total_ms = 60'000;
};

class Client {
 public:
  explicit Client(Timeouts timeouts = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One attempt; connections are kept alive between calls. `cancelled` is
  // polled while waiting. Throws TransportError.
  Response send(const Request& request, const std::function<bool()>& cancelled = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Percent-encoding of a query component (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);
// `url` with `params` appended to its query.
std::string with_query(std::string url, const std::vector<std::pair<std::string, std::string>>& params);
// `reference` resolved against `base` (absolute URLs, "/path", "path?query").
std::string resolve_url(const std::string& base, const std::string& reference);
// The path and query of an absolute URL ("/v1/items?page=2").
std::string path_and_query(const std::string& url);

}  // namespace ingestd::kit::http

// What one webhook connection may take: see GuardedServer.
#pragma once

#include <chrono>

namespace ingestd::plugins::webhook {

struct ConnectionLimits {
  std::chrono::milliseconds header_timeout{10'000};  // request line + headers, from their first byte
  std::chrono::milliseconds body_timeout{60'000};    // the body, once the handler starts reading it
  std::chrono::milliseconds idle_timeout{5'000};     // before a request's first byte (and between requests)
  std::chrono::milliseconds write_timeout{5'000};    // any one write of the answer
  int max_connections = 512;
  int max_connections_per_client = 64;
  int max_requests_per_connection = 1000;
};

}  // namespace ingestd::plugins::webhook

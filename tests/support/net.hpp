// Loopback ports for tests that start servers.
#pragma once

#include <cstddef>
#include <string>

namespace testing {

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_port();

// Whether something accepts connections on 127.0.0.1:port.
bool listening(int port);

// Waits up to `seconds` for 127.0.0.1:port to accept connections.
bool wait_listening(int port, double seconds);

// A socket connected to 127.0.0.1:port from the loopback address `source`
// (any of 127.0.0.0/8, so that one test can play several clients), or -1.
int connect_from(const std::string& source, int port);

// Sends `request` (raw bytes, as a hostile client would frame them), then
// `body_bytes` more bytes of `fill` unless the server stops reading, and
// returns what the server answered until it closed or `seconds` passed.
std::string raw_http(int port, const std::string& request, std::size_t body_bytes = 0, char fill = 'x',
                     double seconds = 30);

// The status code of a raw HTTP response, 0 if there is none.
int http_status(const std::string& response);

// One HTTP/1.1 request to 127.0.0.1:port ("Connection: close"); status 0
// when nothing answered.
struct HttpReply {
  int status = 0;
  std::string body;
};
HttpReply http_request(int port, const std::string& method, const std::string& path,
                       const std::string& headers = "", const std::string& body = "");

}  // namespace testing

// An HTTP server no client can tie up. cpp-httplib parses the requests; this
// class owns the connections: each has a thread of its own, a deadline for
// its request line and headers and another for its body, and connections are
// capped in total and per client address. A connection over a cap is answered
// 503 and closed at once; one past a deadline gets 408 and is closed. So a
// few slow or idle clients (slowloris) cannot shut out the others, which the
// library's fixed thread pool and per-read timeouts alone allow.
#pragma once

#include "connection_limits.hpp"

#include <httplib.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ingestd::plugins::webhook {

class GuardedServer : public httplib::Server {
 public:
  explicit GuardedServer(ConnectionLimits limits);

  // A content-reader handler calls these around reading the body, so that
  // the body's deadline replaces the headers' and then neither holds while
  // the handler waits for something else (a commit). No-ops elsewhere.
  static void reading_body();
  static void body_read();
  // The connection ends with this request's answer: a handler that refuses
  // a request without reading its body calls it, so that the unread body
  // is not taken for the next request.
  static void close_after_answer();

  // Binds and listens with a backlog that absorbs a burst of connections:
  // the library listens with a backlog of 5, past which the kernel drops or
  // (with SYN cookies) resets new connections before they are ever seen.
  bool listen_on(const std::string& host, int port);

  int64_t connections_refused() const { return refused_; }
  int64_t requests_timed_out() const { return timed_out_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  bool stopping() const;
  // Counts the connection in; "" when admitted, else why not.
  std::string admit(const std::string& client);
  void leave(const std::string& client);

  ConnectionLimits limits_;
  std::mutex mutex_;
  int open_ = 0;
  std::map<std::string, int> per_client_;
  std::atomic<int64_t> refused_{0};
  std::atomic<int64_t> timed_out_{0};
};

}  // namespace ingestd::plugins::webhook

// The webhook's HTTP side: accepts POSTed JSON events, holds them until the
// stream takes them into a batch, and answers each request only once the
// batch holding its events is committed everywhere (or 503 if it never is).
#pragma once

#include "connection_limits.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ingestd::plugins::webhook {

class GuardedServer;

struct IntakeOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/events";
  std::string secret;  // empty: no signature check
  std::string signature_header = "X-Signature";
  std::string signature_prefix = "sha256=";
  // Replay protection: when > 0, requests carry timestamp_header (Unix
  // seconds), the signature covers "TIMESTAMP.BODY", and a timestamp further
  // than this from now is refused.
  std::chrono::milliseconds signature_tolerance{0};
  std::string timestamp_header = "X-Timestamp";
  // Decides, before anything is answered, whether a request's events are
  // taken ("") or refused with 400 (why). Called from request threads.
  std::function<std::string(const std::vector<std::string>&)> admit;
  // Optional: events whose dedup_key value was taken among the last
  // dedup_window are answered 200 but not loaded again.
  std::string dedup_key;
  std::size_t dedup_window = 100'000;
  int64_t max_body = 1 << 20;
  ConnectionLimits limits;
  std::chrono::milliseconds flush_interval{200};
  int64_t flush_events = 5000;
  std::chrono::milliseconds ack_timeout{30'000};
};

class EventIntake {
 public:
  // Listens at once; throws when the address cannot be bound.
  explicit EventIntake(IntakeOptions options);
  ~EventIntake();  // stops listening; waiting requests get 503
  EventIntake(const EventIntake&) = delete;
  EventIntake& operator=(const EventIntake&) = delete;

  // Waits until a batch is due (flush_events reached, flush_interval since the
  // first waiting event, every request thread waiting, or no request on its
  // way in) or `poll` passes.
  // Returns the events of batch number `batch` (1, 2, ...), or none.
  std::vector<std::string> take(uint64_t& batch, std::chrono::milliseconds poll);
  // Stops accepting (new requests get 503) and returns what is waiting.
  std::vector<std::string> drain(uint64_t& batch);
  // Batches up to `batch` are committed: their requests get 200.
  void committed(uint64_t batch);

  int64_t accepted() const;
  int64_t duplicates() const;
  int64_t connections_refused() const;
  int64_t requests_timed_out() const;

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<GuardedServer> server_;
  std::thread thread_;
};

}  // namespace ingestd::plugins::webhook

// The host API table handed to plugins, and the contexts that attribute their
// logs, counters and cancellation to an instance, stream or table.
#pragma once

#include <ingestd/abi.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ingestd {

// Named counters a plugin reports (rows_rejected, ...), and gauges it sets
// (cdc_lag_bytes), and texts (cdc_received). Thread-safe.
class Counters {
 public:
  void add(const std::string& name, int64_t delta);
  std::map<std::string, int64_t> snapshot() const;
  void set_gauge(const std::string& name, double value);
  std::map<std::string, double> gauges() const;
  void set_text(const std::string& name, const char* value);  // NULL forgets it
  std::map<std::string, std::string> texts() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int64_t> values_;
  std::map<std::string, double> gauges_;
  std::map<std::string, std::string> texts_;
};

const ingestd_host_api* host_api();

}  // namespace ingestd

// Opaque to plugins; defined here for the host.
struct ingestd_host_context {
  std::string component;  // who speaks in logs: "source shop", "orders/users -> lake"
  std::string flow, stream, destination;  // the same, as fields of JSON logs (empty: not about one)
  std::atomic<bool> cancelled{false};
  const std::atomic<bool>* parent_cancelled = nullptr;  // e.g. the whole run
  std::shared_ptr<ingestd::Counters> counters = std::make_shared<ingestd::Counters>();

  bool is_cancelled() const {
    return cancelled.load() || (parent_cancelled && parent_cancelled->load());
  }
};

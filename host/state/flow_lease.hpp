// One run of a flow at a time. A run holds a lease on each of its flows in
// the state store for as long as it runs, renewed in the background; a
// second run of the same flow (a cron job overlapping a slow one, a second
// `serve`) finds it held and waits or gives up, instead of reading and
// writing the same rows twice.
#pragma once

#include "state/state_store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ingestd {

// A flow another live run holds; the message names it, its process and host.
class FlowBusyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FlowLeases {
 public:
  struct Options {
    // How long to wait for busy flows: zero gives up at once, nullopt waits
    // without bound (until `cancelled`).
    std::optional<std::chrono::seconds> wait = std::chrono::seconds(0);
    int ttl_seconds = 60;  // a holder that stops renewing loses its lease after this
    const std::atomic<bool>* cancelled = nullptr;
    std::function<void(const std::string& flow)> on_lost;  // called from the renewing thread
  };

  // Takes every flow's lease or none (throws FlowBusyError). A lease whose
  // holder ran on this host and whose process is gone is taken over at once.
  FlowLeases(StateStore& store, std::vector<std::string> flows, const std::string& run_id, Options options);
  ~FlowLeases();  // stops renewing and releases
  // This run's holding of `flow`'s lease, for fencing its saves.
  LeaseFence fence(const std::string& flow) const;
  FlowLeases(const FlowLeases&) = delete;
  FlowLeases& operator=(const FlowLeases&) = delete;

 private:
  // The first flow another live run holds, described; empty when all are ours.
  std::string try_all();
  void renew_loop();

  StateStore& store_;
  std::vector<std::string> flows_;
  std::map<std::string, int64_t> epochs_;  // of the flows held; fixed once the constructor returns
  LeaseHolder me_;
  Options options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace ingestd

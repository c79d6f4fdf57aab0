// What `ingestd serve` is to its admin endpoint and its signals: the daemon
// that runs a flow file's flows on their schedules (serve/daemon.hpp), or one
// worker of a pool sharing them ([cluster], cluster/cluster_worker.hpp).
#pragma once

#include <ingestd/sdk/json.hpp>

#include <optional>
#include <string>

namespace ingestd {

class StateStore;

class ServeService {
 public:
  virtual ~ServeService() = default;

  // Runs until stop() and every run ended. Returns 0 when every run that was
  // going on at the stop ended cleanly, 1 otherwise.
  virtual int run() = 0;
  // From any thread: stop starting runs, ask the running ones to stop
  // reading and commit what they read.
  virtual void stop() = 0;

  struct ReloadResult {
    bool ok = false;
    std::string message;  // what changed, or why the file was refused
  };
  virtual ReloadResult reload() = 0;

  enum class Trigger { Started, AlreadyRunning, NoSuchFlow, Stopping };
  // Runs `flow` now (or as soon as a run slot is free).
  virtual Trigger trigger(const std::string& flow) = 0;

  virtual json::Value status() const = 0;
  virtual std::string metrics() const = 0;
  // The configuration is loaded and the state store answers.
  virtual bool ready(std::string& why) const = 0;
  // The admin endpoint's bearer token ("" for none), as the last good
  // configuration sets it.
  virtual std::string token() const = 0;
};

// The last reload, as /status shows it ("last_reload": null before any).
struct ReloadRecord {
  bool ok = false;
  std::string at, message;  // message: what changed, or why it was refused
};
json::Value last_reload_json(const std::optional<ReloadRecord>& last);

// Readiness as both services judge it: the state store answers a query.
bool state_store_answers(StateStore& store, std::string& why);

}  // namespace ingestd

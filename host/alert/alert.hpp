// An event worth telling someone about, as alert sinks receive it: one JSON
// document per event.
#pragma once

#include <string>
#include <vector>

namespace ingestd {

struct Alert {
  std::string event;  // run_failed | stale | recovered | volume_anomaly | schema_drift
  std::string flow;
  std::string stream;       // for volume_anomaly, schema_drift
  std::string message;
  std::string run_id;       // the run it is about, when there is one
  std::string error_class;  // run_failed: config | permanent | transient | rate_limited
  std::string at;           // RFC 3339 UTC
  std::string flow_file;    // absolute
  std::string host;
};

// {"event", "flow", "stream", "message", "run_id", "error_class", "at", "flow_file", "host"}; empty members are null.
std::string alert_json(const Alert& alert);

// A flow's trouble as alerts tell it: a failing streak and a stale spell are
// each told once when they begin, and "recovered" once when the flow has
// neither any more.
class FlowTrouble {
 public:
  // A run of the flow ended; the events it starts.
  std::vector<std::string> run_ended(bool ok);
  // The flow was found stale or fresh; the events that starts.
  std::vector<std::string> freshness(bool stale);
  bool stale() const { return stale_; }

 private:
  std::vector<std::string> change(bool failing, bool stale);
  bool failing_ = false, stale_ = false;
};

}  // namespace ingestd

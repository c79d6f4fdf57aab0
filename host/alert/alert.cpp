#include "alert/alert.hpp"

#include <ingestd/sdk/json.hpp>

namespace ingestd {

std::string alert_json(const Alert& a) {
  json::Object o;
  auto text = [](const std::string& s) { return s.empty() ? json::Value() : json::Value(s); };
  o.set("event", text(a.event));
  o.set("flow", text(a.flow));
  o.set("stream", text(a.stream));
  o.set("message", text(a.message));
  o.set("run_id", text(a.run_id));
  o.set("error_class", text(a.error_class));
  o.set("at", text(a.at));
  o.set("flow_file", text(a.flow_file));
  o.set("host", text(a.host));
  return json::Value(std::move(o)).dump();
}

std::vector<std::string> FlowTrouble::change(bool failing, bool stale) {
  std::vector<std::string> events;
  const bool troubled = failing_ || stale_;
  if (failing && !failing_) events.push_back("run_failed");
  if (stale && !stale_) events.push_back("stale");
  failing_ = failing;
  stale_ = stale;
  if (troubled && !failing_ && !stale_) events.push_back("recovered");
  return events;
}

std::vector<std::string> FlowTrouble::run_ended(bool ok) { return change(!ok, stale_); }

std::vector<std::string> FlowTrouble::freshness(bool stale) { return change(failing_, stale); }

}  // namespace ingestd

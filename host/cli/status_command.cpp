#include "cli/commands.hpp"
#include "config/flow_file.hpp"
#include "monitor/flow_health.hpp"
#include "state/state_store.hpp"

#include <ingestd/sdk/json.hpp>

#include <cstdio>

namespace ingestd::cli {

namespace {

std::string age_text(const std::optional<double>& seconds) {
  if (!seconds) return "never";
  const int64_t s = static_cast<int64_t>(*seconds);
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  if (s < 172800) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace

int status_command(const GlobalOptions&, const StatusArgs& a) {
  const FlowFile ff = load_flow_file(a.flows);
  auto store = open_state_store(ff);
  const auto now = std::chrono::system_clock::now();
  json::Array flows;
  bool any_stale = false;
  if (a.format != "json")
    std::printf("%-20s %-8s %-16s %-9s %-10s %-24s %12s  %s\n", "FLOW", "HEALTH", "SCHEDULE", "FRESHNESS", "DATA AGE",
                "LAST RUN", "ROWS", "FLAGS (last runs)");
  for (const FlowDef& f : ff.flows) {
    const FlowHealth h = health_of(f, *store, now);
    any_stale = any_stale || h.freshness.stale;
    json::Object o = health_json(f, h);
    o.set("name", json::Value(f.name));
    o.set("schedule", f.schedule ? json::Value(f.schedule->text()) : json::Value());
    if (a.format == "json") {
      flows.push_back(json::Value(std::move(o)));
      continue;
    }
    const json::Value last = *o.find("last_run");
    const std::string health = h.freshness.stale ? "STALE"
                               : !h.last_run      ? "-"
                               : flow_succeeded(*h.last_run) ? "ok"
                               : h.last_run->ended_at.empty() ? "running"
                                                              : "FAILED";
    std::string last_run = last.is_null() ? "-" : last["status"].as_string() + " " + last["started_at"].as_string();
    std::printf("%-20s %-8s %-16s %-9s %-10s %-24s %12s  %zu\n", f.name.c_str(), health.c_str(),
                f.schedule ? f.schedule->text().c_str() : "-",
                f.freshness_ms ? (std::to_string(*f.freshness_ms / 1000) + "s").c_str() : "-",
                age_text(h.freshness.age_seconds).c_str(), last_run.substr(0, 24).c_str(),
                last.is_null() ? "-" : std::to_string(last["rows"].as_int()).c_str(), h.flags.size());
    for (const FlowHealth::Flag& flag : h.flags)
      std::printf("    %s %s %s: %s\n", flag.at.c_str(), flag.stream.c_str(), flag.kind.c_str(), flag.message.c_str());
  }
  if (a.format == "json") std::printf("%s\n", json::Value(std::move(flows)).dump().c_str());
  // A stale flow is something to act on: scripts see it in the exit code.
  return any_stale ? kExitFailed : kExitOk;
}

}  // namespace ingestd::cli

#include "cli/commands.hpp"
#include "cluster/cluster_store.hpp"
#include "config/flow_file.hpp"
#include "config/location.hpp"

#include <ingestd/sdk/json.hpp>

#include <cstdio>

namespace ingestd::cli {

int cluster_status_command(const GlobalOptions&, const ClusterStatusArgs& a) {
  const FlowFile ff = load_flow_file(a.flows);
  if (!ff.cluster.enabled)
    throw ConfigError(ff.cluster.location.file.empty() ? Location{ff.path} : ff.cluster.location, "cluster.enabled",
                      "this flow file does not run as a pool; set [cluster] enabled = true");
  ClusterStore cluster(ff.state_dsn, ff.state_schema);
  const int ttl = ff.cluster.lease_ttl_seconds;
  const std::vector<ClusterWorkerInfo> workers = cluster.workers(ttl);
  const std::vector<ClusterUnitInfo> units = cluster.units();
  if (a.format == "json") {
    json::Array w;
    for (const ClusterWorkerInfo& x : workers) {
      json::Object o;
      o.set("worker_id", json::Value(x.worker_id));
      o.set("host", json::Value(x.host));
      o.set("pid", json::Value(x.pid));
      o.set("fingerprint", json::Value(x.fingerprint));
      o.set("started_at", json::Value(x.started_at));
      o.set("heartbeat_at", json::Value(x.heartbeat_at));
      o.set("live", json::Value(x.live));
      w.push_back(json::Value(std::move(o)));
    }
    json::Array u;
    for (const ClusterUnitInfo& x : units) {
      json::Object o;
      o.set("flow", json::Value(x.flow));
      o.set("stream", json::Value(x.stream));
      o.set("owner", json::Value(x.owner));
      o.set("epoch", json::Value(x.epoch));
      o.set("held", json::Value(x.held));
      o.set("expires_at", json::Value(x.expires_at));
      o.set("last_run_at", json::Value(x.last_run_at));
      o.set("last_status", json::Value(x.last_status));
      o.set("last_run_id", json::Value(x.last_run_id));
      o.set("next_due_at", json::Value(x.next_due_at));
      o.set("failures", json::Value(x.failures));
      u.push_back(json::Value(std::move(o)));
    }
    json::Object out;
    out.set("workers", json::Value(std::move(w)));
    out.set("units", json::Value(std::move(u)));
    std::printf("%s\n", json::Value(std::move(out)).dump().c_str());
    return 0;
  }
  std::printf("%-40s %-5s %-16s %s\n", "WORKER", "LIVE", "FLOW FILE", "LAST HEARTBEAT");
  for (const ClusterWorkerInfo& x : workers)
    std::printf("%-40s %-5s %-16s %s\n", x.worker_id.c_str(), x.live ? "yes" : "no", x.fingerprint.c_str(),
                x.heartbeat_at.c_str());
  std::printf("\n%-30s %-40s %6s %-20s %-20s %-8s %s\n", "UNIT", "OWNER", "EPOCH", "EXPIRES", "LAST RUN", "STATUS",
              "NEXT DUE");
  for (const ClusterUnitInfo& x : units) {
    const std::string unit = x.flow + "/" + x.stream;
    std::printf("%-30s %-40s %6lld %-20s %-20s %-8s %s\n", unit.c_str(), x.held ? x.owner.c_str() : "-",
                static_cast<long long>(x.epoch), x.held ? x.expires_at.c_str() : "-",
                x.last_run_at.empty() ? "-" : x.last_run_at.c_str(), x.last_status.empty() ? "-" : x.last_status.c_str(),
                x.next_due_at.empty() ? "not scheduled" : x.next_due_at.c_str());
  }
  return 0;
}

}  // namespace ingestd::cli

// The ingestd commands. Each returns the process exit code:
// 0 success, 1 failed run or check, 2 usage or configuration error, 3 a flow
// is being run by another run.
#pragma once

#include <ingestd/abi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ingestd::cli {

struct GlobalOptions {
  std::vector<std::string> plugin_paths;
  std::string log_level = "info";
  std::string log_format = "text";
};

struct RunArgs {
  std::string flows;
  std::vector<std::string> flows_selected;  // --flow, repeatable; empty: every flow
  std::string report;
  bool no_progress = false;
  bool full_refresh = false;
  bool rediscover = false;
  bool wait = false;                    // --wait: for a flow another run holds
  std::optional<std::string> wait_for;  // --wait-timeout DURATION (implies --wait)
};
int run_command(const GlobalOptions& g, const RunArgs& a);

// connect: also discover each flow's source and check the flow against it.
int validate_command(const GlobalOptions& g, const std::string& flows, bool connect);
int check_command(const GlobalOptions& g, const std::string& flows);

struct DiscoverArgs {
  std::string flows;
  std::string source;
  std::string flow;  // instead of source: the flow's streams as it delivers them (after its transforms)
  std::string format = "text";
};
int discover_command(const GlobalOptions& g, const DiscoverArgs& a);

struct StateArgs {
  std::string flows;
  std::optional<std::string> flow;
  std::optional<std::string> stream;
  std::string format = "text";
  bool full = false;  // show: checkpoints whole in text
  bool drop_slot = false;  // reset: sources release what they hold at the server
};
int state_show_command(const GlobalOptions& g, const StateArgs& a);
// Needs a.flow.
int state_reset_command(const GlobalOptions& g, const StateArgs& a);

struct RunsArgs {
  std::string flows;
  int limit = 20;
  std::string format = "text";
};
int runs_command(const GlobalOptions& g, const RunsArgs& a);

struct ServeArgs {
  std::string flows;
  std::optional<std::string> listen;  // --listen ADDRESS:PORT, over [serve] listen
};
int serve_command(const GlobalOptions& g, const ServeArgs& a);

struct StatusArgs {
  std::string flows;
  std::string format = "text";
};
// Exit 1 when a flow is stale.
int status_command(const GlobalOptions& g, const StatusArgs& a);

struct ClusterStatusArgs {
  std::string flows;
  std::string format = "text";
};
int cluster_status_command(const GlobalOptions& g, const ClusterStatusArgs& a);

struct UsageArgs {
  std::string flows;
  std::optional<std::string> month;  // "2026-11"; none: every month
  std::string format = "text";
};
int usage_command(const GlobalOptions& g, const UsageArgs& a);

struct SingerTargetArgs {
  std::string flows;
  std::string destination;
  std::optional<std::string> load;
  int64_t batch_rows = INGESTD_DEFAULT_BATCH_ROWS;
};
int singer_target_command(const GlobalOptions& g, const SingerTargetArgs& a);

int plugins_list_command(const GlobalOptions& g, const std::string& format);
int plugins_inspect_command(const GlobalOptions& g, const std::string& name, const std::string& format);

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitConfig = 2;
constexpr int kExitBusy = 3;

}  // namespace ingestd::cli

#include "cli/app.hpp"

#include "cli/commands.hpp"
#include "config/flow_file.hpp"
#include "config/location.hpp"
#include "loader/plugin_instance.hpp"
#include "log/logging.hpp"
#include "util/strings.hpp"

#include <CLI/App.hpp>
#include <CLI/Config.hpp>
#include <CLI/Formatter.hpp>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <optional>

#ifndef INGESTD_VERSION
#define INGESTD_VERSION "0.0.0"
#endif

namespace ingestd::cli {

namespace {

const char* kDescription =
    "ingestd moves data from sources (files, databases, APIs) to destinations through\n"
    "plugins, as described by a TOML flow file.\n\n"
    "Exit codes: 0 success, 1 failed run or check, 2 usage or configuration error.\n"
    "Environment: INGESTD_PLUGIN_PATH (colon-separated plugin folders).";

// `ingestd run --help` ends with the flow file's keys, from their one table.
std::string run_footer() {
  std::string out =
      "\nA flow file declares [sources.NAME] and [destinations.NAME] (each with plugin = \"...\"\n"
      "and a config table) and [[flows]] wiring them. Keys of a [[flows]] entry\n"
      "(* also in per-stream tables, [flows.streams.\"NAME\"]; + only there):\n";
  for (const FlowKey& k : flow_keys()) {
    const char mark = k.scope == FlowKey::FlowAndStream ? '*' : k.scope == FlowKey::Stream ? '+' : ' ';
    std::string name = k.name;
    name.resize(std::max<std::size_t>(name.size(), 15), ' ');
    out += "  " + std::string(1, mark) + name + " " + k.help + "\n";
  }
  return out +
         "State (checkpoints, run history): [state] path = \".ingestd/state.db\" (the default, beside this file).\n"
         "${VAR} in strings reads the environment (${VAR:-default} for a fallback).\n"
         "SIGINT/SIGTERM stop reading, commit what was read and exit 1; a second one exits at once.\n"
         "One run of a flow at a time: a flow another run is running exits 3, or waits with --wait.";
}

// The first word that is neither an option nor an option's value, when it
// names no command: CLI11 alone would only say that a subcommand is required.
std::optional<std::string> unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") return std::nullopt;
    if (arg.rfind("-", 0) == 0) {
      auto* opt = app.get_option_no_throw(arg.substr(0, arg.find('=')));
      if (opt && opt->get_type_size() > 0 && arg.find('=') == std::string::npos) ++i;  // its value
      continue;
    }
    for (const auto* c : app.get_subcommands({}))
      if (c->check_name(arg)) return std::nullopt;
    return arg;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "ingestd"};
  app.require_subcommand(1);
  app.fallthrough();
  app.set_version_flag("--version", std::string("ingestd ") + INGESTD_VERSION + " (plugin ABI " +
                                        std::to_string(INGESTD_ABI_VERSION_MAJOR) + "." +
                                        std::to_string(INGESTD_ABI_VERSION_MINOR) + ")");
  GlobalOptions g;
  app.add_option("--plugin-path", g.plugin_paths, "Also load plugins from DIR (repeatable; searched first)")
      ->type_name("DIR");
  app.add_option("--log-level", g.log_level, "trace|debug|info|warn|error|off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->capture_default_str();
  app.add_option("--log-format", g.log_format, "text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();

  std::function<int()> command;

  RunArgs run;
  auto* run_cmd = app.add_subcommand("run", "Run the flows of a flow file");
  run_cmd->add_option("FLOWS", run.flows, "Flow file (TOML)")->required();
  run_cmd->add_option("--flow", run.flows_selected, "Run only the flow of this name (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  run_cmd->add_option("--report", run.report, "Write a JSON report of the run to FILE (- for standard output)")->type_name("FILE");
  run_cmd->add_flag("--no-progress", run.no_progress, "No live progress, even on a terminal");
  run_cmd->add_flag("--full-refresh,--resnapshot", run.full_refresh,
                    "Ignore stored state for this run: read every stream from the start (state is saved again); a "
                    "change-data-capture stream copies its table again with a new slot");
  run_cmd->add_flag("--rediscover", run.rediscover,
                    "Ask each source for its streams and columns again rather than use the catalog kept in the state "
                    "store");
  run_cmd->add_flag("--wait", run.wait, "When another run is running one of the flows, wait for it (default: exit 3)");
  run_cmd->add_option("--wait-timeout", run.wait_for, "Wait at most this long (30s, 10m, 2h) for busy flows, then exit 3")
      ->type_name("DURATION");
  run_cmd->footer(run_footer());
  run_cmd->callback([&] { command = [&] { return run_command(g, run); }; });

  std::string validate_flows;
  auto* validate_cmd = app.add_subcommand("validate", "Check a flow file and plugin options without connecting");
  validate_cmd->add_option("FLOWS", validate_flows, "Flow file (TOML)")->required();
  bool validate_connect = false;
  validate_cmd->add_flag("--connect", validate_connect,
                         "Also discover each source and check streams, keys and cursors against it (reads no rows)");
  validate_cmd->callback([&] { command = [&] { return validate_command(g, validate_flows, validate_connect); }; });

  std::string check_flows;
  auto* check_cmd = app.add_subcommand("check", "Connect every source and destination and report each");
  check_cmd->add_option("FLOWS", check_flows, "Flow file (TOML)")->required();
  check_cmd->callback([&] { command = [&] { return check_command(g, check_flows); }; });

  ServeArgs serve;
  auto* serve_cmd = app.add_subcommand(
      "serve", "Run the flows on their schedules until stopped, with an admin endpoint (metrics, status, reload)");
  serve_cmd->add_option("FLOWS", serve.flows, "Flow file (TOML)")->required();
  serve_cmd->add_option("--listen", serve.listen,
                        "The admin endpoint's ADDRESS:PORT (default [serve] listen, or 127.0.0.1:8686; port 0 picks "
                        "a free one and logs it)")
      ->type_name("ADDRESS:PORT");
  serve_cmd->footer(
      "\nA flow runs on its schedule (schedule = \"every 5m\", start to start, or a cron expression\n"
      "\"*/15 * * * *\" read in timezone = \"...\"); without one it runs once at start. Sources that\n"
      "never end (webhook) run continuously and start again after a failure. A run still going\n"
      "when the next is due makes that one skipped, never a second run.\n"
      "SIGHUP or POST /reload reads the flow file again: an invalid file changes nothing; a valid\n"
      "one restarts only the flows whose definition changed. SIGINT/SIGTERM: no new runs, running\n"
      "ones commit what they read; exit 0 when all ended cleanly. A second signal exits at once.\n"
      "Endpoints: GET /healthz /readyz /metrics /status; POST /reload /flows/NAME/run.");
  serve_cmd->callback([&] { command = [&] { return serve_command(g, serve); }; });

  StatusArgs status;
  auto* status_cmd = app.add_subcommand(
      "status", "Each flow's health from run history: freshness, last run, what the checks flagged (exit 1 if stale)");
  status_cmd->add_option("FLOWS", status.flows, "Flow file (TOML)")->required();
  status_cmd->add_option("--format", status.format, "text|json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  status_cmd->callback([&] { command = [&] { return status_command(g, status); }; });

  ClusterStatusArgs cluster_status;
  auto* cluster_cmd = app.add_subcommand("cluster", "A pool of serve workers sharing a flow file ([cluster] enabled)");
  cluster_cmd->require_subcommand(1);
  auto* cluster_status_cmd = cluster_cmd->add_subcommand(
      "status", "The pool's workers with their last heartbeat, and its units with owner, epoch, expiry and last run");
  cluster_status_cmd->add_option("FLOWS", cluster_status.flows, "Flow file (TOML)")->required();
  cluster_status_cmd->add_option("--format", cluster_status.format, "text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cluster_status_cmd->callback([&] { command = [&] { return cluster_status_command(g, cluster_status); }; });

  UsageArgs usage;
  auto* usage_cmd = app.add_subcommand(
      "usage", "Per table and month: active rows (distinct keys changed), rows moved, inserted, updated, deleted");
  usage_cmd->add_option("FLOWS", usage.flows, "Flow file (TOML)")->required();
  usage_cmd->add_option("--month", usage.month, "Only this calendar month (UTC), e.g. 2026-11")->type_name("YYYY-MM");
  usage_cmd->add_option("--format", usage.format, "text|json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  usage_cmd->callback([&] { command = [&] { return usage_command(g, usage); }; });

  DiscoverArgs discover;
  auto* discover_cmd = app.add_subcommand("discover", "List a source's streams: columns, types, keys, cursors");
  discover_cmd->add_option("FLOWS", discover.flows, "Flow file (TOML)")->required();
  discover_cmd->add_option("--source", discover.source, "The [sources.NAME] to discover");
  discover_cmd->add_option("--flow", discover.flow,
                           "Instead of --source: the streams this flow reads, with the columns its transforms "
                           "deliver");
  discover_cmd->add_option("--format", discover.format, "text|json|yaml")
      ->check(CLI::IsMember({"text", "json", "yaml"}))
      ->capture_default_str();
  discover_cmd->callback([&] { command = [&] { return discover_command(g, discover); }; });

  SingerTargetArgs target;
  auto* target_cmd = app.add_subcommand(
      "singer-target", "Read Singer messages on stdin into a destination; pass each STATE on once committed");
  target_cmd->add_option("FLOWS", target.flows, "Flow file (TOML) defining the destination")->required();
  target_cmd->add_option("--destination", target.destination, "The [destinations.NAME] to write to")->required();
  target_cmd->add_option("--load", target.load,
                         "append|replace|merge for every stream (default: merge on key_properties, else append; "
                         "replace after ACTIVATE_VERSION)")
      ->check(CLI::IsMember({"append", "replace", "merge"}));
  target_cmd->add_option("--batch-rows", target.batch_rows, "Rows per batch")->check(CLI::PositiveNumber)
      ->capture_default_str();
  target_cmd->callback([&] { command = [&] { return singer_target_command(g, target); }; });

  auto* state_cmd = app.add_subcommand("state", "Show or reset saved checkpoints (where incremental runs resume)");
  state_cmd->require_subcommand(1);
  StateArgs show;
  auto* show_cmd = state_cmd->add_subcommand("show", "Show saved checkpoints per flow, stream and destination");
  show_cmd->add_option("FLOWS", show.flows, "Flow file (TOML)")->required();
  show_cmd->add_option("--flow", show.flow, "Only this flow");
  show_cmd->add_option("--stream", show.stream, "Only this stream");
  show_cmd->add_option("--format", show.format, "text|json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  show_cmd->add_flag("--full", show.full, "Print checkpoints whole (text shortens them to 60 characters)");
  show_cmd->callback([&] { command = [&] { return state_show_command(g, show); }; });
  StateArgs reset;
  auto* reset_cmd = state_cmd->add_subcommand(
      "reset", "Forget a flow's checkpoints (all streams, or one): the next run reads from the start");
  reset_cmd->add_option("FLOWS", reset.flows, "Flow file (TOML)")->required();
  reset_cmd->add_option("--flow", reset.flow, "The flow to reset")->required();
  reset_cmd->add_option("--stream", reset.stream, "Only this stream");
  reset_cmd->add_flag("--drop-slot", reset.drop_slot,
                      "Also drop what the source keeps at its server for the streams (a PostgreSQL "
                      "replication slot and the publication ingestd made), so it holds no log back");
  reset_cmd->callback([&] { command = [&] { return state_reset_command(g, reset); }; });

  RunsArgs runs;
  auto* runs_cmd = app.add_subcommand("runs", "Show the run history: status, times, rows, errors");
  runs_cmd->add_option("FLOWS", runs.flows, "Flow file (TOML)")->required();
  runs_cmd->add_option("--limit", runs.limit, "How many runs, newest first")->check(CLI::PositiveNumber)->capture_default_str();
  runs_cmd->add_option("--format", runs.format, "text|json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  runs_cmd->callback([&] { command = [&] { return runs_command(g, runs); }; });

  auto* plugins_cmd = app.add_subcommand("plugins", "List installed plugins or show one's options");
  plugins_cmd->require_subcommand(1);
  std::string list_format = "text";
  auto* list_cmd = plugins_cmd->add_subcommand("list", "List installed plugins (and shared objects refused, with why)");
  list_cmd->add_option("--format", list_format, "text|json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  list_cmd->callback([&] { command = [&] { return plugins_list_command(g, list_format); }; });
  std::string inspect_name, inspect_format = "text";
  auto* inspect_cmd = plugins_cmd->add_subcommand("inspect", "Show a plugin's kinds, modes and options");
  inspect_cmd->add_option("NAME", inspect_name, "Plugin name")->required();
  inspect_cmd->add_option("--format", inspect_format, "text|json")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  inspect_cmd->callback([&] { command = [&] { return plugins_inspect_command(g, inspect_name, inspect_format); }; });

  if (auto unknown = unknown_command(app, argc, argv)) {
    std::vector<std::string> names;
    for (const auto* c : app.get_subcommands({})) names.push_back(c->get_name());
    std::fprintf(stderr, "error: unknown command '%s' (commands: %s); see ingestd --help\n", unknown->c_str(),
                 join(names, ", ").c_str());
    return kExitConfig;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitConfig;
  }

  try {
    log::configure(g.log_level, g.log_format);
    return command();
  } catch (const ConfigErrors& e) {
    for (const auto& one : e.errors()) std::fprintf(stderr, "error: %s\n", log::redact(one.what()).c_str());
    std::fprintf(stderr, "%zu errors\n", e.errors().size());
    return kExitConfig;
  } catch (const ConfigError& e) {
    std::fprintf(stderr, "error: %s\n", log::redact(e.what()).c_str());
    return kExitConfig;
  } catch (const sdk::Error& e) {
    std::fprintf(stderr, "error: %s\n", log::redact(e.what()).c_str());
    return e.is_config() ? kExitConfig : kExitFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", log::redact(e.what()).c_str());
    return kExitFailed;
  }
}

}  // namespace ingestd::cli

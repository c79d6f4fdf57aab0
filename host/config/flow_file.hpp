// The flow file: [state], [sources.NAME], [destinations.NAME], [[flows]].
//
// Parsing checks structure only (keys, types, references between sections).
// Plugin options are checked later against each plugin's option table
// (config/option_validation.hpp), because that needs the plugins loaded.
#pragma once

#include "config/location.hpp"
#include "schedule/schedule.hpp"

#include <ingestd/abi.h>
#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/settings.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ingestd {

// A plugin's config table as written: values, and where each key was written.
// Keys of nested values are paths like "columns[2].type".
struct ConfigTable {
  json::Value value = json::Object{};
  std::map<std::string, Location> locations;
  Location location;  // of the table itself

  Location location_of(const std::string& key) const;
};

struct ComponentDef {
  std::string name;      // [sources.NAME]
  std::string plugin;    // a plugin name, or a path to a shared object
  Location location;
  Location plugin_location;
  ConfigTable config;
};

struct QueueLimits {
  int64_t max_batches = 8;
  int64_t max_bytes = int64_t{32} << 20;
};

// What a flow does with a stream. Set on the flow, and overridable per
// stream in [flows.streams."NAME"].
struct StreamSettings {
  uint32_t extract_mode = 1;  // INGESTD_EXTRACT_SNAPSHOT
  Location extract_location;
  std::string cursor_field;  // the flow's `cursor`
  std::vector<std::string> primary_key;
  uint32_t load_mode = 1;  // INGESTD_LOAD_APPEND
  Location load_location;
  sdk::StreamSettings source;  // lookback, start, deleted_column, where: for the source
  Location where_location;      // a filter SQL sources push down to the server
  sdk::TableSettings tables;    // schema_changes, hard_delete, delete_stale: for each destination
  Location delete_stale_location;
  std::string table;  // destination table; empty: the stream's name
  // [transforms.NAME] applied in order between the source and every
  // destination; a stream's own list replaces the flow's.
  std::vector<std::string> transforms;
  Location transforms_location;
};

struct FlowDef {
  std::string name;
  Location location;
  std::string from;
  Location from_location;
  std::vector<std::string> to;
  Location to_location;
  std::vector<std::string> streams;  // empty: every discovered stream
  Location streams_location;
  StreamSettings settings;                          // the flow's own
  std::map<std::string, StreamSettings> overrides;  // per stream
  QueueLimits queue;
  int64_t batch_rows = INGESTD_DEFAULT_BATCH_ROWS;
  int64_t parallelism = 4;  // streams of this flow read at once
  int64_t retries = 3;      // reruns of a stream after a transient failure
  // Under `ingestd serve`: when the flow runs (none: once at start), and up
  // to how long each run starts late so that flows due together spread out.
  std::optional<Schedule> schedule;
  int64_t jitter_ms = 0;
  // Checks of what a run moved: stale after `freshness` without new data;
  // a stream's rows compared with its last `volume_history` successful runs.
  std::optional<int64_t> freshness_ms;
  Location freshness_location;
  int64_t volume_history = 20;
  double volume_zscore = 3;
  std::vector<std::string> alerts;  // [alerts.NAME] told of this flow's events (ingestd serve)
  // The entry as written (JSON), for telling a changed flow on reload.
  std::string definition;

  const StreamSettings& settings_for(const std::string& stream) const;
};

// [alerts.NAME]: where `ingestd serve` sends a flow's events.
struct AlertSinkDef {
  std::string name;
  std::string kind;  // webhook | command
  std::string url;   // webhook: POSTed a JSON document
  std::string secret;  // webhook: HMAC-SHA256 of the body in X-Signature ("sha256=HEX"); a secret
  std::vector<std::string> command;  // command: run with the JSON document on its standard input
  Location location;
};

// [serve]: the daemon's own settings.
struct ServeSettings {
  std::string listen = "127.0.0.1:8686";  // the admin endpoint; port 0 picks a free one
  int64_t max_concurrent_runs = 4;        // runs of all flows at once
  std::string token;                      // a bearer token for the admin endpoint (a secret); empty: none
  Location location;
};

// [cluster]: `ingestd serve` as one worker of a pool sharing the flow file
// and a PostgreSQL state store (cluster/cluster_worker.hpp).
struct ClusterSettings {
  bool enabled = false;
  // A worker that stops renewing (killed, paused, partitioned off) frees its
  // units this long after its last renewal.
  int lease_ttl_seconds = 15;
  Location location;
};

struct FlowFile {
  std::string path;           // as given
  std::string dir;            // absolute directory of the file: relative paths resolve here
  std::string absolute_path;  // names the file in run history, whatever the working directory
  std::vector<ComponentDef> sources;
  std::vector<ComponentDef> destinations;
  std::vector<ComponentDef> transforms;
  std::vector<FlowDef> flows;
  // [state]: where checkpoints and run history live.
  std::string state_backend = "sqlite";  // sqlite | postgres
  std::optional<std::string> state_path;  // sqlite
  std::string state_dsn;                  // postgres (${VAR} expanded; a secret)
  std::string state_schema = "ingestd";   // postgres
  // A run holds each of its flows' leases while it runs, renewing a third of
  // the way through; one that stops renewing (killed elsewhere, paused,
  // partitioned off) frees its flows this long after its last renewal.
  int lease_ttl_seconds = 60;
  Location state_location;
  ServeSettings serve;
  ClusterSettings cluster;
  std::vector<AlertSinkDef> alerts;
  const AlertSinkDef* find_alert(const std::string& name) const;

  const ComponentDef* find_source(const std::string& name) const;
  const ComponentDef* find_destination(const std::string& name) const;
  const ComponentDef* find_transform(const std::string& name) const;
  const FlowDef* find_flow(const std::string& name) const;
  std::vector<std::string> flow_names() const;
};

// Reads and checks a flow file. Throws ConfigError naming file:line:column and
// the key for every mistake, and saying what would be valid. Commands that
// only use its components (singer-target) pass flows_required = false.
FlowFile load_flow_file(const std::string& path, bool flows_required = true);
// The same, but the file's mistakes go to `errors` and what could be read is
// returned, so that a caller (validate) can go on to find more. A file that
// cannot be read, or is not TOML, still throws.
FlowFile load_flow_file(const std::string& path, bool flows_required, ErrorCollector& errors);
// A flow file's text, read as the file `path` (for messages); dir and
// absolute_path are left empty.
FlowFile parse_flow_file(std::string_view text, const std::string& path, bool flows_required, ErrorCollector& errors);

// The documented flow keys, their meaning and defaults (for `--help` and docs).
// The keys of a [[flows]] entry and of its per-stream tables, with what they
// mean: parsing, `ingestd run --help` and the README's reference (checked by
// a test) all come from this one table.
struct FlowKey {
  enum Scope { Flow, Stream, FlowAndStream };
  std::string name;
  std::string help;
  Scope scope;  // a [[flows]] entry, a [flows.streams."NAME"] table, or both
};
const std::vector<FlowKey>& flow_keys();
// The keys valid in a [[flows]] entry (Flow) or a per-stream table (Stream).
std::vector<std::string> flow_key_names(FlowKey::Scope where);

}  // namespace ingestd

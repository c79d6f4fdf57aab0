#include "config/flow_file.hpp"

#include "config/env_expand.hpp"
#include "config/flow_file_limits.hpp"
#include "config/names.hpp"
#include "config/units.hpp"
#include "util/strings.hpp"

#include <ingestd/abi.h>

#include <toml++/toml.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

namespace ingestd {

Location ConfigTable::location_of(const std::string& key) const {
  auto it = locations.find(key);
  return it != locations.end() ? it->second : location;
}

namespace {
const ComponentDef* find_named(const std::vector<ComponentDef>& defs, const std::string& name) {
  for (const auto& d : defs)
    if (d.name == name) return &d;
  return nullptr;
}
}  // namespace

const ComponentDef* FlowFile::find_source(const std::string& name) const { return find_named(sources, name); }
const ComponentDef* FlowFile::find_destination(const std::string& name) const {
  return find_named(destinations, name);
}
const ComponentDef* FlowFile::find_transform(const std::string& name) const { return find_named(transforms, name); }

const FlowDef* FlowFile::find_flow(const std::string& name) const {
  for (const auto& f : flows)
    if (f.name == name) return &f;
  return nullptr;
}

const AlertSinkDef* FlowFile::find_alert(const std::string& name) const {
  for (const auto& a : alerts)
    if (a.name == name) return &a;
  return nullptr;
}

std::vector<std::string> FlowFile::flow_names() const {
  std::vector<std::string> out;
  for (const auto& f : flows) out.push_back(f.name);
  return out;
}

const std::vector<FlowKey>& flow_keys() {
  using enum FlowKey::Scope;
  static const std::vector<FlowKey> keys = {
      {"name", "unique name of the flow (required)", Flow},
      {"from", "the [sources.NAME] to read (required)", Flow},
      {"to", "a [destinations.NAME], or a list of them (required)", Flow},
      {"streams", "stream names to read (default: every stream the source discovers), or a table of per-stream "
                  "settings: [flows.streams.\"NAME\"]", Flow},
      {"extract", "snapshot | incremental-appends | incremental-updates (default snapshot)", FlowAndStream},
      {"cursor", "cursor column for incremental extract modes", FlowAndStream},
      {"primary_key", "key column(s) for merge loads", FlowAndStream},
      {"load", "append | replace | merge (default append)", FlowAndStream},
      {"lookback", "re-read rows this far behind the stored cursor: a duration (\"2h\") or a number", FlowAndStream},
      {"start", "the cursor value to begin from on the first run", FlowAndStream},
      {"deleted_column", "a boolean source column whose true rows are deletes (incremental-updates)", FlowAndStream},
      {"where", "a filter SQL sources apply on the server, e.g. \"region = 'EU'\"", FlowAndStream},
      {"schema_changes", "evolve | freeze | discard (default evolve)", FlowAndStream},
      {"hard_delete", "merge: remove deleted rows instead of setting _ingestd_deleted (default false)", FlowAndStream},
      {"delete_stale", "snapshot + merge: rows not delivered by a complete run are deleted (default false)",
       FlowAndStream},
      {"table", "destination table name (default: the stream name)", Stream},
      {"transforms", "[transforms.NAME] applied in order between the source and every destination; a stream's "
                     "list replaces the flow's",
       FlowAndStream},
      {"queue", "{ max_batches = 8, max_bytes = \"32MiB\" }: per-destination queue limits", Flow},
      {"batch_rows", "preferred rows per batch (default 16384)", Flow},
      {"parallelism", "streams of this flow read at the same time (default 4)", Flow},
      {"retries", "reruns of a stream after a transient failure, from its last checkpoint (default 3)", Flow},
      {"schedule", "ingestd serve: \"every 5m\" (start to start) or a cron expression \"*/15 * * * *\" "
                   "(default: once at start)", Flow},
      {"timezone", "the IANA time zone a cron schedule is read in (default UTC)", Flow},
      {"jitter", "ingestd serve: start each run up to this much later (\"30s\"), so flows due together spread out",
       Flow},
      {"freshness", "stale when no new data came for this long (\"2h\"): in status, metrics and alerts", Flow},
      {"volume_history", "successful runs a stream's rows are compared with (default 20)", Flow},
      {"volume_zscore", "standard deviations from the mean that flag a run's rows as an anomaly (default 3)", Flow},
      {"alerts", "the [alerts.NAME] told when a run fails, the flow goes stale or recovers, or a check flags a run",
       Flow},
  };
  return keys;
}

std::vector<std::string> flow_key_names(FlowKey::Scope where) {
  std::vector<std::string> out;
  for (const FlowKey& k : flow_keys())
    if (k.scope == FlowKey::FlowAndStream || k.scope == where) out.push_back(k.name);
  return out;
}

const StreamSettings& FlowDef::settings_for(const std::string& stream) const {
  auto it = overrides.find(stream);
  return it == overrides.end() ? settings : it->second;
}

namespace {

Location loc(const std::string& file, const toml::source_region& r) {
  return Location{file, static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

std::string two(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

std::string format_date(const toml::date& d) {
  return std::to_string(d.year) + "-" + two(d.month) + "-" + two(d.day);
}

std::string format_time(const toml::time& t) {
  std::string s = two(t.hour) + ":" + two(t.minute) + ":" + two(t.second);
  if (t.nanosecond) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%09u", static_cast<unsigned>(t.nanosecond));
    s += buf;
  }
  return s;
}

std::string format_date_time(const toml::date_time& dt) {
  std::string s = format_date(dt.date) + "T" + format_time(dt.time);
  if (dt.offset) {
    int m = dt.offset->minutes;
    if (m == 0) return s + "Z";
    char sign = m < 0 ? '-' : '+';
    if (m < 0) m = -m;
    s += sign + two(m / 60) + ":" + two(m % 60);
  }
  return s;
}

// TOML value -> JSON, recording where every key and element was written.
json::Value to_json(const toml::node& n, const std::string& file, const std::string& path,
                    std::map<std::string, Location>& locations) {
  if (const auto* t = n.as_table()) {
    json::Object o;
    for (auto&& [k, v] : *t) {
      std::string p = path.empty() ? std::string(k.str()) : path + "." + std::string(k.str());
      locations[p] = loc(file, k.source());
      o.set(std::string(k.str()), to_json(v, file, p, locations));
    }
    return o;
  }
  if (const auto* a = n.as_array()) {
    json::Array arr;
    for (std::size_t i = 0; i < a->size(); ++i) {
      std::string p = path + "[" + std::to_string(i) + "]";
      locations[p] = loc(file, (*a)[i].source());
      arr.push_back(to_json((*a)[i], file, p, locations));
    }
    return arr;
  }
  if (const auto* s = n.as_string()) return json::Value(s->get());
  if (const auto* i = n.as_integer()) return json::Value(i->get());
  if (const auto* f = n.as_floating_point()) return json::Value(f->get());
  if (const auto* b = n.as_boolean()) return json::Value(b->get());
  if (const auto* d = n.as_date()) return json::Value(format_date(d->get()));
  if (const auto* t = n.as_time()) return json::Value(format_time(t->get()));
  if (const auto* dt = n.as_date_time()) return json::Value(format_date_time(dt->get()));
  return json::Value();
}

std::string type_of(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date/time";
  }
}

bool valid_name(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}

class Parser {
 public:
  Parser(std::string file, bool flows_required) : file_(std::move(file)), flows_required_(flows_required) {}

  // Every mistake is reported, not only the first: each section, component
  // and flow is read on its own.
  FlowFile parse(const toml::table& doc) {
    FlowFile ff;
    errors_.run([&] { check_keys(doc, "", {"state", "serve", "cluster", "alerts", "sources", "destinations", "transforms", "flows"}); });
    if (const auto* state = doc.get("state")) errors_.run([&] { parse_state(*state, ff); });
    if (const auto* serve = doc.get("serve")) errors_.run([&] { parse_serve(*serve, ff.serve); });
    if (const auto* cluster = doc.get("cluster")) errors_.run([&] { parse_cluster(*cluster, ff); });
    if (const auto* alerts = doc.get("alerts")) errors_.run([&] { parse_alerts(*alerts, ff); });
    if (const auto* s = doc.get("sources")) errors_.run([&] { ff.sources = parse_components(*s, "sources"); });
    if (const auto* d = doc.get("destinations"))
      errors_.run([&] { ff.destinations = parse_components(*d, "destinations"); });
    if (const auto* t = doc.get("transforms"))
      errors_.run([&] { ff.transforms = parse_components(*t, "transforms"); });
    if (const auto* f = doc.get("flows")) errors_.run([&] { parse_flows(*f, ff); });
    if (ff.flows.empty() && flows_required_ && errors_.empty())
      throw ConfigError(Location{file_}, "flows",
                        "no [[flows]] defined; a flow file needs at least one, e.g.\n"
                        "  [[flows]]\n  name = \"orders\"\n  from = \"SOURCE\"\n  to = \"DESTINATION\"");
    return ff;
  }

  ErrorCollector& errors() { return errors_; }

 private:
  Location at(const toml::node& n) const { return loc(file_, n.source()); }

  [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& msg) const {
    throw ConfigError(at(n), key, msg);
  }

  // Rejects keys outside `valid`, naming the valid ones.
  void check_keys(const toml::table& t, const std::string& prefix,
                  const std::vector<std::string>& valid) const {
    for (auto&& [k, v] : t) {
      bool ok = false;
      for (const auto& name : valid) ok = ok || k.str() == name;
      if (!ok)
        throw ConfigError(loc(file_, k.source()), prefix + std::string(k.str()),
                          "unknown key (valid keys: " + join(valid, ", ") + ")");
    }
  }

  const toml::table& as_table(const toml::node& n, const std::string& key) const {
    const auto* t = n.as_table();
    if (!t) fail(n, key, "expected a table, found " + type_of(n));
    return *t;
  }

  std::string as_string(const toml::node& n, const std::string& key) const {
    const auto* s = n.as_string();
    if (!s) fail(n, key, "expected a string, found " + type_of(n));
    return s->get();
  }

  // A string with ${VAR} expanded from the environment.
  std::string as_expanded_string(const toml::node& n, const std::string& key) const {
    const std::string text = as_string(n, key);
    try {
      return expand_env(text).value;
    } catch (const std::exception& e) {
      fail(n, key, e.what());
    }
  }

  // A string, or an array of strings.
  std::vector<std::string> as_string_list(const toml::node& n, const std::string& key) const {
    if (n.is_string()) return {as_string(n, key)};
    const auto* a = n.as_array();
    if (!a) fail(n, key, "expected a string or an array of strings, found " + type_of(n));
    std::vector<std::string> out;
    for (const auto& e : *a) out.push_back(as_string(e, key));
    return out;
  }

  int64_t as_positive_int(const toml::node& n, const std::string& key) const {
    const auto* i = n.as_integer();
    if (!i) fail(n, key, "expected an integer, found " + type_of(n));
    if (i->get() < 1) fail(n, key, "must be at least 1");
    return i->get();
  }

  void parse_state(const toml::node& n, FlowFile& ff) const {
    const toml::table& t = as_table(n, "state");
    check_keys(t, "state.", {"backend", "path", "dsn", "schema", "lease_ttl"});
    ff.state_location = at(n);
    if (const auto* b = t.get("backend")) {
      ff.state_backend = as_string(*b, "state.backend");
      if (ff.state_backend != "sqlite" && ff.state_backend != "postgres")
        fail(*b, "state.backend", "unknown backend '" + ff.state_backend + "' (valid: sqlite, postgres)");
    }
    if (const auto* p = t.get("path")) ff.state_path = as_string(*p, "state.path");
    if (const auto* d = t.get("dsn")) ff.state_dsn = as_expanded_string(*d, "state.dsn");
    if (const auto* s = t.get("schema")) ff.state_schema = as_string(*s, "state.schema");
    if (const auto* l = t.get("lease_ttl")) {
      const std::string text = as_string(*l, "state.lease_ttl");
      const auto ms = parse_duration_ms(text);
      if (!ms || *ms < 3000 || *ms > 86400000)
        fail(*l, "state.lease_ttl", "'" + text + "' is not a duration from 3s to 24h (e.g. \"60s\")");
      ff.lease_ttl_seconds = static_cast<int>(*ms / 1000);
    }
    if (ff.state_backend == "postgres" && ff.state_dsn.empty())
      throw ConfigError(ff.state_location, "state.dsn", "backend = \"postgres\" needs dsn = \"...\"");
    if (ff.state_backend == "sqlite" && t.get("dsn"))
      fail(*t.get("dsn"), "state.dsn", "dsn applies to backend = \"postgres\"");
  }

  void parse_serve(const toml::node& n, ServeSettings& s) const {
    const toml::table& t = as_table(n, "serve");
    check_keys(t, "serve.", {"listen", "max_concurrent_runs", "token"});
    s.location = at(n);
    if (const auto* l = t.get("listen")) {
      s.listen = as_string(*l, "serve.listen");
      const std::size_t colon = s.listen.rfind(':');
      const std::string port = colon == std::string::npos ? "" : s.listen.substr(colon + 1);
      if (colon == 0 || colon == std::string::npos || port.empty() || port.size() > 5 ||
          port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535)
        fail(*l, "serve.listen", "'" + s.listen + "' is not ADDRESS:PORT (e.g. \"127.0.0.1:8686\"; port 0 picks a free one)");
    }
    if (const auto* m = t.get("max_concurrent_runs")) s.max_concurrent_runs = as_positive_int(*m, "serve.max_concurrent_runs");
    if (const auto* tk = t.get("token")) {
      s.token = as_expanded_string(*tk, "serve.token");
      if (s.token.empty()) fail(*tk, "serve.token", "is empty (an unset ${VAR}?); remove it to serve without a token");
    }
  }

  // After [state]: a pool shares its work through the PostgreSQL state store.
  void parse_cluster(const toml::node& n, FlowFile& ff) const {
    const toml::table& t = as_table(n, "cluster");
    check_keys(t, "cluster.", {"enabled", "lease_ttl"});
    ff.cluster.location = at(n);
    if (const auto* e = t.get("enabled")) {
      const auto* b = e->as_boolean();
      if (!b) fail(*e, "cluster.enabled", "expected true or false, found " + type_of(*e));
      ff.cluster.enabled = b->get();
      if (ff.cluster.enabled && ff.state_backend != "postgres")
        fail(*e, "cluster.enabled",
             "workers share their work through a PostgreSQL state store; set [state] backend = \"postgres\" and dsn");
    }
    if (const auto* l = t.get("lease_ttl")) {
      const std::string text = as_string(*l, "cluster.lease_ttl");
      const auto ms = parse_duration_ms(text);
      if (!ms || *ms < 3000 || *ms > 3600000)
        fail(*l, "cluster.lease_ttl", "'" + text + "' is not a duration from 3s to 1h (e.g. \"15s\")");
      ff.cluster.lease_ttl_seconds = static_cast<int>(*ms / 1000);
    }
  }

  void parse_alerts(const toml::node& n, FlowFile& ff) const {
    const toml::table& t = as_table(n, "alerts");
    for (auto&& [k, v] : t) errors_.run([&, &k = k, &v = v] {
      AlertSinkDef a;
      a.name = std::string(k.str());
      a.location = loc(file_, k.source());
      const std::string key = "alerts." + a.name;
      if (!valid_name(a.name)) throw ConfigError(a.location, key, "names may use letters, digits, '_', '-' and '.'");
      const toml::table& at_ = as_table(v, key);
      check_keys(at_, key + ".", {"kind", "url", "secret", "command"});
      const toml::node* kind = at_.get("kind");
      if (!kind) throw ConfigError(a.location, key + ".kind", "missing (valid: webhook, command)");
      a.kind = as_string(*kind, key + ".kind");
      auto text = [&](const char* name) -> std::string {
        const toml::node* node = at_.get(name);
        return node ? as_expanded_string(*node, key + "." + name) : "";
      };
      if (a.kind == "webhook") {
        a.url = text("url");
        a.secret = text("secret");
        if (a.url.rfind("http://", 0) != 0 && a.url.rfind("https://", 0) != 0)
          throw ConfigError(at_.get("url") ? at(*at_.get("url")) : a.location, key + ".url",
                            "a webhook alert needs url = \"http(s)://...\"");
        if (at_.get("command")) fail(*at_.get("command"), key + ".command", "applies to kind = \"command\"");
      } else if (a.kind == "command") {
        const toml::node* command = at_.get("command");
        if (!command) throw ConfigError(a.location, key + ".command", "missing; e.g. command = [\"notify\", \"--quiet\"]");
        const auto* list = command->as_array();
        if (!list || list->empty()) fail(*command, key + ".command", "expected a non-empty array of strings");
        for (const auto& part : *list) a.command.push_back(as_string(part, key + ".command"));
        for (const char* other : {"url", "secret"})
          if (at_.get(other)) fail(*at_.get(other), key + "." + other, "applies to kind = \"webhook\"");
      } else {
        fail(*kind, key + ".kind", "unknown alert kind '" + a.kind + "' (valid: webhook, command)");
      }
      ff.alerts.push_back(std::move(a));
    });
  }

  // freshness, volume checks and alerts of a flow.
  void parse_checks(const toml::table& t, const std::string& key, FlowDef& f, const FlowFile& ff) const {
    if (const auto* fr = t.get("freshness")) {
      const std::string text = as_string(*fr, key + ".freshness");
      const auto ms = parse_duration_ms(text);
      if (!ms || *ms <= 0) fail(*fr, key + ".freshness", "'" + text + "' is not a duration (e.g. \"2h\", \"30m\")");
      f.freshness_ms = *ms;
      f.freshness_location = at(*fr);
    }
    if (const auto* h = t.get("volume_history")) f.volume_history = as_positive_int(*h, key + ".volume_history");
    if (const auto* z = t.get("volume_zscore")) {
      const double v = z->is_integer() ? static_cast<double>(z->as_integer()->get())
                       : z->is_floating_point() ? z->as_floating_point()->get() : -1;
      if (!(v > 0)) fail(*z, key + ".volume_zscore", "expected a number above 0 (e.g. 3)");
      f.volume_zscore = v;
    }
    if (const auto* a = t.get("alerts")) {
      f.alerts = as_string_list(*a, key + ".alerts");
      for (const auto& name : f.alerts)
        if (!ff.find_alert(name)) {
          std::vector<std::string> defined;
          for (const auto& d : ff.alerts) defined.push_back(d.name);
          fail(*a, key + ".alerts", "no alert named '" + name + "' (defined alerts: " +
                                        (defined.empty() ? std::string("none") : join(defined, ", ")) + ")");
        }
    }
  }

  // schedule, timezone and jitter of a flow.
  void parse_schedule(const toml::table& t, const std::string& key, FlowDef& f) const {
    const toml::node* tz = t.get("timezone");
    const std::string zone = tz ? as_string(*tz, key + ".timezone") : "";
    if (const auto* s = t.get("schedule")) {
      try {
        f.schedule = Schedule::parse(as_string(*s, key + ".schedule"), zone);
      } catch (const std::invalid_argument& e) {
        fail(tz && std::string(e.what()).find("time zone") != std::string::npos ? *tz : *s,
             tz && std::string(e.what()).find("time zone") != std::string::npos ? key + ".timezone" : key + ".schedule",
             e.what());
      }
    } else if (tz) {
      fail(*tz, key + ".timezone", "applies to a cron schedule; set schedule = \"...\" too");
    }
    if (const auto* j = t.get("jitter")) {
      const std::string text = as_string(*j, key + ".jitter");
      const auto ms = parse_duration_ms(text);
      if (!ms || *ms < 0) fail(*j, key + ".jitter", "'" + text + "' is not a duration (e.g. \"30s\", \"2m\")");
      if (!f.schedule) fail(*j, key + ".jitter", "applies to a scheduled flow; set schedule = \"...\" too");
      f.jitter_ms = *ms;
    }
  }

  std::vector<ComponentDef> parse_components(const toml::node& n, const std::string& section) const {
    const toml::table& t = as_table(n, section);
    std::vector<ComponentDef> out;
    for (auto&& [k, v] : t) errors_.run([&, &k = k, &v = v] {
      std::string name(k.str());
      std::string key = section + "." + name;
      if (!valid_name(name))
        throw ConfigError(loc(file_, k.source()), key,
                          "names may use letters, digits, '_', '-' and '.'");
      const toml::table& c = as_table(v, key);
      check_keys(c, key + ".", {"plugin", "config"});
      ComponentDef def;
      def.name = name;
      def.location = loc(file_, k.source());
      const toml::node* plugin = c.get("plugin");
      if (!plugin)
        throw ConfigError(def.location, key + ".plugin",
                          "missing; say which plugin provides it, e.g. plugin = \"files\"");
      def.plugin = as_string(*plugin, key + ".plugin");
      def.plugin_location = at(*plugin);
      def.config.location = def.location;
      if (const toml::node* config = c.get("config")) {
        as_table(*config, key + ".config");
        def.config.location = at(*config);
        def.config.value = to_json(*config, file_, "", def.config.locations);
      }
      out.push_back(std::move(def));
    });
    return out;
  }

  bool as_bool(const toml::node& n, const std::string& key) const {
    const auto* b = n.as_boolean();
    if (!b) fail(n, key, "expected true or false, found " + type_of(n));
    return b->get();
  }

  // Reads the settings keys present in `t` over `s` (which holds the defaults).
  void parse_settings(const toml::table& t, const std::string& key, StreamSettings& s) const {
    if (const auto* e = t.get("extract")) {
      std::string v = as_string(*e, key + ".extract");
      auto mode = extract_mode_from_name(v);
      if (!mode)
        fail(*e, key + ".extract",
             "unknown extract mode '" + v + "' (valid: snapshot, incremental-appends, incremental-updates)");
      s.extract_mode = *mode;
      s.extract_location = at(*e);
    }
    if (const auto* c = t.get("cursor")) s.cursor_field = as_string(*c, key + ".cursor");
    if (const auto* pk = t.get("primary_key")) s.primary_key = as_string_list(*pk, key + ".primary_key");
    if (const auto* l = t.get("load")) {
      std::string v = as_string(*l, key + ".load");
      auto mode = load_mode_from_name(v);
      if (!mode) fail(*l, key + ".load", "unknown load mode '" + v + "' (valid: append, replace, merge)");
      s.load_mode = *mode;
      s.load_location = at(*l);
    }
    if (const auto* lb = t.get("lookback")) {
      if (lb->is_string()) {
        std::string text = as_string(*lb, key + ".lookback");
        auto ms = parse_duration_ms(text);
        if (!ms) fail(*lb, key + ".lookback", "'" + text + "' is not a duration (e.g. \"2h\", \"15m\") or a number");
        s.source.lookback_ms = *ms;
      } else if (lb->is_integer() || lb->is_floating_point()) {
        s.source.lookback = lb->is_integer() ? json::Value(lb->as_integer()->get()) : json::Value(lb->as_floating_point()->get());
      } else {
        fail(*lb, key + ".lookback", "expected a duration string or a number, found " + type_of(*lb));
      }
    }
    if (const auto* st = t.get("start")) {
      std::map<std::string, Location> ignored;
      if (st->is_table() || st->is_array()) fail(*st, key + ".start", "expected a single value, found " + type_of(*st));
      s.source.start = to_json(*st, file_, "", ignored);
    }
    if (const auto* d = t.get("deleted_column")) s.source.deleted_column = as_string(*d, key + ".deleted_column");
    if (const auto* w = t.get("where")) {
      s.source.where = as_string(*w, key + ".where");
      s.where_location = at(*w);
    }
    if (const auto* sc = t.get("schema_changes")) {
      std::string v = as_string(*sc, key + ".schema_changes");
      auto policy = sdk::schema_changes_from(v);
      if (!policy) fail(*sc, key + ".schema_changes", "unknown policy '" + v + "' (valid: evolve, freeze, discard)");
      s.tables.schema_changes = *policy;
    }
    if (const auto* h = t.get("hard_delete")) s.tables.hard_delete = as_bool(*h, key + ".hard_delete");
    if (const auto* ds = t.get("delete_stale")) {
      s.tables.delete_stale = as_bool(*ds, key + ".delete_stale");
      s.delete_stale_location = at(*ds);
    }
    if (const auto* tr = t.get("transforms")) {
      s.transforms = as_string_list(*tr, key + ".transforms");
      s.transforms_location = at(*tr);
    }
    if (const auto* tb = t.get("table")) {
      s.table = as_string(*tb, key + ".table");
      if (s.table.empty()) fail(*tb, key + ".table", "must not be empty");
    }
  }

  // Combinations that cannot work, named where they were written.
  void check_settings(const StreamSettings& s, const std::string& key, const Location& where) const {
    if (s.tables.delete_stale && (s.extract_mode != INGESTD_EXTRACT_SNAPSHOT || s.load_mode != INGESTD_LOAD_MERGE))
      throw ConfigError(s.delete_stale_location.line ? s.delete_stale_location : where, key + ".delete_stale",
                        "delete_stale needs extract = \"snapshot\" and load = \"merge\" (it infers deletes from "
                        "rows a complete snapshot did not deliver)");
    if (s.load_mode == INGESTD_LOAD_REPLACE && s.extract_mode != INGESTD_EXTRACT_SNAPSHOT)
      throw ConfigError(s.load_location.line ? s.load_location : where, key + ".load",
                        "load = \"replace\" rebuilds the whole table every run, so it needs extract = \"snapshot\" "
                        "(an incremental run would leave only the new rows)");
    if (s.tables.hard_delete && s.load_mode != INGESTD_LOAD_MERGE)
      throw ConfigError(where, key + ".hard_delete", "hard_delete applies to merge loads");
    if (!s.source.deleted_column.empty() && s.extract_mode != INGESTD_EXTRACT_INCREMENTAL_UPDATES)
      throw ConfigError(where, key + ".deleted_column", "deleted_column applies to extract = \"incremental-updates\"");
  }

  void check_transforms(const StreamSettings& s, const std::string& key, const FlowFile& ff) const {
    std::set<std::string> seen;
    for (const auto& name : s.transforms) {
      if (!ff.find_transform(name))
        throw ConfigError(s.transforms_location, key + ".transforms",
                          "no transform named '" + name + "' (defined transforms: " + names_of(ff.transforms) + ")");
      if (!seen.insert(name).second)
        throw ConfigError(s.transforms_location, key + ".transforms", "transform '" + name + "' listed twice");
    }
  }

  void parse_flows(const toml::node& n, FlowFile& ff) const {
    const auto* arr = n.as_array();
    if (!arr) fail(n, "flows", "expected [[flows]] (an array of tables), found " + type_of(n));
    std::set<std::string> names;
    const std::vector<std::string> valid_keys = flow_key_names(FlowKey::Flow);
    const std::vector<std::string> stream_keys = flow_key_names(FlowKey::Stream);
    for (std::size_t i = 0; i < arr->size(); ++i) errors_.run([&] {
      const toml::node& fn = (*arr)[i];
      std::string prefix = "flows[" + std::to_string(i) + "]";
      const toml::table& t = as_table(fn, prefix);
      check_keys(t, prefix + ".", valid_keys);
      FlowDef f;
      f.location = at(fn);
      const toml::node* name = t.get("name");
      if (!name) throw ConfigError(f.location, prefix + ".name", "missing; every flow needs a name");
      f.name = as_string(*name, prefix + ".name");
      if (!valid_name(f.name)) fail(*name, prefix + ".name", "names may use letters, digits, '_', '-' and '.'");
      if (!names.insert(f.name).second) fail(*name, prefix + ".name", "duplicate flow name '" + f.name + "'");
      std::string key = "flows." + f.name;

      const toml::node* from = t.get("from");
      if (!from) throw ConfigError(f.location, key + ".from", "missing; name the [sources.NAME] to read");
      f.from = as_string(*from, key + ".from");
      f.from_location = at(*from);
      if (!ff.find_source(f.from))
        fail(*from, key + ".from", "no source named '" + f.from + "' (defined sources: " +
                                       names_of(ff.sources) + ")");

      const toml::node* to = t.get("to");
      if (!to) throw ConfigError(f.location, key + ".to", "missing; name one or more [destinations.NAME]");
      f.to = as_string_list(*to, key + ".to");
      f.to_location = at(*to);
      if (f.to.empty()) fail(*to, key + ".to", "must name at least one destination");
      std::set<std::string> seen;
      for (const auto& d : f.to) {
        if (!ff.find_destination(d))
          fail(*to, key + ".to", "no destination named '" + d + "' (defined destinations: " +
                                     names_of(ff.destinations) + ")");
        if (!seen.insert(d).second) fail(*to, key + ".to", "destination '" + d + "' listed twice");
      }

      f.settings.extract_location = f.settings.load_location = f.location;
      parse_settings(t, key, f.settings);
      check_settings(f.settings, key, f.location);
      check_transforms(f.settings, key, ff);

      if (const auto* s = t.get("streams")) {
        f.streams_location = at(*s);
        if (const auto* per_stream = s->as_table()) {
          // [flows.streams."NAME"]: the streams to read, each with its overrides.
          for (auto&& [k, v] : *per_stream) {
            std::string stream(k.str());
            std::string skey = key + ".streams." + stream;
            const toml::table& st = as_table(v, skey);
            check_keys(st, skey + ".", stream_keys);
            StreamSettings settings = f.settings;
            parse_settings(st, skey, settings);
            check_settings(settings, skey, loc(file_, k.source()));
            check_transforms(settings, skey, ff);
            f.streams.push_back(stream);
            f.overrides.emplace(stream, std::move(settings));
          }
        } else {
          f.streams = as_string_list(*s, key + ".streams");
        }
      }
      if (const auto* q = t.get("queue")) parse_queue(*q, key + ".queue", f.queue);
      if (const auto* b = t.get("batch_rows")) f.batch_rows = as_positive_int(*b, key + ".batch_rows");
      if (const auto* p = t.get("parallelism")) f.parallelism = as_positive_int(*p, key + ".parallelism");
      if (const auto* rt = t.get("retries")) {
        const auto* i = rt->as_integer();
        if (!i || i->get() < 0) fail(*rt, key + ".retries", "expected a whole number, 0 or more");
        f.retries = i->get();
      }
      parse_schedule(t, key, f);
      parse_checks(t, key, f, ff);
      std::map<std::string, Location> ignored;
      f.definition = to_json(fn, file_, "", ignored).dump();
      ff.flows.push_back(std::move(f));
    });
  }

  void parse_queue(const toml::node& n, const std::string& key, QueueLimits& q) const {
    const toml::table& t = as_table(n, key);
    check_keys(t, key + ".", {"max_batches", "max_bytes"});
    if (const auto* b = t.get("max_batches")) q.max_batches = as_positive_int(*b, key + ".max_batches");
    if (const auto* b = t.get("max_bytes")) {
      if (b->is_integer()) {
        q.max_bytes = as_positive_int(*b, key + ".max_bytes");
      } else {
        std::string text = as_string(*b, key + ".max_bytes");
        auto size = parse_size(text);
        if (!size || *size < 1)
          fail(*b, key + ".max_bytes", "'" + text + "' is not a size (e.g. \"64MiB\", \"500KB\", 1048576)");
        q.max_bytes = *size;
      }
    }
  }

  static std::string names_of(const std::vector<ComponentDef>& defs) {
    if (defs.empty()) return "none";
    std::vector<std::string> names;
    for (const auto& d : defs) names.push_back(d.name);
    return join(names, ", ");
  }

  std::string file_;
  bool flows_required_;
  mutable ErrorCollector errors_;
};

}  // namespace

FlowFile load_flow_file(const std::string& path, bool flows_required) {
  ErrorCollector errors;
  FlowFile ff = load_flow_file(path, flows_required, errors);
  errors.throw_if_any();
  return ff;
}

FlowFile load_flow_file(const std::string& path, bool flows_required, ErrorCollector& errors) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    std::string why = std::filesystem::exists(path, ec) ? "not a regular file" : std::strerror(ENOENT);
    throw ConfigError(Location{path}, "", "cannot read flow file: " + why);
  }
  if (auto size = std::filesystem::file_size(path, ec); !ec && size > kMaxFlowFileBytes)
    throw ConfigError(Location{path}, "",
                      "the flow file is " + std::to_string(size) + " bytes, more than a flow file may have (" +
                          std::to_string(kMaxFlowFileBytes >> 20) + " MiB)");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw ConfigError(Location{path}, "", std::string("cannot read flow file: ") + std::strerror(errno));
  FlowFile ff = parse_flow_file(text, path, flows_required, errors);
  ff.dir = std::filesystem::absolute(std::filesystem::path(path)).parent_path().lexically_normal().string();
  auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ec);
  ff.absolute_path = ec ? std::filesystem::absolute(path).lexically_normal().string() : canonical.string();
  return ff;
}

namespace {

// Every string of the document against the expansion limits.
void check_expansions(const toml::node& n, const std::string& path, const std::string& key, ExpansionBudget& budget) {
  if (const auto* t = n.as_table()) {
    for (const auto& [k, v] : *t)
      check_expansions(v, path, key.empty() ? std::string(k.str()) : key + "." + std::string(k.str()), budget);
  } else if (const auto* a = n.as_array()) {
    for (std::size_t i = 0; i < a->size(); ++i)
      check_expansions(*a->get(i), path, key + "[" + std::to_string(i) + "]", budget);
  } else if (const auto* v = n.as_string()) {
    budget.add(v->get(), loc(path, n.source()), key);
  }
}

}  // namespace

FlowFile parse_flow_file(std::string_view text, const std::string& path, bool flows_required, ErrorCollector& errors) {
  // The parser recurses per nesting level: limits first, then parse.
  check_flow_file_shape(text, path);
  toml::table doc;
  try {
    doc = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(loc(path, e.source()), "", "invalid TOML: " + std::string(e.description()));
  }
  ExpansionBudget budget;
  check_expansions(doc, path, "", budget);
  Parser parser(path, flows_required);
  FlowFile ff = parser.parse(doc);
  errors.run([&] { parser.errors().throw_if_any(); });
  ff.path = path;
  return ff;
}

}  // namespace ingestd

#include <doctest/doctest.h>

#include "config/flow_file.hpp"
#include "support/files.hpp"

#include <ingestd/abi.h>

using namespace ingestd;
using testing::contains;
using testing::TempDir;

namespace {

// The message of the ConfigError that loading `text` raises, or "" if none.
std::string error_of(const std::string& text) {
  TempDir dir;
  testing::write_file(dir / "f.toml", text);
  try {
    load_flow_file(dir / "f.toml");
  } catch (const ConfigError& e) {
    std::string m = e.what();
    // Keep it independent of the temporary folder's name.
    auto at = m.find("f.toml");
    return at == std::string::npos ? m : m.substr(at);
  }
  return "";
}

const char* kGood = R"(
[sources.src]
plugin = "generate"
config = { rows = 10 }

[destinations.a]
plugin = "null"

[destinations.b]
plugin = "null"

[[flows]]
name = "one"
from = "src"
to = ["a", "b"]
extract = "incremental-appends"
cursor = "id"
load = "merge"
primary_key = "id"
queue = { max_batches = 3, max_bytes = "2MiB" }
)";

}  // namespace

TEST_CASE("flow file: a good file reads into flows, sources and destinations") {
  TempDir dir;
  testing::write_file(dir / "f.toml", kGood);
  FlowFile f = load_flow_file(dir / "f.toml");
  REQUIRE(f.flows.size() == 1);
  const FlowDef& flow = f.flows[0];
  CHECK(flow.to == std::vector<std::string>{"a", "b"});
  CHECK(flow.settings.extract_mode == INGESTD_EXTRACT_INCREMENTAL_APPENDS);
  CHECK(flow.settings.load_mode == INGESTD_LOAD_MERGE);
  CHECK(flow.settings.primary_key == std::vector<std::string>{"id"});
  CHECK(flow.queue.max_batches == 3);
  CHECK(flow.queue.max_bytes == 2 << 20);
  CHECK(f.find_source("src")->config.value["rows"].as_int() == 10);
  CHECK(f.find_source("src")->config.location_of("rows").line == 4);
  CHECK(f.dir == dir.path());
}

TEST_CASE("flow file: mistakes name file:line:column, the key and what is valid") {
  CHECK(error_of("[sources.x]\nplugin = \"files\"\n[[flows]]\nname = \"f\"\nfrom = \"x\"\nto = \"nowhere\"\n") ==
        "f.toml:6:6: flows.f.to: no destination named 'nowhere' (defined destinations: none)");
  CHECK(error_of("[sources.x]\nplugin = \"files\"\nconfg = {}\n") ==
        "f.toml:3:1: sources.x.confg: unknown key (valid keys: plugin, config)");
  CHECK(error_of("[sourcez.x]\n") == "f.toml:1:2: sourcez: unknown key (valid keys: state, serve, cluster, alerts, sources, destinations, transforms, flows)");
  CHECK(error_of("[sources.x]\n") == "f.toml:1:10: sources.x.plugin: missing; say which plugin provides it, e.g. plugin = \"files\"");
  std::string bad_mode = error_of(
      "[sources.x]\nplugin=\"a\"\n[destinations.y]\nplugin=\"b\"\n[[flows]]\nname=\"f\"\nfrom=\"x\"\nto=\"y\"\nload=\"upsert\"\n");
  CHECK(bad_mode == "f.toml:9:6: flows.f.load: unknown load mode 'upsert' (valid: append, replace, merge)");
  CHECK(testing::contains(error_of("[[flows]]\nname = \"a\"\n"), "flows.a.from: missing"));
  CHECK(testing::contains(error_of("x = [1,\n"), "f.toml:1:9: invalid TOML: Error while parsing array"));
  CHECK(testing::contains(error_of(""), "no [[flows]] defined"));
  CHECK(testing::contains(
      error_of("[sources.x]\nplugin=\"a\"\n[destinations.y]\nplugin=\"b\"\n[[flows]]\nname=\"f\"\nfrom=\"x\"\nto=\"y\"\n"
               "queue = { max_bytes = \"lots\" }\n"),
      "flows.f.queue.max_bytes: 'lots' is not a size"));
  CHECK(testing::contains(
      error_of("[sources.x]\nplugin=\"a\"\n[destinations.y]\nplugin=\"b\"\n[[flows]]\nname=\"f\"\nfrom=\"x\"\nto=\"y\"\n"
               "[[flows]]\nname=\"f\"\nfrom=\"x\"\nto=\"y\"\n"),
      "duplicate flow name 'f'"));
}

TEST_CASE("flow file: [state] lease_ttl is a duration from 3s to 24h") {
  TempDir dir;
  testing::write_file(dir / "f.toml", std::string("[state]\nlease_ttl = \"15s\"\n") + kGood);
  CHECK(load_flow_file(dir / "f.toml").lease_ttl_seconds == 15);
  testing::write_file(dir / "f.toml", kGood);
  CHECK(load_flow_file(dir / "f.toml").lease_ttl_seconds == 60);
  CHECK(error_of(std::string("[state]\nlease_ttl = \"1s\"\n") + kGood) ==
        "f.toml:2:13: state.lease_ttl: '1s' is not a duration from 3s to 24h (e.g. \"60s\")");
  CHECK(contains(error_of(std::string("[state]\nlease_ttl = \"soon\"\n") + kGood), "state.lease_ttl: 'soon' is not"));
}

TEST_CASE("flow file: [cluster] needs a PostgreSQL state store and takes a lease from 3s to 1h") {
  TempDir dir;
  const std::string pg = "[state]\nbackend = \"postgres\"\ndsn = \"host=db\"\n";
  testing::write_file(dir / "f.toml", pg + "[cluster]\nenabled = true\nlease_ttl = \"20s\"\n" + kGood);
  const FlowFile f = load_flow_file(dir / "f.toml");
  CHECK(f.cluster.enabled);
  CHECK(f.cluster.lease_ttl_seconds == 20);
  testing::write_file(dir / "f.toml", kGood);
  CHECK_FALSE(load_flow_file(dir / "f.toml").cluster.enabled);
  CHECK(load_flow_file(dir / "f.toml").cluster.lease_ttl_seconds == 15);
  CHECK(error_of(std::string("[cluster]\nenabled = true\n") + kGood) ==
        "f.toml:2:11: cluster.enabled: workers share their work through a PostgreSQL state store; set [state] backend "
        "= \"postgres\" and dsn");
  CHECK(contains(error_of(pg + "[cluster]\nenabled = \"yes\"\n" + kGood), "cluster.enabled: expected true or false"));
  CHECK(contains(error_of(pg + "[cluster]\nlease_ttl = \"2h\"\n" + kGood),
                 "cluster.lease_ttl: '2h' is not a duration from 3s to 1h"));
  CHECK(contains(error_of(pg + "[cluster]\nworkers = 3\n" + kGood), "cluster.workers: unknown key (valid keys: enabled, lease_ttl)"));
}

TEST_CASE("flow file: [transforms.NAME] and a flow's or a stream's transforms, with their mistakes named") {
  const std::string transforms = "[transforms.pii]\nplugin = \"map\"\nconfig = { drop = [\"notes\"] }\n"
                                 "[transforms.types]\nplugin = \"map\"\n";
  const std::string flow = "[sources.src]\nplugin = \"generate\"\n[destinations.a]\nplugin = \"null\"\n" + transforms +
                           "[[flows]]\nname = \"f\"\nfrom = \"src\"\nto = \"a\"\n";
  TempDir dir;
  testing::write_file(dir / "f.toml", flow + "transforms = [\"pii\", \"types\"]\n[flows.streams.s1]\n"
                                             "[flows.streams.s2]\ntransforms = [\"types\"]\n");
  const FlowFile f = load_flow_file(dir / "f.toml");
  REQUIRE(f.transforms.size() == 2);
  CHECK(f.find_transform("pii")->plugin == "map");
  CHECK(f.find_transform("pii")->config.value["drop"].dump() == "[\"notes\"]");
  CHECK(f.flows[0].settings_for("s1").transforms == std::vector<std::string>{"pii", "types"});
  CHECK(f.flows[0].settings_for("s2").transforms == std::vector<std::string>{"types"});
  CHECK(error_of(flow + "transforms = [\"pii\", \"nope\"]\n") ==
        "f.toml:14:14: flows.f.transforms: no transform named 'nope' (defined transforms: pii, types)");
  CHECK(contains(error_of(flow + "transforms = [\"pii\", \"pii\"]\n"), "flows.f.transforms: transform 'pii' listed twice"));
  CHECK(contains(error_of(flow + "transforms = \"pii\"\n[flows.streams.s]\ntransforms = [\"x\"]\n"),
                 "flows.f.streams.s.transforms: no transform named 'x'"));
  CHECK(contains(error_of(flow + "[transforms.t]\nplugn = \"map\"\n"),
                 "transforms.t.plugn: unknown key (valid keys: plugin, config)"));
}

TEST_CASE("flow file: schedules, time zones, jitter and [serve], with their mistakes named where written") {
  const std::string head = "[sources.x]\nplugin=\"a\"\n[destinations.y]\nplugin=\"b\"\n[[flows]]\nname=\"f\"\nfrom=\"x\"\nto=\"y\"\n";
  {
    TempDir dir;
    testing::write_file(dir / "f.toml", head + "schedule = \"0 9 * * MON\"\ntimezone = \"Europe/Berlin\"\njitter = \"30s\"\n"
                                               "[serve]\nlisten = \"127.0.0.1:0\"\nmax_concurrent_runs = 2\n");
    FlowFile f = load_flow_file(dir / "f.toml");
    REQUIRE(f.flows[0].schedule.has_value());
    CHECK(f.flows[0].schedule->timezone() == "Europe/Berlin");
    CHECK(f.flows[0].jitter_ms == 30000);
    CHECK(f.serve.listen == "127.0.0.1:0");
    CHECK(f.serve.max_concurrent_runs == 2);
    CHECK(f.serve.token.empty());
  }
  CHECK(error_of(head + "schedule = \"every fortnight\"\n") ==
        "f.toml:9:12: flows.f.schedule: 'fortnight' is not a duration (e.g. every 30s, every 5m, every 1h30m)");
  CHECK(testing::contains(error_of(head + "schedule = \"*/15 * * *\"\n"),
                          "f.toml:9:12: flows.f.schedule: a cron expression has 5 fields"));
  CHECK(testing::contains(error_of(head + "schedule = \"0 9 * * *\"\ntimezone = \"Europe/Atlantis\"\n"),
                          "f.toml:10:12: flows.f.timezone: unknown time zone 'Europe/Atlantis'"));
  CHECK(error_of(head + "timezone = \"UTC\"\n") ==
        "f.toml:9:12: flows.f.timezone: applies to a cron schedule; set schedule = \"...\" too");
  CHECK(error_of(head + "jitter = \"10s\"\n") ==
        "f.toml:9:10: flows.f.jitter: applies to a scheduled flow; set schedule = \"...\" too");
  CHECK(testing::contains(error_of(head + "[serve]\nlisten = \"8686\"\n"),
                          "f.toml:10:10: serve.listen: '8686' is not ADDRESS:PORT"));
  CHECK(error_of(head + "[serve]\nport = 1\n") ==
        "f.toml:10:1: serve.port: unknown key (valid keys: listen, max_concurrent_runs, token)");
  CHECK(testing::contains(error_of(head + "[serve]\ntoken = \"${INGESTD_TEST_UNSET_TOKEN}\"\n"), "serve.token"));
}

TEST_CASE("flow file: alert sinks and the checks of a flow, with their mistakes named where written") {
  const std::string head = "[sources.x]\nplugin=\"a\"\n[destinations.y]\nplugin=\"b\"\n";
  const std::string flow = "[[flows]]\nname=\"f\"\nfrom=\"x\"\nto=\"y\"\n";
  {
    TempDir dir;
    testing::write_file(dir / "f.toml", head + "[alerts.oncall]\nkind = \"webhook\"\nurl = \"http://h/x\"\n"
                                               "[alerts.log]\nkind = \"command\"\ncommand = [\"logger\", \"-t\", \"ingestd\"]\n" +
                                               flow + "freshness = \"2h\"\nvolume_history = 10\nvolume_zscore = 2.5\n"
                                                      "alerts = [\"oncall\", \"log\"]\n");
    FlowFile f = load_flow_file(dir / "f.toml");
    CHECK(f.alerts.size() == 2);
    CHECK(f.find_alert("log")->command == std::vector<std::string>{"logger", "-t", "ingestd"});
    CHECK(f.flows[0].freshness_ms == 7200000);
    CHECK(f.flows[0].volume_history == 10);
    CHECK(f.flows[0].volume_zscore == 2.5);
    CHECK(f.flows[0].alerts == std::vector<std::string>{"oncall", "log"});
  }
  CHECK(error_of(head + "[alerts.a]\nkind = \"pager\"\n" + flow) ==
        "f.toml:6:8: alerts.a.kind: unknown alert kind 'pager' (valid: webhook, command)");
  CHECK(error_of(head + "[alerts.a]\nkind = \"webhook\"\n" + flow) ==
        "f.toml:5:9: alerts.a.url: a webhook alert needs url = \"http(s)://...\"");
  CHECK(error_of(head + "[alerts.a]\nkind = \"command\"\ncommand = []\n" + flow) ==
        "f.toml:7:11: alerts.a.command: expected a non-empty array of strings");
  CHECK(error_of(head + flow + "alerts = [\"nobody\"]\n") ==
        "f.toml:9:10: flows.f.alerts: no alert named 'nobody' (defined alerts: none)");
  CHECK(testing::contains(error_of(head + flow + "freshness = \"soon\"\n"), "flows.f.freshness: 'soon' is not a duration"));
  CHECK(error_of(head + flow + "volume_zscore = 0\n") == "f.toml:9:17: flows.f.volume_zscore: expected a number above 0 (e.g. 3)");
}

TEST_CASE("flow file: a missing file is a clear error") {
  try {
    load_flow_file("/nonexistent/flows.toml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == "/nonexistent/flows.toml: cannot read flow file: No such file or directory");
  }
}

namespace {

std::string repeated(const std::string& part, int n, const std::string& between) {
  std::string out;
  for (int i = 0; i < n; ++i) out += (i ? between : "") + part;
  return out;
}

}  // namespace

TEST_CASE("flow file: keys and values nested past the limits are refused before the parser, not overflow it") {
  // 50,000 dotted parts once overflowed the parser's stack.
  CHECK(contains(error_of("[state]\n" + repeated("k", 50000, ".") + " = 1\n"),
                 "f.toml:2:64: a key has more than 32 dotted parts; refusing the flow file"));
  CHECK(contains(error_of("[" + repeated("t", 5000, ".") + "]\n"), "f.toml:1:65: a key has more than 32 dotted parts"));
  CHECK(contains(error_of("[[" + repeated("t", 40, ".") + "]]\n"), "a key has more than 32 dotted parts"));
  CHECK(contains(error_of("x = { " + repeated("a", 40, ".") + " = 1 }\n"), "a key has more than 32 dotted parts"));
  CHECK(contains(error_of("x = " + std::string(100000, '[') + std::string(100000, ']') + "\n"),
                 "f.toml:1:37: arrays and inline tables nest deeper than 32 levels"));
  CHECK(contains(error_of("x = " + repeated("{ a = ", 100, "") + "1" + std::string(100, '}') + "\n"),
                 "nest deeper than 32 levels"));
  // Dots and brackets in strings, comments and numbers are not keys or nesting.
  std::string fine = std::string(kGood) + "# " + repeated("a", 100, ".") + std::string(100, '[') + "\n" +
                     "[flows.streams.\"" + repeated("s", 100, ".") + "\"]\ntable = \"" + std::string(100, '{') +
                     "\"\n";
  CHECK(error_of(fine).find("refusing") == std::string::npos);
  CHECK(error_of(std::string(kGood) + "[state]\npath = '''\n" + repeated("[", 50, "") + "\n" + repeated("a", 50, ".") +
                 "'''\n") == "");
}

TEST_CASE("flow file: ${VAR} expansion is capped per value and per file") {
  setenv("INGESTD_TEST_BIG", std::string(131072, 'x').c_str(), 1);
  // One value: 10 x 128 KiB = 1.25 MiB.
  CHECK(contains(error_of(std::string(kGood) + "[state]\npath = \"" + repeated("${INGESTD_TEST_BIG}", 10, "") + "\"\n"),
                 "state.path: the value expands (${...}) to 1310720 bytes, more than the 1 MiB a value may have"));
  // 4,000 values of 128 KiB each: half a gigabyte, refused at 32 MiB.
  std::string many = kGood;
  many += "[many]\n";
  for (int i = 0; i < 4000; ++i) many += "t" + std::to_string(i) + " = \"${INGESTD_TEST_BIG}\"\n";
  CHECK(contains(error_of(many), "the flow file's values expand (${...}) to more than 32 MiB together"));
  unsetenv("INGESTD_TEST_BIG");
}

TEST_CASE("flow file: a file past 16 MiB is refused unread") {
  CHECK(contains(error_of(std::string(kGood) + "# " + std::string(17 << 20, 'x') + "\n"),
                 "more than a flow file may have (16 MiB)"));
}

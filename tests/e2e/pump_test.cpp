// The pump through the real binary: fan-out, bounded memory under a slow
// destination, independent flows, graceful stop, checkpoints.
#include "e2e.hpp"

#include <chrono>
#include <csignal>
#include <thread>

using namespace e2e;
using ingestd::json::Value;

TEST_CASE("pump: a flow fans out to several destinations, each receiving every row") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 50000, columns = 6, null_percent = 10 }\n"
          "[destinations.a]\nplugin = \"files\"\nconfig = { path = \"a\", format = \"jsonl\" }\n"
          "[destinations.b]\nplugin = \"files\"\nconfig = { path = \"b\", format = \"csv\" }\n"
          "[destinations.c]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"fan\"\nfrom = \"gen\"\nto = [\"a\", \"b\", \"c\"]\nbatch_rows = 7000\n");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  CHECK(w.lines("a/generated.jsonl").size() == 50000);
  CHECK(w.lines("b/generated.csv").size() == 50001);  // and a header
  const Value& s = stream_of(report, "generated");
  CHECK(s["rows"].as_int() == 50000);
  CHECK(s["batches"].as_int() == 8);
  for (const auto& d : s["destinations"].as_array()) {
    CHECK(d["rows"].as_int() == 50000);
    CHECK(d["committed_sequence"].as_int() == 8);
  }
  // Identical data: the same generator row in both outputs.
  CHECK(w.lines("a/generated.jsonl")[41234].rfind("{\"id\":41235,", 0) == 0);
  CHECK(w.lines("b/generated.csv")[41235].rfind("41235,", 0) == 0);
}

TEST_CASE("pump: a slow destination holds its source back: memory stays bounded") {
  Workspace w;
  // About 630 MiB of batches flow through; the queue may hold 4 MiB.
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 6000000, columns = 12 }\n"
          "[destinations.slow]\nplugin = \"null\"\nconfig = { write_delay = \"4ms\" }\n"
          "[[flows]]\nname = \"slow\"\nfrom = \"gen\"\nto = \"slow\"\n"
          "queue = { max_batches = 100, max_bytes = \"4MiB\" }\nbatch_rows = 10000\n");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const Value& s = stream_of(report, "generated");
  CHECK(s["bytes"].as_int() > int64_t{500} << 20);
  const Value& lane = s["destinations"].as_array()[0];
  CHECK(lane["rows"].as_int() == 6000000);
  // The byte limit, not the batch limit, is what held.
  CHECK(lane["queue_peak_bytes"].as_int() <= int64_t{4} << 20);
  CHECK(lane["queue_peak_batches"].as_int() < 100);
#ifndef INGESTD_SANITIZED
  CHECK_MESSAGE(r.max_rss_kb < 120 * 1024, "peak RSS " << r.max_rss_kb << " KiB");
#endif
}

TEST_CASE("pump: a slow flow does not stall an unrelated one") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 40000, columns = 3 }\n"
          "[destinations.slow]\nplugin = \"null\"\nconfig = { write_delay = \"100ms\" }\n"
          "[destinations.fast]\nplugin = \"null\"\n"
          "[[flows]]\nname = \"slow\"\nfrom = \"gen\"\nto = \"slow\"\nbatch_rows = 2000\n"
          "[[flows]]\nname = \"fast\"\nfrom = \"gen\"\nto = \"fast\"\nbatch_rows = 2000\n");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  double slow = 0, fast = 0;
  for (const auto& s : report["streams"].as_array())
    (s["flow"].as_string() == "slow" ? slow : fast) = s["seconds"].as_double();
  CHECK(slow >= 1.9);  // 20 batches at 100 ms each
  CHECK_MESSAGE(fast < slow / 4, "fast flow took " << fast << " s, slow " << slow << " s");
}

TEST_CASE("pump: streams of a flow run in parallel and all complete") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 20000, streams = 5, stream = \"t\" }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"many\"\nfrom = \"gen\"\nto = \"out\"\nparallelism = 3\n");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  REQUIRE(report["streams"].as_array().size() == 5);
  for (int i = 0; i < 5; ++i) {
    CHECK(stream_of(report, "t_" + std::to_string(i))["status"].as_string() == "ok");
    CHECK(w.lines("out/t_" + std::to_string(i) + ".jsonl").size() == 20000);
  }
  // Different streams carry different data.
  CHECK(w.lines("out/t_0.jsonl")[5] != w.lines("out/t_1.jsonl")[5]);
  CHECK(contains(r.out, "many  t_4"));
}

TEST_CASE("pump: a checkpoint counts as saved only after the destination committed it") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 25000, columns = 2 }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"inc\"\nfrom = \"gen\"\nto = \"out\"\nextract = \"incremental-appends\"\n"
          "cursor = \"id\"\nbatch_rows = 10000\n");
  Result r;
  Value report = w.run_with_report(r);
  REQUIRE_MESSAGE(r.exit_code == 0, dump(r));
  const Value& s = stream_of(report, "generated");
  CHECK(s["checkpoint"].as_string() == "{\"id\":25000}");
  CHECK(s["checkpoint_sequence"].as_int() == 3);
  CHECK(s["destinations"].as_array()[0]["committed_sequence"].as_int() == 3);
}

TEST_CASE("pump: SIGTERM stops reading, commits what was read, exits 1 and says what is incomplete") {
  Workspace w;
  w.write("flows.toml",
          "[sources.gen]\nplugin = \"generate\"\nconfig = { rows = 100000000, columns = 3 }\n"
          "[destinations.out]\nplugin = \"files\"\nconfig = { path = \"out\", format = \"jsonl\" }\n"
          "[[flows]]\nname = \"long\"\nfrom = \"gen\"\nto = \"out\"\nbatch_rows = 1000\n");
  testing::Options o;
  o.cwd = w.dir.path();
  testing::Child child({testing::ingestd_bin(), "run", "flows.toml", "--report", "report.json"}, o);
  // Wait until data is flowing, then ask it to stop.
  for (int i = 0; i < 200 && !testing::file_exists(w.path("out/generated.jsonl")); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  child.signal(SIGTERM);
  Result r = child.wait();
  CHECK_MESSAGE(r.exit_code == 1, dump(r));
  CHECK(r.signal == 0);
  CHECK(contains(r.out, "long/generated: stopped before the end of the stream"));
  Value report = Value::parse(w.read("report.json"));
  const Value& s = stream_of(report, "generated");
  CHECK(s["status"].as_string() == "stopped");
  int64_t written = s["destinations"].as_array()[0]["rows"].as_int();
  CHECK(written > 0);
  CHECK(written < 100000000);
  // Everything read was committed to the file, nothing more, nothing less.
  auto lines = w.lines("out/generated.jsonl");
  CHECK(static_cast<int64_t>(lines.size()) == written);
  CHECK(lines.back().rfind("{\"id\":" + std::to_string(written) + ",", 0) == 0);
}

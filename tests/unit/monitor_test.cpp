// The checks made of runs: volume against history, columns against the last
// run's, freshness, and how a flow's trouble turns into alerts.
#include <doctest/doctest.h>

#include "alert/alert.hpp"
#include "monitor/columns.hpp"
#include "monitor/key_sketch.hpp"
#include "monitor/volume.hpp"
#include "util/time.hpp"

#include <ingestd/sdk/json.hpp>

#include <cstdlib>

using namespace ingestd;

TEST_CASE("monitor: a run far from its stream's history is flagged, a steady history does not flap") {
  const std::vector<int64_t> steady = {1000, 1004, 996, 1010, 990, 1001, 999, 1003, 997, 1000};
  CHECK(volume_anomaly(1002, steady, 3) == "");
  CHECK(volume_anomaly(1150, steady, 3) == "");  // the floor: within 3 tenths of the mean
  CHECK(volume_anomaly(10, steady, 3) ==
        "moved 10 rows, 9.9 standard deviations below the mean of the last 10 successful runs (1000)");
  CHECK(volume_anomaly(5000, steady, 3).find("40.0 standard deviations above") != std::string::npos);
  CHECK(volume_anomaly(0, steady, 3) == "moved 0 rows; each of the last 10 successful runs moved between 990 and 1010");
  // Too little history to judge by.
  CHECK(volume_anomaly(0, {1000, 1000, 1000, 1000}, 3) == "");
  // A stream that often moves nothing is not flagged for moving nothing.
  CHECK(volume_anomaly(0, {0, 12, 0, 3, 0, 0}, 3) == "");
  // A lower z-score flags more.
  CHECK(volume_anomaly(1250, steady, 3) == "");
  CHECK(volume_anomaly(1250, steady, 2) != "");
}

TEST_CASE("monitor: columns added, removed and changed at the source are named") {
  sdk::Schema before{{{"id", sdk::TypeId::Int64}, {"price", sdk::TypeId::Int64}, {"note", sdk::TypeId::Utf8}}};
  sdk::Schema after{{{"id", sdk::TypeId::Int64}, {"price", sdk::TypeId::Float64}, {"amount", sdk::TypeId::Float64}}};
  CHECK(columns_json(before) ==
        R"([{"name":"id","type":"int64"},{"name":"price","type":"int64"},{"name":"note","type":"string"}])");
  CHECK(column_changes(columns_json(before), columns_json(after)) ==
        "added amount (float64); removed note; price int64 -> float64");
  CHECK(column_changes(columns_json(before), columns_json(before)) == "");
  CHECK(column_changes("[]", columns_json(after)) == "");  // nothing known before
  CHECK(column_changes("not json", columns_json(after)) == "");
}

TEST_CASE("monitor: a flow's failing streak and stale spell are each told once, and recovered once when both end") {
  FlowTrouble t;
  CHECK(t.run_ended(true).empty());
  CHECK(t.run_ended(false) == std::vector<std::string>{"run_failed"});
  CHECK(t.run_ended(false).empty());
  CHECK(t.freshness(true) == std::vector<std::string>{"stale"});
  CHECK(t.freshness(true).empty());
  CHECK(t.run_ended(true).empty());  // still stale: not recovered yet
  CHECK(t.freshness(false) == std::vector<std::string>{"recovered"});
  CHECK(t.freshness(false).empty());
  CHECK(t.freshness(true) == std::vector<std::string>{"stale"});
  CHECK(t.freshness(false) == std::vector<std::string>{"recovered"});
  const json::Value alert = json::Value::parse(alert_json(Alert{"stale", "orders", "", "no new data", "", "", "t", "", ""}));
  CHECK(alert["event"].as_string() == "stale");
  CHECK(alert["stream"].is_null());
}

TEST_CASE("monitor: run history timestamps read back to the millisecond") {
  const auto t = parse_utc_timestamp("2026-11-22T04:13:55.061Z");
  REQUIRE(t.has_value());
  CHECK(utc_timestamp(*t) == "2026-11-22T04:13:55.061Z");
  CHECK(utc_timestamp(*parse_utc_timestamp("2026-11-22T04:13:55Z")) == "2026-11-22T04:13:55.000Z");
  CHECK_FALSE(parse_utc_timestamp("2026-11-22 04:13:55").has_value());
  CHECK_FALSE(parse_utc_timestamp("2026-11-22T04:13:55.061+01:00").has_value());
}

TEST_CASE("monitor: the key sketch is exact up to its limit, close past it, and merges and stores without loss") {
  auto hash = [](uint64_t i) {  // as key_hashes finishes its hashes
    uint64_t h = i * 0x9e3779b97f4a7c15ull + 1;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 33);
  };
  KeySketch small;
  for (uint64_t i = 0; i < 1000; ++i) small.add(hash(i % 700));  // repeats count once
  CHECK(small.exact());
  CHECK(small.count() == 700);
  const KeySketch back = KeySketch::parse(small.serialize());
  CHECK(back.count() == 700);
  KeySketch at_limit;
  for (uint64_t i = 0; i < KeySketch::kExactLimit; ++i) at_limit.add(hash(i));
  CHECK(at_limit.exact());
  CHECK(at_limit.count() == static_cast<int64_t>(KeySketch::kExactLimit));

  KeySketch big, half;
  for (uint64_t i = 0; i < 200000; ++i) big.add(hash(i));
  for (uint64_t i = 100000; i < 300000; ++i) half.add(hash(i));
  CHECK_FALSE(big.exact());
  CHECK(std::abs(big.count() - 200000) < 200000 / 50);  // within 2 %
  KeySketch both = KeySketch::parse(big.serialize());
  both.add(half);
  CHECK(std::abs(both.count() - 300000) < 300000 / 50);
  KeySketch grown = small;
  grown.add(big);  // an exact sketch taking an estimated one
  CHECK(std::abs(grown.count() - 200000) < 200000 / 50);
  CHECK(KeySketch::parse("garbage").count() == 0);
}

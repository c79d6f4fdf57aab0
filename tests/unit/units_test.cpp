#include <doctest/doctest.h>

#include "config/units.hpp"

using namespace ingestd;

TEST_CASE("sizes: binary and decimal units") {
  CHECK(parse_size("4096") == 4096);
  CHECK(parse_size("64MiB") == 64LL << 20);
  CHECK(parse_size("64M") == 64LL << 20);
  CHECK(parse_size("1.5 GiB") == 1610612736LL);
  CHECK(parse_size("10MB") == 10000000);
  CHECK(parse_size("2kb") == 2000);
  CHECK_FALSE(parse_size("ten"));
  CHECK_FALSE(parse_size("10 parsecs"));
  CHECK_FALSE(parse_size(""));
  CHECK_FALSE(parse_size("-5MB"));
}

TEST_CASE("durations: units, combinations and bare seconds") {
  CHECK(parse_duration_ms("250ms") == 250);
  CHECK(parse_duration_ms("30s") == 30000);
  CHECK(parse_duration_ms("5m") == 300000);
  CHECK(parse_duration_ms("1m30s") == 90000);
  CHECK(parse_duration_ms("2h") == 7200000);
  CHECK(parse_duration_ms("1d") == 86400000);
  CHECK(parse_duration_ms("15") == 15000);
  CHECK(parse_duration_ms("0.5s") == 500);
  CHECK_FALSE(parse_duration_ms("1m30"));
  CHECK_FALSE(parse_duration_ms("soon"));
  CHECK_FALSE(parse_duration_ms("5 fortnights"));
}

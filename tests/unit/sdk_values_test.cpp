#include <doctest/doctest.h>

#include <cstdio>

#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/values.hpp>

using namespace ingestd::sdk;

TEST_CASE("values: calendar arithmetic matches known dates") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  auto c = civil_from_days(19782);  // 2024-02-29
  CHECK(c.year == 2024);
  CHECK(c.month == 2);
  CHECK(c.day == 29);
}

TEST_CASE("values: timestamps parse with zones and print as RFC 3339 UTC") {
  int64_t us = 0;
  bool zone = false;
  REQUIRE(parse_timestamp("2024-01-02T03:04:05.123456Z", us, &zone));
  CHECK(zone);
  std::string out;
  format_timestamp(us, out);
  CHECK(out == "2024-01-02T03:04:05.123456Z");
  REQUIRE(parse_timestamp("2024-01-02 05:04:05+02:00", us, &zone));
  out.clear();
  format_timestamp(us, out);
  CHECK(out == "2024-01-02T03:04:05Z");
  REQUIRE(parse_timestamp("1969-12-31T23:59:59.5Z", us));
  CHECK(us == -500000);
  out.clear();
  format_timestamp(us, out);
  CHECK(out == "1969-12-31T23:59:59.5Z");
  CHECK_FALSE(parse_timestamp("2024-02-30T00:00:00Z", us));
  CHECK_FALSE(parse_timestamp("2024-01-02T03:04:05.1234567Z", us));  // would truncate
  CHECK(parse_timestamp("2024-01-02T03:04:05.1234560Z", us));        // trailing zero is exact
  CHECK_FALSE(parse_timestamp("yesterday", us));
}

TEST_CASE("values: decimals are exact both ways") {
  __int128 v = 0;
  REQUIRE(parse_decimal("-12.50", 2, v));
  CHECK(v == -1250);
  std::string out;
  format_decimal(v, 2, out);
  CHECK(out == "-12.50");
  REQUIRE(parse_decimal("3", 3, v));
  CHECK(v == 3000);
  CHECK_FALSE(parse_decimal("1.005", 2, v));  // refuses to round
  CHECK(parse_decimal("1.000", 2, v));
  CHECK_FALSE(parse_decimal("1e3", 0, v));
  out.clear();
  format_decimal(5, 3, out);
  CHECK(out == "0.005");
}

TEST_CASE("values: text and JSON forms of a column") {
  Schema s{{{"f", TypeId::Float64, true}, {"s", TypeId::Utf8, true}, {"bin", TypeId::Binary, true}}};
  BatchBuilder b(s);
  b.column(0).append_double(0.1);
  b.column(1).append_string("quote\" and \n");
  b.column(2).append_string("hi!");
  b.column(0).append_null();
  b.column(1).append_null();
  b.column(2).append_null();
  OwnedArray a = b.finish();
  BatchReader r(*a.get(), s);
  std::string text, json;
  append_text(r.column(0), 0, text);
  CHECK(text == "0.1");
  append_json(r.column(1), 0, json);
  CHECK(json == "\"quote\\\" and \\n\"");
  text.clear();
  append_text(r.column(2), 0, text);
  CHECK(text == "aGkh");
  json.clear();
  append_json(r.column(0), 1, json);
  CHECK(json == "null");
}

TEST_CASE("values: dates and times print as printf would, across years 0 to 9999 and beyond") {
  for (int64_t days = -800000; days <= 3000000; days += 997) {
    const CivilDate c = civil_from_days(days);
    char expected[40];
    std::snprintf(expected, sizeof expected, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month, c.day);
    std::string out;
    format_date(days, out);
    REQUIRE(out == expected);
  }
  for (int64_t micros = 0; micros <= kMicrosPerDay; micros += 86399 * 999 + 7) {
    const int64_t secs = micros / kMicrosPerSecond, frac = micros % kMicrosPerSecond;
    char expected[40];
    int n = std::snprintf(expected, sizeof expected, "%02lld:%02lld:%02lld.%06lld", static_cast<long long>(secs / 3600),
                          static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                          static_cast<long long>(frac));
    std::string want(expected, static_cast<std::size_t>(n));
    while (want.back() == '0' && want.find('.') != std::string::npos) want.pop_back();
    if (want.back() == '.') want.pop_back();
    std::string out;
    format_time(micros, out);
    REQUIRE(out == want);
  }
}

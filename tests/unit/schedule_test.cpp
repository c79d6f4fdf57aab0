// Schedules: intervals start to start, cron expressions in a time zone,
// across DST changes, and clear errors for what cannot be parsed.
#include <doctest/doctest.h>

#include "schedule/schedule.hpp"

#include <date/date.h>

#include <stdexcept>
#include <string>

using namespace ingestd;
using Clock = std::chrono::system_clock;

namespace {

// "2026-03-29T00:30:00Z" -> time point; and back.
Clock::time_point at(const std::string& text) {
  std::istringstream in(text);
  date::sys_time<std::chrono::seconds> t;
  in >> date::parse("%FT%TZ", t);
  REQUIRE_MESSAGE(!in.fail(), text);
  return t;
}

std::string text(Clock::time_point t) {
  return date::format("%FT%TZ", date::floor<std::chrono::seconds>(t));
}

std::string next(const std::string& cron, const std::string& after, const std::string& zone = "") {
  return text(Schedule::parse(cron, zone).next_after(at(after)));
}

std::string error_of(const std::string& cron, const std::string& zone = "") {
  try {
    Schedule::parse(cron, zone);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("schedule: every DURATION fires start to start") {
  const Schedule s = Schedule::parse("every 90s", "");
  CHECK(s.is_interval());
  CHECK(text(s.next_after(at("2026-01-01T00:00:00Z"))) == "2026-01-01T00:01:30Z");
  CHECK(text(Schedule::parse("every 1h30m", "").next_after(at("2026-01-01T23:00:00Z"))) == "2026-01-02T00:30:00Z");
}

TEST_CASE("schedule: cron fields, lists, ranges, steps, names and macros") {
  CHECK(next("*/15 * * * *", "2026-01-01T10:07:00Z") == "2026-01-01T10:15:00Z");
  CHECK(next("*/15 * * * *", "2026-01-01T10:15:00Z") == "2026-01-01T10:30:00Z");  // strictly after
  CHECK(next("0 9-17/4 * * *", "2026-01-01T13:00:00Z") == "2026-01-01T17:00:00Z");
  CHECK(next("5,35 3 * * *", "2026-01-01T03:06:00Z") == "2026-01-01T03:35:00Z");
  CHECK(next("0 0 1 JUL *", "2026-01-01T00:00:00Z") == "2026-07-01T00:00:00Z");
  CHECK(next("0 12 * * MON-FRI", "2026-01-02T12:00:00Z") == "2026-01-05T12:00:00Z");  // Friday -> Monday
  CHECK(next("0 0 * * 7", "2026-01-01T00:00:00Z") == "2026-01-04T00:00:00Z");          // 7 is Sunday
  CHECK(next("@hourly", "2026-01-01T10:59:59Z") == "2026-01-01T11:00:00Z");
  CHECK(next("@monthly", "2026-01-15T00:00:00Z") == "2026-02-01T00:00:00Z");
  CHECK(next("0 0 29 2 *", "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z");
}

TEST_CASE("schedule: both day fields restricted match either, as in Vixie cron") {
  // The 13th, or any Friday: from Monday 2026-01-05 the first is Friday the 9th.
  CHECK(next("0 0 13 * FRI", "2026-01-05T00:00:00Z") == "2026-01-09T00:00:00Z");
  // A day field beginning with * does not restrict: only Fridays here.
  CHECK(next("0 0 */1 * FRI", "2026-01-05T00:00:00Z") == "2026-01-09T00:00:00Z");
  CHECK(next("0 0 */2 * *", "2026-01-01T00:00:00Z") == "2026-01-03T00:00:00Z");
}

TEST_CASE("schedule: cron in a time zone, across daylight saving changes") {
  // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
  CHECK(next("0 9 * * *", "2026-01-10T12:00:00Z", "Europe/Berlin") == "2026-01-11T08:00:00Z");
  CHECK(next("0 9 * * *", "2026-07-10T12:00:00Z", "Europe/Berlin") == "2026-07-11T07:00:00Z");
  // 2026-03-29: Berlin skips 02:00-03:00. 02:30 does not exist that day and is not run.
  CHECK(next("30 2 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin") == "2026-03-30T00:30:00Z");
  // 2026-10-25: 02:00-03:00 is shown twice. 02:30 runs once, on its first pass (00:30 UTC).
  const Schedule twice = Schedule::parse("30 2 * * *", "Europe/Berlin");
  const auto first = twice.next_after(at("2026-10-24T12:00:00Z"));
  CHECK(text(first) == "2026-10-25T00:30:00Z");
  CHECK(text(twice.next_after(first)) == "2026-10-26T01:30:00Z");
  // Every 30 minutes keeps firing through the repeated hour's first pass only.
  CHECK(next("*/30 * * * *", "2026-10-25T00:45:00Z", "Europe/Berlin") == "2026-10-25T02:00:00Z");
  CHECK(Schedule::parse("0 9 * * *", "America/New_York").timezone() == "America/New_York");
  CHECK(Schedule::parse("0 9 * * *", "").timezone() == "UTC");
}

TEST_CASE("schedule: mistakes are named with what is valid") {
  CHECK(error_of("every 5 parsecs").find("is not a duration") != std::string::npos);
  CHECK(error_of("every 0s").find("is not a duration") != std::string::npos);
  CHECK(error_of("every 5m", "Europe/Berlin") == "timezone applies to cron schedules, not to 'every DURATION'");
  CHECK(error_of("* * * *") ==
        "a cron expression has 5 fields (minute hour day-of-month month day-of-week), not 4");
  CHECK(error_of("60 * * * *").find("cron minute field '60': 60 is out of range (valid: 0-59") == 0);
  CHECK(error_of("* * * FOO *").find("cron month field 'FOO': 'FOO' is not a name") == 0);
  CHECK(error_of("* * * * 1-8").find("8 is out of range") != std::string::npos);
  CHECK(error_of("* 5-2 * * *").find("a range must go upwards") != std::string::npos);
  CHECK(error_of("*/0 * * * *").find("the step must be a number >= 1") != std::string::npos);
  CHECK(error_of("@sometimes").find("unknown cron macro '@sometimes' (valid: @yearly") == 0);
  CHECK(error_of("0 0 30 2 *") == "'0 0 30 2 *' never fires (no such day in 9 years)");
  CHECK(error_of("0 9 * * *", "Mars/Olympus").find("unknown time zone 'Mars/Olympus'") == 0);
}

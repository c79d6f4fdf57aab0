// Five-field cron expressions: minute hour day-of-month month day-of-week.
// Each field takes *, numbers, ranges (1-5), lists (1,15), steps (*/15,
// 8-18/2) and, for months and weekdays, English names (JAN, MON). Weekday
// 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted
// a day matches if either does. @hourly, @daily (@midnight), @weekly,
// @monthly and @yearly (@annually) stand for their usual expressions.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

namespace ingestd {

class CronExpression {
 public:
  // Throws std::invalid_argument naming the field and what it accepts.
  static CronExpression parse(std::string_view text);

  // A wall-clock minute of some time zone.
  struct LocalMinute {
    int year, month, day;  // month 1-12, day 1-31
    int hour, minute;
    int weekday;  // 0 = Sunday
  };
  bool month_matches(int month) const { return months_[static_cast<std::size_t>(month)]; }
  bool day_matches(const LocalMinute& m) const;
  bool hour_matches(int hour) const { return hours_[static_cast<std::size_t>(hour)]; }
  bool minute_matches(int minute) const { return minutes_[static_cast<std::size_t>(minute)]; }

 private:
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;    // 1-31
  std::bitset<13> months_;  // 1-12
  std::bitset<7> weekdays_;
  bool days_restricted_ = false;
  bool weekdays_restricted_ = false;
};

}  // namespace ingestd

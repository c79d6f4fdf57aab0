// When a flow runs under `ingestd serve`: every DURATION, start to start, or
// at the minutes a cron expression names in a time zone.
#pragma once

#include "schedule/cron.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace date {
class time_zone;
}

namespace ingestd {

class Schedule {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // "every 5m" (any duration: "every 90s", "every 1h30m") or a cron
  // expression read in `timezone` (an IANA name such as "Europe/Berlin";
  // empty means UTC). Throws std::invalid_argument saying what is wrong,
  // including a cron expression that never fires.
  static Schedule parse(const std::string& text, const std::string& timezone);

  // The first time after `previous` this schedule fires. For an interval,
  // `previous` is the time the last run was due (runs are start to start).
  TimePoint next_after(TimePoint previous) const;

  bool is_interval() const { return interval_.has_value(); }
  const std::string& text() const { return text_; }
  // The time zone a cron expression is read in ("UTC" by default).
  std::string timezone() const;

 private:
  std::string text_;
  std::optional<std::chrono::milliseconds> interval_;
  std::optional<CronExpression> cron_;
  const date::time_zone* zone_ = nullptr;  // nullptr: UTC
};

}  // namespace ingestd

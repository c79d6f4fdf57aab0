#include "schedule/schedule.hpp"

#include "config/units.hpp"

#include <date/tz.h>

#include <stdexcept>

namespace ingestd {

namespace {

using std::chrono::minutes;
using Local = date::local_time<minutes>;

// How far ahead a cron expression is searched: leap days recur within 8 years.
constexpr int kSearchYears = 9;

CronExpression::LocalMinute fields_of(Local t) {
  const date::local_days day = date::floor<date::days>(t);
  const date::year_month_day ymd(day);
  const auto time_of_day = t - day;
  return {static_cast<int>(ymd.year()),
          static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day())),
          static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(time_of_day).count()),
          static_cast<int>(time_of_day.count() % 60),
          static_cast<int>(date::weekday(day).c_encoding())};
}

}  // namespace

Schedule Schedule::parse(const std::string& text, const std::string& timezone) {
  Schedule s;
  s.text_ = text;
  if (text.rfind("every ", 0) == 0) {
    const std::string duration = text.substr(6);
    const std::optional<int64_t> ms = parse_duration_ms(duration);
    if (!ms || *ms <= 0) throw std::invalid_argument("'" + duration + "' is not a duration (e.g. every 30s, every 5m, every 1h30m)");
    if (!timezone.empty()) throw std::invalid_argument("timezone applies to cron schedules, not to 'every DURATION'");
    s.interval_ = std::chrono::milliseconds(*ms);
    return s;
  }
  s.cron_ = CronExpression::parse(text);
  if (!timezone.empty() && timezone != "UTC") {
    try {
      s.zone_ = date::locate_zone(timezone);
    } catch (const std::exception&) {
      throw std::invalid_argument("unknown time zone '" + timezone + "' (an IANA name such as Europe/Berlin, America/New_York or UTC)");
    }
  }
  const TimePoint now = std::chrono::system_clock::now();
  if (s.next_after(now) == TimePoint::max())
    throw std::invalid_argument("'" + text + "' never fires (no such day in " + std::to_string(kSearchYears) + " years)");
  return s;
}

std::string Schedule::timezone() const { return zone_ ? std::string(zone_->name()) : "UTC"; }

Schedule::TimePoint Schedule::next_after(TimePoint previous) const {
  if (interval_) return previous + *interval_;
  using date::sys_time;
  auto to_local = [this](sys_time<minutes> t) {
    return zone_ ? date::floor<minutes>(zone_->to_local(t)) : Local(t.time_since_epoch());
  };
  // The first instant a wall-clock time is shown; a time the clock skips
  // (a DST gap) maps to the instant after the gap.
  auto to_sys = [this](Local t) {
    return zone_ ? date::floor<minutes>(zone_->to_sys(t, date::choose::earliest)) : sys_time<minutes>(t.time_since_epoch());
  };
  sys_time<minutes> t = date::floor<minutes>(previous) + minutes(1);
  const sys_time<minutes> give_up = t + date::days(366 * kSearchYears);
  while (t < give_up) {
    const Local local = to_local(t);
    const CronExpression::LocalMinute m = fields_of(local);
    const date::local_days day = date::floor<date::days>(local);
    if (!cron_->month_matches(m.month)) {
      const date::year_month_day ymd(day);
      const date::year_month next = date::year_month(ymd.year(), ymd.month()) + date::months(1);
      t = std::max(t + minutes(1), to_sys(Local(date::local_days(next / 1))));
    } else if (!cron_->day_matches(m)) {
      t = std::max(t + minutes(1), to_sys(Local(day + date::days(1))));
    } else if (!cron_->hour_matches(m.hour)) {
      t = std::max(t + minutes(1), to_sys(date::floor<std::chrono::hours>(local) + std::chrono::hours(1)));
    } else if (!cron_->minute_matches(m.minute)) {
      t += minutes(1);
    } else if (to_sys(local) != t) {
      t += minutes(1);  // the second pass of a wall-clock hour repeated by a DST change: it fired on the first
    } else {
      return TimePoint(t);
    }
  }
  return TimePoint::max();
}

}  // namespace ingestd

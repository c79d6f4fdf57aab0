#include "schedule/cron.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <stdexcept>
#include <vector>

namespace ingestd {

namespace {

struct FieldRule {
  const char* name;
  int low, high;
  const char* const* names;  // names[i] is value low + i; nullptr: numbers only
  const char* accepts;
};

const char* const kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldRule kFields[] = {
    {"minute", 0, 59, nullptr, "0-59"},
    {"hour", 0, 23, nullptr, "0-23"},
    {"day of month", 1, 31, nullptr, "1-31"},
    {"month", 1, 12, kMonthNames, "1-12 or JAN-DEC"},
    {"day of week", 0, 7, kWeekdayNames, "0-7 (0 and 7 are Sunday) or SUN-SAT"},
};

[[noreturn]] void bad(const FieldRule& f, std::string_view part, const std::string& why) {
  throw std::invalid_argument("cron " + std::string(f.name) + " field '" + std::string(part) + "': " + why +
                              " (valid: " + f.accepts + ", *, ranges a-b, lists a,b and steps */n or a-b/n)");
}

int value_of(const FieldRule& f, std::string_view text, std::string_view part) {
  if (text.empty()) bad(f, part, "a value is missing");
  if (f.names && std::isalpha(static_cast<unsigned char>(text[0]))) {
    std::string upper;
    for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const int count = f.high - f.low + 1 - (f.names == kWeekdayNames ? 1 : 0);
    for (int i = 0; i < count; ++i)
      if (upper == f.names[i]) return f.low + i;
    bad(f, part, "'" + std::string(text) + "' is not a name");
  }
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) bad(f, part, "'" + std::string(text) + "' is not a number");
  if (v < f.low || v > f.high) bad(f, part, std::to_string(v) + " is out of range");
  return v;
}

// The values one field allows, as a list of flags indexed by value; whether
// the field restricts at all ("*" alone does not).
std::vector<bool> parse_field(const FieldRule& f, std::string_view field, bool& restricted) {
  std::vector<bool> allowed(static_cast<std::size_t>(f.high + 1), false);
  // As in Vixie cron, a field beginning with * ("*", "*/2") counts as
  // unrestricted when the two day fields are combined.
  restricted = field.empty() || field[0] != '*';
  std::size_t start = 0;
  while (start <= field.size()) {
    std::size_t comma = field.find(',', start);
    if (comma == std::string_view::npos) comma = field.size();
    const std::string_view part = field.substr(start, comma - start);
    std::string_view range = part;
    int step = 1;
    if (std::size_t slash = part.find('/'); slash != std::string_view::npos) {
      range = part.substr(0, slash);
      std::string_view s = part.substr(slash + 1);
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (ec != std::errc() || end != s.data() + s.size() || step < 1) bad(f, part, "the step must be a number >= 1");
    }
    int from = f.low, to = f.high;
    if (range != "*") {
      if (std::size_t dash = range.find('-'); dash != std::string_view::npos) {
        from = value_of(f, range.substr(0, dash), part);
        to = value_of(f, range.substr(dash + 1), part);
        if (from > to) bad(f, part, "a range must go upwards");
      } else {
        from = to = value_of(f, range, part);
        if (step > 1) to = f.high;  // "5/15": from 5 on, every 15
      }
    }
    for (int v = from; v <= to; v += step) allowed[static_cast<std::size_t>(v)] = true;
    start = comma + 1;
  }
  return allowed;
}

std::string_view expand_macro(std::string_view text) {
  static const std::pair<const char*, const char*> macros[] = {
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
      {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"}};
  for (const auto& [name, expansion] : macros)
    if (text == name) return expansion;
  if (!text.empty() && text[0] == '@')
    throw std::invalid_argument("unknown cron macro '" + std::string(text) +
                                "' (valid: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly)");
  return text;
}

}  // namespace

CronExpression CronExpression::parse(std::string_view text) {
  text = expand_macro(text);
  std::vector<std::string_view> fields;
  for (std::size_t i = 0; i < text.size();) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::size_t j = i;
    while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) fields.push_back(text.substr(i, j - i));
    i = j;
  }
  if (fields.size() != 5)
    throw std::invalid_argument("a cron expression has 5 fields (minute hour day-of-month month day-of-week), not " +
                                std::to_string(fields.size()));
  CronExpression c;
  bool restricted = false;
  auto fill = [&](auto& bits, std::size_t index) {
    const std::vector<bool> allowed = parse_field(kFields[index], fields[index], restricted);
    for (std::size_t v = 0; v < allowed.size(); ++v)
      if (allowed[v]) bits[v % bits.size()] = true;  // weekday 7 folds onto 0
  };
  fill(c.minutes_, 0);
  fill(c.hours_, 1);
  fill(c.days_, 2);
  c.days_restricted_ = restricted;
  fill(c.months_, 3);
  fill(c.weekdays_, 4);
  c.weekdays_restricted_ = restricted;
  return c;
}

bool CronExpression::day_matches(const LocalMinute& m) const {
  const bool day = days_[static_cast<std::size_t>(m.day)];
  const bool weekday = weekdays_[static_cast<std::size_t>(m.weekday)];
  if (days_restricted_ && weekdays_restricted_) return day || weekday;
  return day && weekday;
}

}  // namespace ingestd

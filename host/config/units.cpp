#include "config/units.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

namespace ingestd {

namespace {

// Reads a non-negative decimal number ("12", "1.5") at text[pos].
std::optional<double> read_number(std::string_view text, std::size_t& pos) {
  std::size_t start = pos;
  while (pos < text.size() && (std::isdigit(static_cast<unsigned char>(text[pos])) || text[pos] == '.'))
    ++pos;
  if (pos == start) return std::nullopt;
  double v = 0;
  auto r = std::from_chars(text.data() + start, text.data() + pos, v);
  if (r.ec != std::errc() || r.ptr != text.data() + pos) return std::nullopt;
  return v;
}

std::string_view read_unit(std::string_view text, std::size_t& pos) {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  std::size_t start = pos;
  while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
  return text.substr(start, pos - start);
}

}  // namespace

std::optional<int64_t> parse_size(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == ' ') ++pos;
  auto number = read_number(text, pos);
  if (!number) return std::nullopt;
  std::string unit(read_unit(text, pos));
  while (pos < text.size() && text[pos] == ' ') ++pos;
  if (pos != text.size()) return std::nullopt;
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double mult;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "k" || unit == "kib") mult = 1024.0;
  else if (unit == "m" || unit == "mib") mult = 1024.0 * 1024;
  else if (unit == "g" || unit == "gib") mult = 1024.0 * 1024 * 1024;
  else if (unit == "t" || unit == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "kb") mult = 1e3;
  else if (unit == "mb") mult = 1e6;
  else if (unit == "gb") mult = 1e9;
  else if (unit == "tb") mult = 1e12;
  else return std::nullopt;
  double bytes = *number * mult;
  if (bytes > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(bytes));
}

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == ' ') ++pos;
  double total = 0;
  bool any = false;
  while (pos < text.size()) {
    auto number = read_number(text, pos);
    if (!number) return std::nullopt;
    std::string_view unit = read_unit(text, pos);
    double mult;
    if (unit.empty()) {
      if (any) return std::nullopt;  // "1m30" is ambiguous
      mult = 1000;
    } else if (unit == "ms") mult = 1;
    else if (unit == "s" || unit == "sec") mult = 1000;
    else if (unit == "m" || unit == "min") mult = 60e3;
    else if (unit == "h") mult = 3600e3;
    else if (unit == "d") mult = 86400e3;
    else return std::nullopt;
    total += *number * mult;
    any = true;
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (unit.empty()) break;
  }
  if (!any || pos != text.size() || total > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(std::llround(total));
}

}  // namespace ingestd

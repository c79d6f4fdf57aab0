// Text forms of column values: parsing (dates, timestamps, times, decimals,
// numbers) and formatting (as plain text and as JSON literals).
//
// Dates and times follow ISO 8601 / RFC 3339 in the proleptic Gregorian
// calendar. Timestamps with a zone are normalised to UTC.
#pragma once

#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/reader.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ingestd::sdk {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;

// Days since 1970-01-01 of a civil date (any year, proleptic Gregorian).
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilDate {
  int64_t year;
  unsigned month;
  unsigned day;
};

constexpr CivilDate civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

namespace detail {

// Reads exactly `n` digits at s[pos] into `out`.
inline bool read_digits(std::string_view s, std::size_t& pos, int n, int& out) {
  if (pos + static_cast<std::size_t>(n) > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(n);
  out = v;
  return true;
}

inline bool days_in_month_ok(int y, int m, int d) {
  static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max = dim[m - 1] + (m == 2 && leap ? 1 : 0);
  return d <= max;
}

inline bool parse_date_at(std::string_view s, std::size_t& pos, int64_t& days) {
  int y, m, d;
  if (!read_digits(s, pos, 4, y) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, m) || pos >= s.size() || s[pos++] != '-' ||
      !read_digits(s, pos, 2, d))
    return false;
  if (!days_in_month_ok(y, m, d)) return false;
  days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// HH:MM[:SS[.fraction]] -> microseconds since midnight.
inline bool parse_time_at(std::string_view s, std::size_t& pos, int64_t& micros) {
  int h, mi, sec = 0;
  if (!read_digits(s, pos, 2, h) || pos >= s.size() || s[pos++] != ':' ||
      !read_digits(s, pos, 2, mi))
    return false;
  int64_t frac = 0;
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!read_digits(s, pos, 2, sec)) return false;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int digits = 0;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) frac = frac * 10 + (s[pos] - '0');
        else if (s[pos] != '0') return false;  // beyond microseconds: refuse to truncate
        ++digits;
        ++pos;
      }
      if (digits == 0) return false;
      for (int i = digits; i < 6; ++i) frac *= 10;
    }
  }
  if (h > 24 || mi > 59 || sec > 60) return false;
  if (h == 24 && (mi != 0 || sec != 0 || frac != 0)) return false;
  if (sec == 60) sec = 59, frac = 999999;  // leap second: the last representable instant
  micros = (int64_t{h} * 3600 + mi * 60 + sec) * kMicrosPerSecond + frac;
  return true;
}

}  // namespace detail

// "YYYY-MM-DD" -> days since the epoch.
inline bool parse_date(std::string_view s, int32_t& days) {
  std::size_t pos = 0;
  int64_t d = 0;
  if (!detail::parse_date_at(s, pos, d) || pos != s.size()) return false;
  days = static_cast<int32_t>(d);
  return true;
}

// "HH:MM[:SS[.ffffff]]" -> microseconds since midnight.
inline bool parse_time(std::string_view s, int64_t& micros) {
  std::size_t pos = 0;
  return detail::parse_time_at(s, pos, micros) && pos == s.size();
}

// "YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][Z|±HH[:MM]]" -> microseconds since the
// epoch, shifted to UTC when a zone is given. `has_zone` reports whether one was.
inline bool parse_timestamp(std::string_view s, int64_t& micros, bool* has_zone = nullptr) {
  std::size_t pos = 0;
  int64_t days = 0, tod = 0;
  if (!detail::parse_date_at(s, pos, days)) return false;
  bool zone = false;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ' || s[pos] == 't')) {
    ++pos;
    if (!detail::parse_time_at(s, pos, tod)) return false;
    if (pos < s.size()) {
      char c = s[pos];
      if (c == 'Z' || c == 'z') {
        ++pos;
        zone = true;
      } else if (c == '+' || c == '-') {
        ++pos;
        int zh = 0, zm = 0;
        if (!detail::read_digits(s, pos, 2, zh)) return false;
        if (pos < s.size() && s[pos] == ':') ++pos;
        if (pos < s.size() && !detail::read_digits(s, pos, 2, zm)) return false;
        if (zh > 18 || zm > 59) return false;
        int64_t shift = (int64_t{zh} * 3600 + zm * 60) * kMicrosPerSecond;
        tod += c == '+' ? -shift : shift;
        zone = true;
      }
    }
  }
  if (pos != s.size()) return false;
  micros = days * kMicrosPerDay + tod;
  if (has_zone) *has_zone = zone;
  return true;
}

// A decimal literal ("-12.50", "3", "1e3" is refused) -> unscaled integer at
// `scale`. Refuses values that would lose digits or overflow 38 digits.
inline bool parse_decimal(std::string_view s, int scale, __int128& out) {
  std::size_t pos = 0;
  bool neg = false;
  if (pos < s.size() && (s[pos] == '-' || s[pos] == '+')) neg = s[pos++] == '-';
  __int128 v = 0;
  int digits = 0, frac_digits = 0;
  bool seen_point = false, any = false;
  static const __int128 limit = [] {
    __int128 l = 1;
    for (int i = 0; i < 38; ++i) l *= 10;
    return l;
  }();
  for (; pos < s.size(); ++pos) {
    char c = s[pos];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return false;
    any = true;
    if (seen_point) {
      if (frac_digits >= scale) {
        if (c != '0') return false;  // would need rounding
        continue;
      }
      ++frac_digits;
    }
    v = v * 10 + (c - '0');
    if (v != 0) ++digits;
    if (v >= limit) return false;
  }
  if (!any) return false;
  for (int i = frac_digits; i < scale; ++i) {
    v *= 10;
    if (v >= limit) return false;
  }
  out = neg ? -v : v;
  return true;
}

namespace detail {
// Writes `v` (0 <= v < 10^width) as exactly `width` digits at `at`.
inline void put_digits(char* at, uint64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    at[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}
}  // namespace detail

inline void format_date(int64_t days, std::string& out) {
  CivilDate c = civil_from_days(days);
  char buf[32];
  if (c.year >= 0 && c.year <= 9999) {  // the common case, without printf
    detail::put_digits(buf, static_cast<uint64_t>(c.year), 4);
    buf[4] = '-';
    detail::put_digits(buf + 5, c.month, 2);
    buf[7] = '-';
    detail::put_digits(buf + 8, c.day, 2);
    out.append(buf, 10);
    return;
  }
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month,
                        c.day);
  out.append(buf, static_cast<std::size_t>(n));
}

inline void format_time(int64_t micros, std::string& out) {
  int64_t secs = micros / kMicrosPerSecond;
  int64_t frac = micros % kMicrosPerSecond;
  char buf[32];
  if (secs >= 0 && secs / 3600 < 100 && frac >= 0) {  // the common case, without printf
    detail::put_digits(buf, static_cast<uint64_t>(secs / 3600), 2);
    buf[2] = ':';
    detail::put_digits(buf + 3, static_cast<uint64_t>(secs / 60 % 60), 2);
    buf[5] = ':';
    detail::put_digits(buf + 6, static_cast<uint64_t>(secs % 60), 2);
    std::size_t len = 8;
    if (frac) {
      buf[8] = '.';
      detail::put_digits(buf + 9, static_cast<uint64_t>(frac), 6);
      len = 15;
      while (buf[len - 1] == '0') --len;  // shortest exact fraction
    }
    out.append(buf, len);
    return;
  }
  int n = std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  out.append(buf, static_cast<std::size_t>(n));
  if (frac) {
    n = std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    std::size_t len = static_cast<std::size_t>(n);
    while (buf[len - 1] == '0') --len;  // shortest exact fraction
    out.append(buf, len);
  }
}

// RFC 3339: "2024-01-02T03:04:05.123456Z" (the Z only when `utc`).
inline void format_timestamp(int64_t micros, std::string& out, bool utc = true) {
  int64_t days = micros / kMicrosPerDay;
  int64_t tod = micros % kMicrosPerDay;
  if (tod < 0) {
    tod += kMicrosPerDay;
    --days;
  }
  format_date(days, out);
  out.push_back('T');
  format_time(tod, out);
  if (utc) out.push_back('Z');
}

inline void format_decimal(__int128 v, int scale, std::string& out) {
  bool neg = v < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
  char digits[48];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  } while (u != 0);
  while (n <= scale) digits[n++] = '0';
  if (neg) out.push_back('-');
  for (int i = n - 1; i >= 0; --i) {
    out.push_back(digits[i]);
    if (i == scale && scale > 0) out.push_back('.');
  }
}

inline void format_int(int64_t v, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// Shortest text that reads back as the same double.
inline void format_double(double v, std::string& out) {
  if (v != v) {
    out += "NaN";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void base64_encode(std::string_view in, std::string& out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(t[v >> 18]);
    out.push_back(t[(v >> 12) & 63]);
    out.push_back(t[(v >> 6) & 63]);
    out.push_back(t[v & 63]);
  }
  if (std::size_t rest = in.size() - i) {
    uint32_t v = uint32_t{p[i]} << 16;
    if (rest == 2) v |= uint32_t{p[i + 1]} << 8;
    out.push_back(t[v >> 18]);
    out.push_back(t[(v >> 12) & 63]);
    out.push_back(rest == 2 ? t[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
}

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Appends the value at row i as plain text (no quoting); NULL appends nothing.
// Binary values are base64.
inline void append_text(const ColumnReader& c, int64_t i, std::string& out) {
  if (c.is_null(i)) return;
  switch (c.type().id) {
    case TypeId::Bool: out += c.bool_value(i) ? "true" : "false"; break;
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: format_int(c.int_value(i), out); break;
    case TypeId::Float32:
    case TypeId::Float64: format_double(c.double_value(i), out); break;
    case TypeId::Utf8:
    case TypeId::LargeUtf8: out += c.string_value(i); break;
    case TypeId::Binary: base64_encode(c.string_value(i), out); break;
    case TypeId::Date32: format_date(c.int_value(i), out); break;
    case TypeId::TimestampUs: format_timestamp(c.int_value(i), out, true); break;
    case TypeId::TimestampUsLocal: format_timestamp(c.int_value(i), out, false); break;
    case TypeId::Time64Us: format_time(c.int_value(i), out); break;
    case TypeId::Decimal128: format_decimal(c.decimal_value(i), c.type().scale, out); break;
    case TypeId::Null:
    case TypeId::Other: break;
  }
}

// Appends the value at row i as a JSON literal. Numbers stay numbers (decimals
// as strings, to keep every digit); temporal values are RFC 3339 strings.
inline void append_json(const ColumnReader& c, int64_t i, std::string& out) {
  if (c.is_null(i)) {
    out += "null";
    return;
  }
  switch (c.type().id) {
    case TypeId::Bool:
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: append_text(c, i, out); break;
    case TypeId::Float32:
    case TypeId::Float64: json::write_double(out, c.double_value(i)); break;
    case TypeId::Utf8:
    case TypeId::LargeUtf8: json::write_string(out, c.string_value(i)); break;
    default: {
      std::string text;
      append_text(c, i, text);
      json::write_string(out, text);
    }
  }
}

}  // namespace ingestd::sdk

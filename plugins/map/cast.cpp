#include "cast.hpp"

#include <ingestd/sdk/values.hpp>

#include <charconv>
#include <cmath>
#include <limits>

namespace ingestd::plugins::map {

namespace {

using sdk::TypeId;

constexpr int64_t kMicrosPerDay = int64_t{86'400'000'000};

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value's text form (decimals with their scale), in `scratch`.
const std::string& text_of(const sdk::ColumnReader& from, int64_t row, std::string& scratch) {
  scratch.clear();
  sdk::append_text(from, row, scratch);
  return scratch;
}

// A whole number or a floating-point number, blanks around and a leading '+' allowed.
template <class T>
bool parse_number(std::string_view text, T& out) {
  std::string_view s = trimmed(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

bool in_range(int64_t v, TypeId t) {
  switch (t) {
    case TypeId::Int8: return v >= INT8_MIN && v <= INT8_MAX;
    case TypeId::Int16: return v >= INT16_MIN && v <= INT16_MAX;
    case TypeId::Int32: return v >= INT32_MIN && v <= INT32_MAX;
    default: return true;
  }
}

bool to_integer(const sdk::ColumnReader& from, int64_t row, std::string& scratch, int64_t& out) {
  const sdk::DataType& t = from.type();
  if (t.is_integer() || t.id == TypeId::Bool) {
    out = from.int_value(row);
    return true;
  }
  if (t.id == TypeId::Float32 || t.id == TypeId::Float64) {
    double d = from.double_value(row);
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.2e18) return false;
    out = static_cast<int64_t>(d);
    return true;
  }
  return parse_number(text_of(from, row, scratch), out);
}

bool to_double(const sdk::ColumnReader& from, int64_t row, std::string& scratch, double& out) {
  const sdk::DataType& t = from.type();
  if (t.is_integer() || t.id == TypeId::Float32 || t.id == TypeId::Float64) {
    out = from.double_value(row);
    return true;
  }
  return parse_number(text_of(from, row, scratch), out);
}

bool to_bool(const sdk::ColumnReader& from, int64_t row, std::string& scratch, bool& out) {
  const sdk::DataType& t = from.type();
  if (t.id == TypeId::Bool) {
    out = from.bool_value(row);
    return true;
  }
  if (t.is_integer()) {
    int64_t v = from.int_value(row);
    out = v != 0;
    return v == 0 || v == 1;
  }
  std::string s(trimmed(text_of(from, row, scratch)));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "true" || s == "t" || s == "1" || s == "yes" || s == "y") return out = true, true;
  if (s == "false" || s == "f" || s == "0" || s == "no" || s == "n") return out = false, true;
  return false;
}

// Dates, timestamps and times as their integer (days or microseconds).
bool to_temporal(const sdk::ColumnReader& from, int64_t row, TypeId target, std::string& scratch, int64_t& out) {
  const TypeId source = from.type().id;
  const bool source_ts = source == TypeId::TimestampUs || source == TypeId::TimestampUsLocal;
  if (source == target || (source_ts && (target == TypeId::TimestampUs || target == TypeId::TimestampUsLocal))) {
    out = from.int_value(row);
    return true;
  }
  if (target == TypeId::Date32 && source_ts) {
    int64_t us = from.int_value(row);
    out = us / kMicrosPerDay - (us % kMicrosPerDay < 0 ? 1 : 0);
    return true;
  }
  if (target != TypeId::Date32 && target != TypeId::Time64Us && source == TypeId::Date32) {
    out = from.int_value(row) * kMicrosPerDay;
    return true;
  }
  if (!from.type().is_string_like()) return false;
  std::string_view s = trimmed(from.string_value(row));
  if (target == TypeId::Date32) {
    int32_t days = 0;
    if (sdk::parse_date(s, days)) return out = days, true;
    int64_t us = 0;
    if (!sdk::parse_timestamp(s, us)) return false;
    out = us / kMicrosPerDay - (us % kMicrosPerDay < 0 ? 1 : 0);
    return true;
  }
  if (target == TypeId::Time64Us) return sdk::parse_time(s, out);
  (void)scratch;
  return sdk::parse_timestamp(s, out);
}

}  // namespace

bool cast_value(const sdk::ColumnReader& from, int64_t row, sdk::ColumnBuilder& to, std::string& scratch) {
  if (from.is_null(row)) {
    to.append_null();
    return true;
  }
  const TypeId target = to.type().id;
  switch (target) {
    case TypeId::Null: return false;
    case TypeId::Bool: {
      bool b = false;
      if (!to_bool(from, row, scratch, b)) return false;
      to.append_bool(b);
      return true;
    }
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: {
      int64_t v = 0;
      if (!to_integer(from, row, scratch, v) || !in_range(v, target)) return false;
      to.append_int(v);
      return true;
    }
    case TypeId::Float32:
    case TypeId::Float64: {
      double d = 0;
      if (!to_double(from, row, scratch, d)) return false;
      to.append_double(d);
      return true;
    }
    case TypeId::Utf8:
    case TypeId::LargeUtf8:
    case TypeId::Binary:
      if (from.type().id == TypeId::Binary && target != TypeId::Binary) {
        // Bytes become text only when they are text already.
        std::string_view raw = from.string_value(row);
        if (!sdk::valid_utf8(raw)) return false;
        to.append_string(raw);
        return true;
      }
      to.append_string(text_of(from, row, scratch));
      return true;
    case TypeId::Date32:
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal:
    case TypeId::Time64Us: {
      int64_t v = 0;
      if (!to_temporal(from, row, target, scratch, v)) return false;
      to.append_int(v);
      return true;
    }
    case TypeId::Decimal128: {
      __int128 v = 0;
      if (!sdk::parse_decimal(trimmed(text_of(from, row, scratch)), to.type().scale, v)) return false;
      to.append_decimal(v);
      return true;
    }
    case TypeId::Other: return false;
  }
  return false;
}

}  // namespace ingestd::plugins::map

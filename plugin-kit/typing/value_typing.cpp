#include <ingestd/kit/typing/value_typing.hpp>

#include <ingestd/sdk/values.hpp>

#include <simdjson.h>

#include <charconv>
#include <cstring>

namespace ingestd::kit::typing {

using ingestd::sdk::ColumnBuilder;
using ingestd::sdk::DataType;
using ingestd::sdk::TypeId;

namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
  return true;
}

bool leading_zero(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s.size() > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9';
}

// An optional sign and decimal digits, within int64 (leading zeros allowed).
bool parse_int(std::string_view s, int64_t& v) {
  std::size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) i = 1;
  if (i == s.size()) return false;
  uint64_t magnitude = 0;
  for (; i < s.size(); ++i) {
    const unsigned digit = static_cast<unsigned char>(s[i]) - unsigned{'0'};
    if (digit > 9) return false;
    if (__builtin_mul_overflow(magnitude, uint64_t{10}, &magnitude) ||
        __builtin_add_overflow(magnitude, uint64_t{digit}, &magnitude))
      return false;
  }
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (magnitude > kMaxPositive + (negative ? 1 : 0)) return false;
  v = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

// Finite decimal numbers only: "NaN" and "inf" are left to strings.
bool parse_float(std::string_view s, double& v) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  char c = s[0] == '-' && s.size() > 1 ? s[1] : s[0];
  if (!((c >= '0' && c <= '9') || c == '.')) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_bool(std::string_view s, bool& v) {
  static constexpr std::string_view truthy[] = {"true", "t", "yes", "y", "1"};
  static constexpr std::string_view falsy[] = {"false", "f", "no", "n", "0"};
  for (std::string_view t : truthy)
    if (iequals(s, t)) return v = true, true;
  for (std::string_view f : falsy)
    if (iequals(s, f)) return v = false, true;
  return false;
}

}  // namespace

Shape classify(std::string_view raw) {
  std::string_view s = trim_spaces(raw);
  if (s.empty()) return Shape::String;  // whitespace only: text
  if (iequals(s, "true") || iequals(s, "false")) return Shape::Bool;
  char c = s[0];
  if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
    int64_t i;
    double d;
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
      int32_t days;
      if (ingestd::sdk::parse_date(s, days)) return Shape::Date;
    }
    if (s.size() > 10 && s[4] == '-') {
      int64_t micros;
      bool zone = false;
      if (ingestd::sdk::parse_timestamp(s, micros, &zone)) return zone ? Shape::Timestamp : Shape::TimestampLocal;
    }
    if (leading_zero(s)) return Shape::String;
    if (parse_int(s, i)) return Shape::Int;
    // Integers beyond int64 would lose digits as floats: keep them as text.
    if (s.find_first_of(".eE") == std::string_view::npos) return Shape::String;
    if (parse_float(s, d)) return Shape::Float;
  }
  return Shape::String;
}

Shape widen(Shape a, Shape b) {
  if (a == b) return a;
  if (a == Shape::Null) return b;
  if (b == Shape::Null) return a;
  auto pair = [&](Shape x, Shape y) { return (a == x && b == y) || (a == y && b == x); };
  if (pair(Shape::Int, Shape::Float)) return Shape::Float;
  if (pair(Shape::Date, Shape::Timestamp)) return Shape::Timestamp;
  if (pair(Shape::Date, Shape::TimestampLocal)) return Shape::TimestampLocal;
  return Shape::String;
}

DataType type_of(Shape s) {
  switch (s) {
    case Shape::Bool: return TypeId::Bool;
    case Shape::Int: return TypeId::Int64;
    case Shape::Float: return TypeId::Float64;
    case Shape::Date: return TypeId::Date32;
    case Shape::Timestamp: return TypeId::TimestampUs;
    case Shape::TimestampLocal: return TypeId::TimestampUsLocal;
    default: return TypeId::Utf8;
  }
}

Shape shape_of(const DataType& t) {
  switch (t.id) {
    case TypeId::Bool: return Shape::Bool;
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: return Shape::Int;
    case TypeId::Float32:
    case TypeId::Float64: return Shape::Float;
    case TypeId::Date32: return Shape::Date;
    case TypeId::TimestampUs: return Shape::Timestamp;
    case TypeId::TimestampUsLocal: return Shape::TimestampLocal;
    case TypeId::Null: return Shape::Null;
    default: return Shape::String;
  }
}

bool append_text(ColumnBuilder& column, std::string_view text) {
  const DataType& t = column.type();
  if (t.is_string_like()) {
    column.append_string(text);
    return true;
  }
  std::string_view s = trim_spaces(text);
  switch (t.id) {
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: {
      int64_t v;
      if (!parse_int(s, v)) return false;
      if (t.id == TypeId::Int32 && (v < INT32_MIN || v > INT32_MAX)) return false;
      if (t.id == TypeId::Int16 && (v < INT16_MIN || v > INT16_MAX)) return false;
      if (t.id == TypeId::Int8 && (v < INT8_MIN || v > INT8_MAX)) return false;
      column.append_int(v);
      return true;
    }
    case TypeId::Float32:
    case TypeId::Float64: {
      double v;
      if (!parse_float(s, v)) return false;
      column.append_double(v);
      return true;
    }
    case TypeId::Bool: {
      bool v;
      if (!parse_bool(s, v)) return false;
      column.append_bool(v);
      return true;
    }
    case TypeId::Date32: {
      int32_t days;
      if (!ingestd::sdk::parse_date(s, days)) return false;
      column.append_int(days);
      return true;
    }
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal: {
      int64_t micros;
      bool zone = false;
      if (!ingestd::sdk::parse_timestamp(s, micros, &zone)) return false;
      // Zone-less values in a UTC column are read as UTC; a zoned value in a
      // zone-less column has no faithful place there.
      if (zone && t.id == TypeId::TimestampUsLocal) return false;
      column.append_int(micros);
      return true;
    }
    case TypeId::Time64Us: {
      int64_t micros;
      if (!ingestd::sdk::parse_time(s, micros)) return false;
      column.append_int(micros);
      return true;
    }
    case TypeId::Decimal128: {
      __int128 v;
      if (!ingestd::sdk::parse_decimal(s, t.scale, v)) return false;
      column.append_decimal(v);
      return true;
    }
    default: return false;
  }
}

bool valid_utf8(std::string_view text) {
  // ASCII is the common case: test eight bytes at a time for a high bit.
  const char* p = text.data();
  std::size_t n = text.size(), i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    if (word & 0x8080808080808080ULL) return simdjson::validate_utf8(p, n);
  }
  for (; i < n; ++i)
    if (static_cast<unsigned char>(p[i]) & 0x80) return simdjson::validate_utf8(p, n);
  return true;
}

}  // namespace ingestd::kit::typing

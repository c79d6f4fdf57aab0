#include "copy_binary.hpp"

#include <ingestd/sdk/plugin.hpp>

#include <cstring>
#include <type_traits>

namespace ingestd::plugins::postgres {

using ingestd::sdk::ColumnReader;
using ingestd::sdk::DataType;
using ingestd::sdk::TypeId;
using Form = CopyBinaryRows::Form;

namespace {

// PostgreSQL counts dates and timestamps from 2000-01-01.
constexpr int64_t kEpochDays = 10957;
constexpr int64_t kEpochMicros = kEpochDays * 86400 * int64_t{1000000};

template <class T>
void put(std::string& out, T v) {
  static_assert(std::is_integral_v<T>);
  using U = std::make_unsigned_t<T>;
  U u = static_cast<U>(v);
  char bytes[sizeof(T)];
  for (std::size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>(u >> (8 * (sizeof(T) - 1 - i)));
  out.append(bytes, sizeof(T));
}

void put_field(std::string& out, std::string_view payload) {
  put<int32_t>(out, static_cast<int32_t>(payload.size()));
  out.append(payload);
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The binary form for a batch type going into a table type, if there is one.
std::optional<Form> form_for(const DataType& from, std::string_view to) {
  const bool integer = from.id == TypeId::Int8 || from.id == TypeId::Int16 || from.id == TypeId::Int32 ||
                       from.id == TypeId::Int64;
  if (to == "boolean") return from.id == TypeId::Bool ? std::optional(Form::Bool) : std::nullopt;
  // Integers only into a type at least as wide: a narrower one is the server's to refuse, in text.
  if (to == "bigint") return integer ? std::optional(Form::Int8) : std::nullopt;
  if (to == "integer")
    return from.id == TypeId::Int8 || from.id == TypeId::Int16 || from.id == TypeId::Int32 ? std::optional(Form::Int4)
                                                                                              : std::nullopt;
  if (to == "smallint")
    return from.id == TypeId::Int8 || from.id == TypeId::Int16 ? std::optional(Form::Int2) : std::nullopt;
  if (to == "double precision")
    return from.id == TypeId::Float64 || from.id == TypeId::Float32 ? std::optional(Form::Float8) : std::nullopt;
  if (to == "real") return from.id == TypeId::Float32 ? std::optional(Form::Float4) : std::nullopt;
  if (to == "numeric" || starts_with(to, "numeric("))
    return from.id == TypeId::Decimal128 && from.scale >= 0 && from.precision <= 38 ? std::optional(Form::Numeric)
                                                                                    : std::nullopt;
  if (to == "timestamp with time zone" || to == "timestamp without time zone")
    return from.id == TypeId::TimestampUs || from.id == TypeId::TimestampUsLocal ? std::optional(Form::Timestamp)
                                                                                 : std::nullopt;
  if (to == "date") return from.id == TypeId::Date32 ? std::optional(Form::Date) : std::nullopt;
  if (to == "time without time zone") return from.id == TypeId::Time64Us ? std::optional(Form::Time) : std::nullopt;
  const bool text = from.id == TypeId::Utf8 || from.id == TypeId::LargeUtf8;
  if (to == "text" || to == "character varying" || starts_with(to, "character varying(") || to == "json")
    return text ? std::optional(Form::Bytes) : std::nullopt;
  if (to == "jsonb") return text ? std::optional(Form::Jsonb) : std::nullopt;
  if (to == "uuid") return text ? std::optional(Form::Uuid) : std::nullopt;
  if (to == "bytea") return from.id == TypeId::Binary ? std::optional(Form::Bytes) : std::nullopt;
  return std::nullopt;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The UUID forms PostgreSQL's own input takes: 32 hex digits, a hyphen
// allowed after any group of four, the whole optionally in braces.
bool parse_uuid(std::string_view s, unsigned char out[16]) {
  if (!s.empty() && s.front() == '{') {
    if (s.size() < 2 || s.back() != '}') return false;
    s = s.substr(1, s.size() - 2);
  }
  std::size_t p = 0;
  for (int i = 0; i < 16; ++i) {
    if (i > 0 && i % 2 == 0 && p < s.size() && s[p] == '-') ++p;
    if (p + 2 > s.size()) return false;
    const int hi = hex_digit(s[p]), lo = hex_digit(s[p + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
    p += 2;
  }
  return p == s.size();
}

// Splits off the last `digits` (0..4) decimal digits.
unsigned split_low(unsigned __int128& v, int digits) {
  static constexpr unsigned kPowers[] = {1, 10, 100, 1000, 10000};
  const unsigned p = kPowers[digits];
  if (v <= UINT64_MAX) {  // the common case, without 128-bit division
    const auto small = static_cast<uint64_t>(v);
    v = small / p;
    return static_cast<unsigned>(small % p);
  }
  const auto low = static_cast<unsigned>(v % p);
  v /= p;
  return low;
}

// numeric's binary form: base-10000 digits, most significant first, the
// weight (power of 10000) of the first, and the display scale.
void put_numeric(std::string& out, __int128 unscaled, int scale) {
  const bool negative = unscaled < 0;
  unsigned __int128 magnitude = negative ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(unscaled)
                                         : static_cast<unsigned __int128>(unscaled);
  int16_t digits[12];  // least significant first; 38 decimal digits take at most 11
  int n = 0;
  // The decimal point falls on a digit boundary: a scale that is not a
  // multiple of 4 leaves a last fractional digit padded with zeros.
  const int odd = scale % 4;
  if (odd) digits[n++] = static_cast<int16_t>(split_low(magnitude, odd) * (odd == 1 ? 1000 : odd == 2 ? 100 : 10));
  while (magnitude != 0) digits[n++] = static_cast<int16_t>(split_low(magnitude, 4));
  while (n > 0 && digits[n - 1] == 0) --n;  // leading zeros (a padded fraction of zero)
  const int fraction_digits = (scale + 3) / 4;
  int low = 0;
  while (low < n && digits[low] == 0) ++low;  // trailing zero digits are left out
  const int count = n - low;
  put<int32_t>(out, 8 + 2 * count);
  put<int16_t>(out, static_cast<int16_t>(count));
  put<int16_t>(out, count == 0 ? int16_t{0} : static_cast<int16_t>(n - fraction_digits - 1));
  put<uint16_t>(out, negative && count ? uint16_t{0x4000} : uint16_t{0});
  put<int16_t>(out, static_cast<int16_t>(scale));
  for (int i = n - 1; i >= low; --i) put<int16_t>(out, digits[i]);
}

}  // namespace

std::optional<CopyBinaryRows> CopyBinaryRows::plan(const std::vector<DataType>& from,
                                                   const std::vector<std::string>& to,
                                                   const std::vector<std::string>& names) {
  if (from.size() != to.size() || from.size() != names.size()) return std::nullopt;
  CopyBinaryRows rows;
  for (std::size_t i = 0; i < from.size(); ++i) {
    std::optional<Form> form = form_for(from[i], to[i]);
    if (!form) return std::nullopt;
    rows.columns_.push_back({*form, names[i]});
  }
  return rows;
}

std::string_view CopyBinaryRows::header() {
  static const char bytes[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";  // signature, flags, no extension
  return {bytes, 19};
}

std::string_view CopyBinaryRows::trailer() {
  static const char bytes[] = "\377\377";
  return {bytes, 2};
}

void CopyBinaryRows::begin_row(std::string& out, int fields) { put<int16_t>(out, static_cast<int16_t>(fields)); }

void CopyBinaryRows::append_bool(std::string& out, bool v) {
  put<int32_t>(out, 1);
  out.push_back(v ? 1 : 0);
}

void CopyBinaryRows::append_bigint(std::string& out, int64_t v) {
  put<int32_t>(out, 8);
  put<int64_t>(out, v);
}

void CopyBinaryRows::append_columns(std::string& out, const std::vector<const ColumnReader*>& columns,
                                    int64_t r) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const ColumnReader& c = *columns[i];
    if (c.is_null(r)) {
      put<int32_t>(out, -1);
      continue;
    }
    switch (columns_[i].form) {
      case Form::Bool: append_bool(out, c.bool_value(r)); break;
      case Form::Int2:
        put<int32_t>(out, 2);
        put<int16_t>(out, static_cast<int16_t>(c.int_value(r)));
        break;
      case Form::Int4:
        put<int32_t>(out, 4);
        put<int32_t>(out, static_cast<int32_t>(c.int_value(r)));
        break;
      case Form::Int8: append_bigint(out, c.int_value(r)); break;
      case Form::Float4: {
        const float f = static_cast<float>(c.double_value(r));
        uint32_t bits;
        std::memcpy(&bits, &f, 4);
        put<int32_t>(out, 4);
        put<uint32_t>(out, bits);
        break;
      }
      case Form::Float8: {
        const double d = c.double_value(r);
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        put<int32_t>(out, 8);
        put<uint64_t>(out, bits);
        break;
      }
      case Form::Numeric: put_numeric(out, c.decimal_value(r), c.type().scale); break;
      case Form::Timestamp:
        put<int32_t>(out, 8);
        put<int64_t>(out, c.int_value(r) - kEpochMicros);
        break;
      case Form::Date:
        put<int32_t>(out, 4);
        put<int32_t>(out, static_cast<int32_t>(c.int_value(r) - kEpochDays));
        break;
      case Form::Time:
        put<int32_t>(out, 8);
        put<int64_t>(out, c.int_value(r));
        break;
      case Form::Bytes: put_field(out, c.string_value(r)); break;
      case Form::Jsonb: {
        const std::string_view text = c.string_value(r);
        put<int32_t>(out, static_cast<int32_t>(text.size() + 1));
        out.push_back(1);  // the jsonb binary form's version
        out.append(text);
        break;
      }
      case Form::Uuid: {
        unsigned char bytes[16];
        const std::string_view text = c.string_value(r);
        if (!parse_uuid(text, bytes))
          throw ingestd::sdk::data_error("column '" + columns_[i].name + "': '" + std::string(text.substr(0, 100)) +
                                         "' is not a UUID");
        put<int32_t>(out, 16);
        out.append(reinterpret_cast<const char*>(bytes), 16);
        break;
      }
    }
  }
}

}  // namespace ingestd::plugins::postgres

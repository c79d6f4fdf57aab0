#include "binlog_rows.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ingestd::plugins::mysql::binlog {

namespace {

// Field types as the binlog numbers them.
enum : uint8_t {
  kDecimal = 0, kTiny = 1, kShort = 2, kLong = 3, kFloat = 4, kDouble = 5, kNull = 6, kTimestamp = 7,
  kLongLong = 8, kInt24 = 9, kDate = 10, kTime = 11, kDateTime = 12, kYear = 13, kNewDate = 14, kVarchar = 15,
  kBit = 16, kTimestamp2 = 17, kDateTime2 = 18, kTime2 = 19, kJson = 245, kNewDecimal = 246, kEnum = 247,
  kSet = 248, kTinyBlob = 249, kMediumBlob = 250, kLongBlob = 251, kBlob = 252, kVarString = 253, kString = 254,
  kGeometry = 255
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool empty() const { return pos_ >= data_.size(); }
  std::string_view take(std::size_t n) {
    if (n > data_.size() - pos_)
      throw std::runtime_error("a row image ends " + std::to_string(n - (data_.size() - pos_)) + " bytes early");
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint64_t little(std::size_t n) {
    const std::string_view b = take(n);
    uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(b[i]);
    return v;
  }
  uint64_t big(std::size_t n) {
    const std::string_view b = take(n);
    uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
    return v;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

bool bit(std::string_view bitmap, std::size_t i) {
  return i / 8 < bitmap.size() && (static_cast<uint8_t>(bitmap[i / 8]) >> (i % 8)) & 1;
}

// Fractional seconds of `fsp` digits, stored in (fsp + 1) / 2 big-endian bytes; in microseconds.
int64_t fraction(Reader& in, int fsp) {
  switch (fsp) {
    case 1:
    case 2: return static_cast<int64_t>(in.big(1)) * 10000;
    case 3:
    case 4: return static_cast<int64_t>(in.big(2)) * 100;
    case 5:
    case 6: return static_cast<int64_t>(in.big(3));
    default: return 0;
  }
}

std::string fraction_text(int64_t micros, int fsp) {
  if (fsp <= 0) return "";
  char b[8];
  std::snprintf(b, sizeof b, "%06lld", static_cast<long long>(micros));
  return "." + std::string(b, static_cast<std::size_t>(std::min(fsp, 6)));
}

std::string date_text(unsigned year, unsigned month, unsigned day) {
  char b[16];
  std::snprintf(b, sizeof b, "%04u-%02u-%02u", year, month, day);
  return b;
}

std::string time_text(bool negative, unsigned hours, unsigned minutes, unsigned seconds) {
  char b[24];
  std::snprintf(b, sizeof b, "%s%02u:%02u:%02u", negative ? "-" : "", hours, minutes, seconds);
  return b;
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian).
void civil(int64_t days, unsigned& y, unsigned& m, unsigned& d) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<unsigned>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

std::string decimal_text(Reader& in, int precision, int scale) {
  static constexpr int kBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  if (precision <= 0 || scale < 0 || scale > precision || precision > 65)
    throw std::runtime_error("a decimal column of precision " + std::to_string(precision) + " and scale " +
                             std::to_string(scale));
  const int intg = precision - scale, intg0 = intg / 9, intg0x = intg % 9, frac0 = scale / 9, frac0x = scale % 9;
  const std::size_t size = static_cast<std::size_t>(intg0 * 4 + kBytes[intg0x] + frac0 * 4 + kBytes[frac0x]);
  std::string bytes(in.take(size));
  const bool negative = !(static_cast<uint8_t>(bytes[0]) & 0x80);
  bytes[0] = static_cast<char>(bytes[0] ^ 0x80);
  if (negative)
    for (char& c : bytes) c = static_cast<char>(~c);
  Reader digits(bytes);
  auto group = [&](std::size_t n, int width) {
    char b[16];
    std::snprintf(b, sizeof b, "%0*llu", width, static_cast<unsigned long long>(digits.big(n)));
    return std::string(b);
  };
  std::string whole;
  if (intg0x) whole += group(static_cast<std::size_t>(kBytes[intg0x]), intg0x);
  for (int i = 0; i < intg0; ++i) whole += group(4, 9);
  std::string frac;
  for (int i = 0; i < frac0; ++i) frac += group(4, 9);
  if (frac0x) frac += group(static_cast<std::size_t>(kBytes[frac0x]), frac0x);
  const std::size_t first = whole.find_first_not_of('0');
  whole = first == std::string::npos ? "0" : whole.substr(first);
  const bool zero = whole == "0" && frac.find_first_not_of('0') == std::string::npos;
  return (negative && !zero ? "-" : "") + whole + (frac.empty() ? "" : "." + frac);
}

std::string integer_text(uint64_t raw, std::size_t bytes, bool is_unsigned) {
  char b[24];
  if (is_unsigned) {
    auto r = std::to_chars(b, b + sizeof b, raw);
    return std::string(b, r.ptr);
  }
  // Sign-extend from `bytes` bytes.
  const unsigned shift = static_cast<unsigned>(64 - 8 * bytes);
  const int64_t v = static_cast<int64_t>(raw << shift) >> shift;
  auto r = std::to_chars(b, b + sizeof b, v);
  return std::string(b, r.ptr);
}

std::string labels_text(uint64_t value, uint8_t type, const ColumnHint& hint) {
  if (type == kEnum) {
    if (value == 0) return "";  // the empty string MySQL stores for an invalid member
    if (value > hint.labels.size()) return std::to_string(value);
    return hint.labels[value - 1];
  }
  std::string out;
  for (std::size_t i = 0; i < hint.labels.size() && i < 64; ++i)
    if (value >> i & 1) out += (out.empty() ? "" : ",") + hint.labels[i];
  return out;
}

std::string value_text(Reader& in, uint8_t type, uint16_t meta, const ColumnHint& hint) {
  switch (type) {
    case kTiny: return integer_text(in.little(1), 1, hint.is_unsigned);
    case kShort: return integer_text(in.little(2), 2, hint.is_unsigned);
    case kInt24: return integer_text(in.little(3), 3, hint.is_unsigned);
    case kLong: return integer_text(in.little(4), 4, hint.is_unsigned);
    case kLongLong: return integer_text(in.little(8), 8, hint.is_unsigned);
    case kYear: {
      const uint64_t y = in.little(1);
      return y == 0 ? "0000" : std::to_string(1900 + y);
    }
    case kFloat: {
      const uint32_t raw = static_cast<uint32_t>(in.little(4));
      float f;
      static_assert(sizeof f == sizeof raw);
      std::memcpy(&f, &raw, sizeof f);
      char b[32];
      auto r = std::to_chars(b, b + sizeof b, f);
      return std::string(b, r.ptr);
    }
    case kDouble: {
      const uint64_t raw = in.little(8);
      double d;
      std::memcpy(&d, &raw, sizeof d);
      char b[32];
      auto r = std::to_chars(b, b + sizeof b, d);
      return std::string(b, r.ptr);
    }
    case kNewDecimal: return decimal_text(in, meta >> 8, meta & 0xff);
    case kDate:
    case kNewDate: {
      const uint64_t v = in.little(3);
      return date_text(static_cast<unsigned>(v >> 9), static_cast<unsigned>(v >> 5 & 15), static_cast<unsigned>(v & 31));
    }
    case kDateTime: {  // before MySQL 5.6: YYYYMMDDhhmmss as a number
      uint64_t v = in.little(8);
      const unsigned s = static_cast<unsigned>(v % 100), mi = static_cast<unsigned>(v / 100 % 100),
                     h = static_cast<unsigned>(v / 10000 % 100);
      v /= 1000000;
      return date_text(static_cast<unsigned>(v / 10000), static_cast<unsigned>(v / 100 % 100),
                       static_cast<unsigned>(v % 100)) + " " + time_text(false, h, mi, s);
    }
    case kDateTime2: {
      const int fsp = meta;
      const int64_t packed = static_cast<int64_t>(in.big(5)) - 0x8000000000LL;
      const int64_t micros = fraction(in, fsp);
      const int64_t ymd = packed >> 17, ym = ymd >> 5, hms = packed % (1 << 17);
      return date_text(static_cast<unsigned>(ym / 13), static_cast<unsigned>(ym % 13), static_cast<unsigned>(ymd % 32)) +
             " " + time_text(false, static_cast<unsigned>(hms >> 12), static_cast<unsigned>(hms >> 6 & 63),
                             static_cast<unsigned>(hms & 63)) + fraction_text(micros, fsp);
    }
    case kTimestamp:
    case kTimestamp2: {
      const int fsp = type == kTimestamp2 ? meta : 0;
      const int64_t seconds = static_cast<int64_t>(type == kTimestamp2 ? in.big(4) : in.little(4));
      const int64_t micros = fraction(in, fsp);
      if (seconds == 0) return "0000-00-00 00:00:00" + fraction_text(0, fsp);
      unsigned y, m, d;
      civil(seconds / 86400, y, m, d);
      const int64_t s = seconds % 86400;
      return date_text(y, m, d) + " " +
             time_text(false, static_cast<unsigned>(s / 3600), static_cast<unsigned>(s / 60 % 60),
                       static_cast<unsigned>(s % 60)) + fraction_text(micros, fsp);
    }
    case kTime: {  // before MySQL 5.6: [-]HHMMSS as a number
      int64_t v = static_cast<int64_t>(in.little(3) << 40) >> 40;
      const bool negative = v < 0;
      if (negative) v = -v;
      return time_text(negative, static_cast<unsigned>(v / 10000), static_cast<unsigned>(v / 100 % 100),
                       static_cast<unsigned>(v % 100));
    }
    case kTime2: {
      const int fsp = meta;
      int64_t packed;
      if (fsp >= 5) {
        packed = static_cast<int64_t>(in.big(6)) - 0x800000000000LL;
      } else {
        int64_t whole = static_cast<int64_t>(in.big(3)) - 0x800000LL;
        int64_t frac = 0;
        if (fsp == 1 || fsp == 2) {
          frac = static_cast<int64_t>(in.big(1));
          if (whole < 0 && frac) {
            ++whole;
            frac -= 0x100;
          }
          frac *= 10000;
        } else if (fsp == 3 || fsp == 4) {
          frac = static_cast<int64_t>(in.big(2));
          if (whole < 0 && frac) {
            ++whole;
            frac -= 0x10000;
          }
          frac *= 100;
        }
        packed = whole * (1LL << 24) + frac;
      }
      const bool negative = packed < 0;
      if (negative) packed = -packed;
      const int64_t hms = packed >> 24, micros = packed % (1LL << 24);
      return time_text(negative, static_cast<unsigned>(hms >> 12 & 1023), static_cast<unsigned>(hms >> 6 & 63),
                       static_cast<unsigned>(hms & 63)) + fraction_text(micros, fsp);
    }
    case kVarchar:
    case kVarString: {
      const std::size_t n = in.little(meta > 255 ? 2 : 1);
      return std::string(in.take(n));
    }
    case kString: {
      uint8_t real = static_cast<uint8_t>(meta >> 8);
      unsigned length = meta & 0xff;
      if ((real & 0x30) != 0x30) {
        length |= ((real & 0x30) ^ 0x30) << 4;
        real |= 0x30;
      }
      if (real == kEnum || real == kSet) return labels_text(in.little(length), real, hint);
      const std::size_t n = in.little(length > 255 ? 2 : 1);
      return std::string(in.take(n));
    }
    case kEnum:
    case kSet: return labels_text(in.little(meta & 0xff), type, hint);
    case kBit: {
      // Metadata: the bits past whole bytes, then the whole bytes.
      const std::size_t bytes = (meta & 0xff) + ((meta >> 8) ? 1 : 0);
      if (bytes > 8) throw std::runtime_error("a BIT column wider than 64 bits");
      return integer_text(in.big(bytes), 8, true);
    }
    case kTinyBlob:
    case kMediumBlob:
    case kLongBlob:
    case kBlob:
    case kGeometry: {
      if (meta < 1 || meta > 4) throw std::runtime_error("a BLOB column with " + std::to_string(meta) + " length bytes");
      const std::size_t n = in.little(meta);
      return std::string(in.take(n));
    }
    case kJson:
      throw std::runtime_error("a JSON column in MySQL's binary JSON format (MariaDB's JSON, which is text, is read)");
    default: throw std::runtime_error("a column of binlog field type " + std::to_string(type));
  }
}

Image read_image(Reader& in, const TableMap& map, const std::vector<ColumnHint>& hints, std::string_view present) {
  const std::size_t n = map.types.size();
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += bit(present, i);
  const std::string_view nulls = in.take((count + 7) / 8);
  Image image(n);
  std::size_t k = 0;
  static const ColumnHint none;
  for (std::size_t i = 0; i < n; ++i) {
    if (!bit(present, i)) continue;
    if (!bit(nulls, k++)) image[i] = value_text(in, map.types[i], map.meta[i], i < hints.size() ? hints[i] : none);
  }
  return image;
}

}  // namespace

TableMap table_map(std::string_view types, std::string_view metadata) {
  TableMap m;
  Reader in(metadata);
  for (char c : types) {
    const uint8_t t = static_cast<uint8_t>(c);
    uint16_t meta = 0;
    switch (t) {
      case kFloat:
      case kDouble:
      case kTimestamp2:
      case kDateTime2:
      case kTime2:
      case kTinyBlob:
      case kMediumBlob:
      case kLongBlob:
      case kBlob:
      case kGeometry:
      case kJson: meta = static_cast<uint16_t>(in.little(1)); break;
      case kVarchar:
      case kVarString: meta = static_cast<uint16_t>(in.little(2)); break;
      case kBit:
      case kNewDecimal:
      case kString:
      case kEnum:
      case kSet: meta = static_cast<uint16_t>(in.big(2)); break;  // two single bytes, the first the high one
      default: break;
    }
    m.types.push_back(t);
    m.meta.push_back(meta);
  }
  return m;
}

std::vector<RowChange> decode_rows(const TableMap& map, const std::vector<ColumnHint>& hints, RowChange::Kind kind,
                                   std::string_view present, std::string_view present_after, std::string_view rows) {
  std::vector<RowChange> out;
  Reader in(rows);
  while (!in.empty()) {
    RowChange c{kind, {}, {}};
    if (kind == RowChange::Kind::Insert) {
      c.after = read_image(in, map, hints, present);
    } else {
      c.before = read_image(in, map, hints, present);
      if (kind == RowChange::Kind::Update) c.after = read_image(in, map, hints, present_after);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<std::string> labels_of(const std::string& column_type) {
  std::vector<std::string> out;
  const auto open = column_type.find('(');
  if (open == std::string::npos) return out;
  std::string label;
  bool quoted = false;
  for (std::size_t i = open + 1; i < column_type.size(); ++i) {
    const char c = column_type[i];
    if (quoted) {
      if (c == '\'' && i + 1 < column_type.size() && column_type[i + 1] == '\'') {
        label += '\'';
        ++i;
      } else if (c == '\'') {
        quoted = false;
        out.push_back(label);
        label.clear();
      } else {
        label += c;
      }
    } else if (c == '\'') {
      quoted = true;
    } else if (c == ')') {
      break;
    }
  }
  return out;
}

}  // namespace ingestd::plugins::mysql::binlog

#include "copy_text.hpp"

#include <ingestd/sdk/values.hpp>

#include <cstring>

namespace ingestd::plugins::postgres {

using namespace ingestd::sdk;

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void unescape(std::string_view in, std::string& out) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '\\' || i + 1 >= in.size()) {
      out.push_back(c);
      continue;
    }
    char e = in[++i];
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case 'x': {
        int v = 0, digits = 0;
        while (digits < 2 && i + 1 < in.size() && hex_value(in[i + 1]) >= 0) v = v * 16 + hex_value(in[++i]), ++digits;
        out.push_back(static_cast<char>(v));
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          int v = e - '0', digits = 1;
          while (digits < 3 && i + 1 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '7') v = v * 8 + (in[++i] - '0'), ++digits;
          out.push_back(static_cast<char>(v));
        } else {
          out.push_back(e);  // "\\" and any other escaped character stand for themselves
        }
    }
  }
}

}  // namespace

void split_copy_row(std::string_view row, std::vector<CopyField>& fields, std::string& scratch) {
  fields.clear();
  scratch.clear();
  // Unescaped texts go into scratch; reserve so that views into it stay put.
  scratch.reserve(row.size());
  std::size_t start = 0;
  for (;;) {
    std::size_t end = row.find('\t', start);
    std::string_view raw = row.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    CopyField f;
    if (raw == "\\N") {
      f.null = true;
    } else if (raw.find('\\') == std::string_view::npos) {
      f.text = raw;
    } else {
      std::size_t at = scratch.size();
      unescape(raw, scratch);
      f.text = std::string_view(scratch.data() + at, scratch.size() - at);
    }
    fields.push_back(f);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

void append_copy_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
}

void append_copy_value(std::string& out, const ingestd::sdk::ColumnReader& c, int64_t r, std::string& scratch) {
  using ingestd::sdk::TypeId;
  if (c.is_null(r)) {
    out += "\\N";
    return;
  }
  switch (c.type().id) {
    case TypeId::Bool: out.push_back(c.bool_value(r) ? 't' : 'f'); return;
    case TypeId::Utf8:
    case TypeId::LargeUtf8: append_copy_escaped(out, c.string_value(r)); return;
    case TypeId::Binary: {
      static const char hex[] = "0123456789abcdef";
      out += "\\\\x";  // bytea hex form; its backslash escaped for COPY
      for (unsigned char b : c.string_value(r)) {
        out.push_back(hex[b >> 4]);
        out.push_back(hex[b & 15]);
      }
      return;
    }
    case TypeId::Float32:
    case TypeId::Float64: {
      double d = c.double_value(r);
      if (d != d) out += "NaN";
      else if (d == 1.0 / 0.0) out += "Infinity";
      else if (d == -1.0 / 0.0) out += "-Infinity";
      else ingestd::sdk::format_double(d, out);
      return;
    }
    default:
      scratch.clear();
      ingestd::sdk::append_text(c, r, scratch);
      append_copy_escaped(out, scratch);
  }
}

bool append_text_value(ColumnBuilder& col, std::string_view s) {
  switch (col.type().id) {
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: {
      int64_t v;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
      col.append_int(v);
      return true;
    }
    case TypeId::Float32:
    case TypeId::Float64: {
      double v;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
      col.append_double(v);
      return true;
    }
    case TypeId::Bool:
      if (s == "t" || s == "f") {
        col.append_bool(s == "t");
        return true;
      }
      return false;
    case TypeId::Decimal128: {
      __int128 v;
      if (!parse_decimal(s, col.type().scale, v)) return false;
      col.append_decimal(v);
      return true;
    }
    case TypeId::Date32: {
      int32_t days;
      if (!parse_date(s, days)) return false;
      col.append_int(days);
      return true;
    }
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal: {
      int64_t us;
      if (!parse_timestamp(s, us)) return false;
      col.append_int(us);
      return true;
    }
    case TypeId::Time64Us: {
      int64_t us;
      if (!parse_time(s, us)) return false;
      col.append_int(us);
      return true;
    }
    case TypeId::Binary: {
      if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2) return false;
      std::string bytes;
      bytes.reserve(s.size() / 2);
      auto hex = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
      for (std::size_t i = 2; i + 1 < s.size(); i += 2) bytes.push_back(static_cast<char>(hex(s[i]) * 16 + hex(s[i + 1])));
      col.append_string(bytes);
      return true;
    }
    default: col.append_string(s); return true;
  }
}

}  // namespace ingestd::plugins::postgres

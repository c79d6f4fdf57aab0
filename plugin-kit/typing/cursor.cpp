#include <ingestd/kit/typing/cursor.hpp>

#include <ingestd/sdk/values.hpp>

#include <charconv>

namespace ingestd::kit::typing {

namespace {

bool as_number(std::string_view s, double& v) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool as_instant(std::string_view s, int64_t& micros) {
  bool zone = false;
  return s.size() >= 10 && ingestd::sdk::parse_timestamp(s, micros, &zone);
}

}  // namespace

int compare_cursors(std::string_view a, std::string_view b) {
  int64_t ta = 0, tb = 0;
  if (as_instant(a, ta) && as_instant(b, tb)) return ta < tb ? -1 : ta > tb ? 1 : 0;
  double na = 0, nb = 0;
  if (as_number(a, na) && as_number(b, nb)) return na < nb ? -1 : na > nb ? 1 : 0;
  return a.compare(b) < 0 ? -1 : a.compare(b) > 0 ? 1 : 0;
}

std::string cursor_minus(const std::string& cursor, int64_t lookback_ms, double lookback_units) {
  int64_t t = 0;
  if (lookback_ms > 0 && as_instant(cursor, t)) {
    std::string out;
    ingestd::sdk::format_timestamp(t - lookback_ms * 1000, out);
    return out;
  }
  double n = 0;
  if (lookback_units > 0 && as_number(cursor, n)) {
    std::string out;
    double moved = n - lookback_units;
    if (moved == static_cast<double>(static_cast<int64_t>(moved))) ingestd::sdk::format_int(static_cast<int64_t>(moved), out);
    else ingestd::sdk::format_double(moved, out);
    return out;
  }
  return cursor;
}

std::string cursor_of(const simdjson::dom::object& record, const std::string& field) {
  namespace dom = simdjson::dom;
  dom::element e;
  bool missing = field.empty() || (field[0] == '/' ? record.at_pointer(field).get(e) : record[field].get(e));
  if (missing) return {};
  switch (e.type()) {
    case dom::element_type::STRING: return std::string(e.get_string().value_unsafe());
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return simdjson::minify(e);
    default: return {};
  }
}

}  // namespace ingestd::kit::typing

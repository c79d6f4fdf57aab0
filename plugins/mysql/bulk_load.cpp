#include "bulk_load.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/values.hpp>

#include <cmath>
#include <cstring>

namespace ingestd::plugins::mysql {

using namespace ingestd::sdk;

namespace {

struct Source {
  const std::string* data;
  std::size_t at = 0;
};

int open_buffer(void** ptr, const char*, void* userdata) {
  *ptr = userdata;
  return 0;
}

int read_buffer(void* ptr, char* buf, unsigned int length) {
  auto* s = static_cast<Source*>(ptr);
  const std::size_t n = std::min<std::size_t>(length, s->data->size() - s->at);
  std::memcpy(buf, s->data->data() + s->at, n);
  s->at += n;
  return static_cast<int>(n);
}

void close_buffer(void*) {}

int buffer_error(void*, char*, unsigned int) { return 0; }

}  // namespace

void append_load_text(std::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\0': out += "\\0"; break;
      default: out.push_back(c);
    }
  }
}

void append_load_field(const ColumnReader& c, int64_t r, std::string& out, std::string& scratch) {
  if (c.is_null(r)) {
    out += "\\N";
    return;
  }
  switch (c.type().id) {
    case TypeId::Bool: out += c.bool_value(r) ? "1" : "0"; return;
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: format_int(c.int_value(r), out); return;
    case TypeId::Float32:
    case TypeId::Float64: {
      const double v = c.double_value(r);
      if (std::isnan(v) || std::isinf(v)) out += "\\N";  // MySQL has no NaN or infinity
      else format_double(v, out);
      return;
    }
    case TypeId::Binary: append_load_text(c.string_value(r), out); return;
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal: format_timestamp(c.int_value(r), out, false); return;
    default:
      scratch.clear();
      append_text(c, r, scratch);
      append_load_text(scratch, out);
  }
}

uint64_t load_lines(Connection& db, const std::string& table, const std::vector<std::string>& columns,
                    const std::string& lines) {
  Source source{&lines};
  mysql_set_local_infile_handler(db.raw(), open_buffer, read_buffer, close_buffer, buffer_error, &source);
  std::string cols;
  for (const auto& c : columns) cols += (cols.empty() ? "" : ", ") + quote_ident(c);
  // Bytes as they are: text columns take UTF-8 unchanged, binary ones their bytes.
  db.exec("LOAD DATA LOCAL INFILE 'ingestd-batch' INTO TABLE " + table +
          " CHARACTER SET binary FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (" + cols + ")");
  const uint64_t loaded = db.affected_rows();
  if (mysql_warning_count(db.raw()) > 0) {
    std::string first;
    Rows w = db.query("SHOW WARNINGS LIMIT 1");
    while (w.next()) first = w.text(2);
    throw data_error("loading into " + table + ": " + first);
  }
  return loaded;
}

}  // namespace ingestd::plugins::mysql

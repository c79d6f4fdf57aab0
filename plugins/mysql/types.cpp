#include "types.hpp"

#include "connection.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/values.hpp>

#include <charconv>

namespace ingestd::plugins::mysql {

using namespace ingestd::sdk;

SourceColumn source_column(const std::string& name, const std::string& data_type, const std::string& column_type,
                           int precision, int scale) {
  SourceColumn c{name, column_type, TypeId::Utf8, quote_ident(name)};
  const bool is_unsigned = column_type.find("unsigned") != std::string::npos;
  const std::string& t = data_type;
  if (t == "tinyint" || t == "year") c.type = TypeId::Int16;
  else if (t == "smallint" || t == "mediumint") c.type = TypeId::Int32;
  else if (t == "int" || t == "integer") c.type = TypeId::Int64;
  else if (t == "bigint") c.type = is_unsigned ? DataType::decimal(20, 0) : DataType(TypeId::Int64);
  else if (t == "decimal" || t == "numeric") c.type = precision > 0 && precision <= 38 ? DataType::decimal(precision, scale)
                                                                                      : DataType(TypeId::Utf8);
  else if (t == "float" || t == "double" || t == "real") c.type = TypeId::Float64;
  else if (t == "date") c.type = TypeId::Date32;
  else if (t == "datetime") c.type = TypeId::TimestampUsLocal;
  else if (t == "timestamp") c.type = TypeId::TimestampUs;  // the session's time zone is UTC
  else if (t == "time") c.type = TypeId::Time64Us;
  else if (t == "binary" || t == "varbinary" || t.find("blob") != std::string::npos) c.type = TypeId::Binary;
  else if (t == "bit") {
    c.type = DataType::decimal(20, 0);
    c.select = "CAST(" + quote_ident(name) + " AS UNSIGNED) AS " + quote_ident(name);
  }
  // char, varchar, text, enum, set, json and the rest: their text.
  return c;
}

std::string mysql_type_for(const DataType& type, bool key) {
  switch (type.id) {
    case TypeId::Bool: return "BOOLEAN";
    case TypeId::Int8:
    case TypeId::Int16: return "SMALLINT";
    case TypeId::Int32: return "INT";
    case TypeId::Int64: return "BIGINT";
    case TypeId::Float32: return "FLOAT";
    case TypeId::Float64: return "DOUBLE";
    case TypeId::Decimal128:
      return "DECIMAL(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    case TypeId::Date32: return "DATE";
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal: return "DATETIME(6)";
    case TypeId::Time64Us: return "TIME(6)";
    case TypeId::Binary: return key ? "VARBINARY(3072)" : "LONGBLOB";
    default: return key ? "VARCHAR(768)" : "LONGTEXT";  // an index holds 3072 bytes: 768 utf8mb4 characters
  }
}

DataType type_of_mysql(const std::string& column_type) {
  const std::string t = column_type.substr(0, column_type.find('('));
  if (t == "tinyint" && column_type.rfind("tinyint(1)", 0) == 0) return TypeId::Bool;
  if (t == "tinyint" || t == "smallint" || t == "year") return TypeId::Int16;
  if (t == "mediumint" || t == "int") return column_type.find("unsigned") != std::string::npos ? TypeId::Int64 : TypeId::Int32;
  if (t == "bigint") return TypeId::Int64;
  if (t == "float") return TypeId::Float32;
  if (t == "double") return TypeId::Float64;
  if (t == "decimal") {
    int p = 0, s = 0;
    if (std::sscanf(column_type.c_str(), "decimal(%d,%d)", &p, &s) == 2 && p <= 38) return DataType::decimal(p, s);
    return TypeId::Utf8;
  }
  if (t == "date") return TypeId::Date32;
  if (t == "datetime" || t == "timestamp") return TypeId::TimestampUsLocal;
  if (t == "time") return TypeId::Time64Us;
  if (t == "varbinary" || t == "binary" || t.find("blob") != std::string::npos) return TypeId::Binary;
  return TypeId::Utf8;
}

DataType wider(const DataType& a, const DataType& b) {
  if (a == b) return a;
  const bool a_int = a.is_integer() || a.id == TypeId::Bool, b_int = b.is_integer() || b.id == TypeId::Bool;
  if (a_int && b_int) {
    auto rank = [](const DataType& t) {
      return t.id == TypeId::Bool ? 0 : t.id == TypeId::Int8 ? 1 : t.id == TypeId::Int16 ? 2 : t.id == TypeId::Int32 ? 3 : 4;
    };
    return rank(a) >= rank(b) ? a : b;
  }
  if ((a_int || a.id == TypeId::Float32 || a.id == TypeId::Float64) &&
      (b_int || b.id == TypeId::Float32 || b.id == TypeId::Float64))
    return TypeId::Float64;
  if ((a.id == TypeId::TimestampUs || a.id == TypeId::TimestampUsLocal) &&
      (b.id == TypeId::TimestampUs || b.id == TypeId::TimestampUsLocal))
    return a;
  if (a.id == TypeId::Binary && b.id == TypeId::Binary) return a;
  return TypeId::Utf8;
}

bool append_mysql_value(ColumnBuilder& col, std::string_view s, ZeroDates zero_dates, const std::string& column_name) {
  switch (col.type().id) {
    case TypeId::Bool:
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: {
      int64_t v;
      auto r = std::from_chars(s.data(), s.data() + s.size(), v);
      if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
      if (col.type().id == TypeId::Bool) col.append_bool(v != 0);
      else col.append_int(v);
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
    case TypeId::Decimal128: {
      __int128 v;
      if (!parse_decimal(s, col.type().scale, v)) return false;
      col.append_decimal(v);
      return true;
    }
    case TypeId::Date32:
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal: {
      if (s.rfind("0000-00-00", 0) == 0) {
        if (zero_dates == ZeroDates::Fail)
          throw data_error("column '" + column_name + "' holds a zero date (" + std::string(s) +
                           "); zero_dates = \"null\" reads such dates as NULL");
        col.append_null();
        return true;
      }
      if (col.type().id == TypeId::Date32) {
        int32_t days;
        if (!parse_date(s, days)) return false;
        col.append_int(days);
      } else {
        int64_t us;
        if (!parse_timestamp(s, us)) return false;
        col.append_int(us);
      }
      return true;
    }
    case TypeId::Time64Us: {
      int64_t us;
      if (!parse_time(s, us)) return false;  // past 24 h or negative: text from here on
      col.append_int(us);
      return true;
    }
    default: col.append_string(s); return true;
  }
}

}  // namespace ingestd::plugins::mysql

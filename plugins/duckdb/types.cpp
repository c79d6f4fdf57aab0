#include "types.hpp"

#include <cstdio>

namespace ingestd::plugins::duck {

using ingestd::sdk::DataType;
using ingestd::sdk::TypeId;

namespace {

bool starts(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

bool nested(const std::string& t) {
  return t.find('[') != std::string::npos || starts(t, "STRUCT") || starts(t, "MAP") || starts(t, "UNION");
}

}  // namespace

std::string declared_for(const DataType& type) {
  switch (type.id) {
    case TypeId::Bool: return "BOOLEAN";
    case TypeId::Int8: return "TINYINT";
    case TypeId::Int16: return "SMALLINT";
    case TypeId::Int32: return "INTEGER";
    case TypeId::Int64: return "BIGINT";
    case TypeId::Float32: return "FLOAT";
    case TypeId::Float64: return "DOUBLE";
    case TypeId::Binary: return "BLOB";
    case TypeId::Date32: return "DATE";
    case TypeId::TimestampUs: return "TIMESTAMPTZ";
    case TypeId::TimestampUsLocal: return "TIMESTAMP";
    case TypeId::Time64Us: return "TIME";
    case TypeId::Decimal128:
      return "DECIMAL(" + std::to_string(type.precision) + "," + std::to_string(type.scale) + ")";
    default: return "VARCHAR";
  }
}

DataType type_of(const std::string& t) {
  if (nested(t)) return TypeId::Utf8;
  if (t == "BOOLEAN") return TypeId::Bool;
  if (t == "TINYINT") return TypeId::Int8;
  if (t == "SMALLINT" || t == "UTINYINT") return TypeId::Int16;
  if (t == "INTEGER" || t == "USMALLINT") return TypeId::Int32;
  if (t == "BIGINT" || t == "UINTEGER") return TypeId::Int64;
  if (t == "FLOAT") return TypeId::Float32;
  if (t == "DOUBLE") return TypeId::Float64;
  if (t == "BLOB") return TypeId::Binary;
  if (t == "DATE") return TypeId::Date32;
  if (t == "TIMESTAMP WITH TIME ZONE") return TypeId::TimestampUs;
  if (t == "TIMESTAMP" || t == "TIMESTAMP_S" || t == "TIMESTAMP_MS" || t == "TIMESTAMP_NS") return TypeId::TimestampUsLocal;
  if (t == "TIME") return TypeId::Time64Us;
  int p = 0, s = 0;
  if (std::sscanf(t.c_str(), "DECIMAL(%d,%d)", &p, &s) == 2 && p <= 38) return DataType::decimal(p, s);
  return TypeId::Utf8;
}

std::string select_expression(const std::string& quoted, const std::string& declared) {
  const DataType type = type_of(declared);
  if (nested(declared)) return "CAST(to_json(" + quoted + ") AS VARCHAR) AS " + quoted;
  if (type.id == TypeId::Utf8 && declared != "VARCHAR") return "CAST(" + quoted + " AS VARCHAR) AS " + quoted;
  if (declared == "TIMESTAMP_S" || declared == "TIMESTAMP_MS" || declared == "TIMESTAMP_NS")
    return "CAST(" + quoted + " AS TIMESTAMP) AS " + quoted;
  if (declared == "UTINYINT" || declared == "USMALLINT" || declared == "UINTEGER")
    return "CAST(" + quoted + " AS " + declared_for(type) + ") AS " + quoted;
  return quoted;
}

}  // namespace ingestd::plugins::duck

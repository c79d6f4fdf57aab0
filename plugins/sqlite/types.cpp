#include "types.hpp"

#include <algorithm>
#include <cctype>

namespace ingestd::plugins::sqlite {

using ingestd::sdk::DataType;
using ingestd::sdk::TypeId;

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Position of a type on the widening ladder, -1 when off it.
int rank(TypeId t) {
  switch (t) {
    case TypeId::Null: return 0;
    case TypeId::Bool: return 1;
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: return 2;
    case TypeId::Float32:
    case TypeId::Float64: return 3;
    case TypeId::Utf8:
    case TypeId::LargeUtf8: return 5;
    case TypeId::Binary: return 6;
    default: return -1;
  }
}

}  // namespace

DataType type_from_declared(const std::string& declared) {
  std::string t = upper(declared);
  if (has(t, "BOOL")) return TypeId::Bool;
  if (has(t, "DATETIME") || has(t, "TIMESTAMP")) return TypeId::TimestampUs;
  if (t == "DATE") return TypeId::Date32;
  if (t == "TIME") return TypeId::Time64Us;
  // SQLite's affinity rules, in its order.
  if (has(t, "INT")) return TypeId::Int64;
  if (has(t, "CHAR") || has(t, "CLOB") || has(t, "TEXT")) return TypeId::Utf8;
  if (has(t, "BLOB") || t.empty()) return TypeId::Binary;
  if (has(t, "REAL") || has(t, "FLOA") || has(t, "DOUB")) return TypeId::Float64;
  return TypeId::Float64;  // NUMERIC affinity: SQLite stores an integer or a double
}

std::string declared_for(const DataType& type) {
  switch (type.id) {
    case TypeId::Bool: return "BOOLEAN";
    case TypeId::Int8:
    case TypeId::Int16:
    case TypeId::Int32:
    case TypeId::Int64: return "INTEGER";
    case TypeId::Float32:
    case TypeId::Float64: return "REAL";
    case TypeId::Binary: return "BLOB";
    case TypeId::Date32: return "DATE";
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal: return "TIMESTAMP";
    case TypeId::Time64Us: return "TIME";
    default: return "TEXT";
  }
}

DataType wider(const DataType& a, const DataType& b) {
  if (a == b) return a;
  int ra = rank(a.id), rb = rank(b.id);
  if (ra >= 0 && rb >= 0) return ra >= rb ? a : b;
  auto temporal = [](TypeId t) { return t == TypeId::Date32 || t == TypeId::TimestampUs; };
  if (temporal(a.id) && temporal(b.id)) return TypeId::TimestampUs;
  if (a.id == TypeId::Binary || b.id == TypeId::Binary) return TypeId::Binary;
  return TypeId::Utf8;
}

}  // namespace ingestd::plugins::sqlite

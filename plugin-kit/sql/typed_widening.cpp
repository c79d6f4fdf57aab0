#include <ingestd/kit/sql/typed_widening.hpp>

#include <algorithm>

namespace ingestd::kit::sql {

using sdk::DataType;
using sdk::TypeId;

namespace {

int rank(TypeId t) {
  switch (t) {
    case TypeId::Bool: return 1;
    case TypeId::Int8: return 2;
    case TypeId::Int16: return 3;
    case TypeId::Int32: return 4;
    case TypeId::Int64: return 5;
    case TypeId::Float32: return 6;
    case TypeId::Float64: return 7;
    default: return -1;
  }
}

}  // namespace

DataType typed_wider(const DataType& a, const DataType& b) {
  if (a == b) return a;
  if (a.id == TypeId::Null) return b;
  if (b.id == TypeId::Null) return a;
  int ra = rank(a.id), rb = rank(b.id);
  if (ra > 0 && rb > 0) {
    // Integers and floats mix, but a 64-bit integer does not fit a float32.
    DataType w = ra >= rb ? a : b;
    if (w.id == TypeId::Float32 && (a.id == TypeId::Int64 || b.id == TypeId::Int64 || a.id == TypeId::Int32 ||
                                    b.id == TypeId::Int32))
      return TypeId::Float64;
    return w;
  }
  if (a.id == TypeId::Decimal128 && b.id == TypeId::Decimal128) {
    int scale = std::max(a.scale, b.scale);
    int integer_digits = std::max(a.precision - a.scale, b.precision - b.scale);
    if (integer_digits + scale <= 38) return DataType::decimal(integer_digits + scale, scale);
    return TypeId::Utf8;
  }
  if ((a.id == TypeId::Decimal128 && b.is_integer()) || (b.id == TypeId::Decimal128 && a.is_integer())) {
    const DataType& d = a.id == TypeId::Decimal128 ? a : b;
    int scale = d.scale;
    int integer_digits = std::max(d.precision - d.scale, 19);
    if (integer_digits + scale <= 38) return DataType::decimal(integer_digits + scale, scale);
    return TypeId::Utf8;
  }
  auto temporal = [](TypeId t) { return t == TypeId::Date32 || t == TypeId::TimestampUsLocal; };
  if (temporal(a.id) && temporal(b.id)) return TypeId::TimestampUsLocal;
  if ((a.id == TypeId::Date32 && b.id == TypeId::TimestampUs) || (b.id == TypeId::Date32 && a.id == TypeId::TimestampUs))
    return TypeId::TimestampUs;
  if (a.id == TypeId::Binary || b.id == TypeId::Binary) return TypeId::Binary;
  return TypeId::Utf8;
}

}  // namespace ingestd::kit::sql

// Typed, zero-copy readers over an incoming record batch.
#pragma once

#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/schema.hpp>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::sdk {

// Reads one column (a child of a struct array) by row index.
// `row_offset` is the parent struct array's offset, which applies on top of
// the child's own.
class ColumnReader {
 public:
  ColumnReader(const ArrowArray* array, DataType type, int64_t row_offset = 0)
      : a_(array), type_(std::move(type)), base_(array->offset + row_offset) {
    if (type_.id != TypeId::Null && a_->n_buffers > 0)
      validity_ = static_cast<const uint8_t*>(a_->buffers[0]);
    if (a_->n_buffers > 1) values_ = a_->buffers[1];
    if (a_->n_buffers > 2) data_ = static_cast<const char*>(a_->buffers[2]);
  }

  const DataType& type() const { return type_; }
  int64_t length() const { return a_->length; }

  bool is_null(int64_t i) const {
    if (type_.id == TypeId::Null) return true;
    if (!validity_ || a_->null_count == 0) return false;
    int64_t j = base_ + i;
    return (validity_[j >> 3] & (1u << (j & 7))) == 0;
  }

  // Integers of every width, dates (days), timestamps and times (microseconds).
  int64_t int_value(int64_t i) const {
    int64_t j = base_ + i;
    switch (type_.id) {
      case TypeId::Int8: return load<int8_t>(j);
      case TypeId::Int16: return load<int16_t>(j);
      case TypeId::Int32:
      case TypeId::Date32: return load<int32_t>(j);
      case TypeId::Int64:
      case TypeId::TimestampUs:
      case TypeId::TimestampUsLocal:
      case TypeId::Time64Us: return load<int64_t>(j);
      case TypeId::Bool: return bool_value(i) ? 1 : 0;
      default: mismatch("an integer");
    }
  }

  double double_value(int64_t i) const {
    int64_t j = base_ + i;
    if (type_.id == TypeId::Float64) return load<double>(j);
    if (type_.id == TypeId::Float32) return load<float>(j);
    if (type_.is_integer()) return static_cast<double>(int_value(i));
    mismatch("a floating-point value");
  }

  bool bool_value(int64_t i) const {
    if (type_.id != TypeId::Bool) mismatch("a boolean");
    int64_t j = base_ + i;
    return (static_cast<const uint8_t*>(values_)[j >> 3] & (1u << (j & 7))) != 0;
  }

  std::string_view string_value(int64_t i) const {
    int64_t j = base_ + i;
    if (type_.id == TypeId::Utf8 || type_.id == TypeId::Binary) {
      const int32_t* off = static_cast<const int32_t*>(values_);
      return {data_ + off[j], static_cast<std::size_t>(off[j + 1] - off[j])};
    }
    if (type_.id == TypeId::LargeUtf8) {
      const int64_t* off = static_cast<const int64_t*>(values_);
      return {data_ + off[j], static_cast<std::size_t>(off[j + 1] - off[j])};
    }
    mismatch("a string");
  }

  // The unscaled value of a decimal.
  __int128 decimal_value(int64_t i) const {
    if (type_.id != TypeId::Decimal128) mismatch("a decimal");
    return load<__int128>(base_ + i);
  }

 private:
  template <class T>
  T load(int64_t j) const {
    T v;
    std::memcpy(&v, static_cast<const char*>(values_) + j * static_cast<int64_t>(sizeof(T)),
                sizeof(T));
    return v;
  }
  [[noreturn]] void mismatch(const char* what) const {
    throw std::invalid_argument(std::string("cannot read ") + what + " from a " + type_.name() +
                                " column");
  }

  const ArrowArray* a_;
  DataType type_;
  int64_t base_;
  const uint8_t* validity_ = nullptr;
  const void* values_ = nullptr;
  const char* data_ = nullptr;
};

// A borrowed view of a struct array as rows and columns.
class BatchReader {
 public:
  BatchReader(const ArrowArray& batch, const Schema& schema, std::string_view metadata_json = {})
      : array_(&batch), schema_(&schema), rows_(batch.length), metadata_json_(metadata_json) {
    if (static_cast<std::size_t>(batch.n_children) != schema.size())
      throw std::invalid_argument("batch has " + std::to_string(batch.n_children) +
                                  " columns, schema has " + std::to_string(schema.size()));
    columns_.reserve(schema.size());
    for (std::size_t i = 0; i < schema.size(); ++i)
      columns_.emplace_back(batch.children[i], schema[i].type, batch.offset);
  }

  int64_t rows() const { return rows_; }
  std::size_t column_count() const { return columns_.size(); }
  const ColumnReader& column(std::size_t i) const { return columns_[i]; }
  const Schema& schema() const { return *schema_; }
  // The batch as the host lent it, for a destination that hands Arrow on.
  const ArrowArray& array() const { return *array_; }
  // The batch's metadata as the source sent it (a JSON object, or empty).
  std::string_view metadata_json() const { return metadata_json_; }
  // Whether the batch begins with its source table emptied (INGESTD_METADATA_TRUNCATE).
  bool truncates() const {
    if (metadata_json_.find(INGESTD_METADATA_TRUNCATE) == std::string_view::npos) return false;
    try {
      const json::Value metadata = json::Value::parse(metadata_json_);
      const json::Value& v = metadata[INGESTD_METADATA_TRUNCATE];
      return v.is_string() && v.as_string() == "true";
    } catch (const std::exception&) {
      return false;
    }
  }

 private:
  const ArrowArray* array_;
  const Schema* schema_;
  int64_t rows_;
  std::string_view metadata_json_;
  std::vector<ColumnReader> columns_;
};

}  // namespace ingestd::sdk

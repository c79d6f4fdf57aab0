// Building blocks of transforms: share the columns of a batch a transform was
// given with the batch it returns (no copy of what does not change), put
// columns together into a batch, and copy chosen rows of a column.
#pragma once

#include <ingestd/abi.h>
#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/schema.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace ingestd::sdk {

namespace detail {

struct SharedColumnPrivate {
  std::shared_ptr<OwnedArray> batch;  // keeps the buffers the column points into alive
};

inline void release_shared_column(ArrowArray* a) {
  if (!a || !a->release) return;
  delete static_cast<SharedColumnPrivate*>(a->private_data);
  a->release = nullptr;
}

inline int64_t count_nulls(const ArrowArray& column, int64_t offset, int64_t length) {
  if (column.null_count == 0) return 0;
  if (column.n_buffers == 0) return length;  // the null type: every value is null
  const auto* validity = static_cast<const uint8_t*>(column.buffers[0]);
  if (!validity) return 0;
  int64_t nulls = 0;
  for (int64_t i = offset; i < offset + length; ++i) nulls += (validity[i >> 3] >> (i & 7) & 1) == 0;
  return nulls;
}

}  // namespace detail

// A batch given to a transform, whose columns can be handed on as arrays of
// their own: the batch's memory lives until the last of them is released.
class SharedBatch {
 public:
  explicit SharedBatch(OwnedArray batch) : batch_(std::make_shared<OwnedArray>(std::move(batch))) {}

  const ArrowArray& array() const { return *batch_->get(); }
  int64_t rows() const { return array().length; }
  std::size_t column_count() const { return static_cast<std::size_t>(array().n_children); }

  // Column `i` as an array of its own, with the batch's offset applied.
  OwnedArray column(std::size_t i) const {
    const ArrowArray& parent = array();
    if (i >= column_count()) throw std::out_of_range("column " + std::to_string(i) + " of a batch of " +
                                                     std::to_string(column_count()));
    const ArrowArray& child = *parent.children[i];
    ArrowArray view = child;
    view.offset = child.offset + parent.offset;
    view.length = parent.length;
    if (parent.offset != 0 || child.length != parent.length)
      view.null_count = detail::count_nulls(child, view.offset, view.length);
    view.release = &detail::release_shared_column;
    view.private_data = new detail::SharedColumnPrivate{batch_};
    return OwnedArray(&view);
  }

 private:
  std::shared_ptr<OwnedArray> batch_;
};

// A struct array of `columns` (moved in), each `rows` long.
inline OwnedArray struct_of(std::vector<OwnedArray> columns, int64_t rows) {
  for (const OwnedArray& c : columns)
    if (c.get()->length != rows)
      throw std::logic_error("a column of " + std::to_string(c.get()->length) + " values in a batch of " +
                             std::to_string(rows) + " rows");
  auto* p = new detail::ArrayPrivate;
  p->buffers = {nullptr};
  p->children.reserve(columns.size());
  for (OwnedArray& c : columns) {
    auto* child = new ArrowArray;
    c.move_to(child);
    p->children.push_back(child);
  }
  ArrowArray out{};
  out.length = rows;
  out.n_buffers = 1;
  out.n_children = static_cast<int64_t>(p->children.size());
  out.buffers = p->buffers.data();
  out.children = p->children.empty() ? nullptr : p->children.data();
  out.release = &detail::release_array;
  out.private_data = p;
  return OwnedArray(&out);
}

// Appends value `row` of `from` to `to` (a builder of the same type).
inline void append_value(ColumnBuilder& to, const ColumnReader& from, int64_t row) {
  if (from.is_null(row)) {
    to.append_null();
    return;
  }
  switch (from.type().id) {
    case TypeId::Null: to.append_null(); return;
    case TypeId::Bool: to.append_bool(from.bool_value(row)); return;
    case TypeId::Float32:
    case TypeId::Float64: to.append_double(from.double_value(row)); return;
    case TypeId::Utf8:
    case TypeId::LargeUtf8:
    case TypeId::Binary: to.append_string(from.string_value(row)); return;
    case TypeId::Decimal128: to.append_decimal(from.decimal_value(row)); return;
    case TypeId::Other:
      throw std::invalid_argument("cannot copy values of type " + from.type().format());
    default: to.append_int(from.int_value(row)); return;
  }
}

// The rows `keep` (ascending indexes) of column `i` of `batch`, of `type`.
inline OwnedArray take_rows(const ArrowArray& batch, std::size_t i, const DataType& type,
                            const std::vector<int64_t>& keep) {
  ColumnReader from(batch.children[i], type, batch.offset);
  ColumnBuilder to(type);
  to.reserve(static_cast<int64_t>(keep.size()));
  for (int64_t row : keep) append_value(to, from, row);
  ArrowArray out;
  to.finish(&out);
  return OwnedArray(&out);
}

}  // namespace ingestd::sdk

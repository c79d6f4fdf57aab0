// Building blocks of transforms: share the columns of a batch a transform was
// given with the batch it returns (no copy of what does not change), put
// columns together into a batch, and copy chosen rows of a column.
#pragma once

#include <ingestd/abi.h>
#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/schema.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
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

namespace detail {

inline void* alloc_buffer(ArrayPrivate& p, std::size_t bytes, bool zero = false) {
  void* b = zero ? std::calloc(bytes ? bytes : 1, 1) : std::malloc(bytes ? bytes : 1);
  if (!b) throw std::bad_alloc();
  p.owned.push_back(b);
  return b;
}

inline bool bit(const uint8_t* bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }
inline void set_bit(uint8_t* bits, int64_t i) { bits[i >> 3] |= static_cast<uint8_t>(1u << (i & 7)); }

template <int Width>
void take_fixed(const uint8_t* from, int64_t base, const std::vector<int64_t>& keep, uint8_t* to) {
  for (std::size_t k = 0; k < keep.size(); ++k)
    std::memcpy(to + k * Width, from + (base + keep[k]) * Width, Width);
}

template <class Offset>
void take_var(const ArrowArray& c, int64_t base, const std::vector<int64_t>& keep, ArrayPrivate& p) {
  const auto* offsets = static_cast<const Offset*>(c.buffers[1]);
  const auto* data = static_cast<const char*>(c.buffers[2]);
  std::size_t total = 0;
  for (int64_t row : keep) total += static_cast<std::size_t>(offsets[base + row + 1] - offsets[base + row]);
  auto* out_offsets = static_cast<Offset*>(alloc_buffer(p, (keep.size() + 1) * sizeof(Offset)));
  auto* out_data = static_cast<char*>(alloc_buffer(p, total));
  Offset at = 0;
  out_offsets[0] = 0;
  for (std::size_t k = 0; k < keep.size(); ++k) {
    const Offset begin = offsets[base + keep[k]], end = offsets[base + keep[k] + 1];
    std::memcpy(out_data + at, data + begin, static_cast<std::size_t>(end - begin));
    at += end - begin;
    out_offsets[k + 1] = at;
  }
  p.buffers.push_back(out_offsets);
  p.buffers.push_back(out_data);
}

}  // namespace detail

// The rows `keep` (ascending indexes) of column `i` of `batch`, of `type`,
// copied straight from the Arrow buffers.
inline OwnedArray take_rows(const ArrowArray& batch, std::size_t i, const DataType& type,
                            const std::vector<int64_t>& keep) {
  const ArrowArray& c = *batch.children[i];
  const int64_t base = c.offset + batch.offset;
  const auto n = static_cast<int64_t>(keep.size());
  auto* p = new detail::ArrayPrivate;
  ArrowArray out{};
  out.length = n;
  out.release = &detail::release_array;
  out.private_data = p;
  OwnedArray owned(&out);  // frees what was made if a step below throws
  if (type.id == TypeId::Null) {
    owned.get()->null_count = n;
    return owned;
  }
  const auto* valid = c.null_count != 0 && c.n_buffers > 0 ? static_cast<const uint8_t*>(c.buffers[0]) : nullptr;
  uint8_t* bits = nullptr;
  int64_t nulls = 0;
  if (valid) {
    bits = static_cast<uint8_t*>(detail::alloc_buffer(*p, static_cast<std::size_t>((n + 7) / 8), true));
    for (int64_t k = 0; k < n; ++k)
      if (detail::bit(valid, base + keep[static_cast<std::size_t>(k)])) detail::set_bit(bits, k);
      else ++nulls;
  }
  p->buffers.push_back(bits);
  const auto* values = c.n_buffers > 1 ? static_cast<const uint8_t*>(c.buffers[1]) : nullptr;
  switch (type.id) {
    case TypeId::Bool: {
      auto* out_bits = static_cast<uint8_t*>(detail::alloc_buffer(*p, static_cast<std::size_t>((n + 7) / 8), true));
      for (int64_t k = 0; k < n; ++k)
        if (detail::bit(values, base + keep[static_cast<std::size_t>(k)])) detail::set_bit(out_bits, k);
      p->buffers.push_back(out_bits);
      break;
    }
    case TypeId::Utf8:
    case TypeId::Binary: detail::take_var<int32_t>(c, base, keep, *p); break;
    case TypeId::LargeUtf8: detail::take_var<int64_t>(c, base, keep, *p); break;
    case TypeId::Other: throw std::invalid_argument("cannot copy values of type " + type.format());
    default: {
      const int width = detail::fixed_width_bytes(type.id);
      auto* to = static_cast<uint8_t*>(detail::alloc_buffer(*p, static_cast<std::size_t>(n * width)));
      switch (width) {
        case 1: detail::take_fixed<1>(values, base, keep, to); break;
        case 2: detail::take_fixed<2>(values, base, keep, to); break;
        case 4: detail::take_fixed<4>(values, base, keep, to); break;
        case 8: detail::take_fixed<8>(values, base, keep, to); break;
        case 16: detail::take_fixed<16>(values, base, keep, to); break;
        default: throw std::invalid_argument("cannot copy values of type " + type.format());
      }
      p->buffers.push_back(to);
    }
  }
  ArrowArray* a = owned.get();
  a->null_count = nulls;
  a->n_buffers = static_cast<int64_t>(p->buffers.size());
  a->buffers = p->buffers.data();
  return owned;
}

}  // namespace ingestd::sdk

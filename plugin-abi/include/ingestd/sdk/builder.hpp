// Column and record-batch builders that produce finished Arrow arrays.
//
// Appending never allocates per value: buffers grow geometrically and are
// handed to the exported ArrowArray without copying.
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::sdk {

// A growable byte buffer on malloc/realloc (realloc can grow in place).
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : data_(o.data_), size_(o.size_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.size_ = o.capacity_ = 0;
  }
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      std::free(data_);
      data_ = o.data_;
      size_ = o.size_;
      capacity_ = o.capacity_;
      o.data_ = nullptr;
      o.size_ = o.capacity_ = 0;
    }
    return *this;
  }
  ~Buffer() { std::free(data_); }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

  void reserve(std::size_t n) {
    if (n <= capacity_) return;
    std::size_t cap = capacity_ ? capacity_ : 64;
    while (cap < n) cap *= 2;
    void* p = std::realloc(data_, cap);
    if (!p) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(p);
    capacity_ = cap;
  }
  // Grows to n bytes; new bytes are zero.
  void resize(std::size_t n) {
    reserve(n);
    if (n > size_) std::memset(data_ + size_, 0, n - size_);
    size_ = n;
  }
  void append(const void* p, std::size_t n) {
    if (size_ + n > capacity_) reserve(size_ + n);
    if (n) std::memcpy(data_ + size_, p, n);
    size_ += n;
  }
  template <class T>
  void push(T v) {
    if (size_ + sizeof(T) > capacity_) reserve(size_ + sizeof(T));
    std::memcpy(data_ + size_, &v, sizeof(T));
    size_ += sizeof(T);
  }
  // Gives up ownership of the bytes (to be freed with std::free).
  uint8_t* release() {
    uint8_t* p = data_;
    data_ = nullptr;
    size_ = capacity_ = 0;
    return p;
  }
  void clear() { size_ = 0; }

 private:
  uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

namespace detail {

// Storage behind an exported ArrowArray node.
struct ArrayPrivate {
  std::vector<void*> owned;          // freed with std::free
  std::vector<const void*> buffers;  // what ArrowArray::buffers points at
  std::vector<ArrowArray*> children;
};

inline void release_array(ArrowArray* a) {
  if (!a || !a->release) return;
  auto* p = static_cast<ArrayPrivate*>(a->private_data);
  for (ArrowArray* child : p->children) {
    if (child->release) child->release(child);
    delete child;
  }
  for (void* b : p->owned) std::free(b);
  delete p;
  a->release = nullptr;
}

inline int fixed_width_bytes(TypeId t) {
  switch (t) {
    case TypeId::Int8: return 1;
    case TypeId::Int16: return 2;
    case TypeId::Int32:
    case TypeId::Float32:
    case TypeId::Date32: return 4;
    case TypeId::Int64:
    case TypeId::Float64:
    case TypeId::TimestampUs:
    case TypeId::TimestampUsLocal:
    case TypeId::Time64Us: return 8;
    case TypeId::Decimal128: return 16;
    default: return 0;
  }
}

}  // namespace detail

// Builds one column of a type. Integers, dates (days), timestamps and times
// (microseconds) go in with append_int; decimals with append_decimal (the
// unscaled value); strings and binaries with append_string.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(DataType type) : type_(std::move(type)) {
    width_ = detail::fixed_width_bytes(type_.id);
    if (type_.id == TypeId::Other)
      throw std::invalid_argument("cannot build a column of Arrow format " + type_.other_format);
    if (is_var()) start_offsets();
  }

  const DataType& type() const { return type_; }
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }

  void append_null() {
    if (type_.id == TypeId::Null) {
      ++length_;
      ++null_count_;
      return;
    }
    materialize_validity();
    set_valid_bit(false);
    ++null_count_;
    if (type_.id == TypeId::Bool) {
      push_bool_value(false);
    } else if (is_var()) {
      push_offset();
    } else {
      values_.resize(values_.size() + static_cast<std::size_t>(width_));
    }
    ++length_;
  }

  void append_int(int64_t v) {
    note_valid();
    switch (width_) {
      case 1: values_.push(static_cast<int8_t>(v)); break;
      case 2: values_.push(static_cast<int16_t>(v)); break;
      case 4:
        if (type_.id == TypeId::Float32) values_.push(static_cast<float>(v));
        else values_.push(static_cast<int32_t>(v));
        break;
      case 8:
        if (type_.id == TypeId::Float64) values_.push(static_cast<double>(v));
        else values_.push(v);
        break;
      case 16: push_decimal(static_cast<__int128>(v)); break;
      default: type_mismatch("an integer");
    }
    ++length_;
  }

  void append_double(double v) {
    note_valid();
    if (type_.id == TypeId::Float64) values_.push(v);
    else if (type_.id == TypeId::Float32) values_.push(static_cast<float>(v));
    else type_mismatch("a floating-point value");
    ++length_;
  }

  void append_bool(bool v) {
    if (type_.id != TypeId::Bool) type_mismatch("a boolean");
    note_valid();
    push_bool_value(v);
    ++length_;
  }

  void append_string(std::string_view s) {
    if (!is_var()) type_mismatch("a string");
    note_valid();
    data_.append(s.data(), s.size());
    push_offset();
    ++length_;
  }

  void append_decimal(__int128 unscaled) {
    if (type_.id != TypeId::Decimal128) type_mismatch("a decimal");
    note_valid();
    push_decimal(unscaled);
    ++length_;
  }

  // Appends every value `other` holds (a builder of the same type), in bulk.
  void append_column(const ColumnBuilder& other) {
    if (other.type_ != type_) type_mismatch(("the values of a " + other.type_.name() + " column").c_str());
    const int64_t n = other.length_;
    if (n == 0) return;
    if (type_.id != TypeId::Null && (has_validity_ || other.has_validity_)) {
      materialize_validity();
      validity_.resize(static_cast<std::size_t>((length_ + n + 7) / 8));
      for (int64_t i = 0; i < n; ++i)
        if (!other.has_validity_ || (other.validity_.data()[i >> 3] & (1u << (i & 7))))
          validity_.data()[(length_ + i) >> 3] |= static_cast<uint8_t>(1u << ((length_ + i) & 7));
    }
    if (type_.id == TypeId::Bool) {
      values_.resize(static_cast<std::size_t>((length_ + n + 7) / 8));
      for (int64_t i = 0; i < n; ++i)
        if (other.values_.data()[i >> 3] & (1u << (i & 7)))
          values_.data()[(length_ + i) >> 3] |= static_cast<uint8_t>(1u << ((length_ + i) & 7));
    } else if (is_var()) {
      const int64_t base = static_cast<int64_t>(data_.size());
      for (int64_t i = 1; i <= n; ++i) {
        int64_t end;
        if (large()) std::memcpy(&end, other.offsets_.data() + i * 8, 8);
        else {
          int32_t e32;
          std::memcpy(&e32, other.offsets_.data() + i * 4, 4);
          end = e32;
        }
        if (!large() && base + end > INT32_MAX)
          throw std::length_error("string column exceeds 2 GiB in one batch; use smaller batches");
        if (large()) offsets_.push<int64_t>(base + end);
        else offsets_.push<int32_t>(static_cast<int32_t>(base + end));
      }
      data_.append(other.data_.data(), other.data_.size());
    } else if (type_.id != TypeId::Null) {
      values_.append(other.values_.data(), other.values_.size());
    }
    length_ += n;
    null_count_ += other.null_count_;
  }

  // Bytes held so far (an estimate of the finished array's size).
  std::size_t byte_size() const {
    return validity_.size() + values_.size() + offsets_.size() + data_.size();
  }

  // Moves the column into `out` and resets the builder for the next batch.
  void finish(ArrowArray* out) {
    auto* p = new detail::ArrayPrivate;
    auto own = [&](Buffer& b) -> const void* {
      if (b.size() == 0) return nullptr;
      void* raw = b.release();
      p->owned.push_back(raw);
      return raw;
    };
    const void* validity = null_count_ > 0 ? own(validity_) : nullptr;
    if (type_.id == TypeId::Null) {
      // Null arrays have no buffers at all.
    } else if (is_var()) {
      p->buffers = {validity, own(offsets_), own(data_)};
      if (!p->buffers[2]) p->buffers[2] = empty_data();
    } else {
      p->buffers = {validity, own(values_)};
    }
    out->length = length_;
    out->null_count = null_count_;
    out->offset = 0;
    out->n_buffers = static_cast<int64_t>(p->buffers.size());
    out->n_children = 0;
    out->buffers = p->buffers.empty() ? nullptr : p->buffers.data();
    out->children = nullptr;
    out->dictionary = nullptr;
    out->release = &detail::release_array;
    out->private_data = p;
    reset();
  }

  void reset() {
    validity_ = Buffer();
    values_ = Buffer();
    offsets_ = Buffer();
    data_ = Buffer();
    length_ = null_count_ = 0;
    has_validity_ = false;
    if (is_var()) start_offsets();
  }

  void reserve(int64_t rows) {
    if (is_var()) offsets_.reserve(static_cast<std::size_t>(rows + 1) * (large() ? 8 : 4));
    else if (width_) values_.reserve(static_cast<std::size_t>(rows * width_));
  }

  // Drops values from index `rows` on, as if they had never been appended:
  // undoes a half-appended record.
  void truncate(int64_t rows) {
    if (rows >= length_) return;
    if (rows < 0) rows = 0;
    if (has_validity_) {
      for (int64_t i = rows; i < length_; ++i)
        if (!(validity_.data()[i >> 3] & (1u << (i & 7)))) --null_count_;
      clear_bits_from(validity_, rows);
    } else if (type_.id == TypeId::Null) {
      null_count_ = rows;
    }
    if (type_.id == TypeId::Bool) {
      clear_bits_from(values_, rows);
    } else if (is_var()) {
      std::size_t w = large() ? 8 : 4;
      int64_t end = 0;
      if (large()) std::memcpy(&end, offsets_.data() + rows * 8, 8);
      else {
        int32_t e32;
        std::memcpy(&e32, offsets_.data() + rows * 4, 4);
        end = e32;
      }
      offsets_.resize(static_cast<std::size_t>(rows + 1) * w);
      data_.resize(static_cast<std::size_t>(end));
    } else if (width_) {
      values_.resize(static_cast<std::size_t>(rows * width_));
    }
    length_ = rows;
  }

 private:
  // Keeps the first `bits` bits of a bitmap, zeroing the rest of its last byte.
  static void clear_bits_from(Buffer& b, int64_t bits) {
    std::size_t bytes = static_cast<std::size_t>((bits + 7) / 8);
    if (bytes > b.size()) return;
    b.resize(bytes);
    if (bits % 8) b.data()[bytes - 1] &= static_cast<uint8_t>((1u << (bits % 8)) - 1);
  }

  bool is_var() const { return type_.is_string_like(); }
  bool large() const { return type_.id == TypeId::LargeUtf8; }

  static const void* empty_data() {
    static const int64_t zero = 0;
    return &zero;
  }

  [[noreturn]] void type_mismatch(const char* what) const {
    throw std::invalid_argument(std::string("cannot append ") + what + " to a " + type_.name() +
                                " column");
  }

  void start_offsets() {
    if (large()) offsets_.push<int64_t>(0);
    else offsets_.push<int32_t>(0);
  }

  void push_offset() {
    if (large()) {
      offsets_.push<int64_t>(static_cast<int64_t>(data_.size()));
    } else {
      if (data_.size() > static_cast<std::size_t>(INT32_MAX))
        throw std::length_error("string column exceeds 2 GiB in one batch; use smaller batches");
      offsets_.push<int32_t>(static_cast<int32_t>(data_.size()));
    }
  }

  void push_bool_value(bool v) {
    std::size_t byte = static_cast<std::size_t>(length_ >> 3);
    if (byte >= values_.size()) values_.resize(byte + 1);
    if (v) values_.data()[byte] |= static_cast<uint8_t>(1u << (length_ & 7));
  }

  void push_decimal(__int128 v) {
    // Little-endian two's complement, 16 bytes.
    values_.push(v);
  }

  // Validity bitmaps are only built once a null appears.
  void note_valid() {
    if (has_validity_) set_valid_bit(true);
  }
  void materialize_validity() {
    if (has_validity_) return;
    has_validity_ = true;
    std::size_t bytes = static_cast<std::size_t>((length_ + 8) / 8);
    validity_.resize(bytes);
    for (int64_t i = 0; i < length_; ++i)
      validity_.data()[i >> 3] |= static_cast<uint8_t>(1u << (i & 7));
  }
  void set_valid_bit(bool valid) {
    std::size_t byte = static_cast<std::size_t>(length_ >> 3);
    if (byte >= validity_.size()) validity_.resize(byte + 1);
    if (valid) validity_.data()[byte] |= static_cast<uint8_t>(1u << (length_ & 7));
  }

  DataType type_;
  int width_ = 0;
  Buffer validity_, values_, offsets_, data_;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
  bool has_validity_ = false;
};

// Builds record batches of a schema: one ColumnBuilder per field.
class BatchBuilder {
 public:
  explicit BatchBuilder(Schema schema) : schema_(std::move(schema)) {
    columns_.reserve(schema_.size());
    for (const Field& f : schema_.fields) columns_.emplace_back(f.type);
  }

  const Schema& schema() const { return schema_; }
  std::size_t column_count() const { return columns_.size(); }
  ColumnBuilder& column(std::size_t i) { return columns_[i]; }
  int64_t rows() const { return columns_.empty() ? empty_rows_ : columns_[0].length(); }
  // For schemas without columns, rows are counted here.
  void add_empty_row() { ++empty_rows_; }

  std::size_t byte_size() const {
    std::size_t n = 0;
    for (const auto& c : columns_) n += c.byte_size();
    return n;
  }

  void reserve(int64_t rows) {
    for (auto& c : columns_) c.reserve(rows);
  }

  // Appends every row of `other` (a builder of the same schema), in bulk.
  void append_rows(const BatchBuilder& other) {
    if (other.schema_ != schema_) throw std::invalid_argument("cannot append the rows of a batch of another schema");
    for (std::size_t i = 0; i < columns_.size(); ++i) columns_[i].append_column(other.columns_[i]);
    empty_rows_ += other.empty_rows_;
  }

  // Drops rows from index `rows` on in every column (undoes a partial row).
  void truncate(int64_t rows) {
    for (auto& c : columns_) c.truncate(rows);
  }

  // Moves the rows built so far into a struct array and starts a new batch.
  void finish(ArrowArray* out) {
    int64_t n = rows();
    for (std::size_t i = 0; i < columns_.size(); ++i)
      if (columns_[i].length() != n)
        throw std::logic_error("column '" + schema_.fields[i].name + "' has " +
                               std::to_string(columns_[i].length()) + " values, expected " +
                               std::to_string(n));
    auto* p = new detail::ArrayPrivate;
    p->buffers = {nullptr};
    p->children.reserve(columns_.size());
    for (auto& c : columns_) {
      auto* child = new ArrowArray;
      c.finish(child);
      p->children.push_back(child);
    }
    out->length = n;
    out->null_count = 0;
    out->offset = 0;
    out->n_buffers = 1;
    out->n_children = static_cast<int64_t>(p->children.size());
    out->buffers = p->buffers.data();
    out->children = p->children.empty() ? nullptr : p->children.data();
    out->dictionary = nullptr;
    out->release = &detail::release_array;
    out->private_data = p;
    empty_rows_ = 0;
  }

  OwnedArray finish() {
    ArrowArray a;
    finish(&a);
    return OwnedArray(&a);
  }

 private:
  Schema schema_;
  std::vector<ColumnBuilder> columns_;
  int64_t empty_rows_ = 0;
};

}  // namespace ingestd::sdk

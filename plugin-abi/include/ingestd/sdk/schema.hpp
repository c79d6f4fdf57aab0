// Column types and schemas, and their Arrow C Data Interface form.
#pragma once

#include <ingestd/abi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ingestd::sdk {

enum class TypeId {
  Null,
  Bool,
  Int8,
  Int16,
  Int32,
  Int64,
  Float32,
  Float64,
  Utf8,
  LargeUtf8,
  Binary,
  Date32,       // days since 1970-01-01
  TimestampUs,  // microseconds since the epoch, UTC ("tsu:UTC")
  TimestampUsLocal,  // microseconds, no time zone ("tsu:")
  Time64Us,     // microseconds since midnight
  Decimal128,   // precision, scale
  Other,        // a format this SDK does not model; kept verbatim
};

struct DataType {
  TypeId id = TypeId::Utf8;
  int precision = 0;  // Decimal128
  int scale = 0;      // Decimal128
  std::string other_format;  // Other

  DataType() = default;
  DataType(TypeId t) : id(t) {}  // NOLINT: implicit on purpose, DataType{TypeId::Int64}
  static DataType decimal(int precision, int scale) {
    DataType d(TypeId::Decimal128);
    d.precision = precision;
    d.scale = scale;
    return d;
  }

  bool operator==(const DataType& o) const {
    return id == o.id && precision == o.precision && scale == o.scale &&
           other_format == o.other_format;
  }
  bool operator!=(const DataType& o) const { return !(*this == o); }

  bool is_integer() const {
    return id == TypeId::Int8 || id == TypeId::Int16 || id == TypeId::Int32 || id == TypeId::Int64;
  }
  bool is_string_like() const {
    return id == TypeId::Utf8 || id == TypeId::LargeUtf8 || id == TypeId::Binary;
  }

  // Arrow format string ("l", "u", "tsu:UTC", "d:12,2", ...).
  std::string format() const {
    switch (id) {
      case TypeId::Null: return "n";
      case TypeId::Bool: return "b";
      case TypeId::Int8: return "c";
      case TypeId::Int16: return "s";
      case TypeId::Int32: return "i";
      case TypeId::Int64: return "l";
      case TypeId::Float32: return "f";
      case TypeId::Float64: return "g";
      case TypeId::Utf8: return "u";
      case TypeId::LargeUtf8: return "U";
      case TypeId::Binary: return "z";
      case TypeId::Date32: return "tdD";
      case TypeId::TimestampUs: return "tsu:UTC";
      case TypeId::TimestampUsLocal: return "tsu:";
      case TypeId::Time64Us: return "ttu";
      case TypeId::Decimal128:
        return "d:" + std::to_string(precision) + "," + std::to_string(scale);
      case TypeId::Other: return other_format;
    }
    return other_format;
  }

  static DataType from_format(std::string_view f) {
    if (f == "n") return TypeId::Null;
    if (f == "b") return TypeId::Bool;
    if (f == "c") return TypeId::Int8;
    if (f == "s") return TypeId::Int16;
    if (f == "i") return TypeId::Int32;
    if (f == "l") return TypeId::Int64;
    if (f == "f") return TypeId::Float32;
    if (f == "g") return TypeId::Float64;
    if (f == "u") return TypeId::Utf8;
    if (f == "U") return TypeId::LargeUtf8;
    if (f == "z") return TypeId::Binary;
    if (f == "tdD") return TypeId::Date32;
    if (f == "tsu:UTC" || f == "tsu:+00:00" || f == "tsu:Etc/UTC") return TypeId::TimestampUs;
    if (f == "tsu:") return TypeId::TimestampUsLocal;
    if (f == "ttu") return TypeId::Time64Us;
    if (f.substr(0, 2) == "d:") {
      // "d:precision,scale" or "d:precision,scale,bitwidth" (128 only)
      std::string rest(f.substr(2));
      int p = 0, s = 0, bits = 128;
      int n = std::sscanf(rest.c_str(), "%d,%d,%d", &p, &s, &bits);
      if (n >= 2 && bits == 128) return decimal(p, s);
    }
    DataType o(TypeId::Other);
    o.other_format = std::string(f);
    return o;
  }

  // The name users write in flow files and see in `discover`.
  std::string name() const {
    switch (id) {
      case TypeId::Null: return "null";
      case TypeId::Bool: return "bool";
      case TypeId::Int8: return "int8";
      case TypeId::Int16: return "int16";
      case TypeId::Int32: return "int32";
      case TypeId::Int64: return "int64";
      case TypeId::Float32: return "float32";
      case TypeId::Float64: return "float64";
      case TypeId::Utf8: return "string";
      case TypeId::LargeUtf8: return "large_string";
      case TypeId::Binary: return "binary";
      case TypeId::Date32: return "date";
      case TypeId::TimestampUs: return "timestamp";
      case TypeId::TimestampUsLocal: return "timestamp_local";
      case TypeId::Time64Us: return "time";
      case TypeId::Decimal128:
        return "decimal(" + std::to_string(precision) + "," + std::to_string(scale) + ")";
      case TypeId::Other: return "arrow:" + other_format;
    }
    return "unknown";
  }

  // Parses a name as `name()` writes it, plus common aliases. Throws on
  // unknown names, listing the valid ones.
  static DataType from_name(std::string_view n) {
    struct Alias {
      const char* name;
      TypeId id;
    };
    static const Alias aliases[] = {
        {"bool", TypeId::Bool},         {"boolean", TypeId::Bool},
        {"int8", TypeId::Int8},         {"int16", TypeId::Int16},
        {"int32", TypeId::Int32},       {"int", TypeId::Int64},
        {"int64", TypeId::Int64},       {"integer", TypeId::Int64},
        {"float32", TypeId::Float32},   {"float", TypeId::Float64},
        {"float64", TypeId::Float64},   {"double", TypeId::Float64},
        {"string", TypeId::Utf8},       {"utf8", TypeId::Utf8},
        {"text", TypeId::Utf8},         {"large_string", TypeId::LargeUtf8},
        {"binary", TypeId::Binary},     {"bytes", TypeId::Binary},
        {"date", TypeId::Date32},       {"timestamp", TypeId::TimestampUs},
        {"timestamptz", TypeId::TimestampUs}, {"timestamp_local", TypeId::TimestampUsLocal},
        {"time", TypeId::Time64Us},     {"null", TypeId::Null},
    };
    for (const auto& a : aliases)
      if (n == a.name) return a.id;
    if (n.substr(0, 8) == "decimal(" && n.back() == ')') {
      std::string inner(n.substr(8, n.size() - 9));
      int p = 0, s = 0;
      if (std::sscanf(inner.c_str(), "%d,%d", &p, &s) == 2 && p > 0 && p <= 38 && s >= 0 && s <= p)
        return decimal(p, s);
    }
    throw std::invalid_argument(
        "unknown type '" + std::string(n) +
        "' (valid: bool, int8, int16, int32, int64, float32, float64, string, binary, date, "
        "timestamp, timestamp_local, time, decimal(P,S))");
  }
};

struct Field {
  std::string name;
  DataType type;
  bool nullable = true;
};

struct Schema {
  std::vector<Field> fields;

  std::size_t size() const { return fields.size(); }
  const Field& operator[](std::size_t i) const { return fields[i]; }
  int index_of(std::string_view name) const {
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (fields[i].name == name) return static_cast<int>(i);
    return -1;
  }
  bool operator==(const Schema& o) const {
    if (fields.size() != o.fields.size()) return false;
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (fields[i].name != o.fields[i].name || fields[i].type != o.fields[i].type) return false;
    return true;
  }
  bool operator!=(const Schema& o) const { return !(*this == o); }
};

// Owns an ArrowSchema: releases it on destruction unless moved out.
class OwnedSchema {
 public:
  OwnedSchema() { std::memset(&s_, 0, sizeof s_); }
  // Takes ownership of `s` by the Arrow move rule: copy, then clear the source.
  explicit OwnedSchema(ArrowSchema* s) {
    s_ = *s;
    s->release = nullptr;
  }
  OwnedSchema(OwnedSchema&& o) noexcept : s_(o.s_) { o.s_.release = nullptr; }
  OwnedSchema& operator=(OwnedSchema&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = o.s_;
      o.s_.release = nullptr;
    }
    return *this;
  }
  OwnedSchema(const OwnedSchema&) = delete;
  OwnedSchema& operator=(const OwnedSchema&) = delete;
  ~OwnedSchema() { reset(); }

  void reset() {
    if (s_.release) s_.release(&s_);
    std::memset(&s_, 0, sizeof s_);
  }
  bool valid() const { return s_.release != nullptr; }
  const ArrowSchema* get() const { return &s_; }
  ArrowSchema* get() { return &s_; }
  // Moves the schema into `out` (which must be released or empty).
  void move_to(ArrowSchema* out) {
    *out = s_;
    s_.release = nullptr;
  }

 private:
  ArrowSchema s_;
};

// Owns an ArrowArray: releases it on destruction unless moved out.
class OwnedArray {
 public:
  OwnedArray() { std::memset(&a_, 0, sizeof a_); }
  explicit OwnedArray(ArrowArray* a) {
    a_ = *a;
    a->release = nullptr;
  }
  OwnedArray(OwnedArray&& o) noexcept : a_(o.a_) { o.a_.release = nullptr; }
  OwnedArray& operator=(OwnedArray&& o) noexcept {
    if (this != &o) {
      reset();
      a_ = o.a_;
      o.a_.release = nullptr;
    }
    return *this;
  }
  OwnedArray(const OwnedArray&) = delete;
  OwnedArray& operator=(const OwnedArray&) = delete;
  ~OwnedArray() { reset(); }

  void reset() {
    if (a_.release) a_.release(&a_);
    std::memset(&a_, 0, sizeof a_);
  }
  bool valid() const { return a_.release != nullptr; }
  const ArrowArray* get() const { return &a_; }
  ArrowArray* get() { return &a_; }
  void move_to(ArrowArray* out) {
    *out = a_;
    a_.release = nullptr;
  }

 private:
  ArrowArray a_;
};

namespace detail {

// Storage behind an exported ArrowSchema node: its strings and children.
struct SchemaPrivate {
  std::string format;
  std::string name;
  std::vector<ArrowSchema*> children;
};

inline void release_schema(ArrowSchema* s) {
  if (!s || !s->release) return;
  auto* p = static_cast<SchemaPrivate*>(s->private_data);
  for (ArrowSchema* child : p->children) {
    if (child->release) child->release(child);
    delete child;
  }
  delete p;
  s->release = nullptr;
}

inline void fill_schema_node(ArrowSchema* out, std::string format, std::string name,
                             int64_t flags) {
  auto* p = new SchemaPrivate{std::move(format), std::move(name), {}};
  out->format = p->format.c_str();
  out->name = p->name.c_str();
  out->metadata = nullptr;
  out->flags = flags;
  out->n_children = 0;
  out->children = nullptr;
  out->dictionary = nullptr;
  out->release = &release_schema;
  out->private_data = p;
}

}  // namespace detail

// Exports `schema` as a struct ("+s") ArrowSchema into `out`.
inline void export_schema(const Schema& schema, ArrowSchema* out) {
  detail::fill_schema_node(out, "+s", "", 0);
  auto* p = static_cast<detail::SchemaPrivate*>(out->private_data);
  p->children.reserve(schema.fields.size());
  for (const Field& f : schema.fields) {
    auto* child = new ArrowSchema;
    detail::fill_schema_node(child, f.type.format(), f.name, f.nullable ? ARROW_FLAG_NULLABLE : 0);
    p->children.push_back(child);
  }
  out->n_children = static_cast<int64_t>(p->children.size());
  out->children = p->children.data();
}

inline OwnedSchema export_schema(const Schema& schema) {
  ArrowSchema s;
  export_schema(schema, &s);
  return OwnedSchema(&s);
}

// Reads a struct ArrowSchema (borrowed) into a Schema.
inline Schema import_schema(const ArrowSchema& s) {
  if (!s.format || std::string_view(s.format) != "+s")
    throw std::invalid_argument("a record batch schema must be a struct (\"+s\"), got \"" +
                                std::string(s.format ? s.format : "") + "\"");
  Schema out;
  out.fields.reserve(static_cast<std::size_t>(s.n_children));
  for (int64_t i = 0; i < s.n_children; ++i) {
    const ArrowSchema* c = s.children[i];
    Field f;
    f.name = c->name ? c->name : "";
    f.type = DataType::from_format(c->format ? c->format : "");
    f.nullable = (c->flags & ARROW_FLAG_NULLABLE) != 0;
    out.fields.push_back(std::move(f));
  }
  return out;
}

}  // namespace ingestd::sdk

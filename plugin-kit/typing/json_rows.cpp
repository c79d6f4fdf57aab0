#include <ingestd/kit/typing/json_rows.hpp>

#include <ingestd/sdk/values.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace ingestd::kit::typing {

using namespace ingestd::sdk;
namespace dom = simdjson::dom;

namespace {

// A column's name against a key: keys are short, and a call to memcmp per
// field cost more than the compare (keys lie in simdjson's padded strings).
bool same_name(const std::string& name, std::string_view key) {
  std::size_t n = key.size();
  if (name.size() != n) return false;
  const char* a = name.data();
  const char* b = key.data();
  for (; n >= 8; n -= 8, a += 8, b += 8) {
    uint64_t x, y;
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (x != y) return false;
  }
  for (; n > 0; --n)
    if (*a++ != *b++) return false;
  return true;
}

}  // namespace

Shape shape_of_json(const dom::element& v) {
  switch (v.type()) {
    case dom::element_type::NULL_VALUE: return Shape::Null;
    case dom::element_type::BOOL: return Shape::Bool;
    case dom::element_type::INT64: return Shape::Int;
    case dom::element_type::UINT64: return Shape::String;  // beyond int64: keep every digit
    case dom::element_type::DOUBLE: return Shape::Float;
    case dom::element_type::STRING: {
      Shape s = classify(std::string_view(v.get_string().value_unsafe()));
      return s == Shape::Date || s == Shape::Timestamp || s == Shape::TimestampLocal ? s : Shape::String;
    }
    default: return Shape::Json;
  }
}

void sample_object(const dom::object& object, ColumnSet& columns) {
  for (auto field : object) {
    const std::size_t i = columns.index_or_add(field.key);
    if (columns[i].declared) continue;
    const Shape wider = widen(columns[i].shape, shape_of_json(field.value));
    if (wider != columns[i].shape) columns.widen_to(i, wider, simdjson::minify(field.value));
  }
}

JsonRowAppender::Result JsonRowAppender::append(const dom::object& object, ColumnSet& columns, BatchBuilder& rows,
                                                const std::vector<Fixed>& fixed) {
  const int64_t row = rows.rows();
  present_.assign(rows.column_count(), false);
  for (const Fixed& f : fixed) {
    if (f.column >= present_.size()) continue;
    present_[f.column] = true;
    rows.column(f.column).append_string(f.value);
  }
  return append_fields(object, columns, rows, row);
}

JsonRowAppender::Result JsonRowAppender::append(const dom::object& object, ColumnSet& columns, BatchBuilder& rows,
                                                std::size_t caller_columns) {
  const int64_t row = rows.rows();
  present_.assign(rows.column_count(), false);
  std::fill_n(present_.begin(), std::min(caller_columns, present_.size()), true);
  return append_fields(object, columns, rows, row);
}

JsonRowAppender::Result JsonRowAppender::append_fields(const dom::object& object, ColumnSet& columns,
                                                       BatchBuilder& rows, int64_t row) {
  bool grew = false;
  std::size_t position = 0;
  for (auto field : object) {
    if (position >= column_at_position_.size()) column_at_position_.push_back(-1);
    int& cached = column_at_position_[position++];
    int c = cached >= 0 && static_cast<std::size_t>(cached) < columns.size() &&
                    same_name(columns[static_cast<std::size_t>(cached)].name, field.key)
                ? cached
                : (cached = columns.find(field.key));
    if (c < 0) {
      // A key not seen before: add a column, and take the object again later.
      columns[columns.add(field.key)].shape = shape_of_json(field.value);
      grew = true;
      continue;
    }
    const auto i = static_cast<std::size_t>(c);
    if (grew || i >= present_.size() || present_[i]) continue;
    present_[i] = true;
    Column& col = columns[i];
    switch (append_value(rows.column(i), field.value)) {
      case Fit::Yes: break;
      case Fit::No:
        rows.truncate(row);
        if (col.declared) {
          reason_ = "key '" + col.name + "': " + simdjson::minify(field.value).substr(0, 100) + " is not a valid " +
                    col.declared_type.name();
          return Result::Rejected;
        }
        {
          Shape wider = widen(col.shape, shape_of_json(field.value));
          columns.widen_to(i, wider == col.shape ? Shape::String : wider, simdjson::minify(field.value));
        }
        return Result::ColumnsChanged;
    }
  }
  if (grew || rows.column_count() < columns.size()) {
    rows.truncate(row);
    return Result::ColumnsChanged;
  }
  for (std::size_t c = 0; c < present_.size(); ++c)
    if (!present_[c]) rows.column(c).append_null();
  return Result::Appended;
}

JsonRowAppender::Fit JsonRowAppender::append_value(ColumnBuilder& col, const dom::element& v) {
  const DataType& t = col.type();
  switch (v.type()) {
    case dom::element_type::NULL_VALUE: col.append_null(); return Fit::Yes;
    case dom::element_type::BOOL:
      if (t.id == TypeId::Bool) col.append_bool(v.get_bool().value_unsafe());
      else if (t.is_string_like()) col.append_string(v.get_bool().value_unsafe() ? "true" : "false");
      else return Fit::No;
      return Fit::Yes;
    case dom::element_type::INT64: {
      int64_t i = v.get_int64().value_unsafe();
      if (t.id == TypeId::Int64) col.append_int(i);
      else if (t.id == TypeId::Float64) col.append_double(static_cast<double>(i));
      else if (t.is_string_like()) {
        text_.clear();
        format_int(i, text_);
        col.append_string(text_);
      } else return append_text(col, std::string_view(simdjson::minify(v))) ? Fit::Yes : Fit::No;
      return Fit::Yes;
    }
    case dom::element_type::DOUBLE: {
      double d = v.get_double().value_unsafe();
      if (t.id == TypeId::Float64 || t.id == TypeId::Float32) col.append_double(d);
      else if (t.is_string_like()) col.append_string(simdjson::minify(v));
      else return Fit::No;
      return Fit::Yes;
    }
    case dom::element_type::STRING: {
      // Valid UTF-8: simdjson refuses a document that is not.
      return append_text(col, v.get_string().value_unsafe()) ? Fit::Yes : Fit::No;
    }
    default:  // UINT64, arrays and objects: as JSON text
      if (!t.is_string_like()) return Fit::No;
      col.append_string(simdjson::minify(v));
      return Fit::Yes;
  }
}

}  // namespace ingestd::kit::typing

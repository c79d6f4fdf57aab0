#include "arrow/record_batch.hpp"

#include <cstring>
#include <stdexcept>
#include <string>

namespace ingestd {

namespace {

using sdk::TypeId;

int64_t bitmap_bytes(int64_t bits) { return (bits + 7) / 8; }

// Bytes of one column, after checking its buffers exist where its type needs them.
int64_t check_column(const ArrowArray* c, const sdk::Field& f, int64_t rows) {
  auto fail = [&](const std::string& why) -> void {
    throw std::runtime_error("column '" + f.name + "' (" + f.type.name() + "): " + why);
  };
  if (!c) fail("missing child array");
  if (!c->release) fail("child array already released");
  if (c->length < rows) fail("has " + std::to_string(c->length) + " values for " + std::to_string(rows) + " rows");
  if (c->offset < 0 || c->null_count < -1) fail("negative offset or null count");
  const int64_t span = c->length + c->offset;
  const TypeId t = f.type.id;
  if (t == TypeId::Null) return 0;
  if (t == TypeId::Other) return 0;  // formats we do not model are passed through unmeasured
  const bool var = f.type.is_string_like();
  const int64_t want_buffers = var ? 3 : 2;
  if (c->n_buffers != want_buffers)
    fail("has " + std::to_string(c->n_buffers) + " buffers, expected " + std::to_string(want_buffers));
  if (!c->buffers) fail("buffers pointer is NULL");
  int64_t bytes = c->buffers[0] ? bitmap_bytes(span) : 0;
  if (c->null_count != 0 && !c->buffers[0] && c->null_count != -1)
    fail("reports nulls but has no validity bitmap");
  if (span == 0) return bytes;
  if (!c->buffers[1]) fail("values buffer is NULL");
  if (var) {
    if (!c->buffers[2]) fail("data buffer is NULL");
    int64_t last;
    if (t == TypeId::LargeUtf8) {
      std::memcpy(&last, static_cast<const char*>(c->buffers[1]) + span * 8, 8);
      bytes += (span + 1) * 8;
    } else {
      int32_t last32;
      std::memcpy(&last32, static_cast<const char*>(c->buffers[1]) + span * 4, 4);
      last = last32;
      bytes += (span + 1) * 4;
    }
    if (last < 0) fail("negative string offset");
    return bytes + last;
  }
  if (t == TypeId::Bool) return bytes + bitmap_bytes(span);
  int width = 0;
  switch (t) {
    case TypeId::Int8: width = 1; break;
    case TypeId::Int16: width = 2; break;
    case TypeId::Int32:
    case TypeId::Float32:
    case TypeId::Date32: width = 4; break;
    case TypeId::Decimal128: width = 16; break;
    default: width = 8;
  }
  return bytes + span * width;
}

}  // namespace

int64_t check_batch(const ArrowArray& a, const sdk::Schema& schema) {
  if (!a.release) throw std::runtime_error("the batch's array is released (release is NULL)");
  if (a.length < 0) throw std::runtime_error("negative batch length");
  if (a.n_children != static_cast<int64_t>(schema.size()))
    throw std::runtime_error("the batch has " + std::to_string(a.n_children) + " columns, the stream's schema " +
                             std::to_string(schema.size()));
  if (a.n_children > 0 && !a.children) throw std::runtime_error("the batch's children pointer is NULL");
  int64_t bytes = 0;
  for (int64_t i = 0; i < a.n_children; ++i)
    bytes += check_column(a.children[i], schema[static_cast<std::size_t>(i)], a.length + a.offset);
  return bytes;
}

sdk::Schema check_schema(const ArrowSchema& s) {
  if (!s.release) throw std::runtime_error("the schema is released (release is NULL)");
  if (!s.format || std::strcmp(s.format, "+s") != 0)
    throw std::runtime_error(std::string("the schema must be a struct (\"+s\"), got \"") + (s.format ? s.format : "") + "\"");
  if (s.n_children < 0 || (s.n_children > 0 && !s.children))
    throw std::runtime_error("the schema's children are missing");
  for (int64_t i = 0; i < s.n_children; ++i) {
    const ArrowSchema* c = s.children[i];
    if (!c || !c->format) throw std::runtime_error("column " + std::to_string(i) + " has no format");
    if (!c->name || !*c->name) throw std::runtime_error("column " + std::to_string(i) + " has no name");
  }
  return sdk::import_schema(s);
}

}  // namespace ingestd

#include "arrow_input.hpp"

#include <ingestd/abi.h>

#include <algorithm>

namespace ingestd::plugins::duck {

namespace {

// DuckDB takes ownership of the arrays it is given and releases them when
// its chunk goes; these are views into a batch the host still owns, so
// releasing one only marks it released.
void release_view(ArrowArray* a) { a->release = nullptr; }

// Rows [start, start + length) of a struct batch. DuckDB reads each child at
// the child's own offset, so the slice moves the children's offsets.
struct SliceView {
  ArrowArray top{};
  std::vector<ArrowArray> children;
  std::vector<ArrowArray*> pointers;

  SliceView(const ArrowArray& batch, int64_t start, int64_t length)
      : children(static_cast<std::size_t>(batch.n_children)), pointers(children.size()) {
    top = batch;
    top.length = length;
    top.offset = 0;
    top.null_count = 0;
    top.release = &release_view;
    top.private_data = nullptr;
    for (std::size_t i = 0; i < children.size(); ++i) {
      ArrowArray& c = children[i];
      c = *batch.children[i];
      c.offset += batch.offset + start;
      c.length = length;
      if (c.null_count != 0) c.null_count = -1;  // unknown for a part
      c.release = &release_view;
      c.private_data = nullptr;
      pointers[i] = &c;
    }
    top.children = pointers.data();
  }
};

}  // namespace

ArrowInput::ArrowInput(Connection& connection, const sdk::Schema& schema) : connection_(connection) {
  sdk::OwnedSchema exported = sdk::export_schema(schema);
  check(duckdb_schema_from_arrow(connection_.handle(), exported.get(), &converted_), "reading the batch schema");
}

ArrowInput::~ArrowInput() {
  for (auto& t : types_) duckdb_destroy_logical_type(&t);
  if (converted_) duckdb_destroy_arrow_converted_schema(&converted_);
}

void ArrowInput::for_each_chunk(const ArrowArray& batch, const std::function<void(duckdb_data_chunk)>& take) {
  const int64_t vector = static_cast<int64_t>(duckdb_vector_size());
  for (int64_t start = 0; start < batch.length; start += vector) {
    SliceView view(batch, start, std::min(vector, batch.length - start));
    duckdb_data_chunk chunk = nullptr;
    check(duckdb_data_chunk_from_arrow(connection_.handle(), &view.top, converted_, &chunk), "reading a batch");
    struct Destroy {
      duckdb_data_chunk& c;
      ~Destroy() { duckdb_destroy_data_chunk(&c); }
    } destroy{chunk};
    if (types_.empty())
      for (idx_t i = 0; i < duckdb_data_chunk_get_column_count(chunk); ++i)
        types_.push_back(duckdb_vector_get_column_type(duckdb_data_chunk_get_vector(chunk, i)));
    take(chunk);
  }
}

}  // namespace ingestd::plugins::duck

// The `filter` of the map transform: comparisons of a column with constants,
// combined with and/or/not. Parsed once; bound to a schema (which checks
// names and types); evaluated a batch at a time into a keep-mask.
#pragma once

#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/schema.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ingestd::plugins::map {

struct FilterNode;

class Filter {
 public:
  // Throws sdk::Error (config) naming the offset of what cannot be read.
  static Filter parse(const std::string& text);
  Filter();
  ~Filter();
  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;

  bool empty() const { return root_ == nullptr; }
  // Resolves column names and converts the constants to their columns'
  // types. Throws sdk::Error (config) naming the column and the columns there are.
  void bind(const sdk::Schema& schema);
  // keep[i] &= whether row i of `columns` passes (null fails every comparison
  // but `is null`).
  void evaluate(const std::vector<sdk::ColumnReader>& columns, std::vector<uint8_t>& keep) const;

 private:
  std::unique_ptr<FilterNode> root_;
};

}  // namespace ingestd::plugins::map

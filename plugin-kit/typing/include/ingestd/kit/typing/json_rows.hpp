// JSON objects, parsed by simdjson, as rows over a ColumnSet: nested objects
// and arrays are kept as JSON text; strings are read as dates or timestamps
// when they look like one (the producer chose a string, so "123" stays one).
#pragma once

#include <ingestd/kit/typing/columns.hpp>

#include <ingestd/sdk/builder.hpp>

#include <simdjson.h>

#include <string>
#include <vector>

namespace ingestd::kit::typing {

Shape shape_of_json(const simdjson::dom::element& value);

// Widens `columns` by one sampled object: new keys become columns.
void sample_object(const simdjson::dom::object& object, ColumnSet& columns);

class JsonRowAppender {
 public:
  enum class Result {
    Appended,
    // A new key, or a value wider than its column: nothing was appended and
    // `columns` now says what the rows need. Finish the rows built under the
    // old schema, start a builder over columns.schema(), append again.
    ColumnsChanged,
    // A value that can never fit (invalid UTF-8, not the declared type):
    // nothing was appended; reason() says which key and why.
    Rejected,
  };

  // A column whose value comes from outside the record (say, the repository
  // a record was fetched from); keys of that name in the record are ignored.
  struct Fixed {
    std::size_t column;
    std::string_view value;
  };

  // Appends `object` as one row of `rows`, whose columns are the first
  // rows.column_count() of `columns`. A repeated key: the first one wins.
  Result append(const simdjson::dom::object& object, ColumnSet& columns, ingestd::sdk::BatchBuilder& rows,
                const std::vector<Fixed>& fixed = {});
  // The same, leaving the first `caller_columns` columns to the caller, who
  // appends them after Appended (values from outside the record, of any
  // type); keys of their names in the record are ignored.
  Result append(const simdjson::dom::object& object, ColumnSet& columns, ingestd::sdk::BatchBuilder& rows,
                std::size_t caller_columns);
  const std::string& reason() const { return reason_; }

 private:
  enum class Fit { Yes, No };
  Result append_fields(const simdjson::dom::object& object, ColumnSet& columns, ingestd::sdk::BatchBuilder& rows,
                       int64_t row);
  Fit append_value(ingestd::sdk::ColumnBuilder& column, const simdjson::dom::element& value);

  std::vector<bool> present_;
  // The column the key at each position of the last object went to: records
  // mostly repeat their keys in order, and a name compared costs less than
  // one looked up.
  std::vector<int> column_at_position_;
  std::string text_;
  std::string reason_;
};

}  // namespace ingestd::kit::typing

// PostgreSQL COPY text format: fields separated by tabs, \N for NULL,
// backslash escapes for tab, newline, carriage return and backslash.
#pragma once

#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/reader.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::postgres {

struct CopyField {
  std::string_view text;  // unescaped
  bool null = false;
};

// Splits a row into fields, unescaping into `scratch` where needed. The views
// stay valid until `row` or `scratch` change.
void split_copy_row(std::string_view row, std::vector<CopyField>& fields, std::string& scratch);

// Appends `value` escaped for a COPY text field.
void append_copy_escaped(std::string& out, std::string_view value);

// Appends a value in PostgreSQL's text output form (as COPY and the change
// stream send it) to a column of its ingestd type; false when it does not
// fit (a NaN numeric, an infinite date): the caller widens the column.
bool append_text_value(ingestd::sdk::ColumnBuilder& column, std::string_view text);

// Appends the value at row `r` of a column as a COPY text field.
void append_copy_value(std::string& out, const ingestd::sdk::ColumnReader& column, int64_t r, std::string& scratch);

}  // namespace ingestd::plugins::postgres

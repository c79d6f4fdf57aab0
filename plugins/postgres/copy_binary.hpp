// PostgreSQL COPY binary format: the rows of a batch as the server's own
// binary forms, so that the server converts no text (numbers, timestamps,
// dates, UUIDs are taken as they are). Used when every column written has a
// binary form here for its batch type and table type; otherwise the
// destination writes COPY text.
#pragma once

#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/schema.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::postgres {

class CopyBinaryRows {
 public:
  // `from`: the batch's column types; `to`: the table's column types as
  // format_type() names them; `names` the columns' (for messages). nullopt
  // when some pair has no binary form.
  static std::optional<CopyBinaryRows> plan(const std::vector<ingestd::sdk::DataType>& from,
                                            const std::vector<std::string>& to, const std::vector<std::string>& names);

  // What a binary COPY starts and ends with.
  static std::string_view header();
  static std::string_view trailer();

  // Appends the tuple header for `fields` fields (the planned columns and
  // any extra ones appended after them).
  static void begin_row(std::string& out, int fields);
  // Appends the planned columns of row `r`. Throws data_error for a value
  // the table's type cannot hold (an unparsable UUID, an integer out of range).
  void append_columns(std::string& out, const std::vector<const ingestd::sdk::ColumnReader*>& columns,
                      int64_t r) const;
  // Extra fields: a boolean, a bigint.
  static void append_bool(std::string& out, bool v);
  static void append_bigint(std::string& out, int64_t v);

  enum class Form { Bool, Int2, Int4, Int8, Float4, Float8, Numeric, Timestamp, Date, Time, Bytes, Uuid, Jsonb };

 private:
  struct Column {
    Form form;
    std::string name;  // for messages
  };
  std::vector<Column> columns_;
};

}  // namespace ingestd::plugins::postgres

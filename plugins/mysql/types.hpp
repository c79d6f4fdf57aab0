// MySQL and MariaDB column types and ingestd's, both ways, and values of
// the text protocol into Arrow columns.
#pragma once

#include <ingestd/sdk/builder.hpp>
#include <ingestd/sdk/schema.hpp>

#include <string>
#include <string_view>

namespace ingestd::plugins::mysql {

// How a source column is read: its ingestd type and the SELECT expression
// whose text the type parses.
struct SourceColumn {
  std::string name;
  std::string column_type;  // information_schema COLUMN_TYPE: "int(10) unsigned", "decimal(12,2)", ...
  ingestd::sdk::DataType type;
  std::string select;
};

// From information_schema.COLUMNS: DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE.
SourceColumn source_column(const std::string& name, const std::string& data_type, const std::string& column_type,
                           int precision, int scale);

// The declared type a destination column gets; `key` for primary key
// columns (which must be indexable: VARCHAR, not TEXT).
std::string mysql_type_for(const ingestd::sdk::DataType& type, bool key = false);
// What an existing destination column (its COLUMN_TYPE) holds.
ingestd::sdk::DataType type_of_mysql(const std::string& column_type);
ingestd::sdk::DataType wider(const ingestd::sdk::DataType& a, const ingestd::sdk::DataType& b);

enum class ZeroDates { Null, Fail };

// Appends a text-protocol value to a column of its type; false when it does
// not fit (the caller widens). A zero date ("0000-00-00") is NULL or an error.
bool append_mysql_value(ingestd::sdk::ColumnBuilder& column, std::string_view text, ZeroDates zero_dates,
                        const std::string& column_name);

}  // namespace ingestd::plugins::mysql

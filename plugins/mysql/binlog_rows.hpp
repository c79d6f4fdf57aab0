// Row images of the MySQL/MariaDB binary log (binlog_format = ROW), decoded
// into the text the server's text protocol would give for the same values,
// so that a change and a SELECT of the same row read alike. The layouts
// follow the binlog format: a TABLE_MAP event gives each column's type and
// metadata; a WRITE/UPDATE/DELETE_ROWS event gives bitmaps of the columns
// present and, per row, a NULL bitmap and the packed values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ingestd::plugins::mysql::binlog {

// What the binlog does not say about a column and the catalog does.
struct ColumnHint {
  bool is_unsigned = false;
  std::vector<std::string> labels;  // ENUM and SET members, in order
};

struct TableMap {
  std::vector<uint8_t> types;     // field type per column
  std::vector<uint16_t> meta;     // per column, as the type reads it
};

// From a TABLE_MAP event's column types and metadata block.
TableMap table_map(std::string_view types, std::string_view metadata);

using Image = std::vector<std::optional<std::string>>;  // per column; nullopt: NULL or not in the image

struct RowChange {
  enum class Kind { Insert, Update, Delete } kind;
  Image before, after;  // Insert: after; Delete: before; Update: both
};

// Decodes the rows of one rows event. `present` and `present_after` are the
// column bitmaps (the second for updates). Throws std::runtime_error on
// data that does not fit the table map.
std::vector<RowChange> decode_rows(const TableMap& map, const std::vector<ColumnHint>& hints, RowChange::Kind kind,
                                   std::string_view present, std::string_view present_after, std::string_view rows);

// ENUM or SET members from a COLUMN_TYPE: "enum('a','b')" -> {a, b}.
std::vector<std::string> labels_of(const std::string& column_type);

}  // namespace ingestd::plugins::mysql::binlog

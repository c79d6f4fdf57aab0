// How one SQL database spells what every SQL destination says: identifiers,
// column types, literals, and the DDL a wider column needs.
#pragma once

#include <ingestd/sdk/schema.hpp>

#include <string>
#include <utility>
#include <vector>

namespace ingestd::kit::sql {

// A column of an existing table: name and declared type, in table order.
using Columns = std::vector<std::pair<std::string, std::string>>;

class Dialect {
 public:
  virtual ~Dialect() = default;

  virtual std::string quote(const std::string& identifier) const = 0;
  // The declared type a new column gets for values of `type`.
  virtual std::string column_type(const sdk::DataType& type) const = 0;
  // ... and a primary key column (an index may need a bounded type: VARCHAR, not TEXT).
  virtual std::string key_column_type(const sdk::DataType& type) const { return column_type(type); }
  // What a column declared `declared` holds, in ingestd terms.
  virtual sdk::DataType type_of(const std::string& declared) const = 0;
  // The type a column holding `had` must take to receive `in` values.
  virtual sdk::DataType widened(const sdk::DataType& had, const sdk::DataType& in) const = 0;
  // The statement changing `column` of `target` to hold `to`; empty when the
  // database keeps any value in any column and the change needs no DDL.
  virtual std::string widen_column(const std::string& target, const std::string& column,
                                   const sdk::DataType& to) const = 0;
  // A type as messages name it.
  virtual std::string type_label(const sdk::DataType& type) const { return type.name(); }
  // Declarations of the metadata columns a table ingestd creates ends with.
  virtual Columns metadata_columns() const = 0;
  virtual std::string boolean(bool value) const = 0;
  // The operator key columns of two rows compare with.
  virtual std::string key_equals() const { return "="; }
  // The head of a DELETE on `table` under the alias t (MariaDB wants "DELETE t FROM ... AS t").
  virtual std::string delete_aliased(const std::string& table) const { return "DELETE FROM " + table + " AS t"; }
};

}  // namespace ingestd::kit::sql

// What a source reads of a table: its columns as ingestd types and its
// primary key, from the catalog.
#pragma once

#include "pg_client.hpp"
#include "types.hpp"

#include <string>
#include <utility>
#include <vector>

namespace ingestd::plugins::postgres {

struct TableInfo {
  std::string schema, table;
  char kind = 'r';  // pg_class.relkind: 'r' table, 'v' view, 'p' partitioned, ...
  std::vector<SourceColumn> columns;
  std::vector<std::string> primary_key;
};

// The table or view `schema`.`table`; no columns when there is none.
TableInfo describe(Connection& db, const std::string& schema, const std::string& table);

// "schema.table" -> {schema, table}; "table" is in public.
std::pair<std::string, std::string> split_stream(const std::string& stream);

}  // namespace ingestd::plugins::postgres

#include "table_info.hpp"

namespace ingestd::plugins::postgres {

TableInfo describe(Connection& db, const std::string& schema, const std::string& table) {
  TableInfo t{schema, table, 'r', {}, {}};
  std::string rel = quote_table(schema, table);
  Result kind = db.exec_params("SELECT relkind FROM pg_class WHERE oid = $1::regclass", {rel});
  if (kind.rows() == 1) t.kind = kind.text(0, 0)[0];
  Result cols = db.exec_params(
      "SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typcategory, t.typtype FROM pg_attribute a "
      "JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped "
      "ORDER BY a.attnum",
      {rel});
  for (int i = 0; i < cols.rows(); ++i)
    t.columns.push_back(source_column(cols.text(i, 0), cols.text(i, 1), cols.text(i, 2)[0], cols.text(i, 3)[0]));
  Result pk = db.exec_params(
      "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
      "WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
      {rel});
  for (int i = 0; i < pk.rows(); ++i) t.primary_key.push_back(pk.text(i, 0));
  return t;
}

std::pair<std::string, std::string> split_stream(const std::string& stream) {
  auto dot = stream.find('.');
  if (dot == std::string::npos) return {"public", stream};
  return {stream.substr(0, dot), stream.substr(dot + 1)};
}

}  // namespace ingestd::plugins::postgres

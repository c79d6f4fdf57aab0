#include <ingestd/kit/sql/table_shape.hpp>

#include <ingestd/sdk/schema_changes.hpp>

#include <algorithm>

namespace ingestd::kit::sql {

using namespace ingestd::sdk;

bool is_metadata_column(const std::string& name) {
  return name == INGESTD_COLUMN_DELETED || name == INGESTD_COLUMN_SYNCED_AT || name == INGESTD_COLUMN_RUN_ID;
}

std::vector<std::string> with_metadata(std::vector<std::string> names) {
  names.push_back(INGESTD_COLUMN_SYNCED_AT);
  names.push_back(INGESTD_COLUMN_DELETED);
  names.push_back(INGESTD_COLUMN_RUN_ID);
  return names;
}

void count_changes(const Host& host, int64_t inserted, int64_t updated, int64_t deleted) {
  if (inserted) host.count(INGESTD_COUNTER_ROWS_INSERTED, inserted);
  if (updated) host.count(INGESTD_COUNTER_ROWS_UPDATED, updated);
  if (deleted) host.count(INGESTD_COUNTER_ROWS_DELETED, deleted);
}

std::string quoted_list(const Dialect& d, const std::vector<std::string>& names, const std::string& prefix) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + prefix + d.quote(names[i]);
  return out;
}

TableShape::TableShape(const Dialect& dialect, Host host, TableNames names, SchemaChanges policy,
                       std::vector<std::string> primary_key)
    : d_(dialect), host_(std::move(host)), names_(std::move(names)), policy_(policy), key_(std::move(primary_key)) {}

std::string TableShape::create_statement(const Columns& start, const Schema& schema, bool with_primary_key,
                                         bool if_not_exists) const {
  Columns cols = start;
  for (const auto& f : schema.fields) {
    if (is_metadata_column(f.name)) continue;
    const bool known = std::any_of(cols.begin(), cols.end(), [&](const auto& c) { return c.first == f.name; });
    // Columns a replace's old table lacks join it only when the policy evolves.
    const bool key = std::find(key_.begin(), key_.end(), f.name) != key_.end();
    if (!known && (start.empty() || policy_ == SchemaChanges::Evolve))
      cols.emplace_back(f.name, with_primary_key && key ? d_.key_column_type(f.type) : d_.column_type(f.type));
  }
  std::string sql = std::string("CREATE TABLE ") + (if_not_exists ? "IF NOT EXISTS " : "") + names_.qualified + " (";
  for (const auto& [name, type] : cols)
    if (!is_metadata_column(name)) sql += d_.quote(name) + " " + type + ", ";
  const Columns metadata = d_.metadata_columns();
  for (std::size_t i = 0; i < metadata.size(); ++i)
    sql += (i ? ", " : "") + d_.quote(metadata[i].first) + " " + metadata[i].second;
  if (with_primary_key && !key_.empty()) sql += ", PRIMARY KEY (" + quoted_list(d_, key_) + ")";
  return sql + ")";
}

void TableShape::reconcile(const Schema& schema, const Columns& existing,
                           const std::function<void(const std::string&)>& exec) {
  std::vector<ExistingColumn> have;
  for (const auto& [name, type] : existing)
    if (!is_metadata_column(name)) have.push_back({name, d_.type_of(type)});
  SchemaPlan plan = plan_schema_changes(schema, have, policy_, names_.error,
                                        [this](const DataType& had, const DataType& in) { return d_.widened(had, in); });
  for (const Field& f : plan.add) {
    exec("ALTER TABLE " + names_.qualified + " ADD COLUMN " + d_.quote(f.name) + " " + d_.column_type(f.type));
    host_.info(names_.log + ": added column '" + f.name + "' (" + d_.type_label(f.type) + ")");
  }
  for (const auto& [to, from] : plan.widen) {
    // In place where the database needs it: every stored value converts without loss.
    if (std::string ddl = d_.widen_column(names_.qualified, to.name, to.type); !ddl.empty()) exec(ddl);
    if (widened_.insert(to.name).second) {
      host_.warn(names_.log + ": column '" + to.name + "' widened from " + d_.type_label(from) + " to " +
                 d_.type_label(to.type) + " (the stream delivers " + to.type.name() + " values)");
      host_.count("columns_widened", 1);
    }
  }
  for (const auto& name : plan.discarded)
    if (discarded_.insert(name).second) {
      host_.count("columns_discarded", 1);
      host_.info("column '" + name + "' is not in " + names_.log + ": discarded (schema_changes = discard)");
    }
  write_cols_ = plan.write;
  deleted_col_ = plan.deleted;
  write_names_.clear();
  for (int c : write_cols_) write_names_.push_back(schema[static_cast<std::size_t>(c)].name);
  key_cols_.clear();
  for (const auto& k : key_) {
    const int idx = schema.index_of(k);
    if (idx < 0) throw config_error("primary key column '" + k + "' is not in stream " + names_.error);
    key_cols_.push_back(idx);
  }
}

std::string TableShape::stale_rows_statement(const std::string& seen, bool hard_delete, const std::string& synced_at,
                                             const std::string& run_id) const {
  std::string match;
  for (const auto& k : key_)
    match += (match.empty() ? "" : " AND ") + ("s." + d_.quote(k) + " " + d_.key_equals() + " t." + d_.quote(k));
  const std::string unseen = "NOT EXISTS (SELECT 1 FROM " + seen + " s WHERE " + match + ")";
  if (hard_delete) return d_.delete_aliased(names_.qualified) + " WHERE " + unseen;
  const std::string deleted = d_.quote(INGESTD_COLUMN_DELETED);
  return "UPDATE " + names_.qualified + " AS t SET " + deleted + " = " + d_.boolean(true) + ", " +
         d_.quote(INGESTD_COLUMN_SYNCED_AT) + " = " + synced_at + ", " + d_.quote(INGESTD_COLUMN_RUN_ID) + " = " +
         run_id + " WHERE " + unseen + " AND t." + deleted + " = " + d_.boolean(false);
}

Error TableShape::no_unique_key(const std::string& why) const {
  std::string keys;
  for (const auto& k : key_) keys += (keys.empty() ? "" : ", ") + k;
  return data_error("merge into " + names_.error + " needs a unique key on (" + keys +
                    ") and one cannot be created: " + why);
}

}  // namespace ingestd::kit::sql

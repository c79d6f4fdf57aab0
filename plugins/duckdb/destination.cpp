#include "destination.hpp"

#include "arrow_input.hpp"
#include "query_appender.hpp"
#include "types.hpp"

#include <ingestd/kit/sql/stored_state.hpp>
#include <ingestd/kit/sql/table_shape.hpp>
#include <ingestd/kit/sql/typed_widening.hpp>

#include <algorithm>

namespace ingestd::plugins::duck {

using namespace ingestd::sdk;
using kit::sql::Columns;
using kit::sql::TableShape;

namespace {

const char* kStateTable = "_ingestd_state";

class DuckDialect : public kit::sql::Dialect {
 public:
  std::string quote(const std::string& identifier) const override { return duck::quote(identifier); }
  std::string column_type(const DataType& type) const override { return declared_for(type); }
  DataType type_of(const std::string& declared) const override { return duck::type_of(declared); }
  DataType widened(const DataType& had, const DataType& in) const override {
    // Zone-less timestamps go into a column with a zone as UTC, and back.
    auto timestamp = [](const DataType& t) { return t.id == TypeId::TimestampUs || t.id == TypeId::TimestampUsLocal; };
    return timestamp(had) && timestamp(in) ? had : kit::sql::typed_wider(had, in);
  }
  std::string widen_column(const std::string& target, const std::string& column, const DataType& to) const override {
    return "ALTER TABLE " + target + " ALTER COLUMN " + quote(column) + " SET DATA TYPE " + declared_for(to);
  }
  Columns metadata_columns() const override {
    return {{INGESTD_COLUMN_SYNCED_AT, "TIMESTAMPTZ"},
            {INGESTD_COLUMN_DELETED, "BOOLEAN DEFAULT false"},
            {INGESTD_COLUMN_RUN_ID, "VARCHAR"}};
  }
  std::string boolean(bool value) const override { return value ? "true" : "false"; }
};

const DuckDialect kDialect;

std::string join_quoted(const std::vector<std::string>& names, const std::string& prefix = "") {
  return kit::sql::quoted_list(kDialect, names, prefix);
}

// "main" unless the table is named schema.table.
std::pair<std::string, std::string> split_name(const std::string& table) {
  auto dot = table.find('.');
  if (dot == std::string::npos) return {"main", table};
  return {table.substr(0, dot), table.substr(dot + 1)};
}

Columns table_columns(Connection& c, const std::string& schema, const std::string& table) {
  Result r = c.query("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
                     "AND schema_name = " + literal(schema) + " AND table_name = " + literal(table) +
                     " ORDER BY column_index");
  Columns out;
  for (int64_t i = 0; i < r.rows(); ++i) out.emplace_back(r.text(0, i), r.text(1, i));
  return out;
}

void ensure_state_table(Connection& c) {
  c.exec(std::string("CREATE TABLE IF NOT EXISTS ") + kStateTable +
         " (key VARCHAR NOT NULL, checkpoint BLOB NOT NULL, generation BIGINT NOT NULL, run_id VARCHAR, "
         "saved_at TIMESTAMPTZ)");
}

class Prepared {
 public:
  Prepared(Connection& c, const std::string& sql) {
    if (duckdb_prepare(c.handle(), sql.c_str(), &p_) != DuckDBSuccess) {
      std::string m = duckdb_prepare_error(p_) ? duckdb_prepare_error(p_) : "cannot prepare";
      duckdb_destroy_prepare(&p_);
      fail(m);
    }
  }
  ~Prepared() { duckdb_destroy_prepare(&p_); }
  Prepared& text(idx_t i, const std::string& v) {
    duckdb_bind_varchar_length(p_, i, v.data(), v.size());
    return *this;
  }
  Prepared& blob(idx_t i, std::string_view v) {
    duckdb_bind_blob(p_, i, v.data(), v.size());
    return *this;
  }
  Prepared& integer(idx_t i, int64_t v) {
    duckdb_bind_int64(p_, i, v);
    return *this;
  }
  Result run() {
    duckdb_result r;
    if (duckdb_execute_prepared(p_, &r) != DuckDBSuccess) {
      std::string m = duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown error";
      duckdb_destroy_result(&r);
      fail(m);
    }
    return Result(r);
  }

 private:
  duckdb_prepared_statement p_ = nullptr;
};

class DuckTable : public DestinationTable {
 public:
  DuckTable(std::shared_ptr<Database> db, const TableRequest& r, WriterLock& lock)
      : conn_(std::move(db)), host_(r.host), lock_(lock), run_id_(r.run_id), load_(r.load_mode), key_(r.primary_key) {
    std::tie(schema_name_, table_) = split_name(r.table);
    hard_delete_ = r.settings.hard_delete;
    delete_stale_ = r.settings.delete_stale;
    target_ = load_ == INGESTD_LOAD_REPLACE ? "_ingestd_stage_" + table_ + "_" + r.run_id : table_;
    const std::string label = (schema_name_ == "main" ? "" : schema_name_ + ".") + table_;
    shape_.emplace(kDialect, host_, kit::sql::TableNames{qualified(target_), label, "table " + label},
                   r.settings.schema_changes, key_);
    std::lock_guard guard(lock_);
    prepare_table(r.schema);
  }

  ~DuckTable() override {
    if (in_transaction_) {
      try {
        conn_.exec("ROLLBACK");
      } catch (...) {
      }
    }
  }

  void schema_changed(const Schema& schema) override {
    begin();
    merge_staged();  // staged rows follow the old columns
    if (staged_) conn_.exec("DROP TABLE " + stage_);
    staged_ = false;
    reconcile(schema);
  }

  void write(const BatchReader& batch) override {
    begin();
    if (batch.truncates()) {
      merge_staged();
      empty_table();
    }
    const bool merge = load_ == INGESTD_LOAD_MERGE;
    if (merge && !staged_) create_stage();
    const int deleted_col = shape_->deleted_column();
    const std::string deleted =
        deleted_col >= 0 ? "coalesce(" + quote(schema_[static_cast<std::size_t>(deleted_col)].name) + ", false)"
                         : std::string("false");
    std::string sql;
    if (merge) {
      sql = "INSERT INTO " + stage_ + " SELECT " + select_list(shape_->write_names()) + deleted + " FROM _ingestd_batch";
    } else {
      std::vector<std::string> names = kit::sql::with_metadata(shape_->write_names());
      sql = "INSERT INTO " + qualified(target_) + " (" + join_quoted(names) + ") SELECT " +
            select_list(shape_->write_names()) + now_literal() + ", " + deleted + ", " + literal(run_id_) +
            " FROM _ingestd_batch";
    }
    run_over_batch(conn_, *input_, schema_, batch.array(), sql);
    if (!merge) kit::sql::count_changes(host_, batch.rows(), 0, 0);
  }

  void commit(uint64_t) override {
    if (!in_transaction_) return;
    merge_staged();
    conn_.exec("COMMIT");
    end_transaction();
  }

  void commit_with_state(uint64_t, const std::string& key, std::string_view state, int64_t generation) override {
    begin();
    merge_staged();
    ensure_state_table(conn_);
    // As the other destinations: state a later run committed is never written over (DuckDB's file lock
    // already keeps a second process out while this one has the file open).
    Result stored = Prepared(conn_, std::string("SELECT generation FROM ") + kStateTable + " WHERE key = $1").text(1, key).run();
    if (stored.rows() > 0 && stored.integer(0, 0) >= generation) {
      const int64_t newer = stored.integer(0, 0);
      conn_.exec("ROLLBACK");
      end_transaction();
      throw kit::sql::stale_state_commit(key, generation, "generation " + std::to_string(newer));
    }
    Prepared(conn_, std::string("DELETE FROM ") + kStateTable + " WHERE key = $1").text(1, key).run();
    Prepared(conn_, std::string("INSERT INTO ") + kStateTable + " VALUES ($1, $2, $3, $4, now())")
        .text(1, key)
        .blob(2, state)
        .integer(3, generation)
        .text(4, run_id_)
        .run();
    conn_.exec("COMMIT");
    end_transaction();
  }

  void close(bool complete) override {
    if (in_transaction_) {
      if (complete) merge_staged();
      conn_.exec(complete ? "COMMIT" : "ROLLBACK");
      end_transaction();
    }
    std::lock_guard guard(lock_);
    if (load_ == INGESTD_LOAD_REPLACE) {
      if (complete) {
        // One transaction: readers see the old table or the new one.
        conn_.exec("BEGIN TRANSACTION");
        conn_.exec("DROP TABLE IF EXISTS " + qualified(table_));
        conn_.exec("ALTER TABLE " + qualified(target_) + " RENAME TO " + quote(table_));
        conn_.exec("COMMIT");
      } else {
        conn_.exec("DROP TABLE IF EXISTS " + qualified(target_));
      }
      return;
    }
    if (complete && delete_stale_) {
      // Rows this complete snapshot did not deliver are gone at the source.
      ensure_seen_table();
      Result r = conn_.query(shape_->stale_rows_statement(seen_, hard_delete_, now_literal(), literal(run_id_)));
      const int64_t stale = r.rows_changed();
      if (stale) host_.count(hard_delete_ ? "rows_deleted_stale" : "rows_marked_stale", stale);
      kit::sql::count_changes(host_, 0, 0, stale);
    }
  }

 private:
  std::string qualified(const std::string& table) const { return quote(schema_name_) + "." + quote(table); }

  // "a", "b", (each written column of the batch, then a separator)
  std::string select_list(const std::vector<std::string>& names) const {
    std::string out;
    for (const auto& n : names) out += quote(n) + ", ";
    return out;
  }

  void begin() {
    if (in_transaction_) return;
    held_ = std::unique_lock(lock_);
    conn_.exec("BEGIN TRANSACTION");
    in_transaction_ = true;
  }

  void end_transaction() {
    in_transaction_ = false;
    if (held_.owns_lock()) held_.unlock();
  }

  void prepare_table(const Schema& schema) {
    if (schema_name_ != "main") conn_.exec("CREATE SCHEMA IF NOT EXISTS " + quote(schema_name_));
    if (load_ == INGESTD_LOAD_REPLACE) {
      // Leftovers of runs that died before their swap.
      Result old = conn_.query("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND "
                               "schema_name = " + literal(schema_name_) + " AND starts_with(table_name, " +
                               literal("_ingestd_stage_" + table_ + "_") + ")");
      for (int64_t i = 0; i < old.rows(); ++i) conn_.exec("DROP TABLE IF EXISTS " + qualified(old.text(0, i)));
      // The new table starts with the columns the old one has.
      existing_ = table_columns(conn_, schema_name_, table_);
      create_table(schema);
    } else {
      existing_ = table_columns(conn_, schema_name_, table_);
      if (existing_.empty()) create_table(schema);
    }
    reconcile(schema);
  }

  // Merge finds rows by key with MERGE INTO, so the table needs no index
  // (DuckDB's indexes cost memory and forbid updating a key twice in one
  // transaction).
  void create_table(const Schema& schema) {
    conn_.exec(shape_->create_statement(existing_, schema, false, false));
  }

  void reconcile(const Schema& schema) {
    existing_ = table_columns(conn_, schema_name_, target_);
    for (const auto& [name, type] : kDialect.metadata_columns()) {
      const bool present =
          std::any_of(existing_.begin(), existing_.end(), [&, n = name](const auto& c) { return c.first == n; });
      if (!present) conn_.exec("ALTER TABLE " + qualified(target_) + " ADD COLUMN " + quote(name) + " " + type);
    }
    shape_->reconcile(schema, existing_, [this](const std::string& ddl) { conn_.exec(ddl); });
    schema_ = schema;
    input_ = std::make_unique<ArrowInput>(conn_, schema_);
  }

  void create_stage() {
    stage_ = quote("_ingestd_stage_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    conn_.exec("CREATE TEMP TABLE " + stage_ + " AS SELECT " + select_list(shape_->write_names()) + "false AS " +
               quote(INGESTD_COLUMN_DELETED) + " FROM " + qualified(target_) + " LIMIT 0");
    staged_ = true;
  }

  void ensure_seen_table() {
    if (!seen_.empty()) return;
    seen_ = quote("_ingestd_seen_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    conn_.exec("CREATE TEMP TABLE " + seen_ + " AS SELECT " + join_quoted(key_) + " FROM " + qualified(target_) +
               " LIMIT 0");
  }

  // Applies the staged rows: the latest version of each key wins; deletes
  // mark or remove the row; a row delivered again unchanged is left alone
  // (an idle rerun rewrites nothing).
  void merge_staged() {
    if (!staged_ || !has_staged_rows()) return;
    const std::string latest = "(SELECT * FROM " + stage_ + " QUALIFY row_number() OVER (PARTITION BY " +
                               join_quoted(key_) + " ORDER BY rowid DESC) = 1)";
    if (delete_stale_) {
      ensure_seen_table();
      conn_.exec("INSERT INTO " + seen_ + " SELECT " + join_quoted(key_) + " FROM " + latest + " l");
    }
    const std::vector<std::string>& names = shape_->write_names();
    const std::string del = quote(INGESTD_COLUMN_DELETED), synced = quote(INGESTD_COLUMN_SYNCED_AT),
                      run = quote(INGESTD_COLUMN_RUN_ID);
    const std::string now = now_literal(), run_id = literal(run_id_);
    std::string on, changed, set;
    for (const auto& k : key_) on += (on.empty() ? "" : " AND ") + ("t." + quote(k) + " = s." + quote(k));
    for (const auto& n : names) {
      if (std::find(key_.begin(), key_.end(), n) != key_.end()) continue;
      changed += " OR t." + quote(n) + " IS DISTINCT FROM s." + quote(n);
      set += quote(n) + " = s." + quote(n) + ", ";
    }
    const std::string meta = synced + " = " + now + ", " + run + " = " + run_id;
    std::vector<std::string> all = kit::sql::with_metadata(names);
    std::string values = join_quoted(names, "s.") + ", " + now + ", false, " + run_id;
    std::string sql = "MERGE INTO " + qualified(target_) + " AS t USING " + latest + " AS s ON (" + on + ")";
    if (hard_delete_) {
      sql += " WHEN MATCHED AND s." + del + " THEN DELETE";
    } else {
      sql += " WHEN MATCHED AND s." + del + " AND NOT coalesce(t." + del + ", false) THEN UPDATE SET " + del +
             " = true, " + meta;
    }
    sql += " WHEN MATCHED AND NOT s." + del + " AND (coalesce(t." + del + ", false)" + changed + ") THEN UPDATE SET " +
           set + del + " = false, " + meta;
    sql += " WHEN NOT MATCHED AND NOT s." + del + " THEN INSERT (" + join_quoted(all) + ") VALUES (" + values + ")";
    if (!hard_delete_)
      sql += " WHEN NOT MATCHED AND s." + del + " THEN INSERT (" + join_quoted(kit::sql::with_metadata(key_)) +
             ") VALUES (" + join_quoted(key_, "s.") + ", " + now + ", true, " + run_id + ")";
    sql += " RETURNING merge_action, " + del;
    Result r = conn_.query(sql);
    int64_t inserted = 0, updated = 0, deleted = 0;
    for (int64_t i = 0; i < r.rows(); ++i) {
      const std::string action = r.text(0, i);
      const bool gone = action == "DELETE" || r.text(1, i) == "true";
      ++(gone ? deleted : action == "INSERT" ? inserted : updated);
    }
    kit::sql::count_changes(host_, inserted, updated, deleted);
    conn_.exec("DELETE FROM " + stage_);
  }

  bool has_staged_rows() { return conn_.query("SELECT 1 FROM " + stage_ + " LIMIT 1").rows() > 0; }

  // The source table was emptied (a captured TRUNCATE): every row goes, or is marked gone.
  void empty_table() {
    Result r = hard_delete_ ? conn_.query("DELETE FROM " + qualified(target_))
                            : conn_.query("UPDATE " + qualified(target_) + " SET " + quote(INGESTD_COLUMN_DELETED) +
                                          " = true, " + quote(INGESTD_COLUMN_SYNCED_AT) + " = " + now_literal() + ", " +
                                          quote(INGESTD_COLUMN_RUN_ID) + " = " + literal(run_id_) + " WHERE NOT " +
                                          "coalesce(" + quote(INGESTD_COLUMN_DELETED) + ", false)");
    kit::sql::count_changes(host_, 0, 0, r.rows_changed());
  }

  Connection conn_;
  Host host_;
  WriterLock& lock_;
  std::unique_lock<WriterLock> held_;
  bool in_transaction_ = false, staged_ = false;
  std::string schema_name_, table_, target_, run_id_, stage_, seen_;
  uint32_t load_;
  std::vector<std::string> key_;
  bool hard_delete_ = false, delete_stale_ = false;
  Columns existing_;
  std::optional<TableShape> shape_;
  Schema schema_;
  std::unique_ptr<ArrowInput> input_;
};

bool has_state_table(Connection& c) {
  return c.query(std::string("SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() AND "
                             "schema_name = 'main' AND table_name = '") +
                 kStateTable + "'")
             .rows() > 0;
}

}  // namespace

std::unique_ptr<DestinationTable> open_destination_table(std::shared_ptr<Database> db, const TableRequest& request,
                                                        WriterLock& lock) {
  return std::make_unique<DuckTable>(std::move(db), request, lock);
}

std::optional<StoredState> load_stored_state(const std::shared_ptr<Database>& db, const std::string& key) {
  Connection c(db);
  if (!has_state_table(c)) return std::nullopt;
  Result r = Prepared(c, std::string("SELECT checkpoint, generation FROM ") + kStateTable + " WHERE key = $1")
                 .text(1, key)
                 .run();
  if (r.rows() == 0) return std::nullopt;
  StoredState s;
  s.data = r.blob(0, 0);
  s.generation = r.integer(1, 0);
  return s;
}

void clear_stored_state(const std::shared_ptr<Database>& db, const std::string& key) {
  Connection c(db);
  if (!has_state_table(c)) return;
  Prepared(c, std::string("DELETE FROM ") + kStateTable + " WHERE key = $1").text(1, key).run();
}

}  // namespace ingestd::plugins::duck

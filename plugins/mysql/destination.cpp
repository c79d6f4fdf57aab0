#include "destination.hpp"

#include "bulk_load.hpp"
#include "types.hpp"

#include <ingestd/kit/sql/stored_state.hpp>
#include <ingestd/kit/sql/table_shape.hpp>
#include <ingestd/sdk/values.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace ingestd::plugins::mysql {

using namespace ingestd::sdk;
using kit::sql::Columns;
using kit::sql::TableShape;

namespace {

const char* kStateTable = "_ingestd_state";
// A statement grows to about this much before it is sent.
constexpr std::size_t kStatementBytes = 1 << 20;
// ... and LOAD DATA lines to this much.
constexpr std::size_t kLoadBytes = 8 << 20;

class MysqlDialect : public kit::sql::Dialect {
 public:
  std::string quote(const std::string& identifier) const override { return quote_ident(identifier); }
  std::string column_type(const DataType& type) const override { return mysql_type_for(type); }
  std::string key_column_type(const DataType& type) const override { return mysql_type_for(type, true); }
  DataType type_of(const std::string& declared) const override { return type_of_mysql(declared); }
  DataType widened(const DataType& had, const DataType& in) const override {
    // DATETIME holds timestamps with and without a zone alike (as UTC).
    const auto timestamp = [](const DataType& t) { return t.id == TypeId::TimestampUs || t.id == TypeId::TimestampUsLocal; };
    if (timestamp(had) && timestamp(in)) return had;
    return wider(had, in);
  }
  std::string widen_column(const std::string& target, const std::string& column, const DataType& to) const override {
    return "ALTER TABLE " + target + " MODIFY COLUMN " + quote_ident(column) + " " + mysql_type_for(to);
  }
  Columns metadata_columns() const override {
    return {{INGESTD_COLUMN_SYNCED_AT, "DATETIME(6)"},
            {INGESTD_COLUMN_DELETED, "BOOLEAN NOT NULL DEFAULT 0"},
            {INGESTD_COLUMN_RUN_ID, "VARCHAR(64)"}};
  }
  std::string boolean(bool value) const override { return value ? "1" : "0"; }
  std::string key_equals() const override { return "<=>"; }
  std::string delete_aliased(const std::string& table) const override { return "DELETE t FROM " + table + " AS t"; }
};

const MysqlDialect kDialect;

std::string now_utc() {
  std::string out;
  format_timestamp(std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count(),
                   out, false);
  return out;
}

// The checkpoint table: in `database`, else the dsn's database, else in a
// database of its own, "ingestd".
std::string state_database(const DestinationSettings& s) {
  return !s.database.empty() ? s.database : !s.connect.database.empty() ? s.connect.database : "ingestd";
}

std::string state_table(const std::string& database) { return quote_table(database, kStateTable); }

void ensure_state_table(Connection& db, const std::string& database) {
  db.exec("CREATE TABLE IF NOT EXISTS " + state_table(database) +
          " (`key` VARCHAR(512) PRIMARY KEY, checkpoint LONGBLOB NOT NULL, generation BIGINT NOT NULL, "
          "run_id VARCHAR(64), saved_at DATETIME(6))");
}

// The destination's connection names no default database (one that does not
// exist yet would refuse it): every statement qualifies its tables.
ConnectOptions options_for(const DestinationSettings& s) {
  ConnectOptions o = s.connect;
  o.database.clear();
  return o;
}

class MysqlTable : public DestinationTable {
 public:
  MysqlTable(const DestinationSettings& s, const TableRequest& r)
      : db_(options_for(s)), host_(r.host), run_id_(r.run_id), load_(r.load_mode), key_(r.primary_key) {
    const auto dot = r.table.rfind('.');
    table_ = dot == std::string::npos ? r.table : r.table.substr(dot + 1);
    database_ = !s.database.empty() ? s.database
                : dot != std::string::npos ? r.table.substr(0, dot)
                                           : s.connect.database;
    state_database_ = state_database(s);
    if (database_.empty())
      throw config_error("the mysql destination needs a database: in the dsn (mysql://.../shop) or `database`");
    policy_ = r.settings.schema_changes;
    hard_delete_ = r.settings.hard_delete;
    delete_stale_ = r.settings.delete_stale && load_ == INGESTD_LOAD_MERGE;
    target_ = load_ == INGESTD_LOAD_REPLACE ? "_ingestd_stage_" + table_ : table_;
    shape_.emplace(kDialect, host_, kit::sql::TableNames{target(), database_ + "." + table_, database_ + "." + table_},
                   policy_, key_);
    db_.exec("CREATE DATABASE IF NOT EXISTS " + quote_ident(database_));
    if (state_database_ != database_) db_.exec("CREATE DATABASE IF NOT EXISTS " + quote_ident(state_database_));
    if (load_ == INGESTD_LOAD_REPLACE) {
      db_.exec("DROP TABLE IF EXISTS " + target());  // left by a run that died before its swap
      db_.exec(shape_->create_statement(columns_of(table_), r.schema, false, false));
    } else if (columns_of(table_).empty()) {
      db_.exec(shape_->create_statement({}, r.schema, load_ == INGESTD_LOAD_MERGE, false));
    }
    reconcile(r.schema);
    if (load_ == INGESTD_LOAD_MERGE) ensure_unique_key();
    if (delete_stale_) create_seen();
  }

  ~MysqlTable() override {
    if (in_transaction_) {
      try {
        db_.exec("ROLLBACK");
      } catch (const std::exception&) {
      }
    }
  }

  void schema_changed(const Schema& schema) override {
    // DDL commits in MySQL: what was written so far commits with it, which a
    // later failure leaves in place (merge absorbs the rows again on rerun).
    reconcile(schema);
  }

  void write(const BatchReader& batch) override {
    begin();
    const std::string synced = now_utc();
    if (batch.truncates()) empty_table(synced);
    const int deleted_col = shape_->deleted_column();
    // Runs of rows of one kind go out as one statement each, in order.
    enum class Kind { Row, Delete } pending = Kind::Row;
    for (int64_t r = 0; r < batch.rows(); ++r) {
      const bool deleted = deleted_col >= 0 && !batch.column(static_cast<std::size_t>(deleted_col)).is_null(r) &&
                           batch.column(static_cast<std::size_t>(deleted_col)).bool_value(r);
      const Kind kind = deleted && load_ == INGESTD_LOAD_MERGE ? Kind::Delete : Kind::Row;
      if (kind == Kind::Row && load_ != INGESTD_LOAD_MERGE) {
        add_load_line(batch, r, synced, deleted);
        if (lines_.size() > kLoadBytes) flush_lines();
        continue;
      }
      if (kind != pending || statement_.size() > kStatementBytes) flush();
      pending = kind;
      if (kind == Kind::Delete) add_delete(batch, r, synced);
      else add_row(batch, r, synced, deleted);
    }
    flush();
    flush_lines();
  }

  void commit(uint64_t) override {
    if (!in_transaction_) return;
    db_.exec("COMMIT");
    in_transaction_ = false;
  }

  void commit_with_state(uint64_t, const std::string& key, std::string_view state, int64_t generation) override {
    ensure_state_table(db_, state_database_);  // DDL first: it would commit the data without the state
    begin();
    // Generations grow with the flow's lease: a run that held it before the
    // run whose state is here is refused, and its rows go with the ROLLBACK.
    // The row stays locked until COMMIT.
    const std::string newer = db_.scalar("SELECT generation FROM " + state_table(state_database_) + " WHERE `key` = " +
                                         db_.literal(key) + " FOR UPDATE");
    if (!newer.empty() && std::stoll(newer) >= generation) {
      db_.exec("ROLLBACK");
      in_transaction_ = false;
      throw kit::sql::stale_state_commit(key, generation, "generation " + newer);
    }
    db_.exec("INSERT INTO " + state_table(state_database_) + " (`key`, checkpoint, generation, run_id, saved_at) VALUES (" +
             db_.literal(key) + ", " + db_.literal(state) + ", " + std::to_string(generation) + ", " +
             db_.literal(run_id_) + ", " + db_.literal(now_utc()) +
             ") ON DUPLICATE KEY UPDATE checkpoint = VALUES(checkpoint), generation = VALUES(generation), run_id = "
             "VALUES(run_id), saved_at = VALUES(saved_at)");
    db_.exec("COMMIT");
    in_transaction_ = false;
  }

  void close(bool complete) override {
    if (in_transaction_) {
      db_.exec(complete ? "COMMIT" : "ROLLBACK");
      in_transaction_ = false;
    }
    if (complete && delete_stale_) {
      // Delivered rows are known by key (unchanged ones keep their old run).
      db_.exec(shape_->stale_rows_statement(seen(), hard_delete_, db_.literal(now_utc()), db_.literal(run_id_)));
      const auto n = static_cast<int64_t>(db_.affected_rows());
      if (n) host_.count(hard_delete_ ? "rows_deleted_stale" : "rows_marked_stale", n);
      kit::sql::count_changes(host_, 0, 0, n);
    }
    if (load_ != INGESTD_LOAD_REPLACE) return;
    if (!complete) {
      db_.exec("DROP TABLE IF EXISTS " + target());
      return;
    }
    // One RENAME: readers see the old table or the new one, never neither.
    const std::string live = quote_table(database_, table_), old = quote_table(database_, "_ingestd_old_" + table_);
    db_.exec("DROP TABLE IF EXISTS " + old);
    if (columns_of(table_).empty()) {
      db_.exec("RENAME TABLE " + target() + " TO " + live);
    } else {
      db_.exec("RENAME TABLE " + live + " TO " + old + ", " + target() + " TO " + live);
      db_.exec("DROP TABLE " + old);
    }
  }

 private:
  std::string target() const { return quote_table(database_, target_); }
  // delete_stale: the keys this run delivered, in a temporary table private
  // to this session and kept across its transactions.
  std::string seen() const { return quote_table(database_, "_ingestd_seen_" + table_); }

  void create_seen() {
    std::string keys;
    for (const auto& k : key_) keys += (keys.empty() ? "" : ", ") + quote_ident(k);
    db_.exec("CREATE TEMPORARY TABLE IF NOT EXISTS " + seen() + " (PRIMARY KEY (" + keys + ")) SELECT " + keys +
             " FROM " + target() + " LIMIT 0");
  }

  void find_key_columns() {
    key_columns_.clear();
    const auto& names = shape_->write_names();
    for (const auto& k : key_) {
      const auto at = std::find(names.begin(), names.end(), k);
      if (at == names.end()) throw config_error("delete_stale: the key column " + k + " is not among the stream's");
      key_columns_.push_back(shape_->write_columns()[static_cast<std::size_t>(at - names.begin())]);
    }
  }

  void begin() {
    if (in_transaction_) return;
    db_.exec("START TRANSACTION");
    in_transaction_ = true;
  }

  Columns columns_of(const std::string& table) {
    Columns out;
    Rows r = db_.query("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                       db_.literal(database_) + " AND TABLE_NAME = " + db_.literal(table) + " ORDER BY ORDINAL_POSITION");
    while (r.next()) out.emplace_back(r.text(0), r.text(1));
    return out;
  }

  void reconcile(const Schema& schema) {
    Columns existing = columns_of(target_);
    for (const auto& [name, type] : kDialect.metadata_columns()) {
      const bool present = std::any_of(existing.begin(), existing.end(), [&, n = name](const auto& c) { return c.first == n; });
      if (!present) db_.exec("ALTER TABLE " + target() + " ADD COLUMN " + quote_ident(name) + " " + type);
    }
    shape_->reconcile(schema, columns_of(target_), [this](const std::string& ddl) { db_.exec(ddl); });
    names_ = kit::sql::with_metadata(shape_->write_names());
    if (delete_stale_) find_key_columns();
  }

  void ensure_unique_key() {
    Rows r = db_.query("SELECT INDEX_NAME, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR '\\n') FROM "
                       "information_schema.STATISTICS WHERE TABLE_SCHEMA = " + db_.literal(database_) +
                       " AND TABLE_NAME = " + db_.literal(target_) + " AND NON_UNIQUE = 0 GROUP BY INDEX_NAME");
    std::string want;
    for (const auto& k : key_) want += (want.empty() ? "" : "\n") + k;
    bool found = false;
    while (r.next()) found = found || r.text(1) == want;
    if (found) return;
    std::string cols;
    for (const auto& k : key_) cols += (cols.empty() ? "" : ", ") + quote_ident(k);
    try {
      db_.exec("ALTER TABLE " + target() + " ADD UNIQUE INDEX " + quote_ident("_ingestd_key") + " (" + cols + ")");
    } catch (const Error& e) {
      throw shape_->no_unique_key(e.what());
    }
  }

  // The value at row `r` as a SQL literal.
  void literal(const ColumnReader& c, int64_t r, std::string& out) {
    if (c.is_null(r)) {
      out += "NULL";
      return;
    }
    switch (c.type().id) {
      case TypeId::Bool: out += c.bool_value(r) ? "1" : "0"; return;
      case TypeId::Int8:
      case TypeId::Int16:
      case TypeId::Int32:
      case TypeId::Int64: format_int(c.int_value(r), out); return;
      case TypeId::Float32:
      case TypeId::Float64: {
        const double v = c.double_value(r);
        if (v != v || v == HUGE_VAL || v == -HUGE_VAL) {
          out += "NULL";  // MySQL has no NaN or infinity
          return;
        }
        format_double(v, out);
        return;
      }
      case TypeId::Binary: {
        const std::string_view bytes = c.string_value(r);
        static const char digits[] = "0123456789ABCDEF";
        out += "X'";
        for (unsigned char b : bytes) {
          out.push_back(digits[b >> 4]);
          out.push_back(digits[b & 15]);
        }
        out += "'";
        return;
      }
      case TypeId::TimestampUs:
      case TypeId::TimestampUsLocal:
        scratch_.clear();
        format_timestamp(c.int_value(r), scratch_, false);
        out += "'" + scratch_ + "'";
        return;
      default:
        scratch_.clear();
        append_text(c, r, scratch_);
        out += db_.literal(scratch_);
    }
  }

  // Appends and replaces go in as LOAD DATA lines.
  void add_load_line(const BatchReader& batch, int64_t r, const std::string& synced, bool deleted) {
    for (int c : shape_->write_columns()) {
      append_load_field(batch.column(static_cast<std::size_t>(c)), r, lines_, scratch_);
      lines_ += '\t';
    }
    lines_ += synced;
    lines_ += deleted ? "\t1\t" : "\t0\t";
    append_load_text(run_id_, lines_);
    lines_ += '\n';
  }

  void flush_lines() {
    if (lines_.empty()) return;
    const auto loaded = static_cast<int64_t>(load_lines(db_, target(), names_, lines_));
    kit::sql::count_changes(host_, loaded, 0, 0);
    lines_.clear();
  }

  void add_row(const BatchReader& batch, int64_t r, const std::string& synced, bool deleted) {
    if (statement_.empty()) {
      std::string cols;
      for (const auto& n : names_) cols += (cols.empty() ? "" : ", ") + quote_ident(n);
      statement_ = "INSERT INTO " + target() + " (" + cols + ") VALUES ";
      statement_rows_ = 0;
    } else {
      statement_ += ", ";
    }
    statement_ += "(";
    for (int c : shape_->write_columns()) {
      literal(batch.column(static_cast<std::size_t>(c)), r, statement_);
      statement_ += ", ";
    }
    if (delete_stale_) {
      seen_rows_ += seen_rows_.empty() ? "INSERT IGNORE INTO " + seen() + " VALUES (" : ", (";
      for (std::size_t k = 0; k < key_columns_.size(); ++k) {
        if (k) seen_rows_ += ", ";
        literal(batch.column(static_cast<std::size_t>(key_columns_[k])), r, seen_rows_);
      }
      seen_rows_ += ")";
    }
    statement_ += "'" + synced + "', " + (deleted ? "1" : "0") + ", " + db_.literal(run_id_) + ")";
    ++statement_rows_;
    statement_kind_ = load_ == INGESTD_LOAD_MERGE ? StatementKind::Upsert : StatementKind::Insert;
  }

  void add_delete(const BatchReader& batch, int64_t r, const std::string& synced) {
    if (statement_.empty()) {
      statement_rows_ = 0;
      if (hard_delete_) {
        std::string cols;
        for (const auto& k : key_) cols += (cols.empty() ? "" : ", ") + quote_ident(k);
        statement_ = "DELETE FROM " + target() + " WHERE (" + cols + ") IN (";
      } else {
        std::string cols;
        for (const auto& n : kit::sql::with_metadata(key_)) cols += (cols.empty() ? "" : ", ") + quote_ident(n);
        statement_ = "INSERT INTO " + target() + " (" + cols + ") VALUES ";
      }
    } else {
      statement_ += ", ";
    }
    statement_ += "(";
    for (std::size_t i = 0; i < shape_->key_columns().size(); ++i) {
      if (i) statement_ += ", ";
      literal(batch.column(static_cast<std::size_t>(shape_->key_columns()[i])), r, statement_);
    }
    if (!hard_delete_) statement_ += ", '" + synced + "', 1, " + db_.literal(run_id_);
    statement_ += ")";
    ++statement_rows_;
    statement_kind_ = hard_delete_ ? StatementKind::HardDelete : StatementKind::SoftDelete;
  }

  // Sends the statement being built.
  void flush() {
    if (statement_.empty()) return;
    const std::string deleted = quote_ident(INGESTD_COLUMN_DELETED);
    switch (statement_kind_) {
      case StatementKind::Insert: break;
      case StatementKind::Upsert: {
        // A row delivered again unchanged keeps its metadata: the comparisons
        // come before any column is assigned (MySQL assigns left to right).
        std::string same = "`_ingestd_deleted` <=> VALUES(`_ingestd_deleted`)";
        for (const auto& n : shape_->write_names())
          if (std::find(key_.begin(), key_.end(), n) == key_.end())
            same += " AND " + quote_ident(n) + " <=> VALUES(" + quote_ident(n) + ")";
        std::string set;
        for (const char* m : {INGESTD_COLUMN_SYNCED_AT, INGESTD_COLUMN_RUN_ID})
          set += std::string(set.empty() ? "" : ", ") + quote_ident(m) + " = IF(" + same + ", " + quote_ident(m) +
                 ", VALUES(" + quote_ident(m) + "))";
        for (const auto& n : shape_->write_names())
          if (std::find(key_.begin(), key_.end(), n) == key_.end())
            set += ", " + quote_ident(n) + " = VALUES(" + quote_ident(n) + ")";
        set += ", " + deleted + " = VALUES(" + deleted + ")";
        statement_ += " ON DUPLICATE KEY UPDATE " + set;
        break;
      }
      case StatementKind::HardDelete: statement_ += ")"; break;
      case StatementKind::SoftDelete:
        statement_ += " ON DUPLICATE KEY UPDATE `_ingestd_synced_at` = IF(" + deleted + ", `_ingestd_synced_at`, "
                      "VALUES(`_ingestd_synced_at`)), `_ingestd_run_id` = IF(" + deleted + ", `_ingestd_run_id`, "
                      "VALUES(`_ingestd_run_id`)), " + deleted + " = 1";
        break;
    }
    db_.exec(statement_);
    const int64_t affected = static_cast<int64_t>(db_.affected_rows());
    if (!seen_rows_.empty()) {
      db_.exec(seen_rows_);
      seen_rows_.clear();
    }
    switch (statement_kind_) {
      case StatementKind::Insert: kit::sql::count_changes(host_, affected, 0, 0); break;
      case StatementKind::Upsert: {
        // Per row: 1 inserted, 2 updated, 0 unchanged; mysql_info() names the duplicates.
        int64_t duplicates = 0;
        if (const char* info = mysql_info(db_.raw())) {
          long long records = 0, dup = 0, warnings = 0;
          if (std::sscanf(info, "Records: %lld Duplicates: %lld Warnings: %lld", &records, &dup, &warnings) >= 2)
            duplicates = dup;
        }
        const int64_t inserted = statement_rows_ - duplicates;
        kit::sql::count_changes(host_, inserted, std::max<int64_t>(0, (affected - inserted) / 2), 0);
        break;
      }
      case StatementKind::HardDelete: kit::sql::count_changes(host_, 0, 0, affected); break;
      case StatementKind::SoftDelete: kit::sql::count_changes(host_, 0, 0, affected > 0 ? statement_rows_ : 0); break;
    }
    statement_.clear();
  }

  // The source table was emptied (a captured TRUNCATE): every row goes, or is marked gone.
  void empty_table(const std::string& synced) {
    if (hard_delete_) {
      db_.exec("DELETE FROM " + target());
    } else {
      db_.exec("UPDATE " + target() + " SET `_ingestd_deleted` = 1, `_ingestd_synced_at` = '" + synced +
               "', `_ingestd_run_id` = " + db_.literal(run_id_) + " WHERE NOT `_ingestd_deleted`");
    }
    kit::sql::count_changes(host_, 0, 0, static_cast<int64_t>(db_.affected_rows()));
  }

  enum class StatementKind { Insert, Upsert, HardDelete, SoftDelete };

  Connection db_;
  Host host_;
  std::string run_id_;
  uint32_t load_;
  std::vector<std::string> key_;
  std::string database_, table_, target_, state_database_;
  SchemaChanges policy_ = SchemaChanges::Evolve;
  bool hard_delete_ = false, delete_stale_ = false;
  std::vector<int> key_columns_;  // batch columns of the key, for delete_stale
  std::string seen_rows_;         // keys of the rows in statement_, for delete_stale
  std::optional<TableShape> shape_;
  std::vector<std::string> names_;  // columns an inserted row fills
  bool in_transaction_ = false;
  std::string statement_, scratch_, lines_;
  int64_t statement_rows_ = 0;
  StatementKind statement_kind_ = StatementKind::Insert;
};

std::unique_ptr<Connection> open_if_state_table(const DestinationSettings& s) {
  const std::string database = state_database(s);
  auto db = std::make_unique<Connection>(options_for(s));
  if (db->scalar("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + db->literal(database) +
                 " AND TABLE_NAME = '" + std::string(kStateTable) + "'") != "1")
    return nullptr;
  return db;
}

}  // namespace

std::unique_ptr<DestinationTable> open_destination_table(const DestinationSettings& settings, const TableRequest& request) {
  return std::make_unique<MysqlTable>(settings, request);
}

std::optional<StoredState> load_stored_state(const DestinationSettings& settings, const std::string& key) {
  auto db = open_if_state_table(settings);
  if (!db) return std::nullopt;
  Rows r = db->query("SELECT checkpoint, generation FROM " + state_table(state_database(settings)) + " WHERE `key` = " +
                     db->literal(key));
  std::optional<StoredState> out;
  while (r.next()) out = StoredState{std::string(r.value(0)), std::stoll(r.text(1))};
  return out;
}

void clear_stored_state(const DestinationSettings& settings, const std::string& key) {
  auto db = open_if_state_table(settings);
  if (db) db->exec("DELETE FROM " + state_table(state_database(settings)) + " WHERE `key` = " + db->literal(key));
}

}  // namespace ingestd::plugins::mysql

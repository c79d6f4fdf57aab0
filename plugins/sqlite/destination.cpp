#include "destination.hpp"

#include "db.hpp"
#include "types.hpp"

#include <ingestd/kit/sql/stored_state.hpp>
#include <ingestd/kit/sql/table_shape.hpp>
#include <ingestd/sdk/values.hpp>

#include <algorithm>
#include <chrono>
#include <climits>
#include <filesystem>
#include <optional>

namespace ingestd::plugins::sqlite {

using namespace ingestd::sdk;
using kit::sql::Columns;
using kit::sql::is_metadata_column;
using kit::sql::TableShape;

namespace {

const char* kStateTable = "_ingestd_state";

std::string now_utc() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::string out;
  format_timestamp(us, out, true);
  return out;
}

// Columns of an existing table, in table order.
Columns table_columns(const Db& db, const std::string& table) {
  Columns out;
  Stmt info(db, "SELECT name, type FROM pragma_table_info(?1) ORDER BY cid");
  info.bind_text(1, table);
  while (info.step()) out.emplace_back(info.text(0), info.text(1));
  return out;
}

class SqliteDialect : public kit::sql::Dialect {
 public:
  std::string quote(const std::string& identifier) const override { return sqlite::quote(identifier); }
  std::string column_type(const DataType& type) const override { return declared_for(type); }
  DataType type_of(const std::string& declared) const override { return type_from_declared(declared); }
  DataType widened(const DataType& had, const DataType& in) const override {
    // Zone-less timestamps sit in a TIMESTAMP column as they are.
    if (had.id == TypeId::TimestampUs && in.id == TypeId::TimestampUsLocal) return had;
    return wider(had, in);
  }
  // SQLite keeps every value as given: a wider column needs no DDL.
  std::string widen_column(const std::string&, const std::string&, const DataType&) const override { return ""; }
  Columns metadata_columns() const override {
    return {{INGESTD_COLUMN_SYNCED_AT, "TIMESTAMP"},
            {INGESTD_COLUMN_DELETED, "BOOLEAN NOT NULL DEFAULT 0"},
            {INGESTD_COLUMN_RUN_ID, "TEXT"}};
  }
  std::string boolean(bool value) const override { return value ? "1" : "0"; }
  // Keys of a table made elsewhere may hold NULLs, which match each other here.
  std::string key_equals() const override { return "IS"; }
};

const SqliteDialect kDialect;

std::string join_quoted(const std::vector<std::string>& names) { return kit::sql::quoted_list(kDialect, names); }

void open_pragmas(Db& db, bool synchronous_full) {
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
}

void ensure_state_table(Db& db) {
  db.exec(std::string("CREATE TABLE IF NOT EXISTS ") + kStateTable +
          " (key TEXT PRIMARY KEY, checkpoint BLOB NOT NULL, generation INTEGER NOT NULL, run_id TEXT, saved_at TEXT)");
}

std::string placeholders_for(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += (i ? ", ?" : "?") + std::to_string(i + 1);
  return out;
}

class SqliteTable : public DestinationTable {
 public:
  SqliteTable(const DestinationSettings& s, const TableRequest& r, WriterLock& lock)
      : db_(s.path, true, false), host_(r.host), lock_(lock), table_(r.table), run_id_(r.run_id),
        load_(r.load_mode), primary_key_(r.primary_key) {
    open_pragmas(db_, s.synchronous_full);
    policy_ = r.settings.schema_changes;
    hard_delete_ = r.settings.hard_delete;
    delete_stale_ = r.settings.delete_stale;
    target_ = load_ == INGESTD_LOAD_REPLACE ? "_ingestd_stage_" + table_ + "_" + r.run_id : table_;
    shape_.emplace(kDialect, host_, kit::sql::TableNames{quote(target_), table_, "table " + table_}, policy_,
                   primary_key_);
    with_lock([&] { prepare_table(r.schema); });
  }

  ~SqliteTable() override {
    if (in_transaction_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }

  void schema_changed(const Schema& schema) override {
    begin();  // DDL joins the open transaction, committed with the data
    reconcile(schema);
    prepare_statements();
  }

  void write(const BatchReader& batch) override {
    begin();
    const std::string synced = now_utc();
    if (batch.truncates()) empty_table(synced);
    const int deleted_col = shape_->deleted_column();
    const std::vector<int>& key_cols = shape_->key_columns();
    sqlite3* db = db_.handle();
    int64_t inserted = 0, updated = 0, deleted_rows = 0;
    for (int64_t r = 0; r < batch.rows(); ++r) {
      bool deleted = deleted_col >= 0 && !batch.column(static_cast<std::size_t>(deleted_col)).is_null(r) &&
                     batch.column(static_cast<std::size_t>(deleted_col)).bool_value(r);
      if (deleted && load_ == INGESTD_LOAD_MERGE) {
        Stmt& s = hard_delete_ ? *delete_ : *soft_delete_;
        int n = 1;
        for (int k : key_cols) bind(s, n++, batch.column(static_cast<std::size_t>(k)), r);
        if (!hard_delete_) bind_metadata(s, n, synced, true);
        s.step();
        s.reset();
        deleted_rows += sqlite3_changes(db);
        continue;
      }
      int n = 1;
      for (int c : shape_->write_columns()) bind(*insert_, n++, batch.column(static_cast<std::size_t>(c)), r);
      bind_metadata(*insert_, n, synced, deleted);
      // An upsert that updates leaves the last inserted rowid alone: a
      // sentinel tells an inserted row from an updated one (and from an
      // unchanged one, which changes nothing).
      sqlite3_set_last_insert_rowid(db, INT64_MIN);
      insert_->step();
      insert_->reset();
      if (sqlite3_changes(db) > 0) ++(sqlite3_last_insert_rowid(db) != INT64_MIN ? inserted : updated);
      if (seen_) {
        int k = 1;
        for (int c : key_cols) bind(*seen_, k++, batch.column(static_cast<std::size_t>(c)), r);
        seen_->step();
        seen_->reset();
      }
    }
    kit::sql::count_changes(host_, inserted, updated, deleted_rows);
  }

  void commit(uint64_t) override {
    if (!in_transaction_) return;
    db_.exec("COMMIT");
    end_transaction();
  }

  void commit_with_state(uint64_t, const std::string& key, std::string_view state, int64_t generation) override {
    begin();
    ensure_state_table(db_);
    Stmt up(db_, std::string("INSERT INTO ") + kStateTable +
                     " (key, checkpoint, generation, run_id, saved_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                     "ON CONFLICT (key) DO UPDATE SET checkpoint = excluded.checkpoint, generation = "
                     "excluded.generation, run_id = excluded.run_id, saved_at = excluded.saved_at WHERE "
                     "generation < excluded.generation");
    up.bind_text(1, key);
    up.bind_blob(2, state);
    up.bind(3, generation);
    up.bind_text(4, run_id_);
    up.bind_text(5, now_utc());
    up.step();
    // Generations grow with the flow's lease: a run that held it before the
    // run whose state is here is refused, and its rows go with the ROLLBACK.
    if (sqlite3_changes(db_.handle()) == 0) {
      db_.exec("ROLLBACK");
      end_transaction();
      throw kit::sql::stale_state_commit(key, generation, "newer state");
    }
    db_.exec("COMMIT");
    end_transaction();
  }

  void close(bool complete) override {
    if (in_transaction_) {
      db_.exec(complete ? "COMMIT" : "ROLLBACK");
      end_transaction();
    }
    if (load_ == INGESTD_LOAD_REPLACE) {
      with_lock([&] {
        if (complete) {
          // Readers see the old table or the new one, never half of either.
          db_.exec("BEGIN IMMEDIATE");
          db_.exec("DROP TABLE IF EXISTS " + quote(table_));
          db_.exec("ALTER TABLE " + quote(target_) + " RENAME TO " + quote(table_));
          db_.exec("COMMIT");
        } else {
          db_.exec("DROP TABLE IF EXISTS " + quote(target_));
        }
      });
      return;
    }
    if (complete && delete_stale_) {
      with_lock([&] {
        // Rows this complete snapshot did not deliver are gone at the source.
        // Delivered rows are known by key (unchanged ones keep their old run).
        ensure_seen_table();
        db_.exec("BEGIN IMMEDIATE");
        Stmt s(db_, shape_->stale_rows_statement("temp._ingestd_seen", hard_delete_, "?1", "?2"));
        if (!hard_delete_) {
          s.bind_text(1, now_utc());
          s.bind_text(2, run_id_);
        }
        s.step();
        int64_t stale = sqlite3_changes64(db_.handle());
        db_.exec("COMMIT");
        if (stale) host_.count(hard_delete_ ? "rows_deleted_stale" : "rows_marked_stale", stale);
        kit::sql::count_changes(host_, 0, 0, stale);
      });
    }
  }

 private:
  // The source table was emptied (a captured TRUNCATE): every row goes, or is marked gone.
  void empty_table(const std::string& synced) {
    if (hard_delete_) {
      db_.exec("DELETE FROM " + quote(target_));
    } else {
      Stmt mark(db_, "UPDATE " + quote(target_) + " SET " + quote(INGESTD_COLUMN_DELETED) + " = 1, " +
                         quote(INGESTD_COLUMN_SYNCED_AT) + " = ?1, " + quote(INGESTD_COLUMN_RUN_ID) + " = ?2 WHERE " +
                         quote(INGESTD_COLUMN_DELETED) + " = 0");
      mark.bind_text(1, synced);
      mark.bind_text(2, run_id_);
      mark.step();
    }
    kit::sql::count_changes(host_, 0, 0, sqlite3_changes64(db_.handle()));
  }

  template <class F>
  void with_lock(F&& f) {
    std::lock_guard guard(lock_);
    f();
  }

  void begin() {
    if (in_transaction_) return;
    held_ = std::unique_lock(lock_);
    db_.exec("BEGIN IMMEDIATE");
    in_transaction_ = true;
  }

  void end_transaction() {
    in_transaction_ = false;
    if (held_.owns_lock()) held_.unlock();
  }

  void prepare_table(const Schema& schema) {
    if (load_ == INGESTD_LOAD_REPLACE) {
      // Leftovers of runs that died before their swap.
      Stmt old(db_, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE ?1 ESCAPE '\\'");
      std::string prefix = "\\_ingestd\\_stage\\_" + table_ + "\\_%";
      old.bind_text(1, prefix);
      std::vector<std::string> names;
      while (old.step()) names.push_back(old.text(0));
      for (const auto& n : names) db_.exec("DROP TABLE IF EXISTS " + quote(n));
      // The new table starts with the columns the old one has.
      existing_ = table_columns(db_, table_);
      create_table(schema);
    } else {
      existing_ = table_columns(db_, table_);
      if (existing_.empty()) create_table(schema);
    }
    reconcile(schema);
    if (load_ == INGESTD_LOAD_MERGE) ensure_unique_key();
    if (load_ == INGESTD_LOAD_MERGE && delete_stale_) ensure_seen_table();
    prepare_statements();
  }

  // delete_stale: the keys this run delivered, in a table private to this
  // connection, typed like the key columns so that values compare alike.
  void ensure_seen_table() {
    db_.exec("CREATE TEMP TABLE IF NOT EXISTS _ingestd_seen AS SELECT " + join_quoted(primary_key_) + " FROM main." +
             quote(target_) + " WHERE 0");
    db_.exec("CREATE UNIQUE INDEX IF NOT EXISTS temp._ingestd_seen_key ON _ingestd_seen (" +
             join_quoted(primary_key_) + ")");
  }

  void create_table(const Schema& schema) {
    db_.exec(shape_->create_statement(existing_, schema, load_ == INGESTD_LOAD_MERGE, false));
    existing_ = table_columns(db_, target_);
  }

  // Decides which incoming columns are written, applying schema_changes to
  // columns the table lacks or holds with a narrower type.
  void reconcile(const Schema& schema) {
    existing_ = table_columns(db_, target_);
    // A table made elsewhere gets ingestd's metadata columns.
    for (const auto& [name, type] : kDialect.metadata_columns()) {
      const bool present =
          std::any_of(existing_.begin(), existing_.end(), [&, n = name](const auto& c) { return c.first == n; });
      if (!present) db_.exec("ALTER TABLE " + quote(target_) + " ADD COLUMN " + quote(name) + " " + type);
    }
    shape_->reconcile(schema, existing_, [this](const std::string& ddl) { db_.exec(ddl); });
  }

  // Merge needs a unique key to find rows by; tables ingestd made have it.
  void ensure_unique_key() {
    Stmt idx(db_, "SELECT il.name FROM pragma_index_list(?1) il WHERE il.\"unique\" = 1");
    idx.bind_text(1, target_);
    std::vector<std::string> unique;
    while (idx.step()) unique.push_back(idx.text(0));
    for (const auto& name : unique) {
      Stmt cols(db_, "SELECT name FROM pragma_index_info(?1) ORDER BY seqno");
      cols.bind_text(1, name);
      std::vector<std::string> c;
      while (cols.step()) c.push_back(cols.text(0));
      if (c == primary_key_) return;
    }
    std::vector<std::string> pk;
    Stmt info(db_, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk");
    info.bind_text(1, target_);
    while (info.step()) pk.push_back(info.text(0));
    if (pk == primary_key_) return;
    try {
      db_.exec("CREATE UNIQUE INDEX " + quote("_ingestd_key_" + table_) + " ON " + quote(target_) + " (" +
               join_quoted(primary_key_) + ")");
    } catch (const Error& e) {
      throw shape_->no_unique_key(e.what());
    }
  }

  void prepare_statements() {
    const std::vector<std::string>& write_names = shape_->write_names();
    std::vector<std::string> names = kit::sql::with_metadata(write_names);
    std::string sql =
        "INSERT INTO " + quote(target_) + " (" + join_quoted(names) + ") VALUES (" + placeholders_for(names.size()) + ")";
    if (load_ == INGESTD_LOAD_MERGE) {
      sql += " ON CONFLICT (" + join_quoted(primary_key_) + ") DO UPDATE SET ";
      for (std::size_t i = 0; i < names.size(); ++i)
        sql += (i ? ", " : "") + quote(names[i]) + " = excluded." + quote(names[i]);
      // A row delivered again unchanged is left alone: an idle rerun rewrites
      // nothing, and _ingestd_synced_at/_ingestd_run_id tell when it changed.
      std::string same;
      for (const auto& n : write_names)
        if (std::find(primary_key_.begin(), primary_key_.end(), n) == primary_key_.end())
          same += (same.empty() ? "" : " AND ") + quote(target_) + "." + quote(n) + " IS excluded." + quote(n);
      sql += " WHERE " + quote(target_) + "." + quote(INGESTD_COLUMN_DELETED) + " IS NOT excluded." +
             quote(INGESTD_COLUMN_DELETED) + (same.empty() ? "" : " OR NOT (" + same + ")");
      if (delete_stale_)
        seen_ = std::make_unique<Stmt>(db_, "INSERT OR IGNORE INTO temp._ingestd_seen (" + join_quoted(primary_key_) +
                                                ") VALUES (" + placeholders_for(primary_key_.size()) + ")");
      std::vector<std::string> keys = primary_key_;
      std::string where;
      for (std::size_t i = 0; i < keys.size(); ++i)
        where += (i ? " AND " : "") + quote(keys[i]) + " = ?" + std::to_string(i + 1);
      delete_ = std::make_unique<Stmt>(db_, "DELETE FROM " + quote(target_) + " WHERE " + where);
      std::vector<std::string> soft = kit::sql::with_metadata(keys);
      soft_delete_ = std::make_unique<Stmt>(
          db_, "INSERT INTO " + quote(target_) + " (" + join_quoted(soft) + ") VALUES (" +
                   placeholders_for(soft.size()) + ") ON CONFLICT (" +
                   join_quoted(keys) + ") DO UPDATE SET " + quote(INGESTD_COLUMN_DELETED) + " = 1, " +
                   quote(INGESTD_COLUMN_SYNCED_AT) + " = excluded." + quote(INGESTD_COLUMN_SYNCED_AT) + ", " +
                   quote(INGESTD_COLUMN_RUN_ID) + " = excluded." + quote(INGESTD_COLUMN_RUN_ID) + " WHERE " +
                   quote(target_) + "." + quote(INGESTD_COLUMN_DELETED) + " = 0");
    }
    insert_ = std::make_unique<Stmt>(db_, sql);
    // Sized once: bound texts point into these strings (short ones live
    // inside the string object), so the vector must not reallocate mid-row.
    scratch_.assign(names.size() + primary_key_.size() + 3, std::string());
  }

  // Values are bound without copies: the batch, `synced` and run_id_ outlive
  // the statement's step, and each parameter has its own scratch text.
  void bind_metadata(Stmt& s, int n, const std::string& synced, bool deleted) {
    s.bind_text_static(n, synced);
    s.bind(n + 1, static_cast<int64_t>(deleted ? 1 : 0));
    s.bind_text_static(n + 2, run_id_);
  }

  void bind(Stmt& s, int n, const ColumnReader& c, int64_t r) {
    if (c.is_null(r)) {
      s.bind_null(n);
      return;
    }
    switch (c.type().id) {
      case TypeId::Bool: s.bind(n, static_cast<int64_t>(c.bool_value(r))); return;
      case TypeId::Int8:
      case TypeId::Int16:
      case TypeId::Int32:
      case TypeId::Int64: s.bind(n, c.int_value(r)); return;
      case TypeId::Float32:
      case TypeId::Float64: s.bind(n, c.double_value(r)); return;
      case TypeId::Utf8:
      case TypeId::LargeUtf8: s.bind_text_static(n, c.string_value(r)); return;
      case TypeId::Binary: s.bind_blob_static(n, c.string_value(r)); return;
      default: {
        // Dates, times and decimals as ISO / exact text: sortable, and
        // readable by SQLite's date functions.
        std::string& text = scratch_.at(static_cast<std::size_t>(n - 1));
        text.clear();
        append_text(c, r, text);
        s.bind_text_static(n, text);
        return;
      }
    }
  }

  Db db_;
  Host host_;
  WriterLock& lock_;
  std::unique_lock<WriterLock> held_;
  bool in_transaction_ = false;
  std::string table_, target_, run_id_;
  uint32_t load_;
  std::vector<std::string> primary_key_;
  SchemaChanges policy_ = SchemaChanges::Evolve;
  bool hard_delete_ = false, delete_stale_ = false;
  Columns existing_;
  std::optional<TableShape> shape_;
  std::unique_ptr<Stmt> insert_, delete_, soft_delete_;
  std::unique_ptr<Stmt> seen_;  // delete_stale: records each delivered key
  std::vector<std::string> scratch_;  // per statement parameter
};

// The state table, if the database and table exist.
std::unique_ptr<Db> open_existing(const DestinationSettings& s) {
  std::error_code ec;
  if (!std::filesystem::exists(s.path, ec)) return nullptr;
  auto db = std::make_unique<Db>(s.path, false, false);
  Stmt t(*db, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1");
  t.bind_text(1, kStateTable);
  if (!t.step()) return nullptr;
  return db;
}

}  // namespace

std::unique_ptr<DestinationTable> open_destination_table(const DestinationSettings& settings, const TableRequest& request,
                                                        WriterLock& lock) {
  return std::make_unique<SqliteTable>(settings, request, lock);
}

std::optional<StoredState> load_stored_state(const DestinationSettings& settings, const std::string& key) {
  auto db = open_existing(settings);
  if (!db) return std::nullopt;
  Stmt q(*db, std::string("SELECT checkpoint, generation FROM ") + kStateTable + " WHERE key = ?1");
  q.bind_text(1, key);
  if (!q.step()) return std::nullopt;
  const void* blob = sqlite3_column_blob(q.raw(), 0);
  StoredState s;
  s.data.assign(static_cast<const char*>(blob), static_cast<std::size_t>(sqlite3_column_bytes(q.raw(), 0)));
  s.generation = q.integer(1);
  return s;
}

void clear_stored_state(const DestinationSettings& settings, const std::string& key) {
  auto db = open_existing(settings);
  if (!db) return;
  Stmt d(*db, std::string("DELETE FROM ") + kStateTable + " WHERE key = ?1");
  d.bind_text(1, key);
  d.step();
}

}  // namespace ingestd::plugins::sqlite

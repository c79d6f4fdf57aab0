#include "destination.hpp"

#include "copy_binary.hpp"
#include "copy_text.hpp"
#include "types.hpp"

#include <ingestd/kit/sql/stored_state.hpp>
#include <ingestd/kit/sql/table_shape.hpp>
#include <ingestd/kit/sql/typed_widening.hpp>
#include <ingestd/sdk/values.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

namespace ingestd::plugins::postgres {

using namespace ingestd::sdk;
using kit::sql::Columns;
using kit::sql::TableShape;

namespace {

// The advisory lock a state write holds and a state read waits for.
std::string state_lock_name(const std::string& state_schema, const std::string& key) {
  return "ingestd_state:" + state_schema + ":" + key;
}

// Takes the state lock of `key` in `db`'s open transaction, waiting for a
// writer whose COMMIT is in flight. A session of ingestd's that has sat idle
// in its state transaction for a second (its process gone before it sent
// COMMIT, the server not yet aware) will never commit, yet would hold the
// lock until its TCP connection timed out: it is ended, not waited for. A
// live writer is idle there only between two statements sent back to back.
void take_state_lock(Connection& db, const DestinationSettings& settings, const std::string& key) {
  const std::string name = state_lock_name(settings.state_schema, key);
  const auto started = std::chrono::steady_clock::now();
  while (db.exec_params("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))", {name}).text(0, 0) != "t") {
    db.exec_params("SELECT pg_terminate_backend(a.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                   "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = "
                   "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                   "AND (l.classid::bigint << 32 | l.objid::bigint) = hashtextextended($1, 0) "
                   "AND a.application_name = 'ingestd' AND a.usename = current_user "
                   "AND a.state = 'idle in transaction' AND a.state_change < clock_timestamp() - interval '1 second'",
                   {name});
    if (settings.connect.cancelled && settings.connect.cancelled()) throw cancelled_error();
    const auto waited = std::chrono::steady_clock::now() - started;
    if (waited > std::chrono::milliseconds(settings.connect.read_timeout_ms))
      throw io_error("the state of '" + key + "' is still locked by a PostgreSQL session writing it after " +
                     std::to_string(settings.connect.read_timeout_ms / 1000) + " s (read_timeout)");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}


constexpr std::size_t kCopyChunk = 1 << 20;
const char* kStage = "_ingestd_stage";
const char* kSeen = "_ingestd_seen";
// Metadata columns fill themselves: the server stamps the time and the run
// (a session setting) instead of parsing the same values on every row.
const char* kRunIdDefault = "current_setting('ingestd.run_id', true)";

class PgDialect : public kit::sql::Dialect {
 public:
  std::string quote(const std::string& identifier) const override { return quote_ident(identifier); }
  std::string column_type(const DataType& type) const override { return pg_type_for(type); }
  DataType type_of(const std::string& declared) const override { return type_of_pg(declared); }
  DataType widened(const DataType& had, const DataType& in) const override {
    // timestamp and timestamptz take each other's text as they are.
    const auto timestamp = [](const DataType& t) { return t.id == TypeId::TimestampUs || t.id == TypeId::TimestampUsLocal; };
    return timestamp(had) && timestamp(in) ? had : kit::sql::typed_wider(had, in);
  }
  std::string widen_column(const std::string& target, const std::string& column, const DataType& to) const override {
    const std::string type = pg_type_for(to);
    return "ALTER TABLE " + target + " ALTER COLUMN " + quote_ident(column) + " TYPE " + type + " USING " +
           quote_ident(column) + "::" + type;
  }
  std::string type_label(const DataType& type) const override { return pg_type_for(type); }
  Columns metadata_columns() const override {
    return {{INGESTD_COLUMN_SYNCED_AT, "timestamp with time zone DEFAULT now()"},
            {INGESTD_COLUMN_DELETED, "boolean NOT NULL DEFAULT false"},
            {INGESTD_COLUMN_RUN_ID, std::string("text DEFAULT ") + kRunIdDefault}};
  }
  std::string boolean(bool value) const override { return value ? "true" : "false"; }
};

const PgDialect kDialect;

std::string join(const std::vector<std::string>& v, const std::string& sep, bool quoted = true) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + (quoted ? quote_ident(v[i]) : v[i]);
  return out;
}

// Within a transaction. Runs of other streams (other workers of a pool)
// create it at the same moment, and CREATE ... IF NOT EXISTS is not safe
// against a concurrent one: the first creation is serialised by a lock held
// to the end of its transaction; once the table exists nothing is locked.
void ensure_state_table(Connection& db, const std::string& schema) {
  const std::string table = quote_table(schema, "_ingestd_state");
  if (db.exec_params("SELECT to_regclass($1) IS NOT NULL", {table}).text(0, 0) == "t") return;
  db.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {"ingestd state table " + schema});
  db.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(schema));
  db.exec("CREATE TABLE IF NOT EXISTS " + quote_table(schema, "_ingestd_state") +
          " (key text PRIMARY KEY, checkpoint bytea NOT NULL, generation bigint NOT NULL, run_id text, "
          "saved_at timestamptz NOT NULL DEFAULT now())");
}

class PgTable : public DestinationTable {
 public:
  PgTable(const DestinationSettings& s, const TableRequest& r)
      : db_(with_cancel(s.connect, [host = r.host] { return host.cancelled(); })), host_(r.host), run_id_(r.run_id),
        load_(r.load_mode), key_(r.primary_key),
        state_schema_(s.state_schema) {
    auto dot = r.table.rfind('.');
    table_ = dot == std::string::npos ? r.table : r.table.substr(dot + 1);
    schema_name_ = !s.schema.empty() ? s.schema : dot == std::string::npos ? "public" : r.table.substr(0, dot);
    policy_ = r.settings.schema_changes;
    hard_delete_ = r.settings.hard_delete;
    delete_stale_ = r.settings.delete_stale;
    target_ = load_ == INGESTD_LOAD_REPLACE ? table_ + "__ingestd_new" : table_;
    shape_.emplace(kDialect, host_, kit::sql::TableNames{target(), schema_name_ + "." + table_, schema_name_ + "." + table_},
                   policy_, key_);
    db_.exec("SET ingestd.run_id = " + db_.literal(run_id_));
    db_.exec("CREATE SCHEMA IF NOT EXISTS " + quote_ident(schema_name_));
    if (load_ == INGESTD_LOAD_REPLACE) db_.exec("DROP TABLE IF EXISTS " + target());  // left by a failed run
    existing_ = columns_of(target_);
    if (existing_.empty()) create(r.schema);
    reconcile(r.schema);
    if (load_ == INGESTD_LOAD_MERGE) ensure_unique_key();
  }

  void schema_changed(const Schema& schema) override {
    begin();
    if (staged_) {
      // Staged rows follow the old columns: merge them before the table
      // changes, and stage anew after.
      merge_staged();
      db_.exec(std::string("DROP TABLE ") + kStage);
      staged_ = false;
    }
    reconcile(schema);
  }

  void write(const BatchReader& batch) override {
    begin();
    const bool merge = load_ == INGESTD_LOAD_MERGE;
    if (batch.truncates()) {
      // The source table was emptied (a captured TRUNCATE): rows staged
      // before it apply first, then every row goes, or is marked gone.
      merge_staged();
      Result r = hard_delete_ ? db_.exec("DELETE FROM " + target())
                              : db_.exec("UPDATE " + target() + " SET " + quote_ident(INGESTD_COLUMN_DELETED) +
                                         " = true, " + quote_ident(INGESTD_COLUMN_SYNCED_AT) + " = now(), " +
                                         quote_ident(INGESTD_COLUMN_RUN_ID) + " = " + db_.literal(run_id_) +
                                         " WHERE NOT " + quote_ident(INGESTD_COLUMN_DELETED));
      kit::sql::count_changes(host_, 0, 0, std::atoll(PQcmdTuples(r.get())));
    }
    if (merge && !staged_) create_stage();

    // Rows marked deleted are rare: the column goes along only when needed.
    const int deleted_col = shape_->deleted_column();
    const std::vector<int>& write_cols = shape_->write_columns();
    bool any_deleted = false;
    if (deleted_col >= 0) {
      const ColumnReader& d = batch.column(static_cast<std::size_t>(deleted_col));
      for (int64_t r = 0; r < batch.rows() && !any_deleted; ++r) any_deleted = !d.is_null(r) && d.bool_value(r);
    }
    std::vector<std::string> names = shape_->write_names();
    if (any_deleted) names.push_back(INGESTD_COLUMN_DELETED);
    if (merge) names.push_back("_ingestd_seq");
    std::vector<const ColumnReader*> columns;
    for (int c : write_cols) columns.push_back(&batch.column(static_cast<std::size_t>(c)));
    const std::optional<CopyBinaryRows> binary = binary_rows(columns);
    const std::string copy = "COPY " + (merge ? std::string(kStage) : target()) + " (" + join(names, ", ") +
                             ") FROM STDIN" + (binary ? " (FORMAT binary)" : "");
    out_.clear();
    if (db_.copy_in_start(copy, binary ? CopyBinaryRows::trailer() : std::string_view()) && binary)
      out_.append(CopyBinaryRows::header());
    const ColumnReader* deleted = any_deleted ? &batch.column(static_cast<std::size_t>(deleted_col)) : nullptr;
    for (int64_t r = 0; r < batch.rows(); ++r) {
      const bool row_deleted = deleted && !deleted->is_null(r) && deleted->bool_value(r);
      if (binary) {
        CopyBinaryRows::begin_row(out_, static_cast<int>(names.size()));
        binary->append_columns(out_, columns, r);
        if (deleted) CopyBinaryRows::append_bool(out_, row_deleted);
        if (merge) CopyBinaryRows::append_bigint(out_, ++seq_);
      } else {
        for (std::size_t i = 0; i < columns.size(); ++i) {
          if (i) out_.push_back('\t');
          append_copy_value(out_, *columns[i], r, scratch_);
        }
        if (deleted) out_ += row_deleted ? "\tt" : "\tf";
        if (merge) {
          out_.push_back('\t');
          format_int(++seq_, out_);
        }
        out_.push_back('\n');
      }
      if (out_.size() >= kCopyChunk) {
        db_.copy_in_send(out_);
        out_.clear();
      }
    }
    // The COPY stays open for the next batch; the next other statement (at
    // the latest the commit) ends it.
    db_.copy_in_send(out_);
    if (!merge) kit::sql::count_changes(host_, batch.rows(), 0, 0);
  }

  void commit(uint64_t) override {
    if (!in_transaction_) return;
    merge_staged();
    db_.exec("COMMIT");
    in_transaction_ = false;
  }

  void commit_with_state(uint64_t, const std::string& key, std::string_view state, int64_t generation) override {
    begin();
    merge_staged();
    ensure_state_table(db_, state_schema_);
    // Held until this transaction ends: a reader of the state waits for it,
    // so a COMMIT still in flight when its session was given up is never
    // read around (see load_stored_state).
    db_.exec_params("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", {state_lock_name(state_schema_, key)});
    std::string hex = "\\x";
    static const char digits[] = "0123456789abcdef";
    for (unsigned char b : state) {
      hex.push_back(digits[b >> 4]);
      hex.push_back(digits[b & 15]);
    }
    // Generations grow with the flow's lease: a run that held it before the
    // run whose state is here is refused, and its rows go with the ROLLBACK.
    const std::string state_table = quote_table(state_schema_, "_ingestd_state");
    auto saved = db_.exec_params("INSERT INTO " + state_table +
                                     " AS s (key, checkpoint, generation, run_id, saved_at) VALUES ($1, $2::bytea, "
                                     "$3::bigint, $4, now()) ON CONFLICT (key) DO UPDATE SET checkpoint = "
                                     "EXCLUDED.checkpoint, generation = EXCLUDED.generation, run_id = EXCLUDED.run_id, "
                                     "saved_at = EXCLUDED.saved_at WHERE s.generation < EXCLUDED.generation RETURNING 1",
                                 {key, hex, std::to_string(generation), run_id_});
    if (saved.rows() == 0) {
      auto newer = db_.exec_params("SELECT generation, run_id FROM " + state_table + " WHERE key = $1", {key});
      const std::string what = newer.rows() ? "generation " + newer.text(0, 0) + " of run " + newer.text(0, 1) : "newer state";
      db_.exec("ROLLBACK");
      in_transaction_ = false;
      throw kit::sql::stale_state_commit(key, generation, what);
    }
    db_.exec("COMMIT");
    in_transaction_ = false;
  }

  void close(bool complete) override {
    if (in_transaction_) {
      if (complete) {
        merge_staged();
        db_.exec("COMMIT");
      } else {
        db_.exec("ROLLBACK");
      }
      in_transaction_ = false;
    }
    if (load_ == INGESTD_LOAD_REPLACE) {
      if (complete) {
        // One transaction: readers see the old table or the new one.
        db_.exec("BEGIN");
        db_.exec("DROP TABLE IF EXISTS " + quote_table(schema_name_, table_));
        db_.exec("ALTER TABLE " + target() + " RENAME TO " + quote_ident(table_));
        db_.exec("COMMIT");
      } else {
        db_.exec("DROP TABLE IF EXISTS " + target());
      }
      return;
    }
    if (complete && delete_stale_) {
      // Delivered rows are known by key (unchanged ones keep their old run).
      create_seen();
      Result r = db_.exec(shape_->stale_rows_statement(kSeen, hard_delete_, "now()", db_.literal(run_id_)));
      int64_t n = std::atoll(PQcmdTuples(r.get()));
      if (n) host_.count(hard_delete_ ? "rows_deleted_stale" : "rows_marked_stale", n);
      kit::sql::count_changes(host_, 0, 0, n);
    }
  }

 private:
  std::string target() const { return quote_table(schema_name_, target_); }


  void begin() {
    if (in_transaction_) return;
    db_.exec("BEGIN");
    in_transaction_ = true;
  }

  // Columns of a table in this schema (format_type), in order.
  // The binary form of the batch's written columns for the table's types,
  // when every one has one (the table's columns are known by now).
  std::optional<CopyBinaryRows> binary_rows(const std::vector<const ColumnReader*>& columns) const {
    std::vector<ingestd::sdk::DataType> from;
    std::vector<std::string> to;
    const std::vector<std::string>& names = shape_->write_names();
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto it = std::find_if(existing_.begin(), existing_.end(), [&](const auto& c) { return c.first == names[i]; });
      if (it == existing_.end()) return std::nullopt;
      from.push_back(columns[i]->type());
      to.push_back(it->second);
    }
    return CopyBinaryRows::plan(from, to, names);
  }

  Columns columns_of(const std::string& table) {
    Result r = db_.exec_params(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = "
        "a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND "
        "a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        {schema_name_, table});
    Columns out;
    for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0), r.text(i, 1));
    return out;
  }

  void create(const Schema& schema) {
    // A replace starts from the columns the current table has.
    const Columns start = load_ == INGESTD_LOAD_REPLACE ? columns_of(table_) : Columns{};
    db_.exec(shape_->create_statement(start, schema, load_ == INGESTD_LOAD_MERGE, true));
  }

  // Applies schema_changes to new and wider columns; decides what is written.
  void reconcile(const Schema& schema) {
    ensure_metadata_columns();
    existing_ = columns_of(target_);
    shape_->reconcile(schema, existing_, [this](const std::string& ddl) { db_.exec(ddl); });
  }

  // A table made elsewhere (or by an older ingestd) gets the metadata columns
  // and their defaults; DDL only when something is missing.
  void ensure_metadata_columns() {
    Result r = db_.exec_params(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = "
        "a.attnum WHERE n.nspname = $1 AND c.relname = $2 AND a.attname LIKE '\\_ingestd\\_%' AND NOT a.attisdropped",
        {schema_name_, target_});
    std::map<std::string, std::string> have;
    for (int i = 0; i < r.rows(); ++i) have[r.text(i, 0)] = r.is_null(i, 1) ? "" : r.text(i, 1);
    std::vector<std::string> changes;
    auto want = [&](const char* name, const std::string& type, const std::string& def) {
      auto it = have.find(name);
      if (it == have.end()) changes.push_back("ADD COLUMN " + quote_ident(name) + " " + type + " DEFAULT " + def);
      else if (it->second.empty()) changes.push_back("ALTER COLUMN " + quote_ident(name) + " SET DEFAULT " + def);
    };
    want(INGESTD_COLUMN_SYNCED_AT, "timestamp with time zone", "now()");
    want(INGESTD_COLUMN_DELETED, "boolean NOT NULL", "false");
    want(INGESTD_COLUMN_RUN_ID, "text", kRunIdDefault);
    if (changes.empty()) return;
    std::string sql = "ALTER TABLE " + target() + " ";
    for (std::size_t i = 0; i < changes.size(); ++i) sql += (i ? ", " : "") + changes[i];
    db_.exec(sql);
  }

  void ensure_unique_key() {
    Result r = db_.exec_params(
        "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = $2 AND i.indisunique AND (SELECT array_agg(a.attname::text ORDER BY "
        "array_position(i.indkey::int2[], a.attnum)) FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = "
        "ANY(i.indkey)) = $3::text[]",
        {schema_name_, target_, "{" + join(key_, ",", false) + "}"});
    if (r.rows() > 0) return;
    try {
      db_.exec("CREATE UNIQUE INDEX IF NOT EXISTS " + quote_ident("_ingestd_key_" + target_) + " ON " + target() + " (" +
               join(key_, ", ") + ")");
    } catch (const Error& e) {
      throw shape_->no_unique_key(e.what());
    }
  }

  // delete_stale: the keys this run delivered, private to this session and
  // kept across its transactions.
  void create_seen() {
    db_.exec(std::string("CREATE TEMP TABLE IF NOT EXISTS ") + kSeen + " AS SELECT " + join(key_, ", ") + " FROM " +
             target() + " WITH NO DATA");
    db_.exec(std::string("CREATE UNIQUE INDEX IF NOT EXISTS ") + kSeen + "_key ON " + kSeen + " (" + join(key_, ", ") + ")");
  }

  // Columns of types without an equality operator (json, xml, geometry)
  // compare by their text.
  bool comparable_as_text(const std::string& column) const {
    for (const auto& [n, t] : existing_)
      if (n == column)
        return t == "json" || t == "xml" || t == "point" || t == "line" || t == "lseg" || t == "box" || t == "path" ||
               t == "polygon" || t == "circle";
    return false;
  }

  void create_stage() {
    db_.exec(std::string("CREATE TEMP TABLE IF NOT EXISTS ") + kStage + " (LIKE " + target() +
             " INCLUDING DEFAULTS, _ingestd_seq bigint) ON COMMIT DELETE ROWS");
    staged_ = true;
  }

  // Applies the staged rows: the latest version of each key wins; deletes
  // mark or remove the row.
  void merge_staged() {
    if (!staged_ || load_ != INGESTD_LOAD_MERGE) return;
    const std::vector<std::string>& write_names = shape_->write_names();
    const std::vector<std::string> names = kit::sql::with_metadata(write_names);
    std::string keys = join(key_, ", ");
    std::string latest = std::string("WITH latest AS (SELECT DISTINCT ON (") + keys + ") * FROM " + kStage +
                         " ORDER BY " + keys + ", _ingestd_seq DESC) ";
    std::string deleted = quote_ident(INGESTD_COLUMN_DELETED);
    std::string set;
    for (const auto& n : names) {
      bool is_key = false;
      for (const auto& k : key_) is_key = is_key || k == n;
      if (!is_key) set += (set.empty() ? "" : ", ") + quote_ident(n) + " = EXCLUDED." + quote_ident(n);
    }
    if (delete_stale_) {
      create_seen();
      db_.exec(latest + "INSERT INTO " + std::string(kSeen) + " SELECT " + keys + " FROM latest ON CONFLICT DO NOTHING");
    }
    // A row delivered again unchanged is left alone: an idle rerun rewrites
    // nothing, and _ingestd_synced_at/_ingestd_run_id tell when it changed.
    std::string mine, theirs;
    for (const auto& n : write_names) {
      if (std::find(key_.begin(), key_.end(), n) != key_.end()) continue;
      std::string cast = comparable_as_text(n) ? "::text" : "";
      mine += (mine.empty() ? "" : ", ") + ("t." + quote_ident(n) + cast);
      theirs += (theirs.empty() ? "" : ", ") + ("EXCLUDED." + quote_ident(n) + cast);
    }
    std::string changed = "t." + deleted + (mine.empty() ? "" : " OR ROW(" + mine + ") IS DISTINCT FROM ROW(" + theirs + ")");
    // A row inserted has no xmax yet; one updated by the upsert has.
    Result upserted = db_.exec(
        latest.substr(0, latest.size() - 1) + ", upserted AS (INSERT INTO " + target() + " AS t (" + join(names, ", ") +
        ") SELECT " + join(names, ", ") + " FROM latest WHERE NOT " + deleted + " ON CONFLICT (" + keys + ") DO " +
        (set.empty() ? "NOTHING" : "UPDATE SET " + set + " WHERE " + changed) +
        " RETURNING (xmax = 0) AS inserted) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT "
        "inserted) FROM upserted");
    kit::sql::count_changes(host_, std::atoll(upserted.text(0, 0).c_str()), std::atoll(upserted.text(0, 1).c_str()), 0);
    Result removed(nullptr);
    if (hard_delete_) {
      std::string match;
      for (const auto& k : key_) match += (match.empty() ? "" : " AND ") + ("t." + quote_ident(k) + " = l." + quote_ident(k));
      removed = db_.exec(latest + "DELETE FROM " + target() + " t USING latest l WHERE l." + deleted + " AND " + match);
    } else {
      const std::vector<std::string> soft = kit::sql::with_metadata(key_);
      removed = db_.exec(latest + "INSERT INTO " + target() + " AS t (" + join(soft, ", ") + ") SELECT " +
                         join(soft, ", ") + " FROM latest WHERE " + deleted + " ON CONFLICT (" + keys +
                         ") DO UPDATE SET " + deleted + " = true, " + quote_ident(INGESTD_COLUMN_SYNCED_AT) +
                         " = EXCLUDED." + quote_ident(INGESTD_COLUMN_SYNCED_AT) + ", " +
                         quote_ident(INGESTD_COLUMN_RUN_ID) + " = EXCLUDED." + quote_ident(INGESTD_COLUMN_RUN_ID) +
                         " WHERE NOT t." + deleted);
    }
    kit::sql::count_changes(host_, 0, 0, std::atoll(PQcmdTuples(removed.get())));
    db_.exec(std::string("TRUNCATE ") + kStage);
  }

  Connection db_;
  Host host_;
  std::string run_id_;
  uint32_t load_;
  std::vector<std::string> key_;
  std::string state_schema_;
  std::string schema_name_, table_, target_;
  SchemaChanges policy_ = SchemaChanges::Evolve;
  bool hard_delete_ = false, delete_stale_ = false;
  Columns existing_;
  std::optional<TableShape> shape_;
  bool in_transaction_ = false, staged_ = false;
  int64_t seq_ = 0;
  std::string out_, scratch_;
};

}  // namespace

std::unique_ptr<DestinationTable> open_destination_table(const DestinationSettings& settings, const TableRequest& request) {
  return std::make_unique<PgTable>(settings, request);
}

std::optional<StoredState> load_stored_state(const DestinationSettings& settings, const std::string& key) {
  Connection db(settings.connect);
  Result exists = db.exec_params("SELECT to_regclass($1) IS NOT NULL", {quote_table(settings.state_schema, "_ingestd_state")});
  if (exists.text(0, 0) != "t") return std::nullopt;
  // A transaction that writes this key's state (another process's, whose
  // COMMIT may still be on its way) finishes before the state is read.
  db.exec("BEGIN");
  take_state_lock(db, settings, key);
  Result r = db.exec_params("SELECT encode(checkpoint, 'hex'), generation FROM " +
                                quote_table(settings.state_schema, "_ingestd_state") + " WHERE key = $1",
                            {key});
  db.exec("COMMIT");
  if (r.rows() == 0) return std::nullopt;
  std::string hex = r.text(0, 0);
  StoredState s;
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) s.data.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  s.generation = std::atoll(r.text(0, 1).c_str());
  return s;
}

void clear_stored_state(const DestinationSettings& settings, const std::string& key) {
  Connection db(settings.connect);
  Result exists = db.exec_params("SELECT to_regclass($1) IS NOT NULL", {quote_table(settings.state_schema, "_ingestd_state")});
  if (exists.text(0, 0) != "t") return;
  db.exec_params("DELETE FROM " + quote_table(settings.state_schema, "_ingestd_state") + " WHERE key = $1", {key});
}

}  // namespace ingestd::plugins::postgres

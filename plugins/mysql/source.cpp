#include "source.hpp"

#include "binlog_stream.hpp"

#include <ingestd/kit/sql/name_filter.hpp>
#include <ingestd/sdk/evolving_batch.hpp>

namespace ingestd::plugins::mysql {

using namespace ingestd::sdk;

TableInfo describe_table(Connection& db, const std::string& database, const std::string& table) {
  TableInfo t{database, table, false, {}, {}};
  Rows kind = db.query("SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = " + db.literal(database) +
                       " AND TABLE_NAME = " + db.literal(table));
  while (kind.next()) t.view = kind.text(0) == "VIEW";
  Rows cols = db.query("SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, coalesce(NUMERIC_PRECISION, 0), "
                       "coalesce(NUMERIC_SCALE, 0) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
                       db.literal(database) + " AND TABLE_NAME = " + db.literal(table) + " ORDER BY ORDINAL_POSITION");
  while (cols.next())
    t.columns.push_back(source_column(cols.text(0), cols.text(1), cols.text(2), std::stoi(cols.text(3)),
                                      std::stoi(cols.text(4))));
  Rows pk = db.query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = " +
                     db.literal(database) + " AND TABLE_NAME = " + db.literal(table) +
                     " AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION");
  while (pk.next()) t.primary_key.push_back(pk.text(0));
  return t;
}

std::pair<std::string, std::string> split_stream(const std::string& stream, const std::string& default_database) {
  const auto dot = stream.find('.');
  if (dot == std::string::npos) return {default_database, stream};
  return {stream.substr(0, dot), stream.substr(dot + 1)};
}

namespace {

bool is_cursor_type(const DataType& t) {
  return t.is_integer() || t.id == TypeId::Date32 || t.id == TypeId::TimestampUs || t.id == TypeId::TimestampUsLocal ||
         t.id == TypeId::Decimal128 || t.id == TypeId::Float64;
}

class TableStream : public SourceStream {
 public:
  // `in_snapshot`: a connection already inside the consistent snapshot to read (a change stream's first copy).
  TableStream(const SourceSettings& settings, const StreamRequest& r, const Instance& owner,
              std::unique_ptr<Connection> in_snapshot)
      : in_snapshot_(in_snapshot != nullptr),
        conn_(in_snapshot_ ? std::move(in_snapshot)
                           : std::make_unique<Connection>(with_cancel(settings.connect, r.host, owner))),
        db_(*conn_), host_(r.host), owner_(owner), batch_rows_(r.batch_rows), zero_dates_(settings.zero_dates) {
    const auto [database, table] = split_stream(r.stream, settings.connect.database);
    // One consistent read of the table, however long it streams.
    if (!in_snapshot_) {
      db_.exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      db_.exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
    }
    t_ = describe_table(db_, database, table);
    if (t_.columns.empty()) throw config_error("no table or view " + r.stream);
    std::string select;
    Schema schema;
    for (const auto& c : t_.columns) {
      select += (select.empty() ? "" : ", ") + c.select;
      schema.fields.push_back({c.name, c.type, true});
    }
    std::vector<std::string> where;
    if (!r.settings.where.empty()) where.push_back("(" + r.settings.where + ")");
    incremental_ = r.extract_mode != INGESTD_EXTRACT_SNAPSHOT;
    // A change stream's first copy carries the flag its changes carry.
    if (r.extract_mode == INGESTD_EXTRACT_INCREMENTAL_UPDATES || in_snapshot_) {
      std::string flag = "false";
      if (!r.settings.deleted_column.empty() && !in_snapshot_) {
        const SourceColumn& d = column(r.settings.deleted_column, "deleted_column");
        flag = d.type.is_integer() || d.type.id == TypeId::Bool ? "coalesce(" + quote_ident(d.name) + ", 0) <> 0"
                                                                 : quote_ident(d.name) + " IS NOT NULL";
      }
      select += ", " + flag + " AS " + quote_ident(INGESTD_COLUMN_DELETED);
      schema.fields.push_back({INGESTD_COLUMN_DELETED, TypeId::Bool, false});
    }
    std::string order;
    if (incremental_) {
      if (r.cursor_field.empty())
        throw config_error("incremental extract modes need a cursor column (set cursor = \"...\" on the flow)");
      const SourceColumn& c = column(r.cursor_field, "cursor");
      cursor_index_ = index_of(c.name);
      std::vector<const SourceColumn*> order_by{&c};
      for (const auto& k : t_.primary_key)
        if (k != c.name) order_by.push_back(&column(k, "primary key"));
      for (std::size_t i = 1; i < order_by.size(); ++i) key_indexes_.push_back(index_of(order_by[i]->name));
      for (const auto* o : order_by) order += (order.empty() ? "" : ", ") + quote_ident(o->name);
      where.push_back(quote_ident(c.name) + " IS NOT NULL");
      const json::Value state = r.state ? json::Value::parse(*r.state) : json::Value();
      auto lit = [&](const json::Value& v) { return db_.literal(v.is_string() ? v.as_string() : v.dump()); };
      if (!state.is_null()) {
        if (r.settings.lookback_ms) {
          where.push_back(quote_ident(c.name) + " >= " + lit(state["cursor"]) + " - INTERVAL " +
                          std::to_string(*r.settings.lookback_ms * 1000) + " MICROSECOND");
        } else if (r.settings.lookback) {
          where.push_back(quote_ident(c.name) + " >= " + lit(state["cursor"]) + " - " + r.settings.lookback->dump());
        } else if (state["key"].is_array() && state["key"].as_array().size() + 1 == order_by.size()) {
          std::string lhs, rhs;
          for (std::size_t i = 0; i < order_by.size(); ++i) {
            lhs += (i ? ", " : "") + quote_ident(order_by[i]->name);
            rhs += (i ? ", " : "") + lit(i == 0 ? state["cursor"] : state["key"].as_array()[i - 1]);
          }
          where.push_back("(" + lhs + ") > (" + rhs + ")");
        } else {
          where.push_back(quote_ident(c.name) + " >= " + lit(state["cursor"]));
        }
      } else if (r.settings.start) {
        where.push_back(quote_ident(c.name) + " >= " + lit(*r.settings.start));
      }
    }
    std::string sql = "SELECT " + select + " FROM " + quote_table(t_.database, t_.table);
    for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
    if (!order.empty()) sql += " ORDER BY " + order;
    host_.debug("reading " + r.stream + ": " + sql);
    rows_.emplace(db_.query(sql));
    batch_ = std::make_unique<EvolvingBatch>(std::move(schema));
  }

  Schema schema() override { return batch_->schema(); }

  bool next(Batch& out) override {
    for (;;) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      if (!pending_) {
        if (done_ || !rows_->next()) {
          done_ = true;
          return finish(out);
        }
      }
      pending_ = false;
      if (!append_row()) {
        pending_ = true;
        if (finish(out)) return true;
        continue;
      }
      if (batch_->rows().rows() >= batch_rows_ && finish(out)) return true;
    }
  }

 private:
  static ConnectOptions with_cancel(ConnectOptions o, Host host, const Instance& owner) {
    o.cancelled = [host, &owner] { return owner.cancelled() || host.cancelled(); };
    return o;
  }

  int index_of(const std::string& name) const {
    for (std::size_t i = 0; i < t_.columns.size(); ++i)
      if (t_.columns[i].name == name) return static_cast<int>(i);
    return -1;
  }

  const SourceColumn& column(const std::string& name, const char* what) const {
    const int i = index_of(name);
    if (i >= 0) return t_.columns[static_cast<std::size_t>(i)];
    std::string all;
    for (const auto& c : t_.columns) all += (all.empty() ? "" : ", ") + c.name;
    throw config_error(std::string(what) + " '" + name + "' is not a column of " + t_.database + "." + t_.table +
                       " (columns: " + all + ")");
  }

  // Appends the current row; false when a value needs a wider column first.
  bool append_row() {
    BatchBuilder& rows = batch_->rows();
    const int64_t row = rows.rows();
    const unsigned n = rows_->columns();
    for (unsigned i = 0; i < n; ++i) {
      ColumnBuilder& col = rows.column(i);
      if (rows_->is_null(i)) {
        col.append_null();
        continue;
      }
      if (append_mysql_value(col, rows_->value(i), zero_dates_, batch_->schema()[i].name)) continue;
      rows.truncate(row);
      host_.debug("column '" + batch_->schema()[i].name + "': '" + std::string(rows_->value(i)) +
                  "' does not fit; the column is read as text from here on");
      batch_->widen(i, TypeId::Utf8);
      return false;
    }
    if (incremental_) {
      last_cursor_ = rows_->text(static_cast<unsigned>(cursor_index_));
      last_key_.clear();
      for (int k : key_indexes_) last_key_.push_back(rows_->text(static_cast<unsigned>(k)));
    }
    return true;
  }

  bool finish(Batch& out) {
    if (!batch_->finish(out)) return false;
    if (incremental_) {
      json::Object cp;
      cp.set("cursor", json::Value(last_cursor_));
      json::Array key;
      for (const auto& k : last_key_) key.push_back(json::Value(k));
      cp.set("key", json::Value(std::move(key)));
      out.checkpoint = json::Value(std::move(cp)).dump();
    }
    return true;
  }

  const bool in_snapshot_;
  std::unique_ptr<Connection> conn_;
  Connection& db_;
  Host host_;
  const Instance& owner_;
  int64_t batch_rows_;
  ZeroDates zero_dates_;
  TableInfo t_;
  std::optional<Rows> rows_;
  std::unique_ptr<EvolvingBatch> batch_;
  bool incremental_ = false;
  int cursor_index_ = -1;
  std::vector<int> key_indexes_;
  std::string last_cursor_;
  std::vector<std::string> last_key_;
  bool pending_ = false, done_ = false;
};

}  // namespace

std::vector<StreamInfo> discover_streams(Connection& db, const SourceSettings& s) {
  std::string where = "TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')";
  if (s.databases.empty() && !s.connect.database.empty()) where += " AND TABLE_SCHEMA = " + db.literal(s.connect.database);
  std::vector<std::pair<std::string, std::string>> names;
  {
    Rows r = db.query("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE " + where +
                      " AND TABLE_NAME NOT LIKE '\\\\_ingestd\\\\_%' ORDER BY 1, 2");
    while (r.next()) names.emplace_back(r.text(0), r.text(1));
  }
  std::vector<StreamInfo> out;
  for (const auto& [database, table] : names) {
    if (!kit::sql::name_selected(s.databases, {database}) ||
        !kit::sql::name_selected(s.tables, {table, database + "." + table}))
      continue;
    TableInfo t = describe_table(db, database, table);
    StreamInfo si;
    si.name = database + "." + table;
    for (const auto& c : t.columns) {
      si.schema.fields.push_back({c.name, c.type, true});
      if (is_cursor_type(c.type)) si.cursor_candidates.push_back(c.name);
    }
    si.primary_key = t.primary_key;
    if (s.capture == Capture::Binlog) {
      // Changes from the log: no cursor, and no end by itself under serve.
      if (t.view) continue;
      si.continuous = true;
      si.cursor_candidates.clear();
      si.extract_modes = INGESTD_EXTRACT_INCREMENTAL_UPDATES;
    } else {
      si.cursor_required = true;
    }
    out.push_back(std::move(si));
  }
  return out;
}

std::unique_ptr<SourceStream> open_source_stream(const SourceSettings& settings, const StreamRequest& request,
                                                 const Instance& owner) {
  if (settings.capture == Capture::Binlog) return open_binlog_stream(settings, request, owner);
  return std::make_unique<TableStream>(settings, request, owner, nullptr);
}

std::unique_ptr<SourceStream> open_change_snapshot(const SourceSettings& settings, const StreamRequest& request,
                                                   const Instance& owner, std::unique_ptr<Connection> in_snapshot) {
  return std::make_unique<TableStream>(settings, request, owner, std::move(in_snapshot));
}

}  // namespace ingestd::plugins::mysql

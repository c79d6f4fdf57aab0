#include "source.hpp"

#include "copy_text.hpp"
#include "logical_stream.hpp"
#include "partitioned_copy.hpp"
#include "table_info.hpp"
#include "types.hpp"

#include <ingestd/kit/sql/name_filter.hpp>
#include <ingestd/sdk/evolving_batch.hpp>
#include <ingestd/sdk/values.hpp>

#include <algorithm>
#include <charconv>

namespace ingestd::plugins::postgres {

using namespace ingestd::sdk;
namespace json = ingestd::json;

namespace {

bool is_cursor_type(const DataType& t) {
  return t.is_integer() || t.id == TypeId::Date32 || t.id == TypeId::TimestampUs || t.id == TypeId::TimestampUsLocal ||
         t.id == TypeId::Decimal128 || t.id == TypeId::Float64;
}

class TableStream : public SourceStream {
 public:
  // `change_snapshot`: the first copy of a change-data-capture stream:
  // every column in PostgreSQL's own text form (as the change stream sends
  // it) and a false _ingestd_deleted column.
  TableStream(const SourceSettings& settings, const StreamRequest& r, const Instance& owner, const std::string& snapshot,
              bool change_snapshot = false)
      : db_(with_cancel(settings.connect, [host = r.host, &owner] { return owner.cancelled() || host.cancelled(); })),
        host_(r.host), owner_(owner), batch_rows_(r.batch_rows) {
    auto [schema, table] = split_stream(r.stream);
    db_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (!snapshot.empty()) db_.exec("SET TRANSACTION SNAPSHOT " + db_.literal(snapshot));
    TableInfo t = describe(db_, schema, table);
    if (t.columns.empty()) throw config_error("no table or view " + r.stream);
    std::string select;
    Schema stream_schema;
    for (auto& c : t.columns) {
      if (change_snapshot) c.select = quote_ident(c.name);
      select += (select.empty() ? "" : ", ") + c.select;
      stream_schema.fields.push_back({c.name, c.type, true});
    }
    if (change_snapshot) {
      select += ", false AS " + quote_ident(INGESTD_COLUMN_DELETED);
      stream_schema.fields.push_back({INGESTD_COLUMN_DELETED, TypeId::Bool, false});
    }
    std::vector<std::string> where;
    if (!r.settings.where.empty()) where.push_back("(" + r.settings.where + ")");
    incremental_ = r.extract_mode != INGESTD_EXTRACT_SNAPSHOT;
    if (r.extract_mode == INGESTD_EXTRACT_INCREMENTAL_UPDATES) {
      std::string flag = "false";
      if (!r.settings.deleted_column.empty()) {
        const SourceColumn& d = column(t, r.settings.deleted_column, "deleted_column");
        // A boolean flag, or any column that is set when the row is deleted (deleted_at).
        flag = d.type.id == TypeId::Bool ? "coalesce(" + quote_ident(d.name) + ", false)"
                                        : quote_ident(d.name) + " IS NOT NULL";
      }
      select += ", " + flag + " AS " + quote_ident(INGESTD_COLUMN_DELETED);
      stream_schema.fields.push_back({INGESTD_COLUMN_DELETED, TypeId::Bool, false});
    }
    std::string order;
    if (incremental_) {
      if (r.cursor_field.empty())
        throw config_error("incremental extract modes need a cursor column (set cursor = \"...\" on the flow)");
      const SourceColumn& c = column(t, r.cursor_field, "cursor");
      cursor_index_ = index_of(t, c.name);
      // Rows sharing a cursor value are ordered by the key, so a resume lands
      // exactly after the last row read.
      std::vector<const SourceColumn*> order_by{&c};
      for (const auto& k : t.primary_key)
        if (k != c.name) order_by.push_back(&column(t, k, "primary key"));
      for (std::size_t i = 1; i < order_by.size(); ++i) key_indexes_.push_back(index_of(t, order_by[i]->name));
      for (const auto* o : order_by) order += (order.empty() ? "" : ", ") + quote_ident(o->name);
      where.push_back(quote_ident(c.name) + " IS NOT NULL");
      json::Value state = r.state ? parse_state(*r.state) : json::Value();
      auto lit = [&](const json::Value& v, const SourceColumn& col) {
        return db_.literal(v.is_string() ? v.as_string() : v.dump()) + "::" + col.pg_type;
      };
      if (!state.is_null()) {
        if (r.settings.lookback || r.settings.lookback_ms) {
          std::string back = r.settings.lookback_ms
                                 ? "interval '" + std::to_string(*r.settings.lookback_ms) + " milliseconds'"
                                 : r.settings.lookback->dump();
          where.push_back(quote_ident(c.name) + " >= " + lit(state["cursor"], c) + " - " + back);
        } else if (state["key"].is_array() && state["key"].as_array().size() + 1 == order_by.size()) {
          std::string lhs, rhs;
          for (std::size_t i = 0; i < order_by.size(); ++i) {
            lhs += (i ? ", " : "") + quote_ident(order_by[i]->name);
            rhs += (i ? ", " : "") + lit(i == 0 ? state["cursor"] : state["key"].as_array()[i - 1], *order_by[i]);
          }
          where.push_back("(" + lhs + ") > (" + rhs + ")");
        } else {
          // No key to break ties: rows at the last cursor value come again.
          where.push_back(quote_ident(c.name) + " >= " + lit(state["cursor"], c));
        }
      } else if (r.settings.start) {
        where.push_back(quote_ident(c.name) + " >= " + lit(*r.settings.start, c));
      }
    }
    std::string sql = "SELECT " + select + " FROM " + quote_table(schema, table);
    for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
    if (!order.empty()) sql += " ORDER BY " + order;
    // A whole plain table is read fastest by COPY of the table itself.
    bool plain = t.kind == 'r' && where.empty() && order.empty() && r.extract_mode == INGESTD_EXTRACT_SNAPSHOT &&
                 !change_snapshot;
    std::string columns;
    for (const auto& c : t.columns) {
      plain = plain && c.select == quote_ident(c.name);
      columns += (columns.empty() ? "" : ", ") + quote_ident(c.name);
    }
    std::string copy = plain ? "COPY " + quote_table(schema, table) + " (" + columns + ") TO STDOUT"
                             : "COPY (" + sql + ") TO STDOUT";
    batch_ = std::make_unique<EvolvingBatch>(std::move(stream_schema));
    const int partitions = settings.partitions > 1 && t.kind == 'r' && !incremental_ && !change_snapshot
                               ? partitions_for(schema, table, settings.partitions)
                               : 1;
    if (partitions > 1) {
      // Every range in this transaction's snapshot (or the run's shared one).
      const std::string shared = snapshot.empty() ? db_.exec("SELECT pg_export_snapshot()").text(0, 0) : snapshot;
      std::vector<std::string> copies;
      const std::string base = "SELECT " + select + " FROM " + quote_table(schema, table) + " WHERE ";
      std::string filter;
      for (const auto& w : where) filter += w + " AND ";
      for (const auto& range : PartitionedCopy::page_ranges(pages_, partitions))
        copies.push_back("COPY (" + base + filter + range + ") TO STDOUT");
      host_.debug("reading " + r.stream + " in " + std::to_string(partitions) + " page ranges at once: " +
                  copies.front() + " ...");
      partitioned_ = std::make_unique<PartitionedCopy>(
          settings.connect, [host = r.host, &owner] { return owner.cancelled() || host.cancelled(); }, shared, copies);
      return;
    }
    host_.debug("reading " + r.stream + ": " + copy);
    db_.copy_out_start(copy);
  }

  Schema schema() override { return batch_->schema(); }

  bool next(Batch& out) override {
    for (;;) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      if (!pending_) {
        std::string_view row;
        if (done_ || !(partitioned_ ? partitioned_->next(row) : db_.copy_out_row(row))) {
          done_ = true;
          return finish(out);
        }
        split_copy_row(row, fields_, scratch_);
        if (fields_.size() != batch_->schema().size())
          throw data_error("COPY row has " + std::to_string(fields_.size()) + " fields, expected " +
                           std::to_string(batch_->schema().size()));
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
  // How many page ranges to read the table in: at most `wanted`, each of
  // at least kMinPartitionPages (a small table is not worth the connections).
  int partitions_for(const std::string& schema, const std::string& table, int wanted) {
    static constexpr int64_t kMinPartitionPages = 1024;  // 8 MiB of 8 KiB pages
    pages_ = db_.exec("SELECT pg_relation_size(" + db_.literal(quote_table(schema, table)) +
                      "::regclass) / current_setting('block_size')::bigint")
                 .integer(0, 0);
    return static_cast<int>(std::clamp<int64_t>(pages_ / kMinPartitionPages, 1, wanted));
  }

  static json::Value parse_state(const std::string& text) {
    try {
      return json::Value::parse(text);
    } catch (const std::exception& e) {
      throw Error(INGESTD_ERROR_INVALID_ARGUMENT, std::string("stored state is not JSON: ") + e.what());
    }
  }

  static int index_of(const TableInfo& t, const std::string& name) {
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i].name == name) return static_cast<int>(i);
    return -1;
  }

  static const SourceColumn& column(const TableInfo& t, const std::string& name, const char* what) {
    int i = index_of(t, name);
    if (i >= 0) return t.columns[static_cast<std::size_t>(i)];
    std::string all;
    for (const auto& c : t.columns) all += (all.empty() ? "" : ", ") + c.name;
    throw config_error(std::string(what) + " '" + name + "' is not a column of " + t.schema + "." + t.table +
                       " (columns: " + all + ")");
  }

  // Appends the current row; false when a value needs a wider column first.
  bool append_row() {
    BatchBuilder& rows = batch_->rows();
    const int64_t row = rows.rows();
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      ColumnBuilder& col = rows.column(i);
      if (fields_[i].null) {
        col.append_null();
        continue;
      }
      if (append_text_value(col, fields_[i].text)) continue;
      // NaN numerics, infinite or BC dates...: keep PostgreSQL's own text.
      rows.truncate(row);
      const Field& f = batch_->schema()[i];
      host_.debug("column '" + f.name + "': '" + std::string(fields_[i].text) + "' is not a " + f.type.name() +
                  "; the column is read as text from here on");
      batch_->widen(i, TypeId::Utf8);
      return false;
    }
    if (incremental_) {
      last_cursor_ = std::string(fields_[static_cast<std::size_t>(cursor_index_)].text);
      last_key_.clear();
      for (int k : key_indexes_) last_key_.emplace_back(fields_[static_cast<std::size_t>(k)].text);
    }
    return true;
  }

  bool finish(Batch& out) {
    if (!batch_->finish(out)) return false;
    if (incremental_) {
      json::Object cp;
      cp.set("cursor", last_cursor_);
      json::Array key;
      for (const auto& k : last_key_) key.push_back(json::Value(k));
      cp.set("key", json::Value(std::move(key)));
      out.checkpoint = json::Value(std::move(cp)).dump();
    }
    return true;
  }

  Connection db_;
  Host host_;
  const Instance& owner_;
  int64_t batch_rows_;
  std::unique_ptr<EvolvingBatch> batch_;
  std::vector<CopyField> fields_;
  std::string scratch_;
  bool incremental_ = false;
  int cursor_index_ = -1;
  std::vector<int> key_indexes_;
  std::string last_cursor_;
  std::vector<std::string> last_key_;
  bool pending_ = false, done_ = false;
  int64_t pages_ = 0;
  std::unique_ptr<PartitionedCopy> partitioned_;  // set when read in page ranges
};

}  // namespace

std::vector<StreamInfo> discover_streams(Connection& db, const SourceSettings& s) {
  Result rels = db.exec(
      "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
      "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' AND c.relname NOT LIKE '\\_ingestd\\_%' "
      "AND NOT c.relispartition ORDER BY 1, 2");
  std::vector<StreamInfo> out;
  for (int i = 0; i < rels.rows(); ++i) {
    std::string schema = rels.text(i, 0), table = rels.text(i, 1);
    if (!kit::sql::name_selected(s.schemas, {schema}) ||
        !kit::sql::name_selected(s.tables, {table, schema + "." + table}))
      continue;
    TableInfo t = describe(db, schema, table);
    StreamInfo si;
    si.name = schema + "." + table;
    for (const auto& c : t.columns) {
      si.schema.fields.push_back({c.name, c.type, true});
      if (is_cursor_type(c.type)) si.cursor_candidates.push_back(c.name);
    }
    si.primary_key = t.primary_key;
    if (s.capture == Capture::Logical) {
      // Changes, from a slot: no cursor, and no end by itself under serve.
      if (t.kind != 'r' && t.kind != 'p') continue;
      si.cursor_candidates.clear();
      si.extract_modes = INGESTD_EXTRACT_INCREMENTAL_UPDATES;
      si.continuous = true;
    } else {
      si.cursor_required = true;
    }
    out.push_back(std::move(si));
  }
  return out;
}

std::unique_ptr<SourceStream> open_source_stream(const SourceSettings& settings, const StreamRequest& request,
                                                 const Instance& owner, const std::string& snapshot) {
  if (settings.capture == Capture::Logical) return open_logical_stream(settings, request, owner);
  return std::make_unique<TableStream>(settings, request, owner, snapshot);
}

std::unique_ptr<SourceStream> open_change_snapshot(const SourceSettings& settings, const StreamRequest& request,
                                                   const Instance& owner, const std::string& snapshot) {
  return std::make_unique<TableStream>(settings, request, owner, snapshot, true);
}

}  // namespace ingestd::plugins::postgres

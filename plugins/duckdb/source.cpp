#include "source.hpp"

#include "types.hpp"

#include <ingestd/sdk/json.hpp>
#include <ingestd/sdk/reader.hpp>
#include <ingestd/sdk/values.hpp>

#include <ingestd/kit/sql/name_filter.hpp>

namespace ingestd::plugins::duck {

using namespace ingestd::sdk;
namespace json = ingestd::json;

namespace {

const char* kRowid = "_ingestd_rowid";

// Reads one relation, page by page for a table.
class RelationStream : public SourceStream {
 public:
  RelationStream(std::shared_ptr<Database> db, Relation rel, const StreamRequest& r)
      : conn_(std::move(db)), rel_(std::move(rel)), host_(r.host), page_rows_(std::max<int64_t>(r.batch_rows, 2048)) {
    duckdb_connection_get_arrow_options(conn_.handle(), &arrow_options_);
    incremental_ = r.extract_mode != INGESTD_EXTRACT_SNAPSHOT;
    for (const auto& [name, type] : rel_.columns) {
      select_ += (select_.empty() ? "" : ", ") + select_expression(quote(name), type);
      schema_.fields.push_back({name, type_of(type), true});
    }
    if (incremental_) {
      if (r.cursor_field.empty())
        throw config_error("incremental extract modes need a cursor column (set cursor = \"...\" on the flow)");
      cursor_ = column_index(r.cursor_field, "cursor");
      cursor_type_ = rel_.columns[static_cast<std::size_t>(cursor_)].second;
      if (r.settings.lookback || r.settings.lookback_ms)
        throw config_error("the duckdb source has no lookback; a cursor read resumes after the last row read");
      if (r.extract_mode == INGESTD_EXTRACT_INCREMENTAL_UPDATES) {
        std::string deleted = "false";
        if (!r.settings.deleted_column.empty()) {
          column_index(r.settings.deleted_column, "deleted_column");
          deleted = "coalesce(CAST(" + quote(r.settings.deleted_column) + " AS BOOLEAN), false)";
        }
        select_ += ", " + deleted + " AS " + quote(INGESTD_COLUMN_DELETED);
        schema_.fields.push_back({INGESTD_COLUMN_DELETED, TypeId::Bool, false});
      }
      if (r.state) {
        json::Value state = json::Value::parse(*r.state);
        last_cursor_ = state["cursor"];
        if (state["rowid"].is_int()) last_rowid_ = state["rowid"].as_int();
      } else if (r.settings.start) {
        start_ = *r.settings.start;
      }
    }
    if (select_.empty()) select_ = "NULL";
    where_ = r.settings.where;
  }

  ~RelationStream() override {
    if (arrow_options_) duckdb_destroy_arrow_options(&arrow_options_);
  }

  Schema schema() override { return schema_; }

  bool next(Batch& out) override {
    for (;;) {
      if (host_.cancelled()) throw cancelled_error();
      if (!chunk_source_) {
        if (done_) return false;
        run_page();
        continue;
      }
      duckdb_data_chunk chunk = duckdb_fetch_chunk(*page_.raw());
      if (!chunk || duckdb_data_chunk_get_size(chunk) == 0) {
        if (chunk) duckdb_destroy_data_chunk(&chunk);
        chunk_source_ = false;
        // A short page was the last; a view is read in one page.
        if (page_read_ < page_rows_ || !rel_.has_rowid) done_ = true;
        if (pending_checkpoint_) {
          // The page ended after a batch went out: its checkpoint rides on an empty batch.
          emit_empty(out);
          return true;
        }
        continue;
      }
      emit(chunk, out);
      return true;
    }
  }

 private:
  int column_index(const std::string& name, const char* what) const {
    for (std::size_t i = 0; i < rel_.columns.size(); ++i)
      if (rel_.columns[i].first == name) return static_cast<int>(i);
    std::string all;
    for (const auto& c : rel_.columns) all += (all.empty() ? "" : ", ") + c.first;
    throw config_error(std::string(what) + " '" + name + "' is not a column of " + rel_.stream + " (columns: " + all + ")");
  }

  std::string cursor_value(const json::Value& v) const {
    std::string text = v.is_string() ? v.as_string() : v.dump();
    return "CAST(" + literal(text) + " AS " + cursor_type_ + ")";
  }

  void run_page() {
    std::string sql = "SELECT " + select_ + (rel_.has_rowid ? std::string(", rowid AS ") + kRowid : "") + " FROM " +
                      rel_.from;
    std::vector<std::string> conditions;
    if (!where_.empty()) conditions.push_back("(" + where_ + ")");
    std::string order;
    if (incremental_) {
      const std::string c = quote(rel_.columns[static_cast<std::size_t>(cursor_)].first);
      conditions.push_back(c + " IS NOT NULL");
      if (!last_cursor_.is_null()) {
        if (rel_.has_rowid)
          conditions.push_back("(" + c + " > " + cursor_value(last_cursor_) + " OR (" + c + " = " +
                               cursor_value(last_cursor_) + " AND rowid > " + std::to_string(last_rowid_) + "))");
        else
          conditions.push_back(c + " >= " + cursor_value(last_cursor_));  // rows at the last value come again
      } else if (!start_.is_null()) {
        conditions.push_back(c + " >= " + cursor_value(start_));
      }
      order = " ORDER BY " + c + (rel_.has_rowid ? ", rowid" : "");
    } else if (rel_.has_rowid) {
      if (last_rowid_ >= 0) conditions.push_back("rowid > " + std::to_string(last_rowid_));
      order = " ORDER BY rowid";
    }
    for (std::size_t i = 0; i < conditions.size(); ++i) sql += (i ? " AND " : " WHERE ") + conditions[i];
    sql += order;
    if (rel_.has_rowid) sql += " LIMIT " + std::to_string(page_rows_);
    host_.debug("reading " + rel_.stream + ": " + sql);
    page_ = conn_.query(sql);
    page_read_ = 0;
    chunk_source_ = true;
  }

  // The chunk as an Arrow batch, without the rowid column.
  void emit(duckdb_data_chunk chunk, Batch& out) {
    const idx_t n = duckdb_data_chunk_get_size(chunk);
    const idx_t columns = schema_.size();
    if (rel_.has_rowid) {
      const auto* rowids =
          static_cast<const int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, columns)));
      last_rowid_ = rowids[n - 1];
    }
    std::vector<duckdb_logical_type> types;
    for (idx_t i = 0; i < columns; ++i)
      types.push_back(duckdb_vector_get_column_type(duckdb_data_chunk_get_vector(chunk, i)));
    duckdb_data_chunk data = duckdb_create_data_chunk(types.data(), columns);
    for (auto& t : types) duckdb_destroy_logical_type(&t);
    for (idx_t i = 0; i < columns; ++i)
      duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(data, i), duckdb_data_chunk_get_vector(chunk, i));
    duckdb_data_chunk_set_size(data, n);
    ArrowArray array;
    duckdb_error_data e = duckdb_data_chunk_to_arrow(arrow_options_, data, &array);
    duckdb_destroy_data_chunk(&data);
    duckdb_destroy_data_chunk(&chunk);
    check(e, "reading " + rel_.stream);
    out.array = OwnedArray(&array);
    page_read_ += static_cast<int64_t>(n);
    if (incremental_) {
      const BatchReader reader(*out.array.get(), schema_);
      const ColumnReader& c = reader.column(static_cast<std::size_t>(cursor_));
      const int64_t last = reader.rows() - 1;
      if (c.type().is_integer()) {
        last_cursor_ = json::Value(c.int_value(last));
      } else {
        std::string text;
        append_text(c, last, text);
        last_cursor_ = json::Value(text);
      }
      json::Object cp;
      cp.set("cursor", last_cursor_);
      if (rel_.has_rowid) cp.set("rowid", last_rowid_);
      // Checkpoints at page ends keep commits few; rows between them are
      // read again after a crash, never skipped.
      if (page_read_ >= page_rows_) out.checkpoint = json::Value(std::move(cp)).dump();
      else pending_checkpoint_ = json::Value(std::move(cp)).dump();
      if (out.checkpoint) pending_checkpoint_.reset();
    }
  }

  void emit_empty(Batch& out) {
    BatchBuilder empty(schema_);
    ArrowArray array;
    empty.finish(&array);
    out.array = OwnedArray(&array);
    out.checkpoint = std::move(pending_checkpoint_);
    pending_checkpoint_.reset();
  }

  Connection conn_;
  Relation rel_;
  Host host_;
  int64_t page_rows_;
  duckdb_arrow_options arrow_options_ = nullptr;
  Schema schema_;
  std::string select_, where_, cursor_type_;
  bool incremental_ = false, chunk_source_ = false, done_ = false;
  int cursor_ = -1;
  json::Value last_cursor_, start_;
  int64_t last_rowid_ = -1, page_read_ = 0;
  Result page_;
  std::optional<std::string> pending_checkpoint_;
};

}  // namespace

std::vector<Relation> list_relations(Connection& c, const std::vector<std::string>& include) {
  Result list = c.query(
      "SELECT schema_name, table_name, true FROM duckdb_tables() WHERE database_name = current_database() AND NOT "
      "internal UNION ALL SELECT schema_name, view_name, false FROM duckdb_views() WHERE database_name = "
      "current_database() AND NOT internal ORDER BY 1, 2");
  std::vector<Relation> out;
  for (int64_t i = 0; i < list.rows(); ++i) {
    const std::string schema = list.text(0, i), name = list.text(1, i);
    if (name.rfind("_ingestd_", 0) == 0) continue;
    Relation r;
    r.stream = schema == "main" ? name : schema + "." + name;
    if (!kit::sql::name_selected(include, {r.stream, schema + "." + name})) continue;
    r.from = quote(schema) + "." + quote(name);
    r.has_rowid = list.text(2, i) == "true";
    Result cols = c.query("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
                          "current_database() AND schema_name = " + literal(schema) + " AND table_name = " +
                          literal(name) + " ORDER BY column_index");
    for (int64_t k = 0; k < cols.rows(); ++k) r.columns.emplace_back(cols.text(0, k), cols.text(1, k));
    Result pk = c.query("SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE database_name = "
                        "current_database() AND schema_name = " + literal(schema) + " AND table_name = " +
                        literal(name) + " AND constraint_type = 'PRIMARY KEY'");
    for (int64_t k = 0; k < pk.rows(); ++k) r.primary_key.push_back(pk.text(0, k));
    out.push_back(std::move(r));
  }
  return out;
}

StreamInfo stream_info(const Relation& r) {
  StreamInfo s;
  s.name = r.stream;
  for (const auto& [name, declared] : r.columns) {
    DataType type = type_of(declared);
    s.schema.fields.push_back({name, type, true});
    if (type.is_integer() || type.id == TypeId::Float64 || type.id == TypeId::TimestampUs ||
        type.id == TypeId::TimestampUsLocal || type.id == TypeId::Date32 || type.id == TypeId::Decimal128)
      s.cursor_candidates.push_back(name);
  }
  s.primary_key = r.primary_key;
  s.cursor_required = true;
  return s;
}

std::unique_ptr<SourceStream> open_relation_stream(std::shared_ptr<Database> db, Relation relation,
                                                  const StreamRequest& request) {
  return std::make_unique<RelationStream>(std::move(db), std::move(relation), request);
}

}  // namespace ingestd::plugins::duck

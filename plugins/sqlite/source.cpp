#include "source.hpp"

#include "db.hpp"
#include "types.hpp"

#include <ingestd/sdk/evolving_batch.hpp>
#include <ingestd/sdk/values.hpp>

#include <charconv>
#include <fnmatch.h>

namespace ingestd::plugins::sqlite {

using namespace ingestd::sdk;
namespace json = ingestd::json;

namespace {

struct TableInfo {
  std::string name;
  bool is_view = false;
  bool has_rowid = false;
  std::vector<std::string> columns;
  std::vector<std::string> declared;
  std::vector<std::string> primary_key;
};

TableInfo describe_table(const Db& db, const std::string& name) {
  TableInfo t;
  t.name = name;
  {
    Stmt kind(db, "SELECT type FROM sqlite_schema WHERE name = ?1 AND type IN ('table', 'view')");
    kind.bind_text(1, name);
    if (!kind.step()) throw config_error("no table or view '" + name + "' in " + db.path());
    t.is_view = kind.text(0) == "view";
  }
  std::vector<std::pair<int64_t, std::string>> pk;
  Stmt info(db, "SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid");
  info.bind_text(1, name);
  while (info.step()) {
    t.columns.push_back(info.text(0));
    t.declared.push_back(info.text(1));
    if (info.integer(2) > 0) pk.emplace_back(info.integer(2), info.text(0));
  }
  std::sort(pk.begin(), pk.end());
  for (auto& [order, column] : pk) t.primary_key.push_back(column);
  if (!t.is_view) {
    // WITHOUT ROWID tables have no rowid to break cursor ties with.
    Stmt wr(db, "SELECT sql FROM sqlite_schema WHERE name = ?1");
    wr.bind_text(1, name);
    std::string sql = wr.step() ? wr.text(0) : "";
    for (char& c : sql) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    t.has_rowid = sql.find("WITHOUT ROWID") == std::string::npos;
  }
  return t;
}

bool included(const std::string& name, const std::vector<std::string>& include) {
  if (include.empty()) return true;
  for (const auto& pattern : include)
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

// The shape of one value as SQLite stores it.
DataType natural_type(int storage) {
  switch (storage) {
    case SQLITE_INTEGER: return TypeId::Int64;
    case SQLITE_FLOAT: return TypeId::Float64;
    case SQLITE_BLOB: return TypeId::Binary;
    default: return TypeId::Utf8;
  }
}

std::string_view column_text(sqlite3_stmt* st, int i) {
  const char* t = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
  return t ? std::string_view(t, static_cast<std::size_t>(sqlite3_column_bytes(st, i))) : std::string_view();
}

bool truthy(sqlite3_stmt* st, int i) {
  switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL: return false;
    case SQLITE_INTEGER: return sqlite3_column_int64(st, i) != 0;
    case SQLITE_FLOAT: return sqlite3_column_double(st, i) != 0;
    default: {
      std::string_view t = column_text(st, i);
      return t == "1" || t == "true" || t == "TRUE" || t == "True" || t == "t" || t == "yes" || t == "y";
    }
  }
}

// Appends column i of the current row; false (nothing appended) when the
// value does not fit the column's type.
bool append_value(ColumnBuilder& col, sqlite3_stmt* st, int i) {
  const int storage = sqlite3_column_type(st, i);
  if (storage == SQLITE_NULL) {
    col.append_null();
    return true;
  }
  switch (col.type().id) {
    case TypeId::Int64: {
      if (storage == SQLITE_INTEGER) {
        col.append_int(sqlite3_column_int64(st, i));
        return true;
      }
      if (storage != SQLITE_TEXT) return false;
      std::string_view t = column_text(st, i);
      int64_t v;
      auto r = std::from_chars(t.data(), t.data() + t.size(), v);
      if (r.ec != std::errc() || r.ptr != t.data() + t.size() || t.empty()) return false;
      col.append_int(v);
      return true;
    }
    case TypeId::Float64: {
      if (storage == SQLITE_INTEGER || storage == SQLITE_FLOAT) {
        col.append_double(sqlite3_column_double(st, i));
        return true;
      }
      if (storage != SQLITE_TEXT) return false;
      std::string_view t = column_text(st, i);
      double v;
      auto r = std::from_chars(t.data(), t.data() + t.size(), v);
      if (r.ec != std::errc() || r.ptr != t.data() + t.size() || t.empty()) return false;
      col.append_double(v);
      return true;
    }
    case TypeId::Bool: {
      if (storage == SQLITE_INTEGER) {
        int64_t v = sqlite3_column_int64(st, i);
        if (v != 0 && v != 1) return false;
        col.append_bool(v == 1);
        return true;
      }
      std::string_view t = column_text(st, i);
      if (t == "true" || t == "false" || t == "TRUE" || t == "FALSE") {
        col.append_bool(t[0] == 't' || t[0] == 'T');
        return true;
      }
      return false;
    }
    case TypeId::TimestampUs: {
      if (storage != SQLITE_TEXT) return false;
      int64_t micros;
      // Zone-less values are UTC, as SQLite's own date functions write them.
      if (!parse_timestamp(column_text(st, i), micros)) return false;
      col.append_int(micros);
      return true;
    }
    case TypeId::Date32: {
      if (storage != SQLITE_TEXT) return false;
      int32_t days;
      if (!parse_date(column_text(st, i), days)) return false;
      col.append_int(days);
      return true;
    }
    case TypeId::Time64Us: {
      if (storage != SQLITE_TEXT) return false;
      int64_t micros;
      if (!parse_time(column_text(st, i), micros)) return false;
      col.append_int(micros);
      return true;
    }
    case TypeId::Utf8: {
      if (storage == SQLITE_BLOB) {
        std::string_view b(static_cast<const char*>(sqlite3_column_blob(st, i)),
                           static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
        if (!valid_utf8(b)) return false;
        col.append_string(b);
        return true;
      }
      std::string_view t = column_text(st, i);
      if (!valid_utf8(t)) return false;
      col.append_string(t);
      return true;
    }
    case TypeId::Binary: {
      const void* b = storage == SQLITE_BLOB ? sqlite3_column_blob(st, i) : sqlite3_column_text(st, i);
      col.append_string(std::string_view(static_cast<const char*>(b), static_cast<std::size_t>(sqlite3_column_bytes(st, i))));
      return true;
    }
    default: return false;
  }
}

// The cursor value of the current row as it goes into a checkpoint.
json::Value cursor_json(sqlite3_stmt* st, int i) {
  switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return json::Value(static_cast<int64_t>(sqlite3_column_int64(st, i)));
    case SQLITE_FLOAT: return json::Value(sqlite3_column_double(st, i));
    case SQLITE_NULL: return json::Value();
    default: return json::Value(std::string(column_text(st, i)));
  }
}

void bind_json(Stmt& s, int i, const json::Value& v) {
  if (v.is_int()) s.bind(i, v.as_int());
  else if (v.is_number()) s.bind(i, v.as_double());
  else if (v.is_string()) s.bind_text(i, v.as_string());
  else if (v.is_bool()) s.bind(i, static_cast<int64_t>(v.as_bool()));
  else s.bind_null(i);
}

// `value` moved back by the lookback, keeping the value's own text form so
// that SQLite's text comparison still orders correctly.
json::Value behind(const json::Value& value, const StreamSettings& settings, const std::string& cursor) {
  if (settings.lookback) {
    const json::Value& lb = *settings.lookback;
    if (value.is_int() && lb.is_int()) return json::Value(value.as_int() - lb.as_int());
    if (value.is_number()) return json::Value(value.as_double() - lb.as_double());
    throw config_error("lookback is a number but cursor '" + cursor + "' holds text; give a duration such as \"2h\"");
  }
  const int64_t ms = settings.lookback_ms.value_or(0);
  if (!value.is_string())
    throw config_error("lookback is a duration but cursor '" + cursor + "' holds numbers; give a number instead");
  const std::string& text = value.as_string();
  int64_t micros;
  if (!parse_timestamp(text, micros))
    throw data_error("cursor '" + cursor + "' value '" + text + "' is not a date/time, so a duration lookback cannot apply");
  std::string out;
  format_timestamp(micros - ms * 1000, out, false);
  if (text.size() > 10 && text[10] == ' ') out[10] = ' ';
  if (!text.empty() && text.back() == 'Z') out.push_back('Z');
  return json::Value(out);
}

class TableStream : public SourceStream {
 public:
  TableStream(const std::string& path, const StreamRequest& r, const Instance& owner)
      : db_(path, false, true), host_(r.host), owner_(owner), batch_rows_(r.batch_rows) {
    TableInfo t = describe_table(db_, r.stream);
    Schema schema;
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      schema.fields.push_back({t.columns[i], type_from_declared(t.declared[i]), true});
    incremental_ = r.extract_mode != INGESTD_EXTRACT_SNAPSHOT;
    updates_ = r.extract_mode == INGESTD_EXTRACT_INCREMENTAL_UPDATES;
    if (updates_) schema.fields.push_back({INGESTD_COLUMN_DELETED, TypeId::Bool, false});
    batch_ = std::make_unique<EvolvingBatch>(std::move(schema));

    std::string sql = "SELECT ";
    for (std::size_t i = 0; i < t.columns.size(); ++i) sql += (i ? ", " : "") + quote(t.columns[i]);
    if (t.columns.empty()) sql += "NULL";
    std::vector<json::Value> binds;
    if (incremental_) {
      cursor_ = find_column(t, r.cursor_field, "cursor",
                            "incremental extract modes need a cursor column (set cursor = \"...\" on the flow)");
      if (!r.settings.deleted_column.empty())
        deleted_ = find_column(t, r.settings.deleted_column, "deleted_column", "");
      tiebreak_ = t.has_rowid;
      if (tiebreak_) sql += ", rowid";
      std::string c = quote(t.columns[static_cast<std::size_t>(cursor_)]);
      sql += " FROM " + quote(t.name) + " WHERE " + c + " IS NOT NULL";
      if (!r.settings.where.empty()) sql += " AND (" + r.settings.where + ")";
      json::Value state = r.state ? parse_state(*r.state) : json::Value();
      const bool lookback = r.settings.lookback || r.settings.lookback_ms;
      if (!state.is_null()) {
        const json::Value& last = state["cursor"];
        if (lookback) {
          sql += " AND " + c + " >= ?1";
          binds.push_back(behind(last, r.settings, r.cursor_field));
        } else if (tiebreak_ && state["rowid"].is_int()) {
          // Resume exactly after the last row read: same cursor, later rowid.
          sql += " AND (" + c + " > ?1 OR (" + c + " = ?1 AND rowid > ?2))";
          binds.push_back(last);
          binds.push_back(state["rowid"]);
        } else {
          // No rowid (a view): rows at the last cursor value are read again.
          sql += " AND " + c + " >= ?1";
          binds.push_back(last);
        }
      } else if (r.settings.start) {
        sql += " AND " + c + " >= ?1";
        binds.push_back(*r.settings.start);
      }
      sql += " ORDER BY " + c + (tiebreak_ ? ", rowid" : "");
    } else {
      sql += " FROM " + quote(t.name);
      if (!r.settings.where.empty()) sql += " WHERE (" + r.settings.where + ")";
    }
    stmt_ = std::make_unique<Stmt>(db_, sql);
    for (std::size_t i = 0; i < binds.size(); ++i) bind_json(*stmt_, static_cast<int>(i + 1), binds[i]);
    columns_ = static_cast<int>(t.columns.size());
    host_.debug("reading " + r.stream + ": " + sql);
  }

  Schema schema() override { return batch_->schema(); }

  bool next(Batch& out) override {
    for (;;) {
      if (owner_.cancelled() || host_.cancelled()) throw cancelled_error();
      if (!pending_) {
        if (done_ || !stmt_->step()) {
          done_ = true;
          return finish(out);
        }
      }
      pending_ = false;
      if (!append_row()) {
        pending_ = true;  // the row goes again after the schema widens
        if (finish(out)) return true;
        continue;
      }
      if (batch_->rows().rows() >= batch_rows_ && finish(out)) return true;
    }
  }

 private:
  static json::Value parse_state(const std::string& text) {
    try {
      return json::Value::parse(text);
    } catch (const std::exception& e) {
      throw Error(INGESTD_ERROR_INVALID_ARGUMENT, std::string("stored state is not JSON: ") + e.what());
    }
  }

  int find_column(const TableInfo& t, const std::string& name, const char* what, const std::string& hint) {
    if (name.empty()) throw config_error(hint);
    for (std::size_t i = 0; i < t.columns.size(); ++i)
      if (t.columns[i] == name) return static_cast<int>(i);
    std::string all;
    for (const auto& c : t.columns) all += (all.empty() ? "" : ", ") + c;
    throw config_error(std::string(what) + " '" + name + "' is not a column of " + t.name + " (columns: " + all + ")");
  }

  bool append_row() {
    sqlite3_stmt* st = stmt_->raw();
    BatchBuilder& rows = batch_->rows();
    const int64_t row = rows.rows();
    for (int i = 0; i < columns_; ++i) {
      ColumnBuilder& col = rows.column(static_cast<std::size_t>(i));
      if (append_value(col, st, i)) continue;
      rows.truncate(row);
      const Field& f = batch_->schema()[static_cast<std::size_t>(i)];
      DataType w = wider(f.type, natural_type(sqlite3_column_type(st, i)));
      if (w == f.type) w = w.id == TypeId::Utf8 ? DataType(TypeId::Binary) : DataType(TypeId::Utf8);
      host_.debug("column '" + f.name + "' holds a value that is not " + f.type.name() + "; it widens to " + w.name());
      batch_->widen(static_cast<std::size_t>(i), w);
      return false;
    }
    if (updates_) rows.column(static_cast<std::size_t>(columns_)).append_bool(deleted_ >= 0 && truthy(st, deleted_));
    if (incremental_) {
      last_cursor_ = cursor_json(st, cursor_);
      if (tiebreak_) last_rowid_ = sqlite3_column_int64(st, columns_);
    }
    return true;
  }

  bool finish(Batch& out) {
    if (!batch_->finish(out)) return false;
    if (incremental_) {
      json::Object cp;
      cp.set("cursor", last_cursor_);
      if (tiebreak_) cp.set("rowid", last_rowid_);
      out.checkpoint = json::Value(std::move(cp)).dump();
    }
    return true;
  }

  Db db_;
  Host host_;
  const Instance& owner_;
  int64_t batch_rows_;
  std::unique_ptr<EvolvingBatch> batch_;
  std::unique_ptr<Stmt> stmt_;
  int columns_ = 0;
  bool incremental_ = false, updates_ = false, tiebreak_ = false;
  int cursor_ = -1, deleted_ = -1;
  json::Value last_cursor_;
  int64_t last_rowid_ = 0;
  bool pending_ = false, done_ = false;
};

}  // namespace

std::vector<StreamInfo> discover_streams(const Db& db, const std::vector<std::string>& include) {
  std::vector<StreamInfo> out;
  Stmt list(db,
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "AND name NOT LIKE '\\_ingestd\\_%' ESCAPE '\\' ORDER BY name");
  std::vector<std::string> names;
  while (list.step()) names.push_back(list.text(0));
  for (const auto& name : names) {
    if (!included(name, include)) continue;
    TableInfo t = describe_table(db, name);
    StreamInfo s;
    s.name = name;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      DataType type = type_from_declared(t.declared[i]);
      s.schema.fields.push_back({t.columns[i], type, true});
      if (type.is_integer() || type.id == TypeId::Float64 || type.id == TypeId::TimestampUs || type.id == TypeId::Date32)
        s.cursor_candidates.push_back(t.columns[i]);
    }
    s.primary_key = t.primary_key;
    s.cursor_required = true;
    out.push_back(std::move(s));
  }
  return out;
}

std::unique_ptr<SourceStream> open_source_stream(const std::string& path, const StreamRequest& request,
                                                 const Instance& owner) {
  return std::make_unique<TableStream>(path, request, owner);
}

}  // namespace ingestd::plugins::sqlite

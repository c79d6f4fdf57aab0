#include "support/duckdb_query.hpp"

#include "support/files.hpp"

#include <ingestd/sdk/json.hpp>

#include <duckdb.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace testing {

namespace {

class Session {
 public:
  explicit Session(const std::string& path) {
    if (duckdb_open(path == ":memory:" ? nullptr : path.c_str(), &db_) != DuckDBSuccess)
      throw std::runtime_error("duckdb: cannot open " + path);
    duckdb_connect(db_, &c_);
    run("SET TimeZone = 'UTC'");
  }
  ~Session() {
    duckdb_disconnect(&c_);
    duckdb_close(&db_);
  }

  Rows run(const std::string& sql) {
    duckdb_result r;
    if (duckdb_query(c_, sql.c_str(), &r) != DuckDBSuccess) {
      std::string m = duckdb_result_error(&r);
      duckdb_destroy_result(&r);
      throw std::runtime_error("duckdb: " + m + "\n  in: " + sql);
    }
    Rows out;
    for (idx_t row = 0; row < duckdb_row_count(&r); ++row) {
      std::vector<std::string> values;
      for (idx_t col = 0; col < duckdb_column_count(&r); ++col) {
        if (duckdb_value_is_null(&r, col, row)) {
          values.emplace_back("NULL");
          continue;
        }
        char* v = duckdb_value_varchar(&r, col, row);
        values.emplace_back(v ? v : "");
        if (v) duckdb_free(v);
      }
      out.push_back(std::move(values));
    }
    duckdb_destroy_result(&r);
    return out;
  }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection c_ = nullptr;
};

std::string as_text(const std::string& sql) { return "SELECT COLUMNS(*)::VARCHAR FROM (" + sql + ")"; }

}  // namespace

Rows duck_query(const std::string& db_path, const std::string& sql) { return Session(db_path).run(as_text(sql)); }

std::string duck_scalar(const std::string& db_path, const std::string& sql) {
  Rows r = duck_query(db_path, sql);
  if (r.size() != 1 || r[0].size() != 1) throw std::runtime_error("duckdb: not one value: " + sql);
  return r[0][0];
}

void duck_execute(const std::string& db_path, const std::string& sql) { Session(db_path).run(sql); }

std::vector<std::string> lake_files(const std::string& table_dir) {
  std::vector<std::string> out;
  const std::string manifest = table_dir + "/_ingestd_manifest.json";
  if (!std::filesystem::exists(manifest)) return out;
  const auto m = ingestd::json::Value::parse(read_file(manifest));
  for (const auto& f : m["files"].as_array()) out.push_back(table_dir + "/" + f["path"].as_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> parquet_files_on_disk(const std::string& table_dir) {
  std::vector<std::string> out;
  if (!std::filesystem::exists(table_dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(table_dir))
    if (e.is_regular_file() && e.path().extension() == ".parquet") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

Rows lake_query(const std::string& table_dir, const std::string& sql) {
  Session s(":memory:");
  const std::vector<std::string> files = lake_files(table_dir);
  if (files.empty()) {
    s.run("CREATE VIEW t AS SELECT NULL AS _ingestd_run_id WHERE false");
  } else {
    std::string list;
    for (const auto& f : files) list += (list.empty() ? "'" : ", '") + f + "'";
    s.run("CREATE VIEW t AS SELECT * FROM read_parquet([" + list + "], union_by_name = true)");
  }
  return s.run(as_text(sql));
}

}  // namespace testing

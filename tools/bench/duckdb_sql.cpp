// The benchmarks' DuckDB peer: runs SQL statements on a database file with
// the same DuckDB library ingestd loads, and prints the last statement's
// first value.
//   duckdb_sql DB_FILE "SQL" ["SQL" ...]
#include <duckdb.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: duckdb_sql DB_FILE SQL...\n");
    return 2;
  }
  duckdb_database db;
  duckdb_connection c;
  if (duckdb_open(argv[1], &db) != DuckDBSuccess || duckdb_connect(db, &c) != DuckDBSuccess) {
    std::fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  int rc = 0;
  for (int i = 2; i < argc && rc == 0; ++i) {
    duckdb_result r;
    if (duckdb_query(c, argv[i], &r) != DuckDBSuccess) {
      std::fprintf(stderr, "%s\n", duckdb_result_error(&r));
      rc = 1;
    } else if (i == argc - 1 && duckdb_row_count(&r) > 0 && duckdb_column_count(&r) > 0) {
      char* v = duckdb_value_varchar(&r, 0, 0);
      std::printf("%s\n", v ? v : "NULL");
      duckdb_free(v);
    }
    duckdb_destroy_result(&r);
  }
  duckdb_disconnect(&c);
  duckdb_close(&db);
  return rc;
}

// Reads what ingestd wrote into DuckDB databases and Parquet lakes, with
// DuckDB itself (the library ingestd loads, linked into the tests).
#pragma once

#include "support/sqlite_query.hpp"

#include <string>

namespace testing {

// Runs `sql` on a DuckDB database file (":memory:" for none) and returns its
// rows, each value cast to text ("NULL" for NULL). Throws on errors.
Rows duck_query(const std::string& db_path, const std::string& sql);
std::string duck_scalar(const std::string& db_path, const std::string& sql);
void duck_execute(const std::string& db_path, const std::string& sql);

// The files a lake table's manifest lists, as paths under `table_dir`.
std::vector<std::string> lake_files(const std::string& table_dir);
// Every .parquet file under `table_dir`, listed or not.
std::vector<std::string> parquet_files_on_disk(const std::string& table_dir);
// `sql` run with the lake table at `table_dir` as the view "t": the files
// its manifest lists, read as a reader following the manifest reads them.
Rows lake_query(const std::string& table_dir, const std::string& sql);

}  // namespace testing

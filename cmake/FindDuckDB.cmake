# Finds DuckDB's C library: -DDUCKDB_ROOT=, else the copy tools/fetch-duckdb
# unpacks (~/.cache/ingestd/duckdb-1.4.4, or $INGESTD_DUCKDB_DIR), else a
# system one. Defines DuckDB::DuckDB and DuckDB_LIBRARY_DIR.
set(_duckdb_hints ${DUCKDB_ROOT} $ENV{INGESTD_DUCKDB_DIR} $ENV{HOME}/.cache/ingestd/duckdb-1.4.4)
find_path(DuckDB_INCLUDE_DIR duckdb.h HINTS ${_duckdb_hints} PATH_SUFFIXES include)
find_library(DuckDB_LIBRARY duckdb HINTS ${_duckdb_hints} PATH_SUFFIXES lib)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(DuckDB REQUIRED_VARS DuckDB_LIBRARY DuckDB_INCLUDE_DIR)
if(DuckDB_FOUND AND NOT TARGET DuckDB::DuckDB)
  get_filename_component(DuckDB_LIBRARY_DIR ${DuckDB_LIBRARY} DIRECTORY)
  add_library(DuckDB::DuckDB SHARED IMPORTED)
  set_target_properties(DuckDB::DuckDB PROPERTIES
    IMPORTED_LOCATION ${DuckDB_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${DuckDB_INCLUDE_DIR})
endif()

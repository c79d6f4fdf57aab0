#include "query_appender.hpp"

#include <ingestd/abi.h>

#include <memory>

namespace ingestd::plugins::duck {

namespace {

class QueryAppender {
 public:
  QueryAppender(Connection& c, const std::string& sql, const sdk::Schema& schema,
                std::vector<duckdb_logical_type> types) {
    std::vector<const char*> names;
    for (const sdk::Field& f : schema.fields) names.push_back(f.name.c_str());
    if (duckdb_appender_create_query(c.handle(), sql.c_str(), types.size(), types.data(), "_ingestd_batch",
                                     names.data(), &a_) != DuckDBSuccess)
      raise("preparing the load");
  }
  ~QueryAppender() { duckdb_appender_destroy(&a_); }
  QueryAppender(const QueryAppender&) = delete;
  QueryAppender& operator=(const QueryAppender&) = delete;

  void append(duckdb_data_chunk chunk) {
    if (duckdb_append_data_chunk(a_, chunk) != DuckDBSuccess) raise("loading a batch");
  }
  void flush() {
    if (duckdb_appender_flush(a_) != DuckDBSuccess) raise("loading a batch");
  }

 private:
  [[noreturn]] void raise(const std::string& what) {
    duckdb_error_data e = duckdb_appender_error_data(a_);
    std::string m = e && duckdb_error_data_has_error(e) ? duckdb_error_data_message(e) : "unknown error";
    if (e) duckdb_destroy_error_data(&e);
    fail(what + ": " + m);
  }
  duckdb_appender a_ = nullptr;
};

}  // namespace

void run_over_batch(Connection& connection, ArrowInput& input, const sdk::Schema& schema, const ArrowArray& batch,
                    const std::string& sql) {
  std::unique_ptr<QueryAppender> appender;
  input.for_each_chunk(batch, [&](duckdb_data_chunk chunk) {
    if (!appender) appender = std::make_unique<QueryAppender>(connection, sql, schema, input.types());
    appender->append(chunk);
  });
  if (appender) appender->flush();
}

}  // namespace ingestd::plugins::duck

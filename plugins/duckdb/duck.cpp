#include "duck.hpp"

#include <ingestd/sdk/error.hpp>
#include <ingestd/sdk/values.hpp>

#include <chrono>

#include <map>
#include <mutex>

namespace ingestd::plugins::duck {

namespace {

std::mutex& registry_lock() {
  static std::mutex m;
  return m;
}

std::map<std::string, std::weak_ptr<Database>>& registry() {
  static std::map<std::string, std::weak_ptr<Database>> r;
  return r;
}

struct Config {
  duckdb_config c = nullptr;
  Config() {
    if (duckdb_create_config(&c) != DuckDBSuccess) throw sdk::Error(INGESTD_ERROR_INTERNAL, "duckdb: no config");
  }
  ~Config() { duckdb_destroy_config(&c); }
  void set(const char* name, const std::string& value) {
    if (duckdb_set_config(c, name, value.c_str()) != DuckDBSuccess)
      throw sdk::config_error("duckdb: setting " + std::string(name) + " = '" + value + "' is refused");
  }
};

}  // namespace

std::shared_ptr<Database> Database::open(const DatabaseSettings& s) {
  const bool in_memory = s.path.empty() || s.path == ":memory:";
  std::lock_guard guard(registry_lock());
  if (!in_memory) {
    auto it = registry().find(s.path);
    if (it != registry().end())
      if (auto db = it->second.lock()) return db;
  }
  Config config;
  if (!s.memory_limit.empty()) config.set("memory_limit", s.memory_limit);
  if (s.threads > 0) config.set("threads", std::to_string(s.threads));
  if (!s.temp_directory.empty()) config.set("temp_directory", s.temp_directory);
  if (s.read_only) config.set("access_mode", "READ_ONLY");
  // Nothing is fetched at run time: the extensions ingestd needs are built in.
  config.set("autoinstall_known_extensions", "false");
  config.set("autoload_known_extensions", "false");
  duckdb_database db = nullptr;
  char* error = nullptr;
  if (duckdb_open_ext(in_memory ? nullptr : s.path.c_str(), &db, config.c, &error) != DuckDBSuccess) {
    std::string message = error ? error : "unknown error";
    if (error) duckdb_free(error);
    throw sdk::io_error("duckdb: cannot open " + (in_memory ? std::string("an in-memory database") : s.path) + ": " +
                        message);
  }
  auto out = std::shared_ptr<Database>(new Database(db, in_memory ? ":memory:" : s.path));
  if (!in_memory) registry()[s.path] = out;
  return out;
}

Database::~Database() { duckdb_close(&db_); }

Result& Result::operator=(Result&& o) noexcept {
  if (this != &o) {
    if (valid_) duckdb_destroy_result(&r_);
    r_ = o.r_;
    valid_ = o.valid_;
    o.valid_ = false;
  }
  return *this;
}

Result::~Result() {
  if (valid_) duckdb_destroy_result(&r_);
}

int64_t Result::rows() { return static_cast<int64_t>(duckdb_row_count(&r_)); }
std::size_t Result::columns() { return duckdb_column_count(&r_); }
bool Result::is_null(std::size_t col, int64_t row) { return duckdb_value_is_null(&r_, col, static_cast<idx_t>(row)); }
int64_t Result::integer(std::size_t col, int64_t row) { return duckdb_value_int64(&r_, col, static_cast<idx_t>(row)); }
int64_t Result::rows_changed() { return static_cast<int64_t>(duckdb_rows_changed(&r_)); }

std::string Result::text(std::size_t col, int64_t row) {
  char* v = duckdb_value_varchar(&r_, col, static_cast<idx_t>(row));
  if (!v) return {};
  std::string out(v);
  duckdb_free(v);
  return out;
}

std::string Result::blob(std::size_t col, int64_t row) {
  duckdb_blob b = duckdb_value_blob(&r_, col, static_cast<idx_t>(row));
  std::string out(static_cast<const char*>(b.data), b.size);
  duckdb_free(b.data);
  return out;
}

Connection::Connection(std::shared_ptr<Database> db) : db_(std::move(db)) {
  if (duckdb_connect(db_->handle(), &c_) != DuckDBSuccess) throw sdk::io_error("duckdb: cannot connect to " + db_->path());
  // Timestamps with a zone read back as UTC, the zone ingestd's types carry.
  exec("SET TimeZone = 'UTC'");
}

Connection::~Connection() { duckdb_disconnect(&c_); }

Result Connection::query(const std::string& sql) {
  duckdb_result r;
  if (duckdb_query(c_, sql.c_str(), &r) != DuckDBSuccess) {
    std::string message = duckdb_result_error(&r) ? duckdb_result_error(&r) : "unknown error";
    duckdb_destroy_result(&r);
    fail(message);
  }
  return Result(r);
}

std::string quote(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

std::string now_literal() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  std::string out;
  sdk::format_timestamp(us, out, true);
  return "TIMESTAMPTZ " + literal(out);
}

void fail(const std::string& message) {
  const std::string m = "duckdb: " + message;
  if (message.rfind("TransactionContext Error", 0) == 0 || message.rfind("IO Error", 0) == 0 ||
      message.find("Conflict") != std::string::npos)
    throw sdk::io_error(m);
  if (message.rfind("Conversion Error", 0) == 0 || message.rfind("Constraint Error", 0) == 0)
    throw sdk::data_error(m);
  throw sdk::Error(INGESTD_ERROR_INTERNAL, m);
}

void check(duckdb_error_data e, const std::string& what) {
  if (!e) return;
  if (!duckdb_error_data_has_error(e)) {
    duckdb_destroy_error_data(&e);
    return;
  }
  std::string message = what + ": " + duckdb_error_data_message(e);
  duckdb_destroy_error_data(&e);
  fail(message);
}

}  // namespace ingestd::plugins::duck

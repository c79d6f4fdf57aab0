#include "connection.hpp"

#include <ingestd/sdk/backoff.hpp>
#include <ingestd/sdk/error.hpp>

#include <errmsg.h>
#include <mysqld_error.h>

#include <cctype>
#include <cstdlib>

namespace ingestd::plugins::mysql {

using namespace ingestd::sdk;

namespace {

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Errors a retry may get past: the server unreachable, gone, restarting,
// out of connections, a deadlock or a lock wait.
bool transient(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
    case ER_QUERY_INTERRUPTED:
    case 1927:  // ER_CONNECTION_KILLED
      return true;
    default: return false;
  }
}

bool configuration(unsigned code) {
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_BAD_DB_ERROR:
    case ER_NO_SUCH_TABLE:
    case ER_BAD_FIELD_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_PARSE_ERROR:
      return true;
    default: return false;
  }
}

}  // namespace

void parse_dsn(const std::string& dsn, ConnectOptions& o) {
  const std::string scheme = "mysql://";
  if (dsn.rfind(scheme, 0) != 0 && dsn.rfind("mariadb://", 0) != 0)
    throw config_error("a MySQL dsn is mysql://user:password@host:port/database");
  std::string rest = dsn.substr(dsn.find("://") + 3);
  std::string query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string hostpart = rest, path;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    hostpart = rest.substr(0, slash);
    path = rest.substr(slash + 1);
  }
  if (auto at = hostpart.rfind('@'); at != std::string::npos) {
    const std::string userinfo = hostpart.substr(0, at);
    hostpart = hostpart.substr(at + 1);
    const auto colon = userinfo.find(':');
    o.user = percent_decoded(userinfo.substr(0, colon));
    if (colon != std::string::npos) o.password = percent_decoded(userinfo.substr(colon + 1));
  }
  if (auto colon = hostpart.rfind(':'); colon != std::string::npos && hostpart.find(']') == std::string::npos) {
    const std::string port = hostpart.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
      throw config_error("the dsn's port '" + port + "' is not a port number");
    o.port = static_cast<unsigned>(std::stoul(port));
    hostpart = hostpart.substr(0, colon);
  }
  if (!hostpart.empty()) o.host = hostpart;
  if (!path.empty()) o.database = percent_decoded(path);
  for (std::size_t start = 0; start < query.size();) {
    std::size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(start, end - start);
    const auto eq = pair.find('=');
    const std::string key = pair.substr(0, eq), value = eq == std::string::npos ? "" : percent_decoded(pair.substr(eq + 1));
    if (key == "ssl-mode" || key == "ssl_mode") o.ssl_mode = value;
    else if (key == "ssl-ca" || key == "ssl_ca") o.ssl_ca = value;
    else throw config_error("unknown dsn parameter '" + key + "' (valid: ssl-mode, ssl-ca)");
    start = end + 1;
  }
}

std::string quote_ident(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  return out + "`";
}

std::string quote_table(const std::string& schema, const std::string& table) {
  return schema.empty() ? quote_ident(table) : quote_ident(schema) + "." + quote_ident(table);
}

Rows::~Rows() {
  if (result_) mysql_free_result(result_);  // reads what is left of an unfinished result
}

bool Rows::next() {
  if (!result_) return false;
  row_ = mysql_fetch_row(result_);
  if (!row_) {
    if (owner_ && mysql_errno(owner_->raw())) owner_->fail("reading rows");
    return false;
  }
  lengths_ = mysql_fetch_lengths(result_);
  return true;
}

Connection::Connection(const ConnectOptions& options) : options_(options) {
  Backoff backoff(500, 8000, Backoff::Jitter::Above);
  for (int attempt = 1;; ++attempt) {
    std::string why;
    try {
      connect_once();
      break;
    } catch (const Error& e) {
      if (e.is_cancelled() || !e.transient()) throw;
      why = e.what();
    }
    if (attempt >= options_.attempts)
      throw io_error(why + " (after " + std::to_string(attempt) + " attempts)", true);
    if (!backoff.wait(attempt - 1, options_.cancelled)) throw cancelled_error();
  }
  exec("SET time_zone = '+00:00', NAMES utf8mb4, sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION,"
       "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO'");
}

void Connection::connect_once() {
  db_ = mysql_init(nullptr);
  if (!db_) throw io_error("cannot connect to MySQL: out of memory", true);
  const unsigned connect_s = static_cast<unsigned>(std::max<int64_t>(1, (options_.connect_timeout_ms + 999) / 1000));
  const unsigned read_s = static_cast<unsigned>(std::max<int64_t>(1, (options_.read_timeout_ms + 999) / 1000));
  mysql_optionsv(db_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_optionsv(db_, MYSQL_OPT_READ_TIMEOUT, &read_s);
  mysql_optionsv(db_, MYSQL_OPT_WRITE_TIMEOUT, &read_s);
  mysql_optionsv(db_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  mysql_optionsv(db_, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "ingestd");
  const my_bool allow_local = 1;
  mysql_optionsv(db_, MYSQL_OPT_LOCAL_INFILE, &allow_local);
  if (options_.ssl_mode != "disabled") {
    if (!options_.ssl_ca.empty()) mysql_optionsv(db_, MYSQL_OPT_SSL_CA, options_.ssl_ca.c_str());
    const my_bool enforce = options_.ssl_mode == "required" || options_.ssl_mode == "verify_identity";
    mysql_optionsv(db_, MYSQL_OPT_SSL_ENFORCE, &enforce);
    const my_bool verify = options_.ssl_mode == "verify_identity";
    mysql_optionsv(db_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }
  if (!mysql_real_connect(db_, options_.host.c_str(), options_.user.c_str(), options_.password.c_str(),
                          options_.database.empty() ? nullptr : options_.database.c_str(), options_.port, nullptr,
                          CLIENT_FOUND_ROWS)) {
    const unsigned code = mysql_errno(db_);
    const std::string why = mysql_error(db_);
    mysql_close(db_);
    db_ = nullptr;
    const std::string what = "cannot connect to MySQL at " + server() + ": " + why;
    if (configuration(code)) throw config_error(what);
    throw io_error(what, true);
  }
}

Connection::~Connection() {
  if (db_) mysql_close(db_);
}

void Connection::exec(const std::string& sql) {
  if (options_.cancelled && options_.cancelled()) throw cancelled_error();
  if (mysql_real_query(db_, sql.data(), sql.size()) != 0) fail("");
  // Statements that return rows anyway (SET with a SELECT): drained.
  do {
    if (MYSQL_RES* r = mysql_store_result(db_)) mysql_free_result(r);
    else if (mysql_field_count(db_) != 0) fail("");
  } while (mysql_next_result(db_) == 0);
}

Rows Connection::query(const std::string& sql) {
  if (options_.cancelled && options_.cancelled()) throw cancelled_error();
  if (mysql_real_query(db_, sql.data(), sql.size()) != 0) fail("");
  MYSQL_RES* r = mysql_use_result(db_);
  if (!r && mysql_field_count(db_) != 0) fail("");
  Rows rows(r);
  rows.owner_ = this;
  return rows;
}

std::string Connection::scalar(const std::string& sql) {
  Rows r = query(sql);
  std::string out;
  if (r.next() && !r.is_null(0)) out = r.text(0);
  while (r.next()) {
  }
  return out;
}

std::string Connection::literal(std::string_view value) const {
  std::string out(value.size() * 2 + 1, '\0');
  const unsigned long n = mysql_real_escape_string(db_, out.data(), value.data(), value.size());
  out.resize(n);
  return "'" + out + "'";
}

void Connection::fail(const std::string& what) const {
  const unsigned code = mysql_errno(db_);
  const std::string message = (what.empty() ? "" : what + ": ") + mysql_error(db_) + " (MySQL error " +
                              std::to_string(code) + ")";
  if (transient(code)) throw io_error("MySQL at " + server() + ": " + message, true);
  if (configuration(code)) throw config_error(message);
  throw Error(INGESTD_ERROR_IO, message, INGESTD_RETRY_PERMANENT);
}

std::string Connection::server() const { return options_.host + ":" + std::to_string(options_.port); }

}  // namespace ingestd::plugins::mysql

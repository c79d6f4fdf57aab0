// The mysql plugin: MySQL and MariaDB through MariaDB Connector/C, as a
// source (tables and views, streamed) and a destination (every load mode,
// exactly-once with the state in the destination's transaction).
#include "connection.hpp"
#include "destination.hpp"
#include "source.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/bound_options.hpp>

namespace ingestd::plugins::mysql {
namespace {

using namespace ingestd::sdk;

constexpr uint32_t kSource = INGESTD_KIND_SOURCE, kDestination = INGESTD_KIND_DESTINATION;

struct Settings {
  Secret dsn;
  std::string host = "127.0.0.1";
  int64_t port = 3306;
  std::string user;
  Secret password;
  std::string database;
  std::string ssl_mode = "preferred";
  std::string ssl_ca;
  int64_t connect_attempts = 5;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{600'000};
  std::vector<std::string> databases;
  std::vector<std::string> tables;
  std::string zero_dates = "null";
  std::string capture = "none";
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    using S = Settings;
    BoundOptions<S> b;
    b.add("dsn", &S::dsn,
          "mysql://user:password@host:port/database[?ssl-mode=required&ssl-ca=/path]; or the separate options below "
          "(the dsn wins where both say something)");
    b.add("host", &S::host, "Server host");
    b.add("port", &S::port, "Server port");
    b.add("user", &S::user, "User name");
    b.add("password", &S::password, "Password (use ${VAR})");
    b.add("database", &S::database,
          "Source: the database whose tables are streams (default: the dsn's); destination: where tables go "
          "(default: the stream's database, else the dsn's)");
    b.add("ssl_mode", &S::ssl_mode, "TLS: disabled, preferred, required, verify_identity")
        .one_of({"disabled", "preferred", "required", "verify_identity"});
    b.add("ssl_ca", &S::ssl_ca, "TLS: the CA certificate file that verifies the server");
    b.add("connect_attempts", &S::connect_attempts, "Connection attempts, with backoff, before giving up");
    b.add("connect_timeout", &S::connect_timeout, "How long one connection attempt may take");
    b.add("read_timeout", &S::read_timeout, "How long the server may stay silent while it owes an answer");
    b.add("databases", &S::databases, "Databases to read, as globs; \"!glob\" excludes (default: `database`)")
        .only_for(kSource);
    b.add("tables", &S::tables, "Tables and views to read, as globs on \"table\" or \"database.table\"")
        .only_for(kSource);
    b.add("capture", &S::capture,
          "none: read tables with queries; binlog: every insert, update and delete from the binary log (the server "
          "needs log_bin, binlog_format = ROW, binlog_row_image = FULL), after a first copy of each table")
        .one_of({"none", "binlog"})
        .only_for(kSource);
    b.add("zero_dates", &S::zero_dates, "A zero date (0000-00-00) is read as NULL, or fails the stream")
        .one_of({"null", "fail"})
        .only_for(kSource);
    return b;
  }();
  return o;
}

ConnectOptions connect_options(const Settings& s) {
  ConnectOptions c;
  c.host = s.host;
  if (s.port < 1 || s.port > 65535) throw config_error("port must be 1-65535");
  c.port = static_cast<unsigned>(s.port);
  c.user = s.user;
  c.password = s.password.value;
  c.database = s.database;
  c.ssl_mode = s.ssl_mode;
  c.ssl_ca = s.ssl_ca;
  if (!s.dsn.value.empty()) parse_dsn(s.dsn.value, c);
  if (c.user.empty()) throw config_error("the mysql plugin needs a user: in the dsn or `user`");
  if (s.connect_attempts < 1) throw config_error("connect_attempts must be at least 1");
  c.attempts = static_cast<int>(std::min<int64_t>(s.connect_attempts, 1'000'000));
  c.connect_timeout_ms = s.connect_timeout.count();
  c.read_timeout_ms = s.read_timeout.count();
  return c;
}

class MysqlSource : public Instance {
 public:
  explicit MysqlSource(const Settings& s) {
    settings_.connect = connect_options(s);
    settings_.databases = s.databases;
    settings_.tables = s.tables;
    settings_.zero_dates = s.zero_dates == "fail" ? ZeroDates::Fail : ZeroDates::Null;
    settings_.capture = s.capture == "binlog" ? Capture::Binlog : Capture::None;
  }
  void check() override {
    Connection db(settings_.connect);
    db.scalar("SELECT 1");
  }
  std::vector<StreamInfo> discover() override {
    Connection db(settings_.connect);
    return discover_streams(db, settings_);
  }
  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    return open_source_stream(settings_, r, *this);
  }

 private:
  SourceSettings settings_;
};

class MysqlDestination : public Instance {
 public:
  explicit MysqlDestination(const Settings& s) {
    settings_.connect = connect_options(s);
    settings_.database = s.database;
  }
  void check() override {
    Connection db(settings_.connect);
    db.scalar("SELECT 1");
  }
  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    return open_destination_table(settings_, r);
  }
  std::optional<StoredState> load_state(const std::string& key) override { return load_stored_state(settings_, key); }
  void clear_state(const std::string& key) override { clear_stored_state(settings_, key); }

 private:
  DestinationSettings settings_;
};

PluginInfo describe() {
  PluginInfo p{.name = "mysql", .version = "0.1.0", .kinds = kSource | kDestination,
               .description = "MySQL and MariaDB: read tables and views streamed; load with append/replace/merge, "
                              "exactly-once",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS |
                                INGESTD_EXTRACT_INCREMENTAL_UPDATES,
               .load_modes = INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE | INGESTD_LOAD_MERGE};
  p.transactional_state = true;
  p.source_settings = INGESTD_SOURCE_WHERE;
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  const Settings s = options().bind(ctx);
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<MysqlSource>(s);
  return std::make_unique<MysqlDestination>(s);
}

}  // namespace
}  // namespace ingestd::plugins::mysql

INGESTD_PLUGIN(ingestd::plugins::mysql::describe, ingestd::plugins::mysql::create)

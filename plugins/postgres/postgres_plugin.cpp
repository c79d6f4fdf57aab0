// The postgres plugin: PostgreSQL as a source (tables and views, COPY out)
// and as a destination (COPY in, every load mode, exactly-once).
#include "destination.hpp"
#include <ingestd/kit/pg/connection.hpp>
#include "source.hpp"

#include <ingestd/sdk.hpp>

#include <mutex>

namespace ingestd::plugins::postgres {
namespace {

using namespace ingestd::sdk;

ConnectOptions connect_options(const CreateContext& ctx) {
  ConnectOptions c;
  c.dsn = ctx.options.string("dsn");
  c.attempts = static_cast<int>(ctx.options.integer("connect_attempts", 5));
  if (c.attempts < 1) throw config_error("connect_attempts must be at least 1");
  c.connect_timeout_ms = ctx.options.duration_ms("connect_timeout", 10000);
  c.read_timeout_ms = ctx.options.duration_ms("read_timeout", 600000);
  c.statement_timeout_ms = ctx.options.duration_ms("statement_timeout", 0);
  if (c.connect_timeout_ms < 1 || c.read_timeout_ms < 1)
    throw config_error("connect_timeout and read_timeout must be longer than 0");
  return c;
}

class PostgresSource : public Instance {
 public:
  explicit PostgresSource(const CreateContext& ctx) {
    settings_.connect = connect_options(ctx);
    settings_.schemas = ctx.options.list("schemas");
    settings_.tables = ctx.options.list("tables");
    consistent_ = ctx.options.boolean("consistent_snapshot");
  }

  void check() override {
    Connection db(settings_.connect);
    db.exec("SELECT 1");
  }

  std::vector<StreamInfo> discover() override {
    Connection db(settings_.connect);
    return discover_streams(db, settings_);
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    return open_source_stream(settings_, r, *this, snapshot());
  }

 private:
  // With consistent_snapshot, one transaction exports its snapshot and stays
  // open while the streams read in it: every table as of the same moment.
  std::string snapshot() {
    if (!consistent_) return {};
    std::lock_guard lock(mutex_);
    if (!exporter_) {
      exporter_ = std::make_unique<Connection>(settings_.connect);
      exporter_->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      snapshot_id_ = exporter_->exec("SELECT pg_export_snapshot()").text(0, 0);
    }
    return snapshot_id_;
  }

  SourceSettings settings_;
  bool consistent_ = false;
  std::mutex mutex_;
  std::unique_ptr<Connection> exporter_;
  std::string snapshot_id_;
};

class PostgresDestination : public Instance {
 public:
  explicit PostgresDestination(const CreateContext& ctx) {
    settings_.connect = connect_options(ctx);
    settings_.schema = ctx.options.string("schema");
    settings_.state_schema = ctx.options.string("state_schema", "public");
  }

  void check() override {
    Connection db(settings_.connect);
    db.exec("SELECT 1");
  }

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    return open_destination_table(settings_, r);
  }
  std::optional<StoredState> load_state(const std::string& key) override {
    return load_stored_state(settings_, key);
  }
  void clear_state(const std::string& key) override { clear_stored_state(settings_, key); }

 private:
  DestinationSettings settings_;
};

PluginInfo describe() {
  PluginInfo p{.name = "postgres", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "PostgreSQL: read tables and views with COPY; load with COPY, append/replace/merge, exactly-once",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES,
               .load_modes = INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE | INGESTD_LOAD_MERGE};
  p.transactional_state = true;
  p.source_settings = INGESTD_SOURCE_WHERE;
  constexpr uint32_t kSource = INGESTD_KIND_SOURCE, kDestination = INGESTD_KIND_DESTINATION;
  p.options = {
      option("dsn", INGESTD_OPTION_SECRET,
             "libpq connection string, key=value or postgresql:// URI; sslmode and every other libpq parameter pass "
             "through (use ${VAR} for the password)")
          .required(),
      option("connect_attempts", INGESTD_OPTION_INT, "Connection attempts, with backoff, before giving up")
          .default_to("5"),
      option("connect_timeout", INGESTD_OPTION_DURATION, "How long one connection attempt may take").default_to("10s"),
      option("read_timeout", INGESTD_OPTION_DURATION,
             "How long the server may stay silent while it owes an answer (a result, COPY rows, room to send); past "
             "it the stream fails as transient and is rerun")
          .default_to("10m"),
      option("statement_timeout", INGESTD_OPTION_DURATION,
             "The server's limit on one statement (SET statement_timeout); 0: none").default_to("0"),
      option("schemas", INGESTD_OPTION_LIST, "Schemas to read, as globs; \"!glob\" excludes (default: all)")
          .default_to("[]")
          .only_for(kSource),
      option("tables", INGESTD_OPTION_LIST,
             "Tables and views to read, as globs on \"table\" or \"schema.table\"; \"!glob\" excludes (default: all)")
          .default_to("[]")
          .only_for(kSource),
      option("consistent_snapshot", INGESTD_OPTION_BOOL,
             "Read every stream of a run in one REPEATABLE READ snapshot").default_to("false").only_for(kSource),
      option("schema", INGESTD_OPTION_STRING,
             "Schema for destination tables (default: the stream's own schema, else public)")
          .only_for(kDestination),
      option("state_schema", INGESTD_OPTION_STRING, "Schema of the _ingestd_state table").default_to("public").only_for(kDestination),
  };
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<PostgresSource>(ctx);
  return std::make_unique<PostgresDestination>(ctx);
}

}  // namespace
}  // namespace ingestd::plugins::postgres

INGESTD_PLUGIN(ingestd::plugins::postgres::describe, ingestd::plugins::postgres::create)

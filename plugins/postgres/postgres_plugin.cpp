// The postgres plugin: PostgreSQL as a source (tables and views, COPY out)
// and as a destination (COPY in, every load mode, exactly-once).
#include "destination.hpp"
#include <ingestd/kit/pg/connection.hpp>
#include "logical_stream.hpp"
#include "source.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/bound_options.hpp>

#include <algorithm>
#include <chrono>

#include <mutex>

namespace ingestd::plugins::postgres {
namespace {

using namespace ingestd::sdk;

constexpr uint32_t kSource = INGESTD_KIND_SOURCE, kDestination = INGESTD_KIND_DESTINATION;

// The options of both roles, each declared once in options() below.
struct Settings {
  Secret dsn;
  int64_t connect_attempts = 5;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{600'000};
  std::chrono::milliseconds statement_timeout{0};
  std::vector<std::string> schemas;  // empty: all
  std::vector<std::string> tables;   // empty: all
  bool consistent_snapshot = false;
  int64_t partitions = 1;
  std::string capture = "none";
  std::string slot;
  std::string publication;
  bool create_slot = true;
  std::string schema;  // empty: the stream's own schema, else public
  std::string state_schema = "public";
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    using S = Settings;
    BoundOptions<S> b;
    b.add("dsn", &S::dsn,
          "libpq connection string, key=value or postgresql:// URI; sslmode and every other libpq parameter pass "
          "through (use ${VAR} for the password)")
        .required();
    b.add("connect_attempts", &S::connect_attempts, "Connection attempts, with backoff, before giving up");
    b.add("connect_timeout", &S::connect_timeout, "How long one connection attempt may take");
    b.add("read_timeout", &S::read_timeout,
          "How long the server may stay silent while it owes an answer (a result, COPY rows, room to send); past "
          "it the stream fails as transient and is rerun");
    b.add("statement_timeout", &S::statement_timeout,
          "The server's limit on one statement (SET statement_timeout); 0: none");
    b.add("schemas", &S::schemas, "Schemas to read, as globs; \"!glob\" excludes (default: all)").only_for(kSource);
    b.add("tables", &S::tables,
          "Tables and views to read, as globs on \"table\" or \"schema.table\"; \"!glob\" excludes (default: all)")
        .only_for(kSource);
    b.add("consistent_snapshot", &S::consistent_snapshot, "Read every stream of a run in one REPEATABLE READ snapshot")
        .only_for(kSource);
    b.add("partitions", &S::partitions,
          "Snapshot reads of a table: connections reading it at once, each a range of its pages, all in one "
          "snapshot (a table gets at most one per 8 MiB)")
        .only_for(kSource);
    b.add("capture", &S::capture,
          "none: read tables with queries; logical: every insert, update and delete from a logical replication slot "
          "(pgoutput; the server needs wal_level = logical), after a first copy of each table")
        .one_of({"none", "logical"})
        .only_for(kSource);
    b.add("slot", &S::slot,
          "capture = logical: the replication slot (default ingestd_<flow>_<database>_<schema>_<table>, one per table)")
        .only_for(kSource);
    b.add("publication", &S::publication,
          "capture = logical: a publication that publishes the table (default: one of the slot's name, made for the "
          "table)")
        .only_for(kSource);
    b.add("create_slot", &S::create_slot, "capture = logical: make the slot when it does not exist").only_for(kSource);
    b.add("schema", &S::schema, "Schema for destination tables (default: the stream's own schema, else public)")
        .only_for(kDestination);
    b.add("state_schema", &S::state_schema, "Schema of the _ingestd_state table").only_for(kDestination);
    return b;
  }();
  return o;
}

ConnectOptions connect_options(const Settings& s) {
  ConnectOptions c;
  c.dsn = s.dsn.value;
  if (s.connect_attempts < 1) throw config_error("connect_attempts must be at least 1");
  c.attempts = static_cast<int>(std::min<int64_t>(s.connect_attempts, 1'000'000));
  c.connect_timeout_ms = s.connect_timeout.count();
  c.read_timeout_ms = s.read_timeout.count();
  c.statement_timeout_ms = s.statement_timeout.count();
  if (c.connect_timeout_ms < 1 || c.read_timeout_ms < 1)
    throw config_error("connect_timeout and read_timeout must be longer than 0");
  return c;
}

class PostgresSource : public Instance {
 public:
  PostgresSource(const Settings& s, const Host& host) : host_(host), consistent_(s.consistent_snapshot) {
    settings_.connect = connect_options(s);
    settings_.schemas = s.schemas;
    settings_.tables = s.tables;
    settings_.capture = s.capture == "logical" ? Capture::Logical : Capture::None;
    settings_.slot = s.slot;
    settings_.publication = s.publication;
    settings_.create_slot = s.create_slot;
    if (s.partitions < 1 || s.partitions > 64) throw config_error("partitions must be from 1 to 64");
    settings_.partitions = static_cast<int>(s.partitions);
    if (settings_.capture == Capture::Logical && consistent_)
      throw config_error("consistent_snapshot applies to capture = \"none\" (each table's first copy is read in its "
                         "slot's own snapshot)");
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

  void release_stream(const std::string& flow, const std::string& stream) override {
    release_replication(settings_, flow, stream, host_);
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
  Host host_;
  bool consistent_ = false;
  std::mutex mutex_;
  std::unique_ptr<Connection> exporter_;
  std::string snapshot_id_;
};

class PostgresDestination : public Instance {
 public:
  explicit PostgresDestination(const Settings& s) {
    settings_.connect = connect_options(s);
    settings_.schema = s.schema;
    settings_.state_schema = s.state_schema;
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
  p.source_acks = true;  // a replication slot is told a position only once it is saved
  p.source_release = true;  // state reset --drop-slot
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  const Settings s = options().bind(ctx);
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<PostgresSource>(s, ctx.host);
  return std::make_unique<PostgresDestination>(s);
}

}  // namespace
}  // namespace ingestd::plugins::postgres

INGESTD_PLUGIN(ingestd::plugins::postgres::describe, ingestd::plugins::postgres::create)

// The sqlite plugin: SQLite databases as a source (tables and views) and as a
// destination (every load mode, exactly-once through transactional state).
#include "db.hpp"
#include "destination.hpp"
#include "source.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/paths.hpp>

#include <filesystem>

namespace ingestd::plugins::sqlite {
namespace {

using namespace ingestd::sdk;

class SqliteSource : public Instance {
 public:
  explicit SqliteSource(const CreateContext& ctx)
      : path_(ctx.resolve_path(ctx.options.string("path"))), tables_(ctx.options.list("tables")) {}

  void check() override {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) throw config_error(path_ + ": no such database file");
    Db db(path_, false, true);
    db.exec("SELECT count(*) FROM sqlite_schema");
  }

  std::vector<StreamInfo> discover() override {
    check();
    Db db(path_, false, true);
    return discover_streams(db, tables_);
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    return open_source_stream(path_, r, *this);
  }

 private:
  std::string path_;
  std::vector<std::string> tables_;
};

class SqliteDestination : public Instance {
 public:
  explicit SqliteDestination(const CreateContext& ctx) {
    settings_.path = ctx.resolve_path(ctx.options.string("path"));
    settings_.synchronous_full = ctx.options.string("synchronous") == "full";  // the host fills in the default
  }

  // Changes nothing: an existing database must take a write lock; a new
  // one must be creatable where the path says.
  void check() override {
    check_can_write(settings_.path);
    std::error_code ec;
    if (!std::filesystem::exists(settings_.path, ec)) return;
    Db db(settings_.path, false, false);
    db.exec("BEGIN IMMEDIATE");
    db.exec("ROLLBACK");
  }

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(settings_.path).parent_path(), ec);
    return open_destination_table(settings_, r, writer_);
  }

  std::optional<StoredState> load_state(const std::string& key) override {
    return load_stored_state(settings_, key);
  }
  void clear_state(const std::string& key) override { clear_stored_state(settings_, key); }

 private:
  DestinationSettings settings_;
  WriterLock writer_;
};

PluginInfo describe() {
  PluginInfo p{.name = "sqlite", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "SQLite databases: read tables and views; load with append, replace or merge, exactly-once",
               .extract_modes = INGESTD_EXTRACT_SNAPSHOT | INGESTD_EXTRACT_INCREMENTAL_APPENDS | INGESTD_EXTRACT_INCREMENTAL_UPDATES,
               .load_modes = INGESTD_LOAD_APPEND | INGESTD_LOAD_REPLACE | INGESTD_LOAD_MERGE};
  p.transactional_state = true;
  p.source_settings = INGESTD_SOURCE_WHERE;
  p.options = {
      option("path", INGESTD_OPTION_STRING, "The database file (created by a destination when missing)").required(),
      option("tables", INGESTD_OPTION_LIST, "Tables and views to offer as streams, as globs (default: all)")
          .default_to("[]")
          .only_for(INGESTD_KIND_SOURCE),
      enum_option("synchronous", {"full", "normal"},
                  "full: every commit survives a power cut; normal: a crash of ingestd loses nothing, a power cut "
                  "may lose the last commits (the state follows)")
          .default_to("full")
          .only_for(INGESTD_KIND_DESTINATION),
  };
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<SqliteSource>(ctx);
  return std::make_unique<SqliteDestination>(ctx);
}

}  // namespace
}  // namespace ingestd::plugins::sqlite

INGESTD_PLUGIN(ingestd::plugins::sqlite::describe, ingestd::plugins::sqlite::create)

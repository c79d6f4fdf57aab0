// The sqlite plugin: SQLite databases as a source (tables and views) and as a
// destination (every load mode, exactly-once through transactional state).
#include "db.hpp"
#include "destination.hpp"
#include "source.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/bound_options.hpp>
#include <ingestd/sdk/paths.hpp>

#include <filesystem>

namespace ingestd::plugins::sqlite {
namespace {

using namespace ingestd::sdk;

// The options of both roles, each declared once in options() below.
struct Settings {
  std::filesystem::path path;
  std::vector<std::string> tables;  // empty: every table and view
  std::string synchronous = "full";
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    BoundOptions<Settings> b;
    b.add("path", &Settings::path, "The database file (created by a destination when missing)").required();
    b.add("tables", &Settings::tables, "Tables and views to offer as streams, as globs (default: all)")
        .only_for(INGESTD_KIND_SOURCE);
    b.add("synchronous", &Settings::synchronous,
          "full: every commit survives a power cut; normal: a crash of ingestd loses nothing, a power cut "
          "may lose the last commits (the state follows)")
        .one_of({"full", "normal"})
        .only_for(INGESTD_KIND_DESTINATION);
    return b;
  }();
  return o;
}

class SqliteSource : public Instance {
 public:
  explicit SqliteSource(const Settings& s) : path_(s.path.string()), tables_(s.tables) {}

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
  explicit SqliteDestination(const Settings& s) {
    settings_.path = s.path.string();
    settings_.synchronous_full = s.synchronous == "full";
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
  p.options = options().specs();
  return p;
}

std::unique_ptr<Instance> create(const CreateContext& ctx) {
  const Settings s = options().bind(ctx);
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<SqliteSource>(s);
  return std::make_unique<SqliteDestination>(s);
}

}  // namespace
}  // namespace ingestd::plugins::sqlite

INGESTD_PLUGIN(ingestd::plugins::sqlite::describe, ingestd::plugins::sqlite::create)

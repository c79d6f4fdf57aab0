// The duckdb plugin: DuckDB database files as a source (tables and views,
// read as Arrow) and as a destination (every load mode through DuckDB's Arrow
// path, exactly-once through state kept in the same file).
#include "destination.hpp"
#include "source.hpp"

#include <ingestd/sdk.hpp>
#include <ingestd/sdk/bound_options.hpp>
#include <ingestd/sdk/paths.hpp>

#include <filesystem>

namespace ingestd::plugins::duck {
namespace {

using namespace ingestd::sdk;

struct Settings {
  std::filesystem::path path;
  std::vector<std::string> tables;  // empty: every table and view
  Bytes memory_limit{int64_t{256} << 20};
  int64_t threads = 0;
};

const BoundOptions<Settings>& options() {
  static const BoundOptions<Settings> o = [] {
    BoundOptions<Settings> b;
    b.add("path", &Settings::path, "The database file (created by a destination when missing)").required();
    b.add("tables", &Settings::tables, "Tables and views to offer as streams, as globs (default: all)")
        .only_for(INGESTD_KIND_SOURCE);
    b.add("memory_limit", &Settings::memory_limit,
          "DuckDB's memory limit; larger work spills to a temporary folder beside the database");
    b.add("threads", &Settings::threads, "DuckDB's worker threads (0: one per core)");
    return b;
  }();
  return o;
}

DatabaseSettings database_settings(const Settings& s, bool read_only) {
  DatabaseSettings d;
  d.path = s.path.string();
  d.memory_limit = std::to_string(s.memory_limit.value >> 10) + "KiB";
  d.threads = static_cast<int>(s.threads);
  d.read_only = read_only;
  return d;
}

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

class DuckSource : public Instance {
 public:
  explicit DuckSource(const Settings& s) : settings_(database_settings(s, true)), tables_(s.tables) {}

  void check() override { Connection c(database()); }

  std::vector<StreamInfo> discover() override {
    Connection c(database());
    std::vector<StreamInfo> out;
    for (const Relation& r : list_relations(c, tables_)) out.push_back(stream_info(r));
    return out;
  }

  std::unique_ptr<SourceStream> open_stream(const StreamRequest& r) override {
    auto db = database();
    Connection c(db);
    for (Relation& rel : list_relations(c, {}))
      if (rel.stream == r.stream) return open_relation_stream(db, std::move(rel), r);
    throw config_error("no table or view '" + r.stream + "' in " + settings_.path);
  }

 private:
  std::shared_ptr<Database> database() {
    if (!exists(settings_.path)) throw config_error(settings_.path + ": no such database file");
    return Database::open(settings_);
  }

  DatabaseSettings settings_;
  std::vector<std::string> tables_;
};

class DuckDestination : public Instance {
 public:
  explicit DuckDestination(const Settings& s) : settings_(database_settings(s, false)) {}

  // Changes nothing: a new database must be creatable where the path says;
  // an existing one must open for writing (no other process holds it).
  void check() override {
    check_can_write(settings_.path);
    if (exists(settings_.path)) Connection c(Database::open(settings_));
  }

  std::unique_ptr<DestinationTable> open_table(const TableRequest& r) override {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(settings_.path).parent_path(), ec);
    return open_destination_table(database(), r, writer_);
  }

  std::optional<StoredState> load_state(const std::string& key) override {
    if (!exists(settings_.path)) return std::nullopt;
    return load_stored_state(database(), key);
  }
  void clear_state(const std::string& key) override {
    if (exists(settings_.path)) clear_stored_state(database(), key);
  }

 private:
  // Open while a table (or a state lookup) uses it, and closed after: between
  // the runs of `ingestd serve` other processes can open the file.
  std::shared_ptr<Database> database() { return Database::open(settings_); }

  DatabaseSettings settings_;
  WriterLock writer_;
};

PluginInfo describe() {
  PluginInfo p{.name = "duckdb", .version = "1.0.0", .kinds = INGESTD_KIND_SOURCE | INGESTD_KIND_DESTINATION,
               .description = "DuckDB databases: read tables and views; load through Arrow with append, replace or "
                              "merge, exactly-once",
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
  if (ctx.role == INGESTD_KIND_SOURCE) return std::make_unique<DuckSource>(s);
  return std::make_unique<DuckDestination>(s);
}

}  // namespace
}  // namespace ingestd::plugins::duck

INGESTD_PLUGIN(ingestd::plugins::duck::describe, ingestd::plugins::duck::create)
